"""attnlib.scaled_dot_product_attention against F.scaled_dot_product_attention."""

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib import (
    blocks,
    core,
    efficient,
    masked_softmax,
    masks,
    multihead,
    positional,
    scaled_dot_product_attention,
    validate,
)

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


@st.composite
def attention_inputs(draw):
    """Random shapes (N_q != N_k allowed), dtypes and masks, fully masked rows included."""
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    n_q, n_k = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    d, d_v = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*batch, n_q, d, generator=g, dtype=dtype)
    k = torch.randn(*batch, n_k, d, generator=g, dtype=dtype)
    v = torch.randn(*batch, n_k, d_v, generator=g, dtype=dtype)
    kind = draw(st.sampled_from(["none", "bool", "additive", "additive-finite"]))
    mask = None
    if kind != "none":
        mask_shape = draw(st.sampled_from([(n_q, n_k), (1, n_k), (*batch, n_q, n_k)]))
        keep = torch.rand(*mask_shape, generator=g) > draw(st.floats(0.0, 0.9))
        if draw(st.booleans()) and mask_shape[0] > 0:
            keep[..., 0, :] = False  # a fully masked row
        if kind == "bool":
            mask = keep
        elif kind == "additive":
            mask = torch.zeros(mask_shape, dtype=dtype).masked_fill(~keep, float("-inf"))
        else:
            mask = torch.randn(mask_shape, generator=g, dtype=dtype) * 3
    scale = draw(st.one_of(st.none(), st.floats(0.05, 2.0)))
    return q, k, v, mask, scale


@settings(max_examples=150, deadline=None)
@given(attention_inputs())
def test_matches_torch_sdpa(inputs):
    q, k, v, mask, scale = inputs
    out, weights = scaled_dot_product_attention(q, k, v, mask, scale=scale)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    assert out.shape == ref.shape
    assert not torch.isnan(out).any() and not torch.isnan(weights).any()
    assert (out - ref).abs().max().item() <= TOL[q.dtype]
    row_sums = weights.sum(-1)
    assert torch.all((row_sums - 1).abs() < 1e-5) or mask is not None


def test_weights_are_softmax_of_scaled_scores():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    _, w = scaled_dot_product_attention(q, k, v)
    assert torch.allclose(w, torch.softmax(q @ k.T / math.sqrt(4), dim=-1), atol=1e-12)


def test_fully_masked_row_gives_zeros_not_nan():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
    keep = torch.ones(3, 5, dtype=torch.bool)
    keep[1] = False
    q.requires_grad_(True)
    out, w = scaled_dot_product_attention(q, k, v, keep)
    assert torch.equal(w[:, 1], torch.zeros(2, 5)) and torch.equal(out[:, 1], torch.zeros(2, 6))
    out.sum().backward()
    assert torch.isfinite(q.grad).all()
    additive = torch.zeros(3, 5).masked_fill(~keep, float("-inf"))
    out2, _ = scaled_dot_product_attention(q, k, v, additive)
    assert torch.equal(out2[:, 1], torch.zeros(2, 6))


def test_masked_softmax_of_all_minus_inf_is_zero():
    s = torch.tensor([[float("-inf")] * 3, [0.0, 1.0, float("-inf")]])
    w = masked_softmax(s)
    assert torch.equal(w[0], torch.zeros(3))
    assert torch.allclose(w[1], torch.softmax(s[1], -1))


def test_dropout_only_when_asked():
    torch.manual_seed(0)
    q = torch.randn(4, 8)
    a, _ = scaled_dot_product_attention(q, q, q)
    b, _ = scaled_dot_product_attention(q, q, q, dropout_p=0.0)
    assert torch.equal(a, b)
    _, w = scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert (w == 0).any()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "q_shape, k_shape, v_shape, words",
    [
        ((3, 4), (5, 6), (5, 6), ["last dimension", "(3, 4)", "(5, 6)"]),
        ((3, 4), (5, 4), (6, 4), ["N_k", "(5, 4)", "(6, 4)"]),
        ((0, 4), (5, 4), (5, 4), ["empty", "(0, 4)"]),
        ((3, 4), (0, 4), (0, 4), ["empty", "(0, 4)"]),
        ((4,), (5, 4), (5, 4), ["at least 2 dimensions", "(4,)"]),
        ((2, 3, 4), (3, 5, 4), (3, 5, 4), ["batch", "(2, 3, 4)", "(3, 5, 4)"]),
    ],
)
def test_bad_shapes_name_the_argument_and_shapes(q_shape, k_shape, v_shape, words):
    with pytest.raises(ValueError) as e:
        scaled_dot_product_attention(torch.randn(q_shape), torch.randn(k_shape), torch.randn(v_shape))
    for word in words:
        assert word in str(e.value)


def test_non_floating_inputs_are_rejected():
    with pytest.raises(TypeError, match="q must be a floating-point tensor, got dtype torch.int64"):
        scaled_dot_product_attention(torch.ones(3, 4, dtype=torch.long), torch.randn(3, 4), torch.randn(3, 4))
    with pytest.raises(TypeError, match="share one dtype"):
        scaled_dot_product_attention(torch.randn(3, 4), torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4))


def test_bad_masks():
    q = torch.randn(3, 4)
    with pytest.raises(ValueError, match=r"mask of shape \(4, 3\) does not broadcast.*\(3, 3\)"):
        scaled_dot_product_attention(q, q, q, torch.ones(4, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be boolean.*torch.int64"):
        scaled_dot_product_attention(q, q, q, torch.ones(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(q, q, q, dropout_p=1.5)


def test_key_mask_as_core_mask_hints_at_the_broadcast():
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    key_mask = masks.padding([5, 2], 5)  # (B, N_k)
    with pytest.raises(ValueError, match=r"mask of shape \(2, 5\) does not broadcast.*\(2, 3, 5\)"
                                         r".*mask\[:, None, :\]"):
        scaled_dot_product_attention(q, k, k, key_mask)
    _, w = scaled_dot_product_attention(q, k, k, key_mask[:, None, :])  # (B, 1, N_k)
    assert w[1, :, 2:].abs().max().item() == 0.0


# ---------------------------------------------------------------- validate: checks in one place


def _long(*shape):
    return torch.ones(shape, dtype=torch.long)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: validate.positive_int("n", 0), ValueError, ["n must be at least 1, got 0"]),
        (lambda: validate.positive_int("n", True), TypeError, ["n must be an int, got bool"]),
        (lambda: validate.positive_int("window", -1, minimum=0), ValueError,
         ["window must be at least 0, got -1"]),
        (lambda: validate.greater_than("base", 1, 1), ValueError,
         ["base must be a number greater than 1, got 1"]),
        (lambda: validate.probability("dropout", 1.0), ValueError, ["dropout must be in [0, 1), got 1.0"]),
        (lambda: validate.one_of("activation", "tanh", ("relu", "gelu")), ValueError,
         ["activation must be one of 'relu', 'gelu'; got 'tanh'"]),
        (lambda: validate.heads(10, 3), ValueError, ["embed_dim=10", "num_heads=3", "remainder 1"]),
        (lambda: validate.tensor("x", [1.0]), TypeError, ["x must be a torch.Tensor, got list"]),
        (lambda: validate.bool_tensor("keep", torch.ones(2)), TypeError,
         ["keep must be a boolean tensor, got torch.float32"]),
        (lambda: validate.floating_tensor("q", _long(3)), TypeError,
         ["q must be a floating-point tensor, got dtype torch.int64"]),
        (lambda: validate.floating_tensor("q", torch.ones(3), 2, "(..., N, D)"), ValueError,
         ["q must have at least 2 dimensions (..., N, D), got shape (3,)"]),
        (lambda: validate.ndim("key_mask", torch.ones(2, 3, 4), 2, "(B, N_k)"), ValueError,
         ["key_mask must have 2 dimensions (B, N_k), got shape (2, 3, 4)"]),
        (lambda: validate.last_dim("q", torch.ones(2, 5), 4, "(..., N_q, 4)"), ValueError,
         ["q must have shape (..., N_q, 4), got shape (2, 5)"]),
        (lambda: validate.sequence("x", torch.ones(2, 3, 5), 4), ValueError,
         ["x must have shape (B, N, 4) (batch first), got shape (2, 3, 5)"]),
        (lambda: validate.sequence("x", torch.ones(2, 0, 4), 4), ValueError,
         ["x is an empty sequence", "(2, 0, 4)"]),
        (lambda: validate.same_length("f", torch.ones(3, 4), torch.ones(5, 4)), ValueError,
         ["f needs N_q == N_k, got N_q=3, N_k=5"]),
        (lambda: validate.qkv(torch.ones(3, 4), torch.ones(3, 4, device="meta"), torch.ones(3, 4)),
         ValueError, ["q, k, v must be on one device, got cpu, meta, cpu"]),
        (lambda: validate.key_mask("key_mask", torch.ones(2, 3, dtype=torch.bool), 2, 4), ValueError,
         ["key_mask must have shape (B, N_k) = (2, 4), got (2, 3)"]),
        (lambda: validate.key_mask("memory_key_mask", torch.ones(2, 4), 2, 4), TypeError,
         ["memory_key_mask must be a boolean tensor (True = a real token", "got torch.float32"]),
        (lambda: validate.multihead_mask("mask", torch.ones(2, 5, dtype=torch.bool), 2, 2, 3, 5),
         ValueError, ["mask of shape (2, 5) does not fit", "(N_q, N_k) = (3, 5)", "goes in key_mask"]),
        (lambda: validate.mask(torch.ones(4, 3), (3, 3)), ValueError,
         ["mask of shape (4, 3) does not broadcast", "(3, 3)"]),
        (lambda: validate.keep_or_additive("attn_mask", _long(3, 3)), TypeError,
         ["attn_mask must be boolean (True = may attend)", "torch.int64"]),
    ],
)
def test_validate_messages_name_the_argument_and_what_it_got(call, error, words):
    with pytest.raises(error) as e:
        call()
    for word in words:
        assert word in str(e.value)


def test_validate_accepts_good_input():
    validate.positive_int("n", 0, minimum=0)
    validate.probability("dropout", 0)
    validate.multihead_mask("mask", None, 2, 2, 3, 5)
    validate.multihead_mask("mask", torch.zeros(1, 2, 3, 5), 2, 2, 3, 5)
    validate.key_mask("key_mask", None, 2, 5)
    validate.key_mask("key_mask", masks.padding([5, 1], 5), 2, 5)
    validate.mask(torch.ones(3, dtype=torch.bool), (2, 4, 3))
    err = validate.padding_keyword("key_padding_mask", "key_mask")
    assert isinstance(err, TypeError) and "from_mha_key_padding_mask(key_padding_mask)" in str(err)


def test_no_module_keeps_its_own_copy_of_the_checks():
    for module in (core, masks, multihead, blocks, positional, efficient):
        source = inspect.getsource(module)
        assert "def _check" not in source and "def check_" not in source, module.__name__
