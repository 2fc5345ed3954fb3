"""attnlib.MultiHeadAttention against nn.MultiheadAttention with copied weights."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from attnlib import MultiHeadAttention, masks

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


@st.composite
def mha_case(draw):
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    num_heads = draw(st.integers(1, 4))
    embed_dim = num_heads * draw(st.integers(1, 4))
    kdim = draw(st.one_of(st.none(), st.integers(1, 6)))
    vdim = draw(st.one_of(st.none(), st.integers(1, 6)))
    bias = draw(st.booleans())
    batch_first = draw(st.booleans())
    B, n_q, n_k = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    self_attention = kdim is None and vdim is None and draw(st.booleans())
    if self_attention:
        n_k = n_q
    mask_kind = draw(st.sampled_from(["none", "bool", "additive"]))
    use_padding = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return dict(dtype=dtype, num_heads=num_heads, embed_dim=embed_dim, kdim=kdim, vdim=vdim,
                bias=bias, batch_first=batch_first, B=B, n_q=n_q, n_k=n_k, self_attention=self_attention,
                mask_kind=mask_kind, use_padding=use_padding, seed=seed)


@settings(max_examples=120, deadline=None)
@given(mha_case())
def test_matches_nn_multihead_attention(c):
    torch.manual_seed(c["seed"])
    E, dtype = c["embed_dim"], c["dtype"]
    ref = nn.MultiheadAttention(E, c["num_heads"], bias=c["bias"], kdim=c["kdim"], vdim=c["vdim"],
                                batch_first=c["batch_first"], dtype=dtype).eval()
    if c["bias"]:  # PyTorch initialises biases to zero: make them count
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    ours = MultiHeadAttention.from_torch(ref).eval()

    B, n_q, n_k = c["B"], c["n_q"], c["n_k"]
    query = torch.randn(B, n_q, E, dtype=dtype)
    if c["self_attention"]:
        key = value = query
    else:
        key = torch.randn(B, n_k, ref.kdim, dtype=dtype)
        value = torch.randn(B, n_k, ref.vdim, dtype=dtype)

    keep = torch.rand(n_q, n_k) > 0.3
    keep[:, 0] = True  # PyTorch's fast path differs on fully masked rows; tested separately
    our_mask = ref_mask = None
    if c["mask_kind"] == "bool":
        our_mask, ref_mask = keep, masks.to_mha_attn_mask(keep)
    elif c["mask_kind"] == "additive":
        our_mask = ref_mask = masks.keep_to_additive(keep, dtype)
    key_mask = ref_kpm = None
    if c["use_padding"]:
        lengths = torch.randint(1, n_k + 1, (B,))
        key_mask = masks.padding(lengths, n_k)  # (B, N_k) True = real token
        ref_kpm = masks.to_mha_key_padding_mask(key_mask)  # True = padding, for PyTorch
        if c["mask_kind"] == "additive":  # PyTorch wants one mask type
            ref_kpm = masks.keep_to_additive(key_mask, dtype)

    out, weights = ours(query, key, value, mask=our_mask, key_mask=key_mask)
    t = (lambda x: x) if c["batch_first"] else (lambda x: x.transpose(0, 1))
    ref_out, ref_weights = ref(t(query), t(key), t(value), attn_mask=ref_mask,
                               key_padding_mask=ref_kpm, average_attn_weights=False)
    assert out.shape == (B, n_q, E) and weights.shape == (B, c["num_heads"], n_q, n_k)
    assert (out - t(ref_out)).abs().max().item() <= TOL[dtype]
    assert (weights - ref_weights).abs().max().item() <= TOL[dtype]
    fast, no_weights = ours(query, key, value, mask=our_mask, key_mask=key_mask, need_weights=False)
    assert no_weights is None and (fast - t(ref_out)).abs().max().item() <= TOL[dtype]


@pytest.mark.parametrize("kdim, vdim, bias", [(None, None, True), (5, 7, True), (None, None, False), (3, 3, False)])
def test_round_trip_to_torch(kdim, vdim, bias):
    torch.manual_seed(0)
    ours = MultiHeadAttention(8, 2, kdim=kdim, vdim=vdim, bias=bias).eval()
    back = ours.to_torch().eval()
    q = torch.randn(2, 3, 8)
    k, v = torch.randn(2, 4, kdim or 8), torch.randn(2, 4, vdim or 8)
    a, wa = ours(q, k, v)
    b, wb = back(q, k, v, average_attn_weights=False)
    assert torch.allclose(a, b, atol=1e-6) and torch.allclose(wa, wb, atol=1e-6)
    again = MultiHeadAttention.from_torch(back)
    assert all(torch.equal(p, r) for p, r in zip(ours.state_dict().values(), again.state_dict().values(), strict=True))


def test_all_padding_row_gives_zeros_not_nan():
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2, bias=False)
    x = torch.randn(2, 4, 8)
    key_mask = torch.ones(2, 4, dtype=torch.bool)
    key_mask[1] = False  # sample 1 is all padding
    out, w = m(x, key_mask=key_mask)
    assert not torch.isnan(out).any()
    assert torch.equal(w[1], torch.zeros(2, 4, 4)) and torch.equal(out[1], torch.zeros(4, 8))


def test_self_attention_default_and_shapes():
    m = MultiHeadAttention(12, 3)
    x = torch.randn(2, 5, 12)
    a, w = m(x)
    b, _ = m(x, x, x)
    assert torch.equal(a, b) and w.shape == (2, 3, 5, 5)


# ---------------------------------------------------------------- bad input


def test_embed_dim_not_divisible():
    with pytest.raises(ValueError, match="embed_dim=10, num_heads=3"):
        MultiHeadAttention(10, 3)


@pytest.mark.parametrize(
    "query, key, value, match",
    [
        ((2, 3, 8), (3, 4, 8), (3, 4, 8), r"batch size B.*\(2, 3, 8\), \(3, 4, 8\)"),
        ((2, 3, 8), (2, 4, 8), (2, 5, 8), r"N_k.*\(2, 4, 8\), \(2, 5, 8\)"),
        ((2, 3, 6), None, None, r"query must have shape \(B, N, 8\) \(batch first\), got shape \(2, 3, 6\)"),
        ((3, 8), None, None, r"query must have shape \(B, N, 8\).*got shape \(3, 8\)"),
        ((2, 3, 8), (2, 4, 5), None, r"key must have shape \(B, N, 8\).*got shape \(2, 4, 5\)"),
        ((2, 0, 8), None, None, r"query is an empty sequence"),
    ],
)
def test_bad_shapes(query, key, value, match):
    m = MultiHeadAttention(8, 2)
    args = [torch.randn(query)] + [torch.randn(s) for s in (key, value) if s is not None]
    with pytest.raises(ValueError, match=match):
        m(*args)


def test_bad_masks():
    m = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    with pytest.raises(ValueError, match=r"mask of shape \(4, 4\) does not fit.*\(N_q, N_k\) = \(3, 3\)"):
        m(x, mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be boolean"):
        m(x, mask=torch.ones(3, 3, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"key_mask must have shape \(B, N_k\) = \(2, 3\), got \(2, 4\)"):
        m(x, key_mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="query must be a floating-point tensor"):
        m(torch.ones(2, 3, 8, dtype=torch.long))


# ---------------------------------------------------------------- one mask convention


def test_padding_as_key_mask_equals_torch_with_converted_mask():
    torch.manual_seed(0)
    ours = MultiHeadAttention(8, 2).eval()
    theirs = ours.to_torch().eval()
    x = torch.randn(3, 5, 8)
    key_mask = masks.padding([5, 3, 1], 5)  # (B, N_k) True = real token
    causal = masks.causal(5)
    with torch.no_grad():
        out, w = ours(x, mask=causal, key_mask=key_mask)
        ref, ref_w = theirs(x, x, x, attn_mask=masks.to_mha_attn_mask(causal),
                            key_padding_mask=masks.to_mha_key_padding_mask(key_mask),
                            average_attn_weights=False)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(w, ref_w)
    assert w[2, :, :, 1:].abs().max().item() == 0.0  # sample 2 has one real token


def test_key_mask_round_trips_through_from_mha_key_padding_mask():
    torch.manual_seed(0)
    ours = MultiHeadAttention(8, 2).eval()
    theirs = ours.to_torch().eval()
    x = torch.randn(2, 4, 8)
    kpm = torch.tensor([[False, False, True, True], [False, False, False, True]])  # True = padding
    out, _ = ours(x, key_mask=masks.from_mha_key_padding_mask(kpm))
    ref, _ = theirs(x, x, x, key_padding_mask=kpm)
    torch.testing.assert_close(out, ref)


def test_old_keyword_raises_a_clear_error():
    m = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    kpm = torch.zeros(2, 3, dtype=torch.bool)
    with pytest.raises(TypeError, match=r"key_padding_mask is not an attnlib argument.*key_mask.*"
                                        r"True = a real token.*from_mha_key_padding_mask"):
        m(x, key_padding_mask=kpm)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.uint8])
def test_non_bool_key_mask_raises(dtype):
    m = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    with pytest.raises(TypeError, match=rf"key_mask must be a boolean tensor \(True = a real "
                                        rf"token.*masks.padding.*\), got {dtype}"):
        m(x, key_mask=torch.ones(2, 3, dtype=dtype))


def test_key_mask_passed_as_mask_raises_with_a_hint():
    m = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)  # B = 2 != N_q = 5
    key_mask = masks.padding([5, 3], 5)  # (B, N_k) = (2, 5)
    with pytest.raises(ValueError, match=r"mask of shape \(2, 5\) does not fit.*goes in key_mask"):
        m(x, mask=key_mask)
    with pytest.raises(ValueError, match=r"mask of shape \(2, 1, 5\) does not fit.*goes in key_mask"):
        m(x, mask=key_mask[:, None, :])


@pytest.mark.parametrize("shape", [(5, 4), (2, 5, 4), (1, 5, 4), (2, 2, 5, 4), (1, 1, 5, 4),
                                   (2, 1, 5, 4), (1, 2, 5, 4)])
def test_accepted_mask_shapes(shape):
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2).eval()
    q, kv = torch.randn(2, 5, 8), torch.randn(2, 4, 8)
    keep = masks.causal(5, 4)
    out, w = m(q, kv, kv, mask=keep.expand(shape))
    ref, ref_w = m(q, kv, kv, mask=keep)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(w, ref_w)
    out_add, _ = m(q, kv, kv, mask=masks.keep_to_additive(keep).expand(shape))
    torch.testing.assert_close(out_add, ref)


@pytest.mark.parametrize("shape", [(4,), (1, 4), (5, 1), (3, 5, 4), (2, 3, 5, 4), (1, 1, 1, 5, 4)])
def test_rejected_mask_shapes_name_mask_and_shape(shape):
    m = MultiHeadAttention(8, 2)
    q, kv = torch.randn(2, 5, 8), torch.randn(2, 4, 8)
    got = str(shape).replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=rf"mask of shape {got} does not fit.*\(B, H, N_q, N_k\) "
                                         rf"= \(2, 2, 5, 4\), where B and H may be 1"):
        m(q, kv, kv, mask=torch.ones(shape, dtype=torch.bool))


def test_fully_masked_rows_with_mask_and_key_mask_are_zero():
    m = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    keep = torch.tensor([[False, True, True], [True, True, True], [True, True, True]])
    key_mask = torch.tensor([[True, False, False], [True, True, True]])
    out, w = m(x, mask=keep, key_mask=key_mask)  # sample 0, query 0 sees no key
    assert not torch.isnan(out).any() and not torch.isnan(w).any()
    assert torch.equal(w[0, :, 0], torch.zeros(2, 3))
    torch.testing.assert_close(w[0, :, 1:].sum(-1), torch.ones(2, 2))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6),
       st.sampled_from(["none", "bool", "additive"]), st.booleans(), st.integers(0, 2**16))
def test_fast_path_equals_readable_path(B, H, n_q, n_k, mask_kind, use_key_mask, seed):
    """need_weights=False (F.scaled_dot_product_attention) gives the readable path's output
    and gradients, fully masked rows included (zeros, no NaN)."""
    g = torch.Generator().manual_seed(seed)
    m = MultiHeadAttention(4 * H, H).double()
    query = torch.randn(B, n_q, 4 * H, generator=g, dtype=torch.float64, requires_grad=True)
    key = torch.randn(B, n_k, 4 * H, generator=g, dtype=torch.float64, requires_grad=True)
    keep = torch.rand(n_q, n_k, generator=g) > 0.4  # may leave rows empty, on purpose
    mask = {"none": None, "bool": keep,
            "additive": masks.keep_to_additive(keep, torch.float64)}[mask_kind]
    key_mask = torch.rand(B, n_k, generator=g) > 0.3 if use_key_mask else None
    results = []
    for need_weights in (True, False):
        out, _ = m(query, key, key, mask=mask, key_mask=key_mask, need_weights=need_weights)
        grads = torch.autograd.grad(out.square().sum(), (query, key))
        results.append((out, *grads))
    for readable, fast in zip(*results):
        assert not torch.isnan(fast).any()
        torch.testing.assert_close(fast, readable, atol=1e-10, rtol=0)


@pytest.mark.parametrize("head_dim", [3, 8])
def test_inference_attention_equals_core_and_allocates_one_score_matrix(head_dim):
    """At inference (no grad, no mask) the readable path's softmax overwrites the scores:
    the same numbers as attnlib.core's attention, bitwise, and one (B, H, N_q, N_k) tensor."""
    from attnlib.core import scaled_dot_product_attention

    m = MultiHeadAttention(2 * head_dim, 2).eval()
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 64, head_dim, generator=g) for _ in range(3))
    with torch.no_grad():
        out, weights = m.attend(q, k, v)
        ref_out, ref_weights = scaled_dot_product_attention(q, k, v)
        assert torch.equal(out, ref_out) and torch.equal(weights, ref_weights)
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            m.attend(q, k, v)
    score_bytes = 3 * 2 * 64 * 64 * 4
    allocations = [e.nbytes() for e in prof.profiler.kineto_results.events()
                   if e.name() == "[memory]" and e.nbytes() > 0]
    assert sum(b >= score_bytes for b in allocations) == 1, allocations
    # with autograd on, the readable path keeps the scores for the backward pass
    out_grad, weights_grad = m.attend(q.requires_grad_(), k, v)
    torch.testing.assert_close(out_grad, ref_out, atol=0, rtol=0)
