"""attnlib.scaled_dot_product_attention against F.scaled_dot_product_attention."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib import masked_softmax, scaled_dot_product_attention

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
