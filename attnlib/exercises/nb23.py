"""Exercise checks for notebook 23 (reading attention)."""

import torch

from ..attribution import entropy_per_head, rollout
from .harness import attempt, describe, difference, has_nonfinite, report


def _maps(g, L, H, N, causal=False, B=None):
    """Attention maps computed from random scores (rows sum to 1), (B, L, H, N, N) or (L, H, N, N)."""
    shape = (L, H, N, N) if B is None else (B, L, H, N, N)
    scores = 2.0 * torch.randn(shape, generator=g)
    if causal:
        scores = scores.masked_fill(~torch.ones(N, N, dtype=torch.bool).tril(), float("-inf"))
    return scores.softmax(-1)


def check_rollout_with_residual(rollout_fn):
    """rollout_fn(maps (L, H, N, N)) -> (N, N): heads averaged, 0.5 A + 0.5 I with rows
    renormalised, multiplied with the last layer on the left."""
    name = "rollout_with_residual"
    g = torch.Generator().manual_seed(23)
    for L, H, N in ((1, 2, 3), (2, 1, 4), (3, 4, 5)):
        maps = _maps(g, L, H, N)
        ok, got = attempt(name, rollout_fn, maps.clone())
        if not ok:
            return False
        expected = rollout(maps)
        if difference(got, expected) is None:
            continue
        a = 0.5 * maps.mean(1) + 0.5 * torch.eye(N)
        wrong_order = a[0]
        for layer in a[1:]:
            wrong_order = wrong_order @ layer
        if L > 1 and difference(got, wrong_order) is None:
            return report(name, False, f"L = {L}: the layers are multiplied in the wrong order; "
                                       "the last layer goes on the left, A_L ... A_1")
        no_residual = rollout(maps, residual=False)
        if difference(got, no_residual) is None:
            return report(name, False, f"L = {L}: that is rollout without the residual; mix in the "
                                       "identity, 0.5 A + 0.5 I")
        problem = difference(got, expected)
        return report(name, False, f"L = {L}, H = {H}, N = {N}: {problem}")
    return report(name, True)


def check_head_entropy(head_entropy):
    """head_entropy(maps (B, L, H, N, N)) -> (L, H): mean row entropy in nats, 0 log 0 = 0."""
    name = "head_entropy"
    g = torch.Generator().manual_seed(232)
    for B, L, H, N, causal in ((2, 1, 2, 4, False), (3, 2, 3, 5, True)):
        maps = _maps(g, L, H, N, causal, B)
        ok, got = attempt(name, head_entropy, maps.clone())
        if not ok:
            return False
        if has_nonfinite(got):
            return report(name, False, f"NaN in the answer for causal maps ({describe(got)}): a weight "
                                       "of exactly 0 contributes 0, but 0 * log 0 is NaN in torch")
        problem = difference(got, entropy_per_head(maps), atol=1e-5)
        if problem:
            return report(name, False, f"B = {B}, L = {L}, H = {H}, N = {N}: {problem}")
    return report(name, True)


def check_occlusion_tv(occlusion_tv):
    """occlusion_tv(base (B, V), occluded (N, B, V)) -> (B, N): total variation
    0.5 * sum_v |occluded[j, b] - base[b]| between output distributions."""
    name = "occlusion_tv"
    g = torch.Generator().manual_seed(2323)
    for B, N, V in ((2, 3, 4), (1, 5, 7)):
        base = torch.randn(B, V, generator=g).softmax(-1)
        occluded = torch.randn(N, B, V, generator=g).softmax(-1)
        occluded[0] = base  # a token whose occlusion changes nothing: score 0
        ok, got = attempt(name, occlusion_tv, base.clone(), occluded.clone())
        if not ok:
            return False
        expected = 0.5 * (occluded - base).abs().sum(-1).T  # (B, N)
        if difference(got, expected.T) is None and B != N:
            return report(name, False, "the answer is (N, B); return (B, N), one row per example")
        if difference(got, 2 * expected) is None:
            return report(name, False, "twice the total variation: it is half the sum of |p - q|")
        problem = difference(got, expected, atol=1e-6)
        if problem:
            return report(name, False, f"B = {B}, N = {N}, V = {V}: {problem}")
    return report(name, True)
