"""attnlib.mla: the absorbed form equals the naive form, with decoupled RoPE and a cache."""

import pytest
import torch

from attnlib import mla


def make(seed=0):
    torch.manual_seed(seed)
    return mla.MultiHeadLatentAttention(24, num_heads=3, head_dim=8, latent_dim=5, rope_dim=4).double()


def test_absorbed_equals_naive():
    layer = make()
    x = torch.randn(2, 9, 24, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(layer(x), layer(x, absorbed=True), atol=1e-12)


def test_naive_equals_a_plain_per_head_computation():
    """The naive form, written out head by head with explicit keys and values."""
    layer = make(1)
    x = torch.randn(1, 6, 24, dtype=torch.float64)
    from attnlib.positional import apply_rope
    c = layer.kv_down(x)[0]  # (N, r)
    k_r = apply_rope(layer.k_rope(x))[0]  # (N, R)
    outs = []
    for h in range(3):
        sl, sr = slice(8 * h, 8 * h + 8), slice(4 * h, 4 * h + 4)
        q = torch.cat([x[0] @ layer.q_proj.weight[sl].T, apply_rope(x[0] @ layer.q_rope.weight[sr].T)], -1)
        k = torch.cat([c @ layer.k_up.weight[sl].T, k_r], -1)
        v = c @ layer.v_up.weight[sl].T
        s = (q @ k.T / (8 + 4) ** 0.5).masked_fill(~torch.ones(6, 6, dtype=torch.bool).tril(), float("-inf"))
        outs.append(s.softmax(-1) @ v)
    want = layer.out_proj(torch.cat(outs, -1))[None]
    with torch.no_grad():
        assert torch.allclose(layer(x), want, atol=1e-12)


@pytest.mark.parametrize("chunks", [[1] * 7, [3, 1, 3], [7]])
def test_cached_decode_equals_uncached(chunks):
    layer = make(2)
    x = torch.randn(2, 7, 24, dtype=torch.float64)
    with torch.no_grad():
        full = layer(x)
        for absorbed in (False, True):
            cache, outs, start = layer.new_cache(2, 7), [], 0
            for n in chunks:
                outs.append(layer(x[:, start:start + n], cache, absorbed=absorbed))
                start += n
            assert torch.allclose(torch.cat(outs, 1), full, atol=1e-12)


def test_latent_cache_errors_and_bytes():
    cache = mla.LatentCache(1, 3, 5, 4)
    with pytest.raises(ValueError, match=r"c_new adds 4 tokens to the 0 cached.*max_len=3"):
        cache.update(torch.zeros(1, 4, 5), torch.zeros(1, 4, 4))
    with pytest.raises(ValueError, match=r"k_rope_new must have shape \(B, N, 4\)"):
        cache.update(torch.zeros(1, 1, 5), torch.zeros(1, 1, 3))
    assert cache.nbytes() == (3 * 5 + 3 * 4) * 4
    assert mla.latent_cache_bytes(60, 512, 64, 1) == 60 * 576 * 2
    with pytest.raises(ValueError, match="rope_dim must be even"):
        mla.MultiHeadLatentAttention(8, 2, 4, 4, 3)
