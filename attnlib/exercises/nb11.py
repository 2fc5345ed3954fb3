"""Exercise checks for notebook 11 (text applications)."""

import torch

from ..textapps import spans
from .harness import as_number, attempt, close, describe, report


def check_entity_spans(entity_spans):
    """entity_spans(tags) -> the set of (type, start, end) runs of one tag that is not "O"."""
    name = "entity_spans"
    cases = [["PER", "PER", "O", "ORG", "ORG", "LOC"], ["O", "O", "O"], ["DATE"],
             ["LOC", "DATE", "DATE", "O", "PER"], ["O", "PER", "O", "PER", "PER"]]
    for tags in cases:
        ok, got = attempt(name, entity_spans, list(tags))
        if not ok:
            return False
        expected = spans(tags)
        try:
            got_set = {tuple(s) for s in got}
        except TypeError:
            return report(name, False, f"returned {describe(got)}, expected a set of (type, start, end)")
        if got_set != expected:
            return report(name, False, f"tags {tags}: got {sorted(got_set)}, expected {sorted(expected)} "
                                       "(end is exclusive; neighbours of different types are separate)")
    return report(name, True)


def best_span_reference(start, end, max_len):
    n = start.shape[0]
    best, pair = float("-inf"), (0, 0)
    for i in range(n):
        for j in range(i, min(n, i + max_len)):
            if start[i] + end[j] > best:
                best, pair = start[i] + end[j], (i, j)
    return pair


def check_best_span(best_span):
    """best_span(start (N,), end (N,), max_len) -> (i, j), i <= j < i + max_len, maximising
    start[i] + end[j]."""
    name = "best_span"
    g = torch.Generator().manual_seed(11)
    cases = [(torch.tensor([0.0, 5.0, 1.0, 0.0]), torch.tensor([9.0, 0.0, 1.0, 4.0]), 3)]
    cases += [(torch.randn(n, generator=g), torch.randn(n, generator=g), m)
              for n, m in ((6, 2), (9, 4), (12, 12), (7, 1))]
    for start, end, max_len in cases:
        ok, got = attempt(name, best_span, start.clone(), end.clone(), max_len)
        if not ok:
            return False
        expected = best_span_reference(start, end, max_len)
        try:
            pair = tuple(int(as_number(v)) for v in got)
        except (TypeError, ValueError):
            return report(name, False, f"returned {describe(got)}, expected a pair (i, j) of ints")
        if pair != expected:
            return report(name, False, f"N={len(start)}, max_len={max_len}: got {pair}, expected "
                                       f"{expected} (the end may not come before the start)")
    return report(name, True)


def check_focus_share(focus_share):
    """focus_share(weights (B, N), focus (B, N) bool, key_mask (B, N) bool) -> tensor (2,):
    the mean over sentences of the weight on the focus words, and of the share a uniform
    attention over the real words would give them."""
    name = "focus_share"
    g = torch.Generator().manual_seed(111)
    lengths = torch.tensor([3, 6, 5, 2])
    key_mask = torch.arange(6) < lengths[:, None]  # (B, N)
    scores = torch.randn(4, 6, generator=g).masked_fill(~key_mask, float("-inf"))
    weights = torch.softmax(scores, -1)
    focus = torch.zeros(4, 6, dtype=torch.bool)
    focus[0, 2] = focus[1, [1, 2]] = focus[2, 4] = focus[3, [0, 1]] = True
    ok, got = attempt(name, focus_share, weights.clone(), focus.clone(), key_mask.clone())
    if not ok:
        return False
    expected = torch.stack([(weights * focus).sum(-1).mean(),
                            (focus.sum(-1) / key_mask.sum(-1)).float().mean()])
    return close(name, got, expected, atol=1e-6)
