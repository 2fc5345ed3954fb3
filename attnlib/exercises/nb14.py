"""Exercise checks for notebook 14 (multimodal attention)."""

import torch

from .harness import as_number, attempt, describe, difference, report


def check_patch_index(patch_index):
    """patch_index(rows, cols, grid) -> rows * grid + cols (row by row)."""
    name = "patch_index"
    for grid in (4, 3, 7):
        rows = torch.arange(grid).repeat_interleave(grid)
        cols = torch.arange(grid).repeat(grid)
        ok, got = attempt(name, patch_index, rows.clone(), cols.clone(), grid)
        if not ok:
            return False
        problem = difference(got, rows * grid + cols, atol=0)
        if problem:
            return report(name, False, f"grid={grid}: {problem} (row by row: patch `grid` "
                                       "is the first of the second row)")
    return report(name, True)


def check_question_attends(question_attends):
    """question_attends(u (B, 1, E), m (B, P, E), w_q, w_k, w_v (E, E)) -> (out, weights)."""
    name = "question_attends"
    g = torch.Generator().manual_seed(14)
    for B, P, E in ((2, 16, 8), (1, 5, 4), (3, 9, 6)):
        u, m = torch.randn(B, 1, E, generator=g), torch.randn(B, P, E, generator=g)
        w_q, w_k, w_v = (torch.randn(E, E, generator=g) / E**0.5 for _ in range(3))
        ok, got = attempt(name, question_attends, u.clone(), m.clone(), w_q, w_k, w_v)
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return report(name, False, "return two things: the output and the weights")
        weights = ((u @ w_q) @ (m @ w_k).transpose(-2, -1) / E**0.5).softmax(-1)  # (B, 1, P)
        for what, value, expected in (("weights", got[1], weights), ("output", got[0], weights @ (m @ w_v))):
            problem = difference(value, expected)
            if problem:
                return report(name, False, f"{what}, B={B}, P={P}, E={E}: {problem} "
                                           "(scale the scores by 1/sqrt(E), softmax over the patches)")
    return report(name, True)


def check_weight_on_asked(weight_on_asked):
    """weight_on_asked(weights (B, P), asked (B,)) -> mean of weights[b, asked[b]], a float."""
    name = "weight_on_asked"
    g = torch.Generator().manual_seed(15)
    for B, P in ((6, 16), (1, 4), (9, 9)):
        weights = torch.randn(B, P, generator=g).softmax(-1)
        asked = torch.randint(P, (B,), generator=g)
        ok, got = attempt(name, weight_on_asked, weights.clone(), asked.clone())
        if not ok:
            return False
        value = as_number(got)
        expected = weights[torch.arange(B), asked].mean().item()
        if value is None or not abs(value - expected) <= 1e-6:  # NaN fails too
            shown = describe(got) if value is None else f"{value:.4f}"
            return report(name, False, f"B={B}, P={P}: expected {expected:.4f}, got {shown} "
                                       "(one weight per scene, at its asked patch)")
    return report(name, True)
