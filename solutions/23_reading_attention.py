"""Worked solutions for notebook 23. Try the exercises first."""

import torch


def rollout_with_residual(maps):
    a = maps.mean(1)  # (L, N, N): average the heads
    a = 0.5 * a + 0.5 * torch.eye(a.shape[-1])  # the residual: each token keeps half of itself
    a = a / a.sum(-1, keepdim=True)  # rows are distributions again
    out = torch.eye(a.shape[-1])
    for layer in a:  # first layer first; each new layer multiplies on the left
        out = layer @ out
    return out  # (N, N)


def head_entropy(maps):
    p = maps  # (B, L, H, N, N)
    log_p = torch.log(torch.where(p > 0, p, torch.ones_like(p)))  # log 1 = 0 where p = 0
    return -(p * log_p).sum(-1).mean(dim=(0, -1))  # rows' entropies (B, L, H, N) -> (L, H)


def occlusion_tv(base, occluded):
    tv = 0.5 * (occluded - base[None]).abs().sum(-1)  # (N, B)
    return tv.T  # (B, N)


CHECKS = {
    "check_rollout_with_residual": rollout_with_residual,
    "check_head_entropy": head_entropy,
    "check_occlusion_tv": occlusion_tv,
}
