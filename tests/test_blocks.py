import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from attnlib import masks
from attnlib.blocks import DecoderBlock, EncoderBlock, FeedForward

E, H, FF = 16, 4, 24
CONFIGS = list(itertools.product([True, False], [True, False], ["relu", "gelu"]))
TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def _randomize(module, seed, exact_in_float32=True):
    """Give every parameter (LayerNorms too) random values.

    With exact_in_float32 the values are float32 numbers even in a float64 module;
    MultiHeadAttention.from_torch currently copies weights through float32 (see
    test_float64_weights_copied_exactly).
    """
    g = torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            dtype = torch.float32 if exact_in_float32 else p.dtype
            p.copy_(torch.randn(p.shape, dtype=dtype, generator=g) * 0.3)
    return module


def _run_torch(layer, batch_first, *tensors, **kwargs):
    """Call a PyTorch layer with (B, N, E) inputs whatever its batch_first."""
    if not batch_first:
        tensors = [t.transpose(0, 1) for t in tensors]
    out = layer(*tensors, **kwargs)
    return out if batch_first else out.transpose(0, 1)




# ---------------------------------------------------------------- equal to PyTorch


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("batch_first", "norm_first", "activation"), CONFIGS)
def test_encoder_block_equals_torch(batch_first, norm_first, activation, dtype):
    layer = nn.TransformerEncoderLayer(
        E, H, FF, dropout=0.1, activation=activation, batch_first=batch_first,
        norm_first=norm_first,
    ).to(dtype)
    _randomize(layer, 0).eval()
    ours = EncoderBlock.from_torch(layer)
    assert not ours.training and ours.norm_first == norm_first

    x = torch.randn(3, 7, E, dtype=dtype)
    keep = masks.causal(7)
    key_mask = masks.padding([7, 4, 1], 7)  # (B, N) True = real token
    with torch.no_grad():
        expected = _run_torch(layer, batch_first, x, src_mask=masks.to_mha_attn_mask(keep),
                              src_key_padding_mask=masks.to_mha_key_padding_mask(key_mask))
        got = ours(x, mask=keep, key_mask=key_mask)
    assert got.dtype == dtype
    assert (got - expected).abs().max().item() <= TOL[dtype]
    assert ours.last_weights.shape == (3, H, 7, 7)
    assert ours.last_weights[2, :, :, 1:].abs().max().item() == 0.0  # only 1 real token


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("batch_first", "norm_first", "activation"), CONFIGS)
def test_decoder_block_equals_torch(batch_first, norm_first, activation, dtype):
    layer = nn.TransformerDecoderLayer(
        E, H, FF, dropout=0.1, activation=activation, batch_first=batch_first,
        norm_first=norm_first,
    ).to(dtype)
    _randomize(layer, 1).eval()
    ours = DecoderBlock.from_torch(layer)

    x = torch.randn(3, 6, E, dtype=dtype)
    memory = torch.randn(3, 9, E, dtype=dtype)
    keep = masks.causal(6)
    memory_keep = masks.window(9, 3)[:6]  # (N, N_mem): any pattern, rows not all blocked
    self_key_mask = masks.padding([6, 2, 5], 6)  # (B, N) True = real token
    memory_key_mask = masks.padding([9, 9, 4], 9)  # (B, N_mem)
    with torch.no_grad():
        expected = _run_torch(
            layer, batch_first, x, memory,
            tgt_mask=masks.to_mha_attn_mask(keep),
            memory_mask=masks.to_mha_attn_mask(memory_keep),
            tgt_key_padding_mask=masks.to_mha_key_padding_mask(self_key_mask),
            memory_key_padding_mask=masks.to_mha_key_padding_mask(memory_key_mask),
        )
        got = ours(x, memory, self_mask=keep, memory_mask=memory_keep,
                   self_key_mask=self_key_mask, memory_key_mask=memory_key_mask)
    assert (got - expected).abs().max().item() <= TOL[dtype]
    assert ours.last_self_weights.shape == (3, H, 6, 6)
    assert ours.last_cross_weights.shape == (3, H, 6, 9)
    assert torch.equal(ours.last_self_weights[..., 1:2, 2:], torch.zeros(3, H, 1, 4, dtype=dtype))


@pytest.mark.parametrize("norm_first", [True, False])
def test_blocks_without_bias_equal_torch(norm_first):
    enc = nn.TransformerEncoderLayer(E, H, FF, bias=False, batch_first=True,
                                     norm_first=norm_first).double()
    dec = nn.TransformerDecoderLayer(E, H, FF, bias=False, batch_first=True,
                                     norm_first=norm_first).double()
    _randomize(enc, 2).eval()
    _randomize(dec, 3).eval()
    x, memory = torch.randn(2, 5, E, dtype=torch.float64), torch.randn(2, 3, E, dtype=torch.float64)
    with torch.no_grad():
        diff_enc = EncoderBlock.from_torch(enc)(x) - enc(x)
        diff_dec = DecoderBlock.from_torch(dec)(x, memory) - dec(x, memory)
    assert diff_enc.abs().max().item() <= 1e-10
    assert diff_dec.abs().max().item() <= 1e-10


def test_float64_weights_copied_exactly():
    layer = _randomize(nn.TransformerDecoderLayer(E, H, FF, batch_first=True).double(), 5,
                       exact_in_float32=False).eval()
    x, memory = torch.randn(2, 5, E, dtype=torch.float64), torch.randn(2, 3, E, dtype=torch.float64)
    with torch.no_grad():
        diff = DecoderBlock.from_torch(layer)(x, memory) - layer(x, memory)
    assert diff.abs().max().item() <= 1e-10


def test_encoder_additive_mask_equals_torch():
    layer = _randomize(nn.TransformerEncoderLayer(E, H, FF, batch_first=True), 4).eval()
    ours = EncoderBlock.from_torch(layer)
    x = torch.randn(2, 5, E)
    additive = masks.keep_to_additive(masks.causal(5))
    with torch.no_grad():
        diff = ours(x, mask=additive) - layer(x, src_mask=additive)
    assert diff.abs().max().item() <= 1e-5


def test_from_torch_rejects_unsupported():
    with pytest.raises(ValueError, match="activation"):
        EncoderBlock.from_torch(nn.TransformerEncoderLayer(E, H, FF, activation=torch.tanh))
    with pytest.raises(ValueError, match="activation"):
        DecoderBlock.from_torch(
            nn.TransformerDecoderLayer(E, H, FF, activation=nn.GELU(approximate="tanh"))
        )
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        EncoderBlock.from_torch(nn.TransformerDecoderLayer(E, H, FF))


# ---------------------------------------------------------------- behaviour


@settings(max_examples=10, deadline=None)
@given(b=st.integers(1, 3), n=st.integers(1, 6), norm_first=st.booleans())
def test_encoder_shapes_and_weights(b, n, norm_first):
    block = EncoderBlock(E, H, FF, norm_first=norm_first, activation="gelu")
    x = torch.randn(b, n, E)
    y = block(x, mask=masks.causal(n))
    assert y.shape == (b, n, E)
    assert block.last_weights.shape == (b, H, n, n)
    assert not block.last_weights.requires_grad
    torch.testing.assert_close(block.last_weights.sum(-1), torch.ones(b, H, n))
    assert torch.all(block.last_weights.triu(1) == 0)


def test_dropout_only_in_training():
    block = EncoderBlock(E, H, FF, dropout=0.5)
    x = torch.randn(2, 5, E)
    block.eval()
    torch.testing.assert_close(block(x), block(x))
    block.train()
    torch.manual_seed(0)
    a = block(x)
    assert not torch.allclose(a, block(x))


def test_feed_forward():
    ff = FeedForward(E, FF, activation="gelu")
    x = torch.randn(2, 3, E)
    expected = ff.linear2(torch.nn.functional.gelu(ff.linear1(x)))
    torch.testing.assert_close(ff(x), expected)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", [EncoderBlock, DecoderBlock])
def test_bad_sizes(cls):
    with pytest.raises(ValueError, match=r"embed_dim.*num_heads.*embed_dim=10.*num_heads=4"):
        cls(10, 4, 8)
    with pytest.raises(ValueError, match="ff_dim"):
        cls(8, 2, 0)
    with pytest.raises(ValueError, match="activation"):
        cls(8, 2, 8, activation="tanh")
    with pytest.raises(ValueError, match="dropout"):
        cls(8, 2, 8, dropout=1.0)
    with pytest.raises(ValueError, match="ff_dim"):
        FeedForward(8, -1)


def test_bad_x_and_memory():
    enc = EncoderBlock(8, 2, 8)
    with pytest.raises(ValueError, match=r"x must have shape.*\(5, 8\)"):
        enc(torch.randn(5, 8))
    with pytest.raises(ValueError, match=r"x must have shape.*\(2, 5, 6\)"):
        enc(torch.randn(2, 5, 6))
    with pytest.raises(TypeError, match="x"):
        enc([[1.0]])
    dec = DecoderBlock(8, 2, 8)
    with pytest.raises(ValueError, match=r"memory.*batch.*\(2, 5, 8\).*\(3, 4, 8\)"):
        dec(torch.randn(2, 5, 8), torch.randn(3, 4, 8))
    with pytest.raises(ValueError, match="memory must have shape"):
        dec(torch.randn(2, 5, 8), torch.randn(2, 4))


# ---------------------------------------------------------------- one mask convention


def test_old_keywords_raise_a_clear_error():
    enc, dec = EncoderBlock(8, 2, 8), DecoderBlock(8, 2, 8)
    x, memory = torch.randn(2, 5, 8), torch.randn(2, 4, 8)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    with pytest.raises(TypeError, match=r"key_padding_mask is not an attnlib argument: attnlib "
                                        r"uses key_mask.*True = a real token.*"
                                        r"attnlib.masks.from_mha_key_padding_mask"):
        enc(x, key_padding_mask=pad)
    with pytest.raises(TypeError, match=r"self_key_padding_mask.*uses self_key_mask.*True = a real"
                                        r" token.*from_mha_key_padding_mask"):
        dec(x, memory, self_key_padding_mask=pad)
    with pytest.raises(TypeError, match=r"memory_key_padding_mask.*uses memory_key_mask.*"
                                        r"from_mha_key_padding_mask"):
        dec(x, memory, memory_key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))


def test_decoder_mask_errors_name_the_argument():
    dec = DecoderBlock(8, 2, 8)
    x, memory = torch.randn(2, 5, 8), torch.randn(2, 4, 8)
    with pytest.raises(ValueError, match=r"memory_key_mask must have shape \(B, N_k\) = \(2, 4\), "
                                         r"got \(2, 5\)"):
        dec(x, memory, memory_key_mask=masks.padding([5, 3], 5))
    with pytest.raises(TypeError, match=r"self_key_mask must be a boolean tensor.*torch.float32"):
        dec(x, memory, self_key_mask=torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"memory_mask of shape \(5, 5\) does not fit.*\(5, 4\)"):
        dec(x, memory, memory_mask=masks.causal(5))
    with pytest.raises(ValueError, match=r"self_mask of shape \(2, 5\).*goes in self_key_mask"):
        dec(x, memory, self_mask=masks.padding([5, 3], 5))


def test_encoder_padding_as_key_mask_ignores_padded_keys():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 8).eval()
    x = torch.randn(2, 5, 8)
    key_mask = masks.padding([5, 3], 5)
    with torch.no_grad():
        full = block(x, key_mask=key_mask)
        alone = block(x[1:, :3])  # sample 1's real tokens on their own
    torch.testing.assert_close(full[1, :3], alone[0])
    assert block.last_weights is not None


def test_all_padding_sample_gives_no_nan():
    block = DecoderBlock(8, 2, 8)
    x, memory = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    memory_key_mask = masks.padding([4, 0], 4)  # sample 1 has no real memory token
    y = block(x, memory, memory_key_mask=memory_key_mask)
    assert not torch.isnan(y).any()
    assert torch.equal(block.last_cross_weights[1], torch.zeros(2, 3, 4))
