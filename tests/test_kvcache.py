"""attnlib.kvcache: the caches, and cached decoding equal to the naive uncached model."""

import pytest
import torch

from attnlib import kvcache, masks
from attnlib.gqa import GroupedQueryAttention


def test_kvcache_appends_and_returns_everything_so_far():
    cache = kvcache.KVCache(2, 3, 5, 4)
    k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4)
    got_k, got_v, pos = cache.update(k[:, :, :2], v[:, :, :2])
    assert got_k.shape == (2, 3, 2, 4) and pos.tolist() == [0, 1]
    got_k, got_v, pos = cache.update(k[:, :, 2:], v[:, :, 2:])
    assert torch.equal(got_k, k) and torch.equal(got_v, v) and pos.tolist() == [0, 1, 2, 3, 4]
    assert cache.nbytes() == 2 * 2 * 3 * 5 * 4 * 4


def test_kvcache_overflow_names_argument_and_sizes():
    cache = kvcache.KVCache(1, 2, 4, 8)
    cache.update(torch.zeros(1, 2, 3, 8), torch.zeros(1, 2, 3, 8))
    with pytest.raises(ValueError, match=r"k_new adds 2 tokens to the 3 cached.*max_len=4"):
        cache.update(torch.zeros(1, 2, 2, 8), torch.zeros(1, 2, 2, 8))


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(1, 3, 1, 8), r"k_new must have shape \(B, G, N, D\) = \(1, 2, N, 8\)"),
    (torch.zeros(2, 1, 8), r"k_new must have 4 dimensions"),
    (torch.zeros(1, 2, 1, 8, dtype=torch.long), r"k_new must be a floating-point tensor"),
])
def test_caches_reject_bad_shapes(bad, match):
    for cache in (kvcache.KVCache(1, 2, 4, 8), kvcache.RollingKVCache(1, 2, 4, 8)):
        with pytest.raises((ValueError, TypeError), match=match):
            cache.update(bad, bad)


def test_constructor_validation():
    with pytest.raises(ValueError, match="max_len must be at least 1"):
        kvcache.KVCache(1, 2, 0, 8)
    with pytest.raises(TypeError, match="window must be an int"):
        kvcache.RollingKVCache(1, 2, 2.5, 8)
    with pytest.raises(ValueError, match="windows needs one entry per layer"):
        kvcache.TinyDecoder(11, num_layers=2, windows=[3])


def test_rolling_cache_equals_masked_full_attention_and_never_grows():
    torch.manual_seed(0)
    W, N = 3, 11
    layer = GroupedQueryAttention(16, 4, 2, window=W).double()
    x = torch.randn(2, N, 16, dtype=torch.float64)
    full = layer(x)
    # the full layer's mask is causal & window(N, W - 1): check against PyTorch's SDPA
    q = layer.split(layer.q_proj(x), 4)
    k = layer.split(layer.k_proj(x), 2)
    v = layer.split(layer.v_proj(x), 2)
    from attnlib.positional import apply_rope
    q, k = apply_rope(q), apply_rope(k)
    keep = masks.causal(N) & masks.window(N, W - 1)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keep, enable_gqa=True)
    ref = layer.out_proj(ref.transpose(1, 2).reshape(2, N, 16))
    assert torch.allclose(full, ref, atol=1e-12)
    for chunks in ([1] * N, [5, 1, 1, 4], [N]):
        ring = kvcache.RollingKVCache(2, 2, W, 4, dtype=torch.float64)
        shapes, outs, start = set(), [], 0
        for n in chunks:
            outs.append(layer(x[:, start:start + n], ring))
            start += n
            shapes.add((ring.k.shape, ring.v.shape, ring.positions.shape))
        assert torch.allclose(torch.cat(outs, 1), full, atol=1e-12), chunks
        assert len(shapes) == 1
        assert sorted(ring.positions.tolist()) == list(range(N - W, N))


@pytest.mark.parametrize("windows", [None, [3, None], [2, 2]])
def test_cached_generation_equals_uncached(windows):
    torch.manual_seed(1)
    model = kvcache.TinyDecoder(11, num_kv_heads=2, windows=windows).double().eval()
    prompt = torch.randint(0, 11, (3, 5))
    ids_c, logits_c, sec = kvcache.generate(model, prompt, 12, use_cache=True)
    ids_u, logits_u, _ = kvcache.generate(model, prompt, 12, use_cache=False)
    assert torch.equal(ids_c, ids_u) and len(sec) == 12
    assert torch.allclose(logits_c, logits_u, atol=1e-10, rtol=0)
    with torch.no_grad():
        assert torch.allclose(model(ids_c[:, :-1])[:, 4:], logits_c, atol=1e-10, rtol=0)


def test_decoder_with_full_heads_equals_a_stack_of_mha_layers():
    """The TinyDecoder's layer is a pre-norm block: x + attn(LN(x)), x + ff(LN(x)), with
    the attention equal to MultiHeadAttention (tested in test_gqa) when RoPE is off."""
    torch.manual_seed(2)
    model = kvcache.TinyDecoder(11, num_layers=1).eval()
    layer = model.layers[0]
    layer.attn.rope = False
    from attnlib.multihead import MultiHeadAttention
    mha = MultiHeadAttention(32, 4, bias=False)
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        getattr(mha, name).load_state_dict(getattr(layer.attn, name).state_dict())
    x = torch.randn(2, 6, 32)
    h = x + mha(layer.norm1(x), mask=masks.causal(6))[0]
    want = h + layer.ff(layer.norm2(h))
    with torch.no_grad():
        assert torch.allclose(layer(x), want, atol=1e-6)


def test_copy_task_shape_and_loss_runs():
    seqs = kvcache.copy_task(4, n=5, generator=torch.Generator().manual_seed(0))
    assert seqs.shape == (4, 11) and (seqs[:, 5] == kvcache.SEP).all()
    assert torch.equal(seqs[:, :5], seqs[:, 6:])
    model = kvcache.TinyDecoder(11)
    assert kvcache.copy_loss(model, seqs, n=5).dim() == 0
