"""Worked solutions for notebook 14. Try the exercises first."""

import torch


def patch_index(rows, cols, grid):
    return rows * grid + cols  # each row holds `grid` patches


def question_attends(u, m, w_q, w_k, w_v):
    q, k, v = u @ w_q, m @ w_k, m @ w_v  # (B, 1, E), (B, P, E), (B, P, E)
    weights = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1)  # (B, 1, P)
    return weights @ v, weights


def weight_on_asked(weights, asked):
    return weights[torch.arange(len(weights)), asked].mean().item()


CHECKS = {
    "check_patch_index": patch_index,
    "check_question_attends": question_attends,
    "check_weight_on_asked": weight_on_asked,
}
