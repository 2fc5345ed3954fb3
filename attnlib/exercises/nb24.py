"""Exercise checks for notebook 24 (bug clinic): fix three of the classic bugs.

The first two reuse the public checkers of attnlib.bugs, so a fix passes here exactly
when it passes every check the notebook runs on attnlib's own version.
"""

import torch

from .. import bugs
from .harness import as_tensor, attempt, describe, private_rng, report


def _verdict(name, fn, checker, *args):
    ok, _ = attempt(name, fn, *args)  # NotImplementedError or a crash: one line, stop
    if not ok:
        return False
    with private_rng(0):  # the checker runs fn; keep the learner's random numbers
        result = checker(fn, verbose=False)
    if result.passed:
        return report(name, True)
    first = result.failures[0]
    more = f" (and {len(result.failures) - 1} more)" if len(result.failures) > 1 else ""
    return report(name, False, f"{first.check}: {first.detail}{more}")


def check_fixed_attention(fixed_attention):
    """fixed_attention(q, k, v, mask=None) passes every check of bugs.check_attention."""
    g = torch.Generator().manual_seed(2424)
    q = torch.randn(1, 3, 4, generator=g)
    return _verdict("fixed_attention", fixed_attention, bugs.check_attention, q, q, q)


def check_fixed_causal(fixed_causal):
    """fixed_causal(q, k, v) passes every check of bugs.check_causal."""
    g = torch.Generator().manual_seed(2425)
    q = torch.randn(1, 3, 4, generator=g)
    return _verdict("fixed_causal", fixed_causal, bugs.check_causal, q, q, q)


def check_fixed_split_heads(fixed_split_heads):
    """fixed_split_heads(x, num_heads): (B, N, E) -> (B, H, N, D), head h = features hD..(h+1)D-1."""
    name = "fixed_split_heads"
    g = torch.Generator().manual_seed(2426)
    for B, N, E, H in ((2, 5, 12, 3), (1, 7, 16, 4)):
        x = torch.randn(B, N, E, generator=g)
        ok, got = attempt(name, fixed_split_heads, x.clone(), H)
        if not ok:
            return False
        heads = as_tensor(got)
        want = x.view(B, N, H, E // H).transpose(1, 2)  # (B, H, N, D)
        if heads is None:
            return report(name, False, f"returned {describe(got)}, expected a tensor of shape {tuple(want.shape)}")
        if heads.shape != want.shape:
            return report(name, False, f"shape {tuple(heads.shape)} for x of shape {(B, N, E)} and "
                                       f"H = {H}, expected {tuple(want.shape)}")
        if not torch.equal(heads, want):
            if torch.equal(heads, x.reshape(B, H, N, E // H)):
                return report(name, False, "that is x.view(B, H, N, D), which mixes tokens and heads "
                                           "(bug 10); split E into (H, D) first, then move H forward")
            return report(name, False, f"x of shape {(B, N, E)}, H = {H}: head h of token n must "
                                       "be features h*D..(h+1)*D - 1 of token n")
    return report(name, True)
