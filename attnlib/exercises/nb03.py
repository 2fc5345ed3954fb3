"""Exercise checks for notebook 03 (self-attention)."""

import torch

from ..core import scaled_dot_product_attention
from ..multihead import MultiHeadAttention
from .harness import attempt, close, close_pair, private_rng


def qkv_reference(x_q, x_kv, w_q, w_k, w_v):
    """(out (N_q, D), weights (N_q, N_k)) of softmax((x_q W_q)(x_kv W_k)^T / sqrt(D)) x_kv W_v."""
    return scaled_dot_product_attention(x_q @ w_q, x_kv @ w_k, x_kv @ w_v)


def check_self_attention(self_attention):
    """self_attention(x (N, E), w_q, w_k, w_v (E, D)) -> (output (N, D), weights (N, N))."""
    name = "self_attention"
    g = torch.Generator().manual_seed(3)
    x = torch.randn(7, 12, generator=g, dtype=torch.float64)
    w_q, w_k, w_v = (torch.randn(12, 5, generator=g, dtype=torch.float64) for _ in range(3))
    ok, got = attempt(name, self_attention, x.clone(), w_q.clone(), w_k.clone(), w_v.clone())
    if not ok:
        return False
    return close_pair(name, got, qkv_reference(x, x, w_q, w_k, w_v))


def check_permute_weights(permute_weights):
    """permute_weights(weights (N, N), perm) -> the weights of the permuted tokens x[perm]."""
    name = "permute_weights"
    with private_rng(4):  # the module's initial weights come from the global RNG
        attn = MultiHeadAttention(16, 1).double()
        x = torch.randn(1, 6, 16, dtype=torch.float64)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    with torch.no_grad():
        weights = attn(x)[1][0, 0]  # (N, N)
        expected = attn(x[:, perm])[1][0, 0]
    ok, got = attempt(name, permute_weights, weights.clone(), perm.clone())
    if not ok:
        return False
    return close(name, got, expected, atol=1e-9)
