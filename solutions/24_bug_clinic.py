"""Worked solutions for notebook 24. Try the exercises first."""

import math

import torch


def fixed_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, N_q, N_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # True = may attend
    # The softmax goes over the keys, the last axis (bug 2 had dim=-2). A row of all -inf
    # would be 0/0: give it finite scores for the softmax, then zero weights.
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)  # (B, N_q, 1)
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    return weights @ v  # (B, N_q, D)


def fixed_causal(q, k, v):
    n = q.shape[-2]
    i = torch.arange(n)[:, None]  # query positions (N, 1)
    j = torch.arange(n)[None, :]  # key positions (1, N)
    keep = j <= i  # itself and everything before it: tril() with the diagonal kept
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, N, N)
    scores = scores.masked_fill(~keep, float("-inf"))  # no row is empty: key 0 is always kept
    return torch.softmax(scores, dim=-1) @ v


def fixed_split_heads(x, num_heads):
    B, N, E = x.shape
    # Split each token's E features into (H, D) first, then move H in front of N.
    return x.view(B, N, num_heads, E // num_heads).transpose(1, 2)  # (B, H, N, D)


CHECKS = {
    "check_fixed_attention": fixed_attention,
    "check_fixed_causal": fixed_causal,
    "check_fixed_split_heads": fixed_split_heads,
}
