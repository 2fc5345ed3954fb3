"""Worked solutions for notebook 10. Try the exercises first."""

import torch


def teacher_forcing_input(tgt, start_id):
    # Position i of the decoder must predict tgt[:, i] having read only tgt[:, :i]: put
    # <s> in front and drop the last token, so everything moves one step to the right.
    start = torch.full_like(tgt[:, :1], start_id)  # (B, 1)
    return torch.cat([start, tgt[:, :-1]], dim=1)  # (B, N)


@torch.no_grad()
def greedy(model, src, src_key_mask, max_len):
    memory = model.encode(src, src_key_mask)  # (B, N_src, E): the source is read once
    out = torch.full((src.shape[0], 1), 1, dtype=torch.long)  # (B, 1): <s> (id 1)
    for _ in range(max_len):
        logits = model.decode(out, memory, src_key_mask)  # (B, t, V): the whole prefix again
        nxt = logits[:, -1].argmax(-1)  # (B,): the most likely next token
        out = torch.cat([out, nxt[:, None]], dim=1)  # the model reads its own choice next
    return out[:, 1:]  # (B, max_len), without <s>


def field_alignment(weights, span, positions):
    looked_at = weights[positions].argmax(-1)  # the source position each query looks at most
    inside = (looked_at >= span[0]) & (looked_at < span[1])  # [start, end)
    return inside.float().mean().item()


CHECKS = {
    "check_teacher_forcing_input": teacher_forcing_input,
    "check_greedy_loop": greedy,
    "check_field_alignment": field_alignment,
}
