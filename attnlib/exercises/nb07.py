"""Exercise checks for notebook 07 (positional information)."""

import math

import torch

from ..positional import sinusoidal as reference_sinusoidal
from .harness import as_tensor, attempt, describe, difference, report


def check_sinusoidal(sinusoidal):
    """sinusoidal(n, dim) -> (n, dim) table, sin in even columns, cos in odd, any dim."""
    name = "sinusoidal"
    for n, dim in ((6, 8), (11, 7), (4, 1), (50, 33)):
        ok, got = attempt(name, sinusoidal, n, dim)
        if not ok:
            return False
        problem = difference(got, reference_sinusoidal(n, dim), atol=1e-4)
        if problem:
            return report(name, False, f"n={n}, dim={dim}: {problem}")
    return report(name, True)


def check_rotate_pair(rotate_pair):
    """rotate_pair(v, angle) -> v (2,) rotated counter-clockwise by angle radians."""
    name = "rotate_pair"
    for v, angle in (((1.0, 0.0), math.pi / 2), ((0.3, -2.0), 0.7), ((-1.5, 0.5), -2.9), ((2.0, 1.0), 0.0)):
        v = torch.tensor(v)
        ok, got = attempt(name, rotate_pair, v.clone(), angle)
        if not ok:
            return False
        c, s = math.cos(angle), math.sin(angle)
        expected = torch.tensor([c * v[0] - s * v[1], s * v[0] + c * v[1]])
        clockwise = torch.tensor([c * v[0] + s * v[1], -s * v[0] + c * v[1]])
        if angle and difference(got, clockwise, atol=1e-5) is None:
            return report(name, False, f"angle {angle:.2f}: you rotated clockwise; RoPE turns counter-clockwise")
        problem = difference(got, expected, atol=1e-5)
        if problem:
            return report(name, False, f"v={v.tolist()}, angle {angle:.2f}: {problem}")
    return report(name, True)


def check_relative_index(relative_index):
    """relative_index(n_q, n_k, k) -> (n_q, n_k) long, clip(j - i, -k, k) + k."""
    name = "relative_index"
    for n_q, n_k, k in ((5, 5, 2), (3, 7, 1), (6, 4, 0), (8, 8, 10)):
        ok, got = attempt(name, relative_index, n_q, n_k, k)
        if not ok:
            return False
        i, j = torch.arange(n_q)[:, None], torch.arange(n_k)[None, :]
        expected = (j - i).clamp(-k, k) + k
        index = as_tensor(got)
        if index is None:
            return report(name, False, f"returned {describe(got)} for {(n_q, n_k, k)}, "
                                       f"expected an integer tensor of shape {(n_q, n_k)}")
        if index.is_floating_point() or index.is_complex() or index.dtype == torch.bool:
            return report(name, False, f"dtype {index.dtype}: an index must be an integer tensor")
        if index.shape != expected.shape:
            return report(name, False, f"shape {tuple(index.shape)} for {(n_q, n_k, k)}, expected {(n_q, n_k)}")
        if not torch.equal(index.long(), expected):
            if torch.equal(index.long(), (i - j).clamp(-k, k) + k):
                return report(name, False, "the offset is j - i (key minus query), not i - j")
            wrong = (index.long() != expected).sum().item()
            return report(name, False, f"{wrong} entries wrong for {(n_q, n_k, k)}")
    return report(name, True)
