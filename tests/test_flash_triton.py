"""attnlib.flash_triton: the Triton kernel equals F.scaled_dot_product_attention.

With no GPU the kernel runs in Triton's interpreter (attnlib.flash_triton.import_triton
makes triton interpret when no CUDA GPU is visible); on a GPU the same tests run the
compiled kernel. Sizes stay small: the interpreter executes every tile as numpy code.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

if not torch.cuda.is_available():  # before anything imports triton: kernels are interpreted
    os.environ.setdefault("TRITON_INTERPRET", "1")

from attnlib import flash_triton as FT  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HAS_TRITON = importlib.util.find_spec("triton") is not None
needs_triton = pytest.mark.skipif(not HAS_TRITON, reason="triton is not installed")
ATOL = {torch.float32: 1e-5, torch.float16: 5e-3, torch.bfloat16: 3e-2}


def device():
    return FT.kernel_device()


def qkv(n_q, n_k, d, batch=1, heads=2, dtype=torch.float32, seed=0, scale=1.0):
    """Random (B, H, N, D) inputs on the kernel's device: inputs for checks, not attention."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(batch, heads, n_q, d), (batch, heads, n_k, d), (batch, heads, n_k, d)]
    return [(torch.randn(s, generator=g) * scale).to(dtype).to(device()) for s in shapes]


def assert_matches_sdpa(q, k, v, causal, atol=None, **blocks):
    out = FT.flash_attention(q, k, v, causal=causal, **blocks)
    ref = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=causal)
    assert out.shape == q.shape and out.dtype == q.dtype
    assert torch.isfinite(out).all()
    err = (out.float() - ref).abs().max().item()
    assert err < (atol or ATOL[q.dtype]), (tuple(q.shape), tuple(k.shape), causal, blocks, err)


# (N_q, N_k, D, causal, blocks): ragged lengths, N_q != N_k both ways, D in {16, 32, 64},
# tiles larger than N, non-square tiles.
CASES = [
    (1, 1, 16, False, {}), (1, 1, 16, True, {}),
    (17, 17, 16, True, {"block_q": 16, "block_k": 16}),
    (33, 70, 16, False, {"block_q": 16, "block_k": 32}),
    (33, 70, 16, True, {"block_q": 16, "block_k": 16}),
    (70, 33, 16, True, {"block_q": 32, "block_k": 16}),
    (100, 100, 32, False, {}), (100, 100, 32, True, {}),
    (5, 97, 32, True, {"block_q": 16, "block_k": 16}),
    (64, 64, 64, False, {}), (64, 64, 64, True, {"block_q": 16, "block_k": 32}),
    (37, 128, 64, True, {}), (128, 37, 64, False, {}),
]


@needs_triton
@pytest.mark.parametrize("n_q, n_k, d, causal, blocks", CASES)
def test_kernel_equals_sdpa(n_q, n_k, d, causal, blocks):
    assert_matches_sdpa(*qkv(n_q, n_k, d), causal, **blocks)


@needs_triton
def test_batch_and_heads_and_non_contiguous_inputs():
    q, k, v = qkv(40, 50, 32, batch=2, heads=3)
    assert_matches_sdpa(q, k, v, True)
    # (B, N, H, D) storage seen as (B, H, N, D): strides that are not contiguous
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 45, 3, 32, generator=g).to(device()).transpose(1, 2) for _ in range(3))
    assert not q.is_contiguous()
    assert_matches_sdpa(q, k, v, False)
    assert_matches_sdpa(q, k[..., :30, :], v[..., :30, :], True)


@needs_triton
def test_large_scores_do_not_overflow_and_no_row_is_empty():
    # scores in the thousands: exp would overflow without the running max (float32 rounds
    # scores that large to about 1e-4, so both sides agree to about that)
    assert_matches_sdpa(*qkv(50, 50, 16, scale=12.0, seed=3), False, atol=1e-4)
    # top-left causal with N_q > N_k: rows past N_k see every key; row 0 sees key 0
    q, k, v = qkv(48, 8, 16, seed=4)
    out = FT.flash_attention(q, k, v, causal=True, block_q=16, block_k=16)
    assert torch.isfinite(out).all()
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(out, ref, atol=1e-5, rtol=0)
    assert torch.allclose(out[..., 0, :], v[..., 0, :], atol=1e-6, rtol=0)  # row 0 sees only key 0


@needs_triton
def test_half_precision():
    if device() == "cpu":
        assert_matches_sdpa(*qkv(40, 40, 32, dtype=torch.float16), True)
        with pytest.raises(TypeError, match="bfloat16"):
            FT.flash_attention(*qkv(8, 8, 16, dtype=torch.bfloat16))
    else:
        for dtype in (torch.float16, torch.bfloat16):
            assert_matches_sdpa(*qkv(300, 300, 64, dtype=dtype), True)


def test_bad_inputs_name_the_argument_and_shapes():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 8, 16, generator=g)
    with pytest.raises(ValueError, match=r"D = 24.*\(1, 2, 8, 24\)"):
        FT.flash_attention(*[torch.randn(1, 2, 8, 24)] * 3)
    with pytest.raises(ValueError, match="D = 8"):
        FT.flash_attention(*[torch.randn(1, 2, 8, 8)] * 3)
    with pytest.raises(TypeError, match="dtype"):
        FT.flash_attention(x, x.double(), x)
    with pytest.raises(TypeError, match="float64"):
        FT.flash_attention(x.double(), x.double(), x.double())
    with pytest.raises(ValueError, match="one device"):
        FT.flash_attention(x, x.to("meta"), x)
    with pytest.raises(ValueError, match=r"q must have 4 dimensions.*\(2, 8, 16\)"):
        FT.flash_attention(x[0], x[0], x[0])
    with pytest.raises(ValueError, match=r"same \(B, H\)"):
        FT.flash_attention(x, x[:, :1], x[:, :1])
    with pytest.raises(ValueError, match="v must have the same head width"):
        FT.flash_attention(x, x, torch.randn(1, 2, 8, 32))
    with pytest.raises(ValueError, match="empty sequence"):
        FT.flash_attention(x, x[..., :0, :], x[..., :0, :])
    with pytest.raises(ValueError, match="block_q must be a power of two"):
        FT.flash_attention(x, x, x, block_q=48, block_k=16)
    with pytest.raises(ValueError, match="both block_q and block_k"):
        FT.flash_attention(x, x, x, block_q=16)


def run_python(code, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.update(env_extra or {})
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_import_attnlib_does_not_import_triton():
    assert run_python("import sys, attnlib; print('triton' in sys.modules)") == "False"


def test_flash_triton_itself_imports_triton_only_when_used():
    # triton made unimportable: attnlib imports, and the kernel's call says what is missing
    code = (
        "import sys; sys.modules['triton'] = None\n"
        "import torch, attnlib\n"
        "from attnlib import flash_triton as FT\n"
        "print(FT.triton_available())\n"
        "try:\n"
        "    FT.flash_attention(*[torch.randn(1, 1, 4, 16)] * 3)\n"
        "except ImportError as err:\n"
        "    print('pip install triton==' in str(err))\n"
    )
    assert run_python(code).splitlines() == ["False", "True"]


@needs_triton
@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU fallback is for machines without a GPU")
def test_interpreter_even_when_triton_was_imported_compiled_first():
    # torch.utils.flop_counter imports triton (compiled mode) before anyone set TRITON_INTERPRET
    code = (
        "import sys, torch, torch.utils.flop_counter\n"
        "assert 'triton' in sys.modules\n"
        "import torch.nn.functional as F\n"
        "from attnlib import flash_triton as FT\n"
        "q = torch.randn(1, 1, 20, 16)\n"
        "out = FT.flash_attention(q, q, q, causal=True)\n"
        "print(FT.interpreted(), torch.allclose(out, F.scaled_dot_product_attention(q, q, q, is_causal=True), atol=1e-5))\n"
    )
    assert run_python(code) == "True True"


@needs_triton
def test_gpu_sweep():
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
            FT.gpu_sweep(ns=(512,), head_dims=(64,))
        return
    rows = FT.gpu_sweep(ns=(512,), head_dims=(64,), tokens=2048)
    triton_row = next(r for r in rows if r["impl"] == "triton")
    assert triton_row["error"] is None and triton_row["tflops"] > 0
    assert {"BLOCK_Q", "BLOCK_K", "num_warps", "num_stages"} <= set(triton_row["config"])
