"""Exercise checks for notebook 13 (attention over images)."""

import torch
from torch import nn

from .. import vision
from .harness import as_number, attempt, difference, private_rng, report


def check_patchify(patchify):
    """patchify(images (B, C, S, S), patch) -> (B, N, C * P * P), patches row by row, each
    flattened channel, then row, then column."""
    name = "patchify"
    g = torch.Generator().manual_seed(13)
    for B, C, S, P in ((2, 1, 8, 4), (3, 3, 6, 2), (1, 2, 9, 3), (2, 1, 4, 1)):
        images = torch.randn(B, C, S, S, generator=g)
        ok, got = attempt(name, patchify, images.clone(), P)
        if not ok:
            return False
        problem = difference(got, vision.patchify(images, P), atol=0)
        if problem:
            hint = "" if C == 1 else " (flatten each patch channel first, as Conv2d's weight)"
            return report(name, False, f"B={B}, C={C}, S={S}, P={P}: {problem}{hint}")
    return report(name, True)


def check_attention_distance(attention_distance):
    """attention_distance(weights (N, N), centres (N, 2)) -> mean over queries of the
    attention-weighted distance to the keys, a float."""
    name = "attention_distance"
    g = torch.Generator().manual_seed(14)
    for grid, patch, sharp in ((2, 4, 1.0), (3, 2, 3.0), (4, 1, 0.0)):
        N = grid * grid
        weights = torch.softmax(torch.randn(N, N, generator=g, dtype=torch.float64) * sharp, -1)
        centres = vision.patch_centres(grid, patch).double()
        ok, got = attempt(name, attention_distance, weights.clone(), centres.clone())
        if not ok:
            return False
        expected = (weights * torch.cdist(centres, centres)).sum(-1).mean().item()
        value = as_number(got)
        if value is None:
            return report(name, False, f"returned {type(got).__name__}, expected a number")
        if not abs(value - expected) <= 1e-6:  # written so that a NaN fails too
            return report(name, False, f"{grid} x {grid} patches of side {patch}: got {value:.4g}, "
                                       f"expected {expected:.4g}")
    return report(name, True)


def check_class_token_readout(class_token_readout):
    """class_token_readout(z (B, 1 + N, E), norm, head) -> logits (B, classes) from z[:, 0]."""
    name = "class_token_readout"
    g = torch.Generator().manual_seed(15)
    for B, N, E, K in ((2, 4, 8, 10), (3, 9, 16, 3)):
        with private_rng(13):
            norm, head = nn.LayerNorm(E), nn.Linear(E, K)
            nn.init.normal_(norm.weight)
            nn.init.normal_(norm.bias)
        z = torch.randn(B, 1 + N, E, generator=g)
        ok, got = attempt(name, class_token_readout, z.clone(), norm, head)
        if not ok:
            return False
        with torch.no_grad():
            expected = head(norm(z[:, 0]))
        if isinstance(got, torch.Tensor):
            got = got.detach()
        problem = difference(got, expected, atol=1e-5)
        if problem:
            return report(name, False, f"B={B}, N={N}, E={E}: {problem} (norm, then head, on "
                                       "the class token z[:, 0] only)")
    return report(name, True)
