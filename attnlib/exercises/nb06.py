"""Exercise checks for notebook 06 (masking)."""

import torch

from ..core import masked_softmax
from .harness import as_tensor, attempt, describe, difference, report


def check_causal_mask(causal_mask):
    """causal_mask(n) -> (n, n) boolean keep mask, True where key j <= query i."""
    name = "causal_mask"
    for n in (1, 4, 11):
        ok, got = attempt(name, causal_mask, n)
        if not ok:
            return False
        expected = torch.ones(n, n, dtype=torch.bool).tril()
        mask = as_tensor(got)
        if mask is None:
            return report(name, False, f"returned {describe(got)} for n={n}, expected a bool tensor of shape {(n, n)}")
        if mask.dtype != torch.bool:
            return report(name, False, f"dtype {mask.dtype} for n={n}, expected torch.bool (True = may attend)")
        if mask.shape != expected.shape:
            return report(name, False, f"shape {tuple(mask.shape)} for n={n}, expected {(n, n)}")
        if not torch.equal(mask, expected):
            if torch.equal(mask, ~expected):
                return report(name, False, f"n={n}: that is a block mask; keep masks are True where allowed")
            return report(name, False, f"n={n}: {(mask != expected).sum().item()} entries wrong")
    return report(name, True)


def check_block_to_additive(block_to_additive):
    """block_to_additive(block) -> float mask, 0.0 where block is False, -inf where True."""
    name = "block_to_additive"
    g = torch.Generator().manual_seed(6)
    for shape in ((4, 4), (2, 3, 5)):
        block = torch.rand(shape, generator=g) < 0.4
        ok, got = attempt(name, block_to_additive, block.clone())
        if not ok:
            return False
        mask = as_tensor(got)
        if mask is None:
            return report(name, False, f"returned {describe(got)}, expected a float tensor of shape {shape}")
        if not mask.is_floating_point():
            return report(name, False, f"dtype {mask.dtype}, expected a floating-point mask")
        if mask.shape != block.shape:
            return report(name, False, f"shape {tuple(mask.shape)}, expected {tuple(block.shape)}")
        expected = torch.zeros(shape).masked_fill(block, float("-inf"))
        if not torch.equal(mask.float(), expected):
            if torch.equal(mask.float(), torch.zeros(shape).masked_fill(~block, float("-inf"))):
                return report(name, False, "-inf must go where block is True (blocked), 0 where False")
            wrong = (mask.float() != expected).sum().item()
            return report(name, False, f"block of shape {shape}: {wrong} of {block.numel()} entries wrong")
    return report(name, True)


def check_safe_softmax(safe_softmax):
    """safe_softmax(scores) -> softmax over the last dim; all -inf rows give zeros, not NaN."""
    name = "safe_softmax"
    inf = float("-inf")
    cases = [
        torch.tensor([[1.0, 2.0, 0.5, -1.0], [inf, inf, inf, inf], [3.0, inf, 1.0, inf]]),
        torch.tensor([[[inf, inf, inf]], [[200.0, 201.0, inf]]]),
    ]
    for scores in cases:
        ok, got = attempt(name, safe_softmax, scores.clone())
        if not ok:
            return False
        expected = masked_softmax(scores)
        problem = difference(got, expected, atol=1e-6)
        if problem:
            weights = as_tensor(got)
            if weights is not None and weights.shape == scores.shape and weights.isnan().any():
                problem = "NaN in the output: a row of all -inf must give zeros"
            return report(name, False, f"scores of shape {tuple(scores.shape)}: {problem}")
    return report(name, True)
