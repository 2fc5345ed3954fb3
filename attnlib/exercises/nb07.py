"""Exercise checks for notebook 07 (positional information)."""

import math

import torch

from ..positional import sinusoidal as reference_sinusoidal
from .harness import attempt, close, report


def check_sinusoidal(sinusoidal):
    """sinusoidal(n, dim) -> (n, dim) table, sin in even columns, cos in odd, any dim."""
    name = "sinusoidal"
    for n, dim in ((6, 8), (11, 7), (4, 1), (50, 33)):
        ok, got = attempt(name, sinusoidal, n, dim)
        if not ok:
            return False
        if not close(f"{name}(n={n}, dim={dim})", got, reference_sinusoidal(n, dim), atol=1e-4):
            return False
    return True


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
        got_t = torch.as_tensor(got)
        if got_t.shape == expected.shape and angle and torch.allclose(
                got_t.double(), torch.tensor([c * v[0] + s * v[1], -s * v[0] + c * v[1]]).double(), atol=1e-5):
            return report(name, False, f"angle {angle:.2f}: you rotated clockwise; RoPE turns counter-clockwise")
        if not close(f"{name}({v.tolist()}, {angle:.2f})", got, expected, atol=1e-5):
            return False
    return True


def check_relative_index(relative_index):
    """relative_index(n_q, n_k, k) -> (n_q, n_k) long, clip(j - i, -k, k) + k."""
    name = "relative_index"
    for n_q, n_k, k in ((5, 5, 2), (3, 7, 1), (6, 4, 0), (8, 8, 10)):
        ok, got = attempt(name, relative_index, n_q, n_k, k)
        if not ok:
            return False
        got = torch.as_tensor(got)
        if got.is_floating_point():
            return report(name, False, f"dtype {got.dtype}: an index must be an integer tensor")
        i, j = torch.arange(n_q)[:, None], torch.arange(n_k)[None, :]
        expected = (j - i).clamp(-k, k) + k
        if got.shape != expected.shape:
            return report(name, False, f"shape {tuple(got.shape)} for {(n_q, n_k, k)}, expected {(n_q, n_k)}")
        if not torch.equal(got.long(), expected):
            if torch.equal(got.long(), (i - j).clamp(-k, k) + k):
                return report(name, False, "the offset is j - i (key minus query), not i - j")
            return report(name, False, f"{(got.long() != expected).sum().item()} entries wrong for {(n_q, n_k, k)}")
    return report(name, True)
