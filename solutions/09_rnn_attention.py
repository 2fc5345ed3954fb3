"""Worked solutions for notebook 09. Try the exercises first."""

import torch


def bahdanau_score(query, keys, W_q, W_k, v):
    # Project the query once and every key, add them (the query broadcasts over the keys),
    # squash with tanh, then one dot product with v per key.
    hidden = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k)  # (B, N_k, A)
    return hidden @ v  # (B, N_k)


def luong_general_score(query, keys, W):
    # q^T W k_j for every key: W k_j for all keys at once, then a dot product with q.
    return (keys @ W.T @ query[:, :, None])[..., 0]  # (B, N_k, D) @ (B, D, 1) -> (B, N_k)


def masked_attend(scores, keys, lengths):
    # Padded keys get -inf, so exp() gives them exactly 0. A row with no real key would be
    # all -inf (softmax: NaN): give it finite scores, then zero its weights afterwards.
    real = torch.arange(scores.shape[1]) < lengths[:, None]  # (B, N_k)
    empty = ~real.any(dim=1, keepdim=True)  # (B, 1)
    weights = torch.softmax(scores.masked_fill(~real, float("-inf")).masked_fill(empty, 0.0), dim=1)
    weights = weights.masked_fill(empty, 0.0)
    return (weights[:, None, :] @ keys)[:, 0], weights  # (B, D), (B, N_k)


CHECKS = {
    "check_bahdanau_score": bahdanau_score,
    "check_luong_general_score": luong_general_score,
    "check_masked_attend": masked_attend,
}
