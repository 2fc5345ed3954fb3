"""A FlashAttention forward kernel in Triton (notebook 19).

The tiled online-softmax forward of notebook 17 (attnlib.efficient.flash_attention, with
its running max m, sum ell and output acc) written as one GPU kernel: one program per
(query tile, batch x head), a loop over key tiles, m, ell and acc kept in float32.

    flash_attention(q, k, v, causal=False)   the kernel behind a checked, PyTorch-like call
    kernels()['causal_kv_end'], ['online_rescale']   the two pieces the exercises rebuild
    gpu_sweep(...)                           TFLOP/s of the kernel vs SDPA's flash and cuDNN

Where it runs: with a CUDA GPU, triton compiles the kernel and it takes CUDA tensors;
without one, Triton's interpreter runs the same kernel on CPU tensors as numpy code (slow,
for checking only). The mode is fixed once per process, when triton is first imported
(see import_triton); kernel_device() says which. Causal
masking aligns top-left, as F.scaled_dot_product_attention(is_causal=True): query i sees
keys 0..i, also when N_q != N_k, so no row is ever fully masked.

`import attnlib` does not import triton: it is imported the first time a kernel is needed.
"""

import contextlib
import functools
import math
import os
import sys

import torch

from . import validate

TRITON_PIN = "3.7.1"  # the triton that torch 2.13.0's Linux wheel requires (requirements.txt)
LOG2E = 1.4426950408889634  # e^x = 2^(x * log2 e): the kernel works in base 2
HEAD_DIMS = (16, 32, 64, 128, 256)  # D: a power of two (tl.arange), at least 16 (tl.dot)
DTYPES = (torch.float16, torch.bfloat16, torch.float32)
INTERPRETER_BLOCKS = (32, 32)  # (BLOCK_Q, BLOCK_K) under the interpreter: one fixed, small config

# The configurations the GPU autotuner tries: (BLOCK_Q, BLOCK_K, num_warps, num_stages).
GPU_CONFIGS = (
    (128, 64, 4, 3),
    (128, 64, 4, 4),
    (128, 64, 8, 3),
    (128, 128, 8, 3),
    (64, 64, 4, 3),
    (64, 32, 4, 4),
)


# ---------------------------------------------------------------- triton, imported lazily


def triton_available():
    """True if triton can be imported here (it ships with torch on Linux; not on macOS)."""
    try:
        import_triton()
    except ImportError:
        return False
    return True


def import_triton():
    """(triton, triton.language), imported now; a clear ImportError if triton is missing.

    Triton fixes at import whether its kernels are interpreted (TRITON_INTERPRET=1) or
    compiled for a GPU. With no CUDA GPU, compiled kernels cannot run, so here triton is
    made to interpret: TRITON_INTERPRET=1 is set (unless set to something else) before the
    first import, and a triton that something else (torch.utils.flop_counter, say) already
    imported in compiled mode is imported again in interpreter mode. On a GPU: untouched.
    """
    want_interpreter = not torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET", "1") == "1"
    if want_interpreter:
        os.environ["TRITON_INTERPRET"] = "1"
        if "triton.language" in sys.modules and _compiled_mode(sys.modules["triton.language"]):
            _forget_triton()
    try:
        import triton
        import triton.language as tl
    except ImportError as err:
        raise ImportError(
            "attnlib.flash_triton needs triton, which is not installed: "
            f"`pip install triton=={TRITON_PIN}` (Linux; Colab's torch brings its own). "
            f"The cause: {err}"
        ) from err
    return triton, tl


def _compiled_mode(tl):
    """True if triton.language was imported in compiled mode (its helpers are JITFunctions)."""
    return type(tl.zeros).__name__ == "JITFunction"


def _forget_triton():
    """Drop triton's Python modules (not its compiled extension) so the next import redoes them."""
    kernels.cache_clear()
    for name in [n for n in sys.modules if n == "triton" or n.startswith("triton.")]:
        if not name.startswith("triton._C"):
            del sys.modules[name]


def interpreted():
    """True if this process's triton runs kernels in its interpreter (on the CPU, as numpy).

    Decided when triton was first imported: by TRITON_INTERPRET=1 then.
    """
    return not _compiled_mode(import_triton()[1])


def kernel_device():
    """Where this process's kernels take their tensors: 'cpu' (interpreter) or 'cuda'."""
    return "cpu" if interpreted() else "cuda"


@functools.cache
def kernels():
    """The kernel and its helpers, made once (interpreted or compiled, as triton was imported).

    A dict: 'attn_fwd' (the kernel), 'attn_fwd_tuned' (the same kernel behind
    triton.autotune over GPU_CONFIGS), 'causal_kv_end', 'online_rescale'.
    """
    triton, tl = import_triton()
    # The interpreter looks for triton.language among a jit function's module globals.
    globals()["tl"] = tl
    return _build(triton, tl)


def _build(triton, tl):
    @triton.jit
    def causal_kv_end(q_start, n_k, BLOCK_Q: tl.constexpr):
        # Query tile rows q_start .. q_start + BLOCK_Q - 1 see keys 0 .. row (top-left):
        # keys from q_start + BLOCK_Q on are above the diagonal for every row of the tile.
        return tl.minimum(q_start + BLOCK_Q, n_k)

    @triton.jit
    def online_rescale(m_old, m_new):
        # Scores are in base 2 (scaled by log2 e), so e^(m_old - m_new) becomes 2^(...).
        return tl.math.exp2(m_old - m_new)

    @triton.jit
    def attn_fwd(
        Q, K, V, Out,  # pointers to (B, H, N_q, D), (B, H, N_k, D), (B, H, N_k, D), (B, H, N_q, D)
        sqb, sqh, sqn, sqd, skb, skh, skn, skd, svb, svh, svn, svd, sob, soh, son, sod,  # strides
        H, N_Q, N_K, qk_scale,  # heads, lengths, 1/sqrt(D) * log2(e)
        D: tl.constexpr, BLOCK_Q: tl.constexpr, BLOCK_K: tl.constexpr, CAUSAL: tl.constexpr,
        IEEE: tl.constexpr,  # float32 inputs: exact float32 products, not TF32
        KV_END: tl.constexpr, RESCALE: tl.constexpr,  # causal_kv_end, online_rescale
    ):
        q_tile, bh = tl.program_id(0), tl.program_id(1)  # grid: (query tiles, B * H)
        b, h = bh // H, bh % H
        q_start = q_tile * BLOCK_Q
        rows = q_start + tl.arange(0, BLOCK_Q)  # (BQ,) query positions
        cols0 = tl.arange(0, BLOCK_K)  # (BK,) key offsets within a tile
        d = tl.arange(0, D)  # (D,)
        q_ptrs = Q + b * sqb + h * sqh + rows[:, None] * sqn + d[None, :] * sqd
        q = tl.load(q_ptrs, mask=rows[:, None] < N_Q, other=0.0)  # (BQ, D)

        m = tl.full([BLOCK_Q], float("-inf"), tl.float32)  # running max (base-2 scores)
        ell = tl.zeros([BLOCK_Q], tl.float32)  # running sum of 2^(s - m)
        acc = tl.zeros([BLOCK_Q, D], tl.float32)  # running unnormalised output

        kv_end = N_K
        if CAUSAL:
            kv_end = KV_END(q_start, N_K, BLOCK_Q)  # tiles past this lie above the diagonal
        for k_start in range(0, kv_end, BLOCK_K):
            cols = k_start + cols0  # (BK,) key positions
            k_ptrs = K + b * skb + h * skh + cols[None, :] * skn + d[:, None] * skd
            kT = tl.load(k_ptrs, mask=cols[None, :] < N_K, other=0.0)  # (D, BK): k transposed
            if IEEE:
                s = tl.dot(q, kT, input_precision="ieee")
            else:
                s = tl.dot(q, kT)
            s = s * qk_scale  # (BQ, BK) scores, base 2
            keep = cols[None, :] < N_K  # (1, BK) real keys, not the ragged tail
            if CAUSAL:
                keep = keep & (cols[None, :] <= rows[:, None])  # (BQ, BK)
            s = tl.where(keep, s, float("-inf"))

            m_new = tl.maximum(m, tl.max(s, 1))  # finite: every tile has key 0 or a real key <= row
            alpha = RESCALE(m, m_new)  # (BQ,) shrinks what was summed against the old max
            p = tl.math.exp2(s - m_new[:, None])  # (BQ, BK) this tile's unnormalised weights
            ell = ell * alpha + tl.sum(p, 1)
            v_ptrs = V + b * svb + h * svh + cols[:, None] * svn + d[None, :] * svd
            v = tl.load(v_ptrs, mask=cols[:, None] < N_K, other=0.0)  # (BK, D)
            if IEEE:
                pv = tl.dot(p.to(v.dtype), v, input_precision="ieee")
            else:
                pv = tl.dot(p.to(v.dtype), v)
            acc = acc * alpha[:, None] + pv
            m = m_new

        out = acc / ell[:, None]  # (BQ, D)
        o_ptrs = Out + b * sob + h * soh + rows[:, None] * son + d[None, :] * sod
        tl.store(o_ptrs, out.to(Out.dtype.element_ty), mask=rows[:, None] < N_Q)

    configs = [
        triton.Config({"BLOCK_Q": bq, "BLOCK_K": bk}, num_warps=w, num_stages=s)
        for bq, bk, w, s in GPU_CONFIGS
    ]
    tuned = triton.autotune(configs=configs, key=["N_Q", "N_K", "D", "CAUSAL", "IEEE"])(attn_fwd)
    return {"attn_fwd": attn_fwd, "attn_fwd_tuned": tuned, "causal_kv_end": causal_kv_end,
            "online_rescale": online_rescale}


# ---------------------------------------------------------------- the call


def check_inputs(q, k, v):
    """q (B, H, N_q, D), k and v (B, H, N_k, D): one dtype and device, D in HEAD_DIMS.

    Raises TypeError or ValueError naming the argument and its shape.
    """
    validate.qkv(q, k, v)
    for name, t in (("q", q), ("k", k), ("v", v)):
        validate.ndim(name, t, 4, "(B, H, N, D)")
    shapes = f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
    if not (q.shape[:2] == k.shape[:2] == v.shape[:2]):
        raise ValueError(f"q, k, v must have the same (B, H), without broadcasting: {shapes}")
    if v.shape[-1] != q.shape[-1]:
        raise ValueError(f"v must have the same head width D as q and k: {shapes}")
    if q.shape[-1] not in HEAD_DIMS:
        raise ValueError(
            f"the head width D (last dimension of q) must be one of {HEAD_DIMS} "
            f"(a power of two, at least 16), got D = {q.shape[-1]}: {shapes}"
        )
    if q.dtype not in DTYPES:
        raise TypeError(f"q, k, v must be float16, bfloat16 or float32, got {q.dtype}")
    if q.device.type not in ("cpu", "cuda"):
        raise ValueError(f"q, k, v must be on the CPU (interpreter) or a CUDA GPU, got {q.device}")
    if q.device.type == "cpu" and q.dtype == torch.bfloat16:
        raise TypeError("the interpreter (CPU tensors) cannot run bfloat16 (numpy has no bfloat16): "
                        "use float16 or float32 on the CPU, bfloat16 on a GPU")


def flash_attention(q, k, v, causal=False, block_q=None, block_k=None, kv_end=None, rescale=None):
    """softmax(q k^T / sqrt(D)) v by the Triton kernel; equal to F.scaled_dot_product_attention.

    q (B, H, N_q, D), k and v (B, H, N_k, D) -> (B, H, N_q, D), in q's dtype. Any strides.
    causal=True: query i sees keys 0..i (top-left, like SDPA's is_causal).
    block_q, block_k: tile sizes (powers of two, >= 16). Default: the autotuner picks them
    on a GPU; the interpreter uses INTERPRETER_BLOCKS.
    kv_end, rescale: @triton.jit replacements for causal_kv_end and online_rescale (the
    exercise checks run the learner's pieces inside the real kernel this way).
    """
    check_inputs(q, k, v)
    if (block_q is None) != (block_k is None):
        raise ValueError(f"give both block_q and block_k or neither, got {block_q}, {block_k}")
    for name, value in (("block_q", block_q), ("block_k", block_k)):
        if value is not None and value not in (16, 32, 64, 128, 256):
            raise ValueError(f"{name} must be a power of two from 16 to 256, got {value!r}")
    interpret = interpreted()
    if interpret != (q.device.type == "cpu"):
        raise ValueError(_mode_error(q.device, interpret))
    if interpret and block_q is None:
        block_q, block_k = INTERPRETER_BLOCKS
    ks = kernels()
    B, H, n_q, D = q.shape
    n_k = k.shape[2]
    out = torch.empty_like(q, memory_format=torch.contiguous_format)  # (B, H, N_q, D)
    args = (
        q, k, v, out, *q.stride(), *k.stride(), *v.stride(), *out.stride(),
        H, n_q, n_k, LOG2E / math.sqrt(D),
    )
    common = {
        "D": D, "CAUSAL": bool(causal), "IEEE": q.dtype == torch.float32,
        "KV_END": kv_end or ks["causal_kv_end"], "RESCALE": rescale or ks["online_rescale"],
    }
    with torch.cuda.device(q.device) if q.is_cuda else contextlib.nullcontext():
        if block_q is None:
            grid = lambda meta: (math.ceil(n_q / meta["BLOCK_Q"]), B * H)  # noqa: E731
            ks["attn_fwd_tuned"][grid](*args, **common)
        else:
            grid = (math.ceil(n_q / block_q), B * H)
            ks["attn_fwd"][grid](*args, **common, BLOCK_Q=block_q, BLOCK_K=block_k)
    return out


def _mode_error(device, interpret):
    if interpret:
        return (f"triton was imported with TRITON_INTERPRET=1, so kernels run on the CPU; "
                f"got tensors on {device}: move them to the CPU, or start a fresh process "
                f"without TRITON_INTERPRET to use the GPU")
    return (f"triton was imported without TRITON_INTERPRET=1, so kernels compile for a CUDA GPU; "
            f"got tensors on {device}: move them to the GPU, or set os.environ['TRITON_INTERPRET'] "
            f"= '1' before anything imports triton (a fresh process) to use the interpreter")


def best_config(n_q, n_k, D, causal=False, dtype=torch.bfloat16):
    """The config the GPU autotuner chose for these sizes (after a call), as a dict; else None."""
    tuned = kernels()["attn_fwd_tuned"]
    for key, config in tuned.cache.items():
        if tuple(key[:5]) == (n_q, n_k, D, bool(causal), dtype == torch.float32) and str(dtype) in key:
            return {**config.kwargs, "num_warps": config.num_warps, "num_stages": config.num_stages}
    return None


# ---------------------------------------------------------------- the GPU sweep


def gpu_sweep(ns=(512, 1024, 2048, 4096, 8192, 16384), head_dims=(64, 128), causal=False,
              dtype=torch.bfloat16, tokens=16384, width=2048, device="cuda", progress=None):
    """Forward TFLOP/s of this kernel and of SDPA's flash and cuDNN backends, on a GPU.

    For each D and N: B = tokens // N sequences of H = width // D heads (the same work at
    every N, as FlashAttention's own benchmarks do). Returns one dict per (impl, D, N):
    impl ('sdpa-flash', 'sdpa-cudnn', 'triton'), N, D, B, H, ms, tflops, pct_peak (of the
    card's dense peak for dtype; None if unknown), vs_flash (tflops / flash's), config (the
    autotuned tiles, for 'triton'), error (why it could not run, else None).
    progress(row), if given, is called with each row as it is measured.
    """
    if not torch.cuda.is_available():
        raise RuntimeError("gpu_sweep needs a CUDA GPU; none is visible")
    if interpreted():
        raise RuntimeError("gpu_sweep: triton runs in its interpreter here (TRITON_INTERPRET=1); "
                           "time the kernel in a process started without it")
    rows = []
    for D in head_dims:
        for n in ns:
            B, H = max(1, tokens // n), max(1, width // D)
            found = _sweep_point(B, H, n, D, causal, dtype, device, progress)
            flash = next((r["tflops"] for r in found if r["impl"] == "sdpa-flash"), None)
            for row in found:
                if row["tflops"] is not None and flash is not None:
                    row["vs_flash"] = row["tflops"] / flash
            rows += found
    return rows


def _sweep_point(B, H, n, D, causal, dtype, device, progress):
    """The three rows of gpu_sweep for one (B, H, N, D)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from .bench import attention_flops, peak_tflops, tflops
    from .timing import time_fn

    sdpa = torch.nn.functional.scaled_dot_product_attention
    backends = {"sdpa-flash": SDPBackend.FLASH_ATTENTION, "sdpa-cudnn": SDPBackend.CUDNN_ATTENTION}
    g = torch.Generator(device=device).manual_seed(0)
    q, k, v = (torch.randn(B, H, n, D, generator=g, device=device, dtype=dtype) for _ in range(3))
    flops = attention_flops(B, H, n, n, D, causal=causal)
    peak = peak_tflops(device, dtype)
    reference = sdpa(q, k, v, is_causal=causal)
    rows = []
    for impl in ("sdpa-flash", "sdpa-cudnn", "triton"):
        row = {"impl": impl, "N": n, "D": D, "B": B, "H": H, "ms": None, "tflops": None,
               "pct_peak": None, "vs_flash": None, "config": None, "error": None}
        try:
            if impl == "triton":
                out = flash_attention(q, k, v, causal=causal)  # the autotuner runs here
                if not torch.allclose(out.float(), reference.float(), atol=2e-2, rtol=0):
                    raise RuntimeError("the kernel's output differs from SDPA's")
                timing = time_fn(flash_attention, q, k, v, causal=causal, device=device)
                row["config"] = best_config(n, n, D, causal, dtype)
            else:
                with sdpa_kernel(backends[impl]):
                    timing = time_fn(sdpa, q, k, v, is_causal=causal, device=device)
        except Exception as err:  # e.g. a backend or dtype this card lacks: report it, go on
            row["error"] = f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200]}"
        else:
            row["ms"] = timing.median_s * 1e3
            row["tflops"] = tflops(flops, timing.median_s)
            row["pct_peak"] = None if peak is None else 100 * row["tflops"] / peak
        rows.append(row)
        if progress:
            progress(row)
    return rows
