"""Exercise checks for notebook 01 (dot-product attention)."""

import torch

from ..core import scaled_dot_product_attention
from .harness import attempt, close, difference, has_nonfinite, report


def _reference_attention(q, k, v):
    """softmax(q k^T / sqrt(D)) v and the weights, in float64. (..., N_q, D_v), (..., N_q, N_k)"""
    return scaled_dot_product_attention(q.double(), k.double(), v.double())


def check_attention_weights(attention_weights):
    """attention_weights(q, k) -> softmax(q k^T / sqrt(D)), batched and stable."""
    name = "attention_weights"
    gen = torch.Generator().manual_seed(101)
    cases = [
        torch.randn(5, 6, generator=gen), torch.randn(4, 6, generator=gen),  # (N_q, D), (N_k, D)
        torch.randn(2, 3, 5, 16, generator=gen), torch.randn(2, 3, 7, 16, generator=gen),  # (B, H, N, D)
        torch.randn(3, 4, generator=gen) * 300, torch.randn(2, 4, generator=gen) * 300,  # huge scores
    ]
    for q, k in zip(cases[0::2], cases[1::2]):
        ok, got = attempt(name, attention_weights, q.clone(), k.clone())
        if not ok:
            return False
        _, expected = _reference_attention(q, k, k)
        problem = difference(got, expected, atol=1e-5)
        if problem:
            if has_nonfinite(got) and got.shape == expected.shape:
                problem += " (large scores overflow exp: subtract each row's maximum)"
            return report(name, False, f"q {tuple(q.shape)}, k {tuple(k.shape)}: {problem}")
    return report(name, True)


def check_attention_loop(attention_loop):
    """attention_loop(q, k, v) with Python loops equals the matrix form. (N_q, D_v)"""
    name = "attention_loop"
    gen = torch.Generator().manual_seed(102)
    q, k, v = (torch.randn(n, d, generator=gen) for n, d in ((3, 5), (4, 5), (4, 2)))
    ok, got = attempt(name, attention_loop, q.clone(), k.clone(), v.clone())
    if not ok:
        return False
    expected, _ = _reference_attention(q, k, v)
    return close(name, got, expected, atol=1e-5)


def check_hard_lookup(hard_lookup):
    """hard_lookup(q, k, v) -> for each query, the value row of its highest-scoring key."""
    name = "hard_lookup"
    gen = torch.Generator().manual_seed(103)
    q = torch.randn(2, 6, 8, generator=gen)  # (B, N_q, D)
    k = torch.randn(2, 5, 8, generator=gen)  # (B, N_k, D)
    v = torch.randn(2, 5, 3, generator=gen)  # (B, N_k, D_v)
    ok, got = attempt(name, hard_lookup, q.clone(), k.clone(), v.clone())
    if not ok:
        return False
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (B, N_q)
    expected = torch.gather(v, 1, best[..., None].expand(-1, -1, v.shape[-1]))  # (B, N_q, D_v)
    return close(name, got, expected, atol=1e-6)
