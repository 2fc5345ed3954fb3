"""Worked solutions for notebook 06. Try the exercises first."""

import torch


def causal_mask(n):
    # Query i (row) may see key j (column) when j <= i: the lower triangle, diagonal included.
    i = torch.arange(n)[:, None]  # (n, 1)
    j = torch.arange(n)[None, :]  # (1, n)
    return j <= i  # (n, n) bool


def block_to_additive(block):
    # Blocked (True) -> -inf, so exp(score - inf) = 0; allowed (False) -> 0, score unchanged.
    return torch.zeros(block.shape).masked_fill(block, float("-inf"))


def safe_softmax(scores):
    # Shift by the row maximum, but use 0 where the maximum is -inf (an all-blocked row),
    # so the row becomes exp(-inf) = 0 everywhere instead of exp(-inf - -inf) = exp(NaN).
    row_max = scores.amax(dim=-1, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    e = torch.exp(scores - row_max)
    total = e.sum(dim=-1, keepdim=True)
    # A zero total means the row had no allowed key: divide by 1 and keep the zeros.
    return e / torch.where(total == 0, torch.ones_like(total), total)


CHECKS = {
    "check_causal_mask": causal_mask,
    "check_block_to_additive": block_to_additive,
    "check_safe_softmax": safe_softmax,
}
