"""Every exact method equals F.scaled_dot_product_attention; the wrong one does not."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib import efficient as E
from attnlib import masks
from attnlib.core import scaled_dot_product_attention

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def qkv(n_q, n_k, d=16, d_v=None, lead=(2, 3), dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    d_v = d if d_v is None else d_v
    q = torch.randn(*lead, n_q, d, generator=g, dtype=dtype)
    k = torch.randn(*lead, n_k, d, generator=g, dtype=dtype)
    v = torch.randn(*lead, n_k, d_v, generator=g, dtype=dtype)
    return q, k, v


def reference(q, k, v, causal=False):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def max_diff(a, b):
    return (a - b).abs().max().item()


EXACT = {
    "naive": lambda q, k, v, c: E.naive_attention(q, k, v, causal=c),
    "chunked_queries_7": lambda q, k, v, c: E.chunked_queries(q, k, v, 7, causal=c),
    "chunked_queries_16": lambda q, k, v, c: E.chunked_queries(q, k, v, 16, causal=c),
    "chunked_keys_7": lambda q, k, v, c: E.chunked_keys(q, k, v, 7, causal=c),
    "chunked_keys_16": lambda q, k, v, c: E.chunked_keys(q, k, v, 16, causal=c),
    "chunked_keys_1": lambda q, k, v, c: E.chunked_keys(q, k, v, 1, causal=c),
    "flash_8x8": lambda q, k, v, c: E.flash_attention(q, k, v, 8, 8, causal=c),
    "flash_5x11": lambda q, k, v, c: E.flash_attention(q, k, v, 5, 11, causal=c),
    "flash_default": lambda q, k, v, c: E.flash_attention(q, k, v, causal=c),
    "sdpa_math": lambda q, k, v, c: E.sdpa_backend(q, k, v, "math", causal=c),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("n_q,n_k", [(32, 32), (37, 37), (13, 29), (29, 13)])
@pytest.mark.parametrize("name", list(EXACT))
def test_exact_methods_equal_sdpa(name, n_q, n_k, causal, dtype):
    q, k, v = qkv(n_q, n_k, d=16, d_v=8, dtype=dtype)
    out = EXACT[name](q, k, v, causal)
    assert out.shape == (2, 3, n_q, 8)
    assert out.dtype == dtype
    assert max_diff(out, reference(q, k, v, causal)) <= TOL[dtype]


@settings(max_examples=25, deadline=None)
@given(
    n_q=st.integers(1, 40),
    n_k=st.integers(1, 40),
    d=st.integers(1, 12),
    chunk=st.integers(1, 45),
    block_q=st.integers(1, 20),
    causal=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_exact_methods_property(n_q, n_k, d, chunk, block_q, causal, seed):
    q, k, v = qkv(n_q, n_k, d=d, lead=(2,), seed=seed)
    ref = reference(q, k, v, causal)
    assert max_diff(E.chunked_queries(q, k, v, chunk, causal), ref) <= 1e-10
    assert max_diff(E.chunked_keys(q, k, v, chunk, causal), ref) <= 1e-10
    assert max_diff(E.flash_attention(q, k, v, block_q, chunk, causal), ref) <= 1e-10


def test_any_leading_dims_and_broadcast():
    q, k, v = qkv(20, 20, lead=(3,))  # (B, N, D): no head dimension
    ref = reference(q, k, v)
    for out in (E.naive_attention(q, k, v), E.chunked_queries(q, k, v, 6),
                E.chunked_keys(q, k, v, 6), E.flash_attention(q, k, v, 6, 6)):
        assert max_diff(out, ref) <= 1e-10
    k1, v1 = k[:1], v[:1]  # one set of keys shared by 3 query batches
    assert max_diff(E.flash_attention(q, k1, v1, 4, 4), reference(q, k1.expand(3, -1, -1),
                                                                 v1.expand(3, -1, -1))) <= 1e-10


def test_large_scores_do_not_overflow():
    q, k, v = qkv(24, 24)
    q = q * 100  # scores in the hundreds: exp would overflow without the running max
    for out in (E.chunked_keys(q, k, v, 5), E.flash_attention(q, k, v, 8, 8)):
        assert torch.isfinite(out).all()
        assert max_diff(out, reference(q, k, v)) <= 1e-10


def test_chunked_keys_wrong_differs_with_more_than_one_chunk():
    q, k, v = qkv(20, 20)
    ref = reference(q, k, v)
    assert max_diff(E.chunked_keys_wrong(q, k, v, 7), ref) > 1e-3
    assert max_diff(E.chunked_keys_wrong(q, k, v, 10), ref) > 1e-3
    # One chunk holding every key: a single softmax, so it is right after all.
    assert max_diff(E.chunked_keys_wrong(q, k, v, 20), ref) <= 1e-10
    assert max_diff(E.chunked_keys_wrong(q, k, v, 100), ref) <= 1e-10


@pytest.mark.parametrize("shape", [(1,), (7,), (50,), (3, 17), (2, 3, 9)])
def test_online_softmax_equals_softmax(shape):
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 30
    assert max_diff(E.online_softmax(x), torch.softmax(x, dim=-1)) <= 1e-12
    x32 = x.float()
    assert max_diff(E.online_softmax(x32), torch.softmax(x32, dim=-1)) <= 1e-6


def test_online_softmax_handles_minus_inf_and_huge_values():
    x = torch.tensor([float("-inf"), 1000.0, 999.0, float("-inf")], dtype=torch.float64)
    assert max_diff(E.online_softmax(x), torch.softmax(x, dim=-1)) <= 1e-12


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("n,window,block", [(40, 0, 64), (40, 3, 8), (40, 5, 7), (33, 39, 4),
                                            (33, 100, 16), (1, 2, 64)])
def test_sliding_window_equals_masked_reference(n, window, block, dtype):
    q, k, v = qkv(n, n, dtype=dtype)
    ref, _ = scaled_dot_product_attention(q, k, v, masks.window(n, window))
    out = E.sliding_window_attention(q, k, v, window, block_size=block)
    assert max_diff(out, ref) <= TOL[dtype]


def test_linear_attention_forms_agree():
    q, k, v = qkv(19, 19, d=8, d_v=5)
    quad = E.linear_attention_quadratic(q, k, v)
    assert max_diff(E.linear_attention(q, k, v), quad) <= 1e-10
    quad_causal = E.linear_attention_quadratic(q, k, v, causal=True)
    assert max_diff(E.linear_attention_causal(q, k, v), quad_causal) <= 1e-10
    # The first query sees only the first key, so its output is v_0 exactly.
    assert max_diff(E.linear_attention_causal(q, k, v)[..., 0, :], v[..., 0, :]) <= 1e-12


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 25), d=st.integers(1, 8), seed=st.integers(0, 1000))
def test_linear_causal_recurrence_property(n, d, seed):
    q, k, v = qkv(n, n, d=d, lead=(2,), seed=seed)
    assert max_diff(E.linear_attention_causal(q, k, v),
                    E.linear_attention_quadratic(q, k, v, causal=True)) <= 1e-10


def test_linear_attention_is_not_softmax_attention():
    q, k, v = qkv(16, 16)
    assert max_diff(E.linear_attention(q, k, v), reference(q, k, v)) > 1e-3


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("bad", [0, -1])
def test_chunk_size_must_be_positive(bad):
    q, k, v = qkv(8, 8)
    with pytest.raises(ValueError, match="chunk_size must be at least 1, got "):
        E.chunked_queries(q, k, v, bad)
    with pytest.raises(ValueError, match="chunk_size"):
        E.chunked_keys(q, k, v, bad)
    with pytest.raises(ValueError, match="chunk_size"):
        E.chunked_keys_wrong(q, k, v, bad)
    with pytest.raises(ValueError, match="block_q"):
        E.flash_attention(q, k, v, block_q=bad)
    with pytest.raises(ValueError, match="block_k"):
        E.flash_attention(q, k, v, block_k=bad)


def test_other_bad_inputs():
    q, k, v = qkv(8, 8)
    with pytest.raises(TypeError, match="chunk_size must be an int"):
        E.chunked_queries(q, k, v, 2.5)
    with pytest.raises(ValueError, match="window must be at least 0, got -1"):
        E.sliding_window_attention(q, k, v, -1)
    with pytest.raises(ValueError, match="N_q == N_k"):
        E.sliding_window_attention(q[..., :5, :], k, v, 2)
    with pytest.raises(ValueError, match="N_q == N_k"):
        E.linear_attention_causal(q[..., :5, :], k, v)
    with pytest.raises(ValueError, match="last dimension"):  # from validate.qkv
        E.flash_attention(q, k[..., :3], v)
    with pytest.raises(TypeError, match="floating-point"):
        E.naive_attention(q.long(), k, v)


# ---------------------------------------------------------------- SDPA backends


def test_unknown_backend_name():
    q, k, v = qkv(8, 8)
    with pytest.raises(ValueError, match="backend must be one of 'math', 'efficient', 'flash', 'cudnn'; got 'fast'"):
        E.sdpa_backend(q, k, v, "fast")


def test_available_backends_on_cpu_run_and_agree():
    names = E.available_backends("cpu", torch.float32)
    assert "math" in names
    q, k, v = qkv(24, 24, d=16, dtype=torch.float32)
    for name in names:
        for causal in (False, True):
            out = E.sdpa_backend(q, k, v, name, causal=causal)
            assert max_diff(out, E.naive_attention(q, k, v, causal)) <= 1e-5


def test_unavailable_backend_raises_a_clear_error():
    missing = [b for b in E.SDPA_BACKENDS if b not in E.available_backends("cpu", torch.float32)]
    if not missing:
        pytest.skip("every SDPA backend runs on this CPU")
    q, k, v = qkv(8, 8, dtype=torch.float32)
    with pytest.raises(RuntimeError, match=rf"'{missing[0]}' cannot run on device cpu.*float32"):
        E.sdpa_backend(q, k, v, missing[0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_sdpa_backends_on_gpu():
    names = E.available_backends("cuda", torch.float16)
    assert "math" in names
    q, k, v = (t.cuda().half() for t in qkv(64, 64, d=64))
    ref = E.naive_attention(q.double(), k.double(), v.double())
    for name in names:
        assert max_diff(E.sdpa_backend(q, k, v, name).double(), ref) <= 2e-2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_flash_attention_on_gpu():
    q, k, v = (t.cuda() for t in qkv(100, 100, d=32, dtype=torch.float32))
    assert max_diff(E.flash_attention(q, k, v, 32, 32, causal=True), reference(q, k, v, True)) <= 1e-5


# ---------------------------------------------------------------- dtype and device follow the inputs

# Every function, with arguments that make it build its own tensors (masks, running
# state, outputs) and, with more than one chunk or tile, fill them piece by piece.
EVERY_FUNCTION = {
    "naive_attention": lambda q, k, v: E.naive_attention(q, k, v, causal=True),
    "chunked_queries": lambda q, k, v: E.chunked_queries(q, k, v, 3, causal=True),
    "chunked_keys_wrong": lambda q, k, v: E.chunked_keys_wrong(q, k, v, 3),
    "chunked_keys": lambda q, k, v: E.chunked_keys(q, k, v, 3, causal=True),
    "flash_attention": lambda q, k, v: E.flash_attention(q, k, v, 3, 4, causal=True),
    "sliding_window_attention": lambda q, k, v: E.sliding_window_attention(q, k, v, 2, 3),
    "linear_attention": lambda q, k, v: E.linear_attention(q, k, v),
    "linear_attention_causal": lambda q, k, v: E.linear_attention_causal(q, k, v),
    "linear_attention_quadratic": lambda q, k, v: E.linear_attention_quadratic(q, k, v, causal=True),
    "sdpa_backend": lambda q, k, v: E.sdpa_backend(q, k, v, "math", causal=True),
    "online_softmax": lambda q, k, v: E.online_softmax(q),
}


def _dtype_and_device_follow(q, k, v):
    functions = dict(EVERY_FUNCTION)
    if E.flex_attention_available(q.device):
        functions["flex_attention"] = lambda q, k, v: E.flex_attention(q, k, v, E.causal_mod())
    for name, fn in functions.items():
        out = fn(q, k, v)
        assert out.dtype == q.dtype and out.device == q.device, name
        assert torch.isfinite(out).all(), name


def test_every_function_keeps_float64_and_the_device():
    q, k, v = qkv(10, 10, d=8, dtype=torch.float64)
    _dtype_and_device_follow(q, k, v)
    ref = reference(q, k, v, causal=True)
    assert max_diff(EVERY_FUNCTION["flash_attention"](q, k, v), ref) <= 1e-12  # float64 throughout


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_every_function_runs_on_cuda(dtype):
    q, k, v = (t.cuda() for t in qkv(10, 10, d=8, dtype=dtype))
    _dtype_and_device_follow(q, k, v)
    cpu = [t.cpu() for t in (q, k, v)]
    for name, fn in EVERY_FUNCTION.items():
        assert max_diff(fn(q, k, v).cpu(), fn(*cpu)) <= TOL[dtype], name


# ---------------------------------------------------------------- FlexAttention

needs_flex = pytest.mark.skipif(
    not E.flex_attention_available("cpu"),
    reason="FlexAttention does not run on this CPU with this torch",
)


@needs_flex
@pytest.mark.parametrize("n_q,n_k", [(40, 40), (13, 29)])
def test_flex_causal_equals_masked_reference(n_q, n_k):
    q, k, v = qkv(n_q, n_k)
    ref, _ = scaled_dot_product_attention(q, k, v, masks.causal(n_q, n_k))
    assert max_diff(E.flex_attention(q, k, v, E.causal_mod()), ref) <= 1e-10
    assert max_diff(E.flex_attention(q, k, v, E.causal_mod()), reference(q, k, v, True)) <= 1e-10


@needs_flex
@pytest.mark.parametrize("window", [0, 4])
def test_flex_window_equals_masked_reference(window):
    q, k, v = qkv(40, 40)
    ref, _ = scaled_dot_product_attention(q, k, v, masks.window(40, window))
    assert max_diff(E.flex_attention(q, k, v, E.sliding_window_mod(window)), ref) <= 1e-10
    assert max_diff(E.sliding_window_attention(q, k, v, window), ref) <= 1e-10


@needs_flex
def test_flex_without_a_mask_is_full_attention(monkeypatch):
    calls = _count_create_block_mask(monkeypatch)
    q, k, v = qkv(13, 29)
    assert max_diff(E.flex_attention(q, k, v), reference(q, k, v)) <= 1e-10
    assert calls == []  # full attention builds no block mask


def test_mask_mod_factories_return_the_same_function():
    assert E.causal_mod() is E.causal_mod()
    assert E.sliding_window_mod(4) is E.sliding_window_mod(4)
    assert E.sliding_window_mod(4) is not E.sliding_window_mod(5)
    with pytest.raises(ValueError, match="window"):
        E.sliding_window_mod(-1)


def _count_create_block_mask(monkeypatch):
    """Count create_block_mask calls (the real one still runs); starts from an empty cache."""
    import torch.nn.attention.flex_attention as flex_module

    real, calls = flex_module.create_block_mask, []

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(flex_module, "create_block_mask", counting)
    E.flex_block_mask.cache_clear()
    return calls


@needs_flex
def test_flex_builds_the_block_mask_once(monkeypatch):
    calls = _count_create_block_mask(monkeypatch)
    q, k, v = qkv(24, 24)
    for _ in range(3):
        E.flex_attention(q, k, v, E.sliding_window_mod(3))
    assert len(calls) == 1
    E.flex_attention(q, k, v, E.causal_mod())  # another mask: one more
    E.flex_attention(*qkv(24, 32), E.causal_mod())  # another N_k: one more
    assert len(calls) == 3
    block_mask = E.flex_block_mask(E.causal_mod(), 24, 24, q.device)  # cached: none
    assert len(calls) == 3
    assert max_diff(E.flex_attention(q, k, v, block_mask=block_mask),
                    reference(q, k, v, True)) <= 1e-10


def test_flex_string_masks_raise():
    q, k, v = qkv(8, 8)
    for old in ("causal", "window:16"):
        with pytest.raises(TypeError, match="mask_mod.*sliding_window_mod"):
            E.flex_attention(q, k, v, old)
    with pytest.raises(TypeError, match="mask_mod"):
        E.flex_block_mask("causal", 8, 8, q.device)
    with pytest.raises(ValueError, match="4-D"):
        E.flex_attention(q[0], k[0], v[0], E.causal_mod())
