"""Exercise checks for notebook 05 (multi-head attention)."""

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..multihead import MultiHeadAttention
from .harness import attempt, report


def check_split_heads(split_heads):
    """split_heads(x, num_heads): (B, N, E) -> (B, H, N, D), head h = features h*D:(h+1)*D."""
    name = "split_heads"
    torch.manual_seed(5)
    for B, N, E, H in ((3, 7, 12, 4), (2, 5, 12, 3), (1, 4, 6, 1), (2, 3, 6, 6)):
        x = torch.randn(B, N, E)
        ok, got = attempt(name, split_heads, x.clone(), H)
        if not ok:
            return False
        got = torch.as_tensor(got)
        D = E // H
        expected = torch.stack([x[..., h * D:(h + 1) * D] for h in range(H)], dim=1)
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for x {(B, N, E)} and H={H}, "
                                       f"expected (B, H, N, D) = {tuple(expected.shape)}")
        if not torch.allclose(got, expected):
            return report(name, False, f"x {(B, N, E)}, H={H}: right shape, wrong entries; split E "
                                       "into (H, D) first, then swap the N and H axes")
    return report(name, True)


def check_mha_einsum(mha_einsum):
    """mha_einsum(x, W_q, W_k, W_v, W_o, num_heads) -> (B, N, E): multi-head self-attention
    without biases, equal to MultiHeadAttention(E, H, bias=False) with those weights."""
    name = "mha_einsum"
    for B, N, E, H in ((2, 6, 12, 3), (1, 5, 8, 4), (3, 4, 8, 1)):
        torch.manual_seed(E + H)
        m = MultiHeadAttention(E, H, bias=False).double()
        x = torch.randn(B, N, E, dtype=torch.float64)
        weights = [p.weight.detach().clone() for p in (m.q_proj, m.k_proj, m.v_proj, m.out_proj)]
        ok, got = attempt(name, mha_einsum, x.clone(), *weights, H)
        if not ok:
            return False
        with torch.no_grad():
            expected = m(x)[0]
        got = torch.as_tensor(got).double()
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for B={B}, N={N}, E={E}, H={H}, "
                                       f"expected {tuple(expected.shape)}")
        diff = (got - expected).abs().max().item()
        if not diff <= 1e-9:
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: largest difference {diff:.3g} "
                                       "(scale by sqrt(D), D = E // H?)")
    return report(name, True)


def check_attention_flops(attention_flops):
    """attention_flops(B, N, E, H) -> matmul FLOPs (2 per multiply-add) of one multi-head
    self-attention forward: the four projections, the scores and the weighted sum."""
    name = "attention_flops"
    for B, N, E, H in ((1, 10, 12, 3), (4, 3, 16, 8), (2, 32, 8, 1), (3, 7, 20, 5)):
        ok, got = attempt(name, attention_flops, B, N, E, H)
        if not ok:
            return False
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            MultiHeadAttention(E, H)(torch.zeros(B, N, E))
        measured = counter.get_total_flops()
        if got != measured:
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: you said {got}, "
                                       f"PyTorch's FlopCounterMode counts {measured}")
    return report(name, True)
