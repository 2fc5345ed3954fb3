"""Worked solutions for notebook 02. Try the exercises first."""

import math

import torch


def softmax_entropy(w):
    # 0 ln 0 = 0: take the log of 1 where a weight is 0, so that term contributes nothing
    # (and no NaN appears, in the value or in its gradient).
    safe = torch.where(w > 0, w, torch.ones_like(w))
    return -(w * torch.log(safe)).sum(dim=-1)  # (..., N_q, N_k) -> (..., N_q)


def softmax_jacobian(a):
    # d a_j / d s_l = a_j (delta_jl - a_l): diag(a) - a a^T.
    return torch.diag(a) - torch.outer(a, a)


def unit_variance_scale(D, sigma_q, sigma_k):
    # Each product q_c k_c has variance sigma_q^2 sigma_k^2; D of them add up, so
    # Var(q . k) = D sigma_q^2 sigma_k^2 and the standard deviation is its square root.
    return 1.0 / (sigma_q * sigma_k * math.sqrt(D))


CHECKS = {
    "check_softmax_entropy": softmax_entropy,
    "check_softmax_jacobian": softmax_jacobian,
    "check_unit_variance_scale": unit_variance_scale,
}
