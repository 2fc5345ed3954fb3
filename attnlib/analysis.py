"""Small measurements of attention weights, used from notebook 02 on.

weights are attention weights of shape (..., N_q, N_k): each row is a probability
distribution over the N_k keys (or all zeros for a fully masked query).
"""

import math

import torch


def entropy(weights, dim=-1):
    """Shannon entropy in nats of each row of weights. (..., N_q, N_k) -> (..., N_q)

    0 for a one-hot row (all weight on one key), ln N_k for a uniform row. Zero weights
    contribute 0 (the limit of p ln p), never NaN.
    """
    p = weights
    log_p = torch.log(torch.where(p > 0, p, torch.ones_like(p)))  # log 1 = 0 where p = 0
    return -(p * log_p).sum(dim=dim)


def effective_keys(weights, dim=-1):
    """exp(entropy): how many keys a row effectively averages over. (..., N_q, N_k) -> (..., N_q)

    N_k for a uniform row, 1 for a one-hot row.
    """
    return torch.exp(entropy(weights, dim=dim))


def max_entropy(n_k):
    """The entropy of a uniform row over n_k keys: ln n_k."""
    return math.log(n_k)


def softmax_jacobian(a):
    """d softmax(s) / d s at the weights a = softmax(s). (N,) -> (N, N)

    diag(a) - a a^T: it vanishes when a is one-hot, which is why a saturated softmax
    passes (almost) no gradient back to its scores.
    """
    return torch.diag(a) - a[:, None] * a[None, :]
