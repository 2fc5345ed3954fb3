"""Exercise checks for notebook 05 (multi-head attention)."""

import torch

from ..multihead import MultiHeadAttention
from .harness import as_number, as_tensor, attempt, describe, difference, private_rng, report


def check_split_heads(split_heads):
    """split_heads(x, num_heads): (B, N, E) -> (B, H, N, D), head h = features h*D:(h+1)*D."""
    name = "split_heads"
    g = torch.Generator().manual_seed(5)
    for B, N, E, H in ((3, 7, 12, 4), (2, 5, 12, 3), (1, 4, 6, 1), (2, 3, 6, 6)):
        x = torch.randn(B, N, E, generator=g)
        ok, got = attempt(name, split_heads, x.clone(), H)
        if not ok:
            return False
        D = E // H
        expected = torch.stack([x[..., h * D:(h + 1) * D] for h in range(H)], dim=1)
        problem = difference(got, expected, atol=1e-5)
        if problem:
            same_shape = getattr(as_tensor(got), "shape", None) == expected.shape
            hint = ("; right shape, wrong entries: split E into (H, D) first, then swap the N and H axes"
                    if same_shape else " = (B, H, N, D)")
            return report(name, False, f"x {(B, N, E)}, H={H}: {problem}{hint}")
    return report(name, True)


def check_mha_einsum(mha_einsum):
    """mha_einsum(x, W_q, W_k, W_v, W_o, num_heads) -> (B, N, E): multi-head self-attention
    without biases, equal to MultiHeadAttention(E, H, bias=False) with those weights."""
    name = "mha_einsum"
    for B, N, E, H in ((2, 6, 12, 3), (1, 5, 8, 4), (3, 4, 8, 1)):
        with private_rng(E + H):  # the module's initial weights come from the global RNG
            m = MultiHeadAttention(E, H, bias=False).double()
            x = torch.randn(B, N, E, dtype=torch.float64)
        weights = [p.weight.detach().clone() for p in (m.q_proj, m.k_proj, m.v_proj, m.out_proj)]
        ok, got = attempt(name, mha_einsum, x.clone(), *weights, H)
        if not ok:
            return False
        with torch.no_grad():
            expected = m(x)[0]
        problem = difference(got, expected, atol=1e-9)
        if problem:
            hint = " (scale by sqrt(D), D = E // H?)" if problem.startswith("largest") else ""
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: {problem}{hint}")
    return report(name, True)


def check_attention_flops(attention_flops):
    """attention_flops(B, N, E, H) -> matmul FLOPs (2 per multiply-add) of one multi-head
    self-attention forward: the four projections, the scores and the weighted sum."""
    # Imported here: torch.utils.flop_counter imports triton, which `import attnlib` must not.
    from torch.utils.flop_counter import FlopCounterMode

    name = "attention_flops"
    for B, N, E, H in ((1, 10, 12, 3), (4, 3, 16, 8), (2, 32, 8, 1), (3, 7, 20, 5)):
        ok, got = attempt(name, attention_flops, B, N, E, H)
        if not ok:
            return False
        with private_rng(0):  # building the module draws its initial weights
            m = MultiHeadAttention(E, H)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            m(torch.zeros(B, N, E))
        measured = counter.get_total_flops()
        said = as_number(got)
        if said is None:
            return report(name, False, f"returned {describe(got)}, expected a number")
        if said != measured:
            return report(name, False, f"B={B}, N={N}, E={E}, H={H}: you said {got}, "
                                       f"PyTorch's FlopCounterMode counts {measured}")
    return report(name, True)
