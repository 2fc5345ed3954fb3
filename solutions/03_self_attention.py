"""Worked solutions for notebook 03. Try the exercises first."""

import torch


def self_attention(x, w_q, w_k, w_v):
    q, k, v = x @ w_q, x @ w_k, x @ w_v  # each (N, D)
    # Scale by the width D of the queries and keys, not by the input width E.
    weights = torch.softmax(q @ k.T / k.shape[-1] ** 0.5, dim=-1)  # (N, N)
    return weights @ v, weights  # (N, D), (N, N)


def permute_weights(weights, perm):
    # Row i of the new weights is query perm[i]; column j is key perm[j]:
    # permute the rows AND the columns, P A P^T.
    return weights[perm][:, perm]


CHECKS = {"check_self_attention": self_attention, "check_permute_weights": permute_weights}
