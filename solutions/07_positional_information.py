"""Worked solutions for notebook 07. Try the exercises first."""

import math

import torch


def sinusoidal(n, dim):
    position = torch.arange(n, dtype=torch.float64)[:, None]  # (n, 1)
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)  # (ceil(dim / 2),)
    angles = position / 10000 ** (two_i / dim)  # (n, ceil(dim / 2))
    pe = torch.empty(n, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)  # ceil(dim / 2) sine columns
    # floor(dim / 2) cosine columns: for odd dim the last sine has no cosine partner.
    pe[:, 1::2] = torch.cos(angles[:, : dim // 2])
    return pe.float()


def rotate_pair(v, angle):
    # Multiply by the rotation matrix [[cos, -sin], [sin, cos]].
    c, s = math.cos(angle), math.sin(angle)
    return torch.stack([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def relative_index(n_q, n_k, k):
    i = torch.arange(n_q)[:, None]  # (n_q, 1) query positions
    j = torch.arange(n_k)[None, :]  # (1, n_k) key positions
    return (j - i).clamp(-k, k) + k  # (n_q, n_k), values 0 .. 2k


CHECKS = {
    "check_sinusoidal": sinusoidal,
    "check_rotate_pair": rotate_pair,
    "check_relative_index": relative_index,
}
