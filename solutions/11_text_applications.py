"""Worked solutions for notebook 11. Try the exercises first."""

import torch


def entity_spans(tags):
    # Walk the tags once; a run ends where the tag changes. Keep every run that is not "O".
    found, start = set(), 0
    for i in range(1, len(tags) + 1):
        if i == len(tags) or tags[i] != tags[start]:
            if tags[start] != "O":
                found.add((tags[start], start, i))  # end exclusive
            start = i
    return found


def best_span(start, end, max_len):
    # score[i, j] = start[i] + end[j], kept only where i <= j < i + max_len.
    n = start.shape[0]
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    score = (start[:, None] + end[None, :]).masked_fill((j < i) | (j >= i + max_len), float("-inf"))
    best = score.flatten().argmax().item()
    return best // n, best % n


def focus_share(weights, focus, key_mask):
    share = (weights * focus).sum(-1).mean()  # weight on the focus words, per sentence
    uniform = (focus.sum(-1) / key_mask.sum(-1)).float().mean()  # what uniform weights give
    return torch.stack([share, uniform])


CHECKS = {
    "check_entity_spans": entity_spans,
    "check_best_span": best_span,
    "check_focus_share": focus_share,
}
