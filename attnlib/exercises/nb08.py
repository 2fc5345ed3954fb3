"""Exercise checks for notebook 08 (transformer blocks)."""

import torch
from torch import nn

from ..blocks import EncoderBlock, FeedForward
from .harness import as_number, attempt, close, describe, difference, private_rng, report


def check_pre_norm_step(pre_norm_step):
    """pre_norm_step(x, sublayer, norm) -> x + sublayer(norm(x))."""
    name = "pre_norm_step"
    g = torch.Generator().manual_seed(8)
    E = 12
    with private_rng(8):  # nn.Linear draws initial weights; they are overwritten below
        norm, sublayer = nn.LayerNorm(E), nn.Linear(E, E)
    with torch.no_grad():
        for p in [*norm.parameters(), *sublayer.parameters()]:
            p.copy_(torch.randn(p.shape, generator=g))
    x = 3.0 * torch.randn(2, 5, E, generator=g) + 1.0  # (B, N, E), far from normalised
    ok, got = attempt(name, pre_norm_step, x.clone(), sublayer, norm)
    if not ok:
        return False
    with torch.no_grad():
        expected = x + sublayer(norm(x))
        post = norm(x + sublayer(x))
    if difference(got, post, atol=1e-5) is None:
        return report(name, False, "that is post-norm, norm(x + sublayer(x)); normalise the "
                                   "sublayer's input instead and add x unchanged")
    return close(name, got, expected, atol=1e-5)


def check_block_params(block_params):
    """block_params(E, ff_dim) -> parameter count of EncoderBlock(E, H, ff_dim), biases on."""
    name = "block_params"
    for E, H, ff_dim in ((8, 2, 32), (48, 4, 100), (512, 8, 2048)):
        ok, got = attempt(name, block_params, E, ff_dim)
        if not ok:
            return False
        with private_rng(0):  # building the block draws its initial weights
            expected = sum(p.numel() for p in EncoderBlock(E, H, ff_dim).parameters())
        count = as_number(got)
        if count is None:
            return report(name, False, f"returned {describe(got)}, expected a number")
        if count != expected:
            return report(name, False, f"E={E}, ff_dim={ff_dim}: got {got}, expected {expected} "
                                       "(count attention, feed-forward and both LayerNorms)")
    return report(name, True)


def check_feed_forward(feed_forward):
    """feed_forward(x, w1, b1, w2, b2) -> relu(x w1^T + b1) w2^T + b2, as blocks.FeedForward."""
    name = "feed_forward"
    with private_rng(80):  # the module's initial weights come from the global RNG
        ff = FeedForward(10, 24)
        x = torch.randn(3, 4, 10)  # (B, N, E)
    args = (ff.linear1.weight, ff.linear1.bias, ff.linear2.weight, ff.linear2.bias)
    ok, got = attempt(name, feed_forward, x.clone(), *(a.detach().clone() for a in args))
    if not ok:
        return False
    with torch.no_grad():
        expected = ff(x)
    return close(name, got, expected, atol=1e-5)
