"""Exercise checks for notebook 02 (scaling)."""

import torch

from ..analysis import entropy
from .harness import as_number, attempt, close, describe, difference, has_nonfinite, report


def check_softmax_entropy(softmax_entropy):
    """softmax_entropy(w) -> entropy in nats of each row, finite where weights are 0."""
    name = "softmax_entropy"
    gen = torch.Generator().manual_seed(201)
    w = torch.softmax(torch.randn(2, 3, 4, 9, generator=gen) * 2, dim=-1)  # (B, H, N_q, N_k)
    w[0, 0, 0] = torch.tensor([0.0] * 8 + [1.0])  # one-hot row: entropy 0
    w[1, 2, 3] = torch.tensor([0.5, 0.5] + [0.0] * 7)  # two keys: entropy ln 2
    ok, got = attempt(name, softmax_entropy, w.clone())
    if not ok:
        return False
    if has_nonfinite(got):
        return report(name, False, "NaN or inf for rows containing zero weights (0 ln 0 counts as 0)")
    return close(name, got, entropy(w.double()), atol=1e-5)  # (B, H, N_q)


def check_softmax_jacobian(softmax_jacobian):
    """softmax_jacobian(a) -> (N, N) matrix d a_j / d s_l at a = softmax(s)."""
    name = "softmax_jacobian"
    gen = torch.Generator().manual_seed(202)
    for n in (3, 7):
        s = torch.randn(n, generator=gen, dtype=torch.float64)
        a = torch.softmax(s, -1)
        ok, got = attempt(name, softmax_jacobian, a.clone())
        if not ok:
            return False
        expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), s)
        problem = difference(got, expected, atol=1e-6)
        if problem:
            return report(name, False, f"for N={n}: {problem}")
    return report(name, True)


def check_unit_variance_scale(unit_variance_scale):
    """unit_variance_scale(D, sigma_q, sigma_k) -> 1 / (sigma_q sigma_k sqrt(D))."""
    name = "unit_variance_scale"
    for D, sigma_q, sigma_k in ((48, 0.5, 3.0), (200, 2.0, 2.0)):
        ok, got = attempt(name, unit_variance_scale, D, sigma_q, sigma_k)
        if not ok:
            return False
        factor = as_number(got)
        if factor is None:
            return report(name, False, f"returned {describe(got)}, expected a number")
        expected = 1.0 / (sigma_q * sigma_k * D**0.5)
        if not abs(factor - expected) <= 1e-6 * expected:
            gen = torch.Generator().manual_seed(203)
            q = torch.randn(20_000, D, generator=gen) * sigma_q  # (pairs, D)
            k = torch.randn(20_000, D, generator=gen) * sigma_k
            measured = ((q * k).sum(-1) * factor).var().item()
            return report(name, False, f"for D={D}, sigma_q={sigma_q}, sigma_k={sigma_k} your "
                          f"factor gives scores of measured variance {measured:.3f}, not 1")
    return report(name, True)
