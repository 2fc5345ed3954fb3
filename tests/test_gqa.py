"""attnlib.gqa: GQA against MHA, nn.MultiheadAttention and SDPA(enable_gqa=True); cache bytes."""

import pytest
import torch
import torch.nn.functional as F

from attnlib import gqa, masks
from attnlib.multihead import MultiHeadAttention


def sdpa_reference(layer, x):
    B, N, _ = x.shape
    q = layer.split(layer.q_proj(x), layer.num_heads)
    k = layer.split(layer.k_proj(x), layer.num_kv_heads)
    v = layer.split(layer.v_proj(x), layer.num_kv_heads)
    if layer.rope:
        from attnlib.positional import apply_rope
        q, k = apply_rope(q), apply_rope(k)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    return layer.out_proj(out.transpose(1, 2).reshape(B, N, -1))


@pytest.mark.parametrize("G", [6, 3, 2, 1])
@pytest.mark.parametrize("rope", [False, True])
def test_gqa_equals_sdpa_enable_gqa(G, rope):
    torch.manual_seed(G)
    layer = gqa.GroupedQueryAttention(24, 6, G, rope=rope).double()
    x = torch.randn(2, 9, 24, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(layer(x), sdpa_reference(layer, x), atol=1e-12)


def test_full_groups_equal_mha_and_torch():
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4).double()
    layer = gqa.GroupedQueryAttention.from_mha(mha)
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    keep = masks.causal(5)
    with torch.no_grad():
        ours = layer(x)
        assert torch.allclose(ours, mha(x, mask=keep)[0], atol=1e-12)
        theirs = mha.to_torch()(x, x, x, attn_mask=masks.to_mha_attn_mask(keep))[0]
        assert torch.allclose(ours, theirs, atol=1e-12)


def test_one_group_is_mqa_by_broadcasting():
    torch.manual_seed(1)
    layer = gqa.GroupedQueryAttention(16, 4, 1, rope=False).double()
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    q = layer.split(layer.q_proj(x), 4)
    k, v = layer.k_proj(x)[:, None], layer.v_proj(x)[:, None]  # (B, 1, N, D), broadcast
    want = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    want = layer.out_proj(want.transpose(1, 2).reshape(2, 6, 16))
    with torch.no_grad():
        assert torch.allclose(layer(x), want, atol=1e-12)


def test_repeat_kv_order_and_errors():
    k = torch.arange(3.0).view(1, 3, 1, 1)
    assert gqa.repeat_kv(k, 6).flatten().tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="num_heads=4 must be a multiple of the 3"):
        gqa.repeat_kv(k, 4)
    with pytest.raises(ValueError, match=r"k must have 4 dimensions \(B, G, N, D\)"):
        gqa.repeat_kv(torch.zeros(3, 1, 1), 3)


def test_layer_validation():
    with pytest.raises(ValueError, match="num_heads must be a multiple of num_kv_heads"):
        gqa.GroupedQueryAttention(24, 6, 4)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        gqa.GroupedQueryAttention(10, 4, 2)
    layer = gqa.GroupedQueryAttention(8, 2, 1)
    with pytest.raises(ValueError, match=r"x must have shape \(B, N, 8\)"):
        layer(torch.zeros(1, 3, 9))


def test_position_mask_matches_masks_module():
    pos = torch.arange(10)
    assert torch.equal(gqa.position_mask(pos, pos), masks.causal(10))
    for W in (1, 3, 10):
        assert torch.equal(gqa.position_mask(pos, pos, W), masks.causal(10) & masks.window(10, W - 1))
    assert not gqa.position_mask(pos, torch.tensor([-1, 0])).any(dim=0)[0]


def test_kv_cache_bytes_closed_form_and_configs():
    assert gqa.kv_cache_bytes(32, 8, 128, 8192) == 2**30  # Llama-3-8B, 8k tokens, bf16
    assert gqa.kv_cache_bytes(36, 8, 128, 1, bytes_per_element=2) == 2 * 36 * 8 * 128 * 2
    assert gqa.kv_cache_bytes(2, 1, 4, 0) == 0
    with pytest.raises(ValueError, match="kv_heads must be at least 1"):
        gqa.kv_cache_bytes(2, 0, 4, 10)
    for name, cfg in gqa.CONFIGS.items():
        assert cfg["heads"] % cfg["kv_heads"] == 0 and "config.json" in cfg["source"], name


def test_last_weights_are_kept_and_causal():
    layer = gqa.GroupedQueryAttention(16, 4, 2)
    with torch.no_grad():
        layer(torch.randn(2, 5, 16))
    w = layer.last_weights
    assert w.shape == (2, 4, 5, 5)
    assert torch.allclose(w.sum(-1), torch.ones(2, 4, 5))
    assert (w[..., ~masks.causal(5)] == 0).all()
