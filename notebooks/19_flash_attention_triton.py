# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Notebook 17's tiled online-softmax forward written as a Triton GPU kernel,
#       checked against SDPA through Triton's CPU interpreter and timed on a GPU.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/19_flash_attention_triton.ipynb)

# %% tags=["colab-setup"] slideshow={"slide_type": "skip"}
# Set-up for Google Colab; it does nothing anywhere else.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO, HOME = "https://github.com/attnlib/attention-series", "/content/attention-series"
    if not os.path.isdir(HOME):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPO, HOME], check=True)
    # --no-deps: keep Colab's own torch and ipywidgets (attnlib needs nothing newer).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", HOME], check=True)
    sys.path.insert(0, HOME)
    os.chdir(HOME + "/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()

# %% [markdown] slideshow={"slide_type": "slide"}
# # 19 · A FlashAttention kernel in Triton
#
# Notebook 17 built the tiled, online-softmax forward pass of FlashAttention in plain
# PyTorch: exact, but every tile is a separate PyTorch call. Here the same loop becomes one
# GPU kernel written in [Triton](https://triton-lang.org): each program computes one tile
# of queries from start to finish, keeping its running maximum, sum and output in fast
# on-chip memory.
#
# **In this notebook you will:**
# - write the forward kernel: one program per (query tile, batch $\times$ head), a loop
#   over key tiles with the running max, sum and accumulator in float32;
# - make it causal by stopping the key loop at the diagonal, and prove it equal to
#   `F.scaled_dot_product_attention` for ragged lengths, $N_q \ne N_k$ and several $D$;
# - on a GPU, measure its TFLOP/s against SDPA's flash and cuDNN kernels and the card's peak.
#
# With no GPU, Triton's **interpreter** runs the very same kernel on the CPU as numpy code
# (`TRITON_INTERPRET=1`): slow, but exact enough to check every line. It must be switched on
# before triton is first imported, which the next cell does when no GPU is visible.

# %% slideshow={"slide_type": "-"}
import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")  # before anything imports triton

import math
import warnings

import torch.nn.functional as F
import triton
import triton.language as tl

from attnlib import flash_triton as FT
from attnlib import timing

DEVICE = FT.kernel_device()  # 'cpu' under the interpreter, else 'cuda'


def random_qkv(n_q, n_k=None, d=32, batch=1, heads=2, seed=0):
    """Random (B, H, N, D) queries, keys, values on DEVICE: inputs for checks, not attention."""
    g = torch.Generator().manual_seed(seed)
    n_k = n_q if n_k is None else n_k
    shapes = [(batch, heads, n_q, d), (batch, heads, n_k, d), (batch, heads, n_k, d)]
    return [torch.randn(s, generator=g).to(DEVICE) for s in shapes]


def reference(q, k, v, causal=False):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
print(f"triton {triton.__version__}; kernels run on {DEVICE}; interpreted: {FT.interpreted()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How a Triton program sees the problem
#
# A Triton kernel is written for **one program**; the launch grid says how many run in
# parallel. Each program works on whole blocks (tiles) of numbers at once: `tl.arange(0, 16)`
# is a vector of 16 positions, `tl.load` reads a tile from memory, `tl.dot` multiplies two
# tiles on the tensor cores, `tl.store` writes one back.
#
# For attention the grid is (query tiles, $B \times H$): program $(i, bh)$ owns queries
# $iB_q, \dots, (i+1)B_q - 1$ of one head of one sequence, and loops over every key tile.
# Programs never talk to each other, because query rows are independent (notebook 17: chunking
# the queries is exact). A first kernel that only reports what each program is:

# %% slideshow={"slide_type": "-"}
@triton.jit
def whoami(Out, BLOCK_Q: tl.constexpr):
    q_tile, bh = tl.program_id(0), tl.program_id(1)
    tl.store(Out + bh * tl.num_programs(0) + q_tile, q_tile * BLOCK_Q)  # first query row


n_q, block_q, BH = 70, 16, 2
starts = torch.zeros(BH, triton.cdiv(n_q, block_q), dtype=torch.int32, device=DEVICE)
whoami[(triton.cdiv(n_q, block_q), BH)](starts, BLOCK_Q=block_q)
print("first query row of each program (rows: batch x head, columns: query tile):")
print(starts.cpu())
assert starts.cpu().tolist() == [[0, 16, 32, 48, 64]] * 2

# %% [markdown] slideshow={"slide_type": "-"}
# $N_q = 70$ needs $\lceil 70/16 \rceil = 5$ query tiles; the last one holds rows 64..79, of
# which only 64..69 exist. Loads and stores of the missing rows are switched off with a
# `mask`: this is how a kernel handles lengths that are not a multiple of the tile.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths, in base 2
#
# The loop is notebook 17's online softmax (see its *The online softmax* and *From a
# softmax to an output* sections for the derivation). For the query tile, with running
# maximum $m$, sum $\ell$ and unnormalised output $a$, each key tile $j$ with scores
# $S_j = Q K_j^\top / \sqrt{D}$ does
#
# $$m' = \max\big(m, \operatorname{rowmax} S_j\big), \quad
#   \alpha = e^{m - m'}, \quad P_j = e^{S_j - m'}, \quad
#   \ell \leftarrow \alpha\,\ell + \operatorname{rowsum} P_j, \quad
#   a \leftarrow \alpha\, a + P_j V_j ,$$
#
# and at the end $O = a / \ell$. GPUs compute $2^x$ natively, and $e^x = 2^{x \log_2 e}$,
# so the kernel folds $\log_2 e$ into the scale once, $s = (q \cdot k)\, \log_2 e / \sqrt{D}$,
# and uses `exp2` everywhere: the same $m$ and $\ell$, measured in base 2. $m$, $\ell$, $a$
# and both products are kept in float32 whatever the inputs are.

# %% slideshow={"slide_type": "-"}
x = torch.tensor([0.3, -1.2, 2.5])
assert torch.allclose(torch.exp2(x * FT.LOG2E) / torch.exp2(x * FT.LOG2E).sum(), torch.softmax(x, 0))
print("softmax with 2^(x log2 e) == softmax with e^x:", True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The kernel
#
# One program, top to bottom: load its query tile once, loop over key tiles, write the
# output tile once. Compare each line with `tiled_attention` in notebook 17. For `CAUSAL`,
# query $i$ sees keys $0..i$ (top-left, like SDPA's `is_causal`): scores above the
# diagonal are masked to $-\infty$.

# %% slideshow={"slide_type": "-"}
@triton.jit
def attention_kernel(Q, K, V, Out, H, N_Q, N_K, qk_scale,  # (B, H, N, D) contiguous tensors
                     D: tl.constexpr, BLOCK_Q: tl.constexpr, BLOCK_K: tl.constexpr,
                     CAUSAL: tl.constexpr):
    q_tile, bh = tl.program_id(0), tl.program_id(1)
    rows = q_tile * BLOCK_Q + tl.arange(0, BLOCK_Q)  # (BQ,) query positions
    d = tl.arange(0, D)  # (D,)
    Q, Out = Q + bh * N_Q * D, Out + bh * N_Q * D  # this head's (N_q, D) block
    K, V = K + bh * N_K * D, V + bh * N_K * D  # this head's (N_k, D) blocks
    q = tl.load(Q + rows[:, None] * D + d[None, :], mask=rows[:, None] < N_Q, other=0.0)  # (BQ, D)

    m = tl.full([BLOCK_Q], float("-inf"), tl.float32)  # running max
    ell = tl.zeros([BLOCK_Q], tl.float32)  # running sum
    acc = tl.zeros([BLOCK_Q, D], tl.float32)  # running unnormalised output
    for start in range(0, N_K, BLOCK_K):  # causal or not, every key tile (see below)
        cols = start + tl.arange(0, BLOCK_K)  # (BK,) key positions
        kT = tl.load(K + cols[None, :] * D + d[:, None], mask=cols[None, :] < N_K, other=0.0)  # (D, BK)
        s = tl.dot(q, kT, input_precision="ieee") * qk_scale  # (BQ, BK) base-2 scores
        keep = cols[None, :] < N_K  # the ragged tail of keys
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        s = tl.where(keep, s, float("-inf"))
        m_new = tl.maximum(m, tl.max(s, 1))
        alpha = tl.math.exp2(m - m_new)  # rescales what was summed against the old max
        p = tl.math.exp2(s - m_new[:, None])  # (BQ, BK)
        ell = alpha * ell + tl.sum(p, 1)
        v = tl.load(V + cols[:, None] * D + d[None, :], mask=cols[:, None] < N_K, other=0.0)  # (BK, D)
        acc = alpha[:, None] * acc + tl.dot(p, v, input_precision="ieee")
        m = m_new
    tl.store(Out + rows[:, None] * D + d[None, :], acc / ell[:, None], mask=rows[:, None] < N_Q)


def triton_attention(q, k, v, causal=False, block_q=16, block_k=16):
    """Launch attention_kernel on float32 q (B, H, N_q, D), k, v (B, H, N_k, D)."""
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()  # the kernel assumes this layout
    B, H, n_q, D = q.shape
    out = torch.empty_like(q)
    grid = (triton.cdiv(n_q, block_q), B * H)  # one program per (query tile, batch x head)
    attention_kernel[grid](q, k, v, out, H, n_q, k.shape[2], FT.LOG2E / math.sqrt(D),
                           D=D, BLOCK_Q=block_q, BLOCK_K=block_k, CAUSAL=causal)
    return out


# %% [markdown] slideshow={"slide_type": "-"}
# The `(BQ, BK)` score tile is the only score storage there is; nothing of size
# $N_q \times N_k$ is ever written to memory. The check: our kernel against PyTorch's SDPA
# and against `attnlib.flash_triton.flash_attention` (the library's version of the same
# kernel, which also takes any strides, half precision and autotuned tiles), for a ragged
# length, causal and not.

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(37)
for causal in (False, True):
    ours = triton_attention(q, k, v, causal)
    assert torch.allclose(ours, reference(q, k, v, causal), atol=1e-5, rtol=0)
    assert torch.allclose(ours, FT.flash_attention(q, k, v, causal, block_q=16, block_k=16), atol=1e-6, rtol=0)
print("triton_attention == SDPA == attnlib.flash_triton at N = 37, causal and not")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The proof: equal to SDPA everywhere that matters
#
# Lengths that are not multiples of the tile, one query or key, $N_q \ne N_k$ both ways,
# head widths $D = 16, 32, 64$, causal and not, all within $10^{-5}$ of SDPA in float32
# (tiles of 16 keep the interpreter quick). With $N_q \ne N_k$ the causal mask aligns
# top-left as SDPA's does: query $i$ sees keys $0..i$, so no row is ever fully masked.

# %% slideshow={"slide_type": "-"}
cases = [(1, 1, 16), (17, 17, 16), (20, 45, 32), (45, 20, 32), (64, 64, 64), (33, 50, 64)]
for n_q, n_k, d in cases:
    q, k, v = random_qkv(n_q, n_k, d, seed=n_q + n_k)
    for causal in (False, True):
        assert torch.allclose(triton_attention(q, k, v, causal), reference(q, k, v, causal), atol=1e-5, rtol=0)
print(f"{len(cases) * 2} cases: kernel == SDPA within 1e-5")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Skipping the tiles above the diagonal
#
# Our kernel is causal by masking alone: it still loads and multiplies every key tile, and
# tiles wholly above the diagonal add nothing ($p = 2^{-\infty} = 0$, $\alpha = 1$). A real
# kernel stops its loop early. The library kernel asks a small `@triton.jit` function,
# `causal_kv_end(q_start, n_k, BLOCK_Q)`, where the loop of the query tile starting at row
# `q_start` may stop (Exercise 1 has you write it). A bound one tile too short is a classic
# off-by-one; as a negative control it must fail the check:

# %% slideshow={"slide_type": "-"}
@triton.jit
def one_tile_short(q_start, n_k, BLOCK_Q: tl.constexpr):
    return tl.minimum(q_start, n_k)  # misses the diagonal tile


q, k, v = random_qkv(48, d=16)
right = FT.flash_attention(q, k, v, causal=True, block_q=16, block_k=16)
with warnings.catch_warnings():  # the first query tile visits no key at all: 0 / 0
    warnings.simplefilter("ignore", RuntimeWarning)
    short = FT.flash_attention(q, k, v, causal=True, block_q=16, block_k=16, kv_end=one_tile_short)
print("library kernel == SDPA:", torch.allclose(right, reference(q, k, v, True), atol=1e-5, rtol=0))
print("bound one tile short == SDPA:", torch.allclose(short, reference(q, k, v, True), atol=1e-3, rtol=0))
assert torch.allclose(right, reference(q, k, v, True), atol=1e-5, rtol=0)
assert not torch.allclose(short, reference(q, k, v, True), atol=1e-3, rtol=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How much skipping saves
#
# With $T = \lceil N / B \rceil$ square tiles each way, query tile $i$ needs key tiles
# $0..i$: $T(T+1)/2$ tiles instead of $T^2$, just over half for long sequences. The
# library kernel's loop bound, run in a probe kernel for $N = 100$, tiles of 16:

# %% slideshow={"slide_type": "-"}
@triton.jit
def visited(Out, n_q_tiles, n_k, BLOCK_Q: tl.constexpr, BLOCK_K: tl.constexpr, KV_END: tl.constexpr,
            TILES: tl.constexpr):
    i = tl.arange(0, TILES)  # every query tile at once, as a vector (TILES: a power of two)
    tl.store(Out + i, tl.cdiv(KV_END(i * BLOCK_Q, n_k, BLOCK_Q), BLOCK_K), mask=i < n_q_tiles)


def key_tiles_visited(n_q, n_k, block_q, block_k):
    """How many key tiles the library's causal loop visits, for each query tile."""
    tq = triton.cdiv(n_q, block_q)
    out = torch.zeros(tq, dtype=torch.int32, device=DEVICE)
    visited[(1,)](out, tq, n_k, BLOCK_Q=block_q, BLOCK_K=block_k,
                  KV_END=FT.kernels()["causal_kv_end"], TILES=triton.next_power_of_2(tq))
    return out.cpu()


n, block = 100, 16
T = triton.cdiv(n, block)
per_tile = key_tiles_visited(n, n, block, block)
print("key tiles visited by each query tile:", per_tile.tolist())
print(f"total {per_tile.sum().item()} of {T * T} tiles")
assert per_tile.tolist() == list(range(1, T + 1)) and per_tile.sum().item() == T * (T + 1) // 2

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: which tiles the kernel visits
#
# Choose $N_q$, $N_k$, the tile sizes and causal or not. Each cell is one (query tile, key
# tile) pair: 1 if the kernel's loop visits it, 0 if it is skipped. Counted by the
# library's `causal_kv_end` through the probe kernel above.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W
from IPython.display import display

from attnlib.widgets import Explorer, Panels


def draw_visits(n_q, n_k, block_q, block_k, causal):
    tq, tk = triton.cdiv(n_q, block_q), triton.cdiv(n_k, block_k)
    counts = key_tiles_visited(n_q, n_k, block_q, block_k) if causal else torch.full((tq,), tk)
    grid = (torch.arange(tk)[None, :] < counts[:, None]).float()  # (query tiles, key tiles)
    fig = Panels(grid, [str(j * block_k) for j in range(tk)], [str(i * block_q) for i in range(tq)],
                 title=f"{'causal' if causal else 'full'}: N_q={n_q}, N_k={n_k}",
                 xlabel="key tile (first key)", ylabel="query tile (first query)", annotate=False,
                 colorbar_label="1 visited, 0 skipped")
    return fig, f"<b>{int(grid.sum())} of {tq * tk} tiles</b> visited"


explorer = Explorer("visits", {
    "n_q": W.IntSlider(value=256, min=16, max=512, step=16, description="N_q", continuous_update=False),
    "n_k": W.IntSlider(value=256, min=16, max=512, step=16, description="N_k", continuous_update=False),
    "block_q": W.SelectionSlider(options=(16, 32, 64), value=32, description="BLOCK_Q"),
    "block_k": W.SelectionSlider(options=(16, 32, 64), value=32, description="BLOCK_K"),
    "causal": W.Checkbox(value=True, description="causal"),
}, draw_visits)
display(explorer)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# Under the interpreter the kernel is numpy code, thousands of times slower than SDPA:
# its time says nothing about the GPU. On a GPU the cells after this one measure it.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
q, k, v = random_qkv(64, d=32)
ours = timing.time_fn(FT.flash_attention, q, k, v, causal=True, device=DEVICE, warmup=1, min_run_time=0.1)
sdpa = timing.time_fn(reference, q, k, v, True, device=DEVICE, warmup=1, min_run_time=0.1)
print(f"N = 64, D = 32, causal, on {timing.describe_device(DEVICE)}{' (interpreter)' if FT.interpreted() else ''}:")
print(f"  Triton kernel: {ours.median_s * 1e3:8.2f} ms\n  SDPA:          {sdpa.median_s * 1e3:8.2f} ms")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On a GPU: TFLOP/s against SDPA's flash and cuDNN kernels
#
# `FT.gpu_sweep` times the library kernel (autotuned), SDPA forced onto its flash
# backend and onto cuDNN, forward, bfloat16, $D = 64$ and $128$, $N$ from 512 to 16384,
# with $B = 16384 / N$ sequences and $H = 2048 / D$ heads so every $N$ does the same work.
# FLOPs are `attnlib.bench.attention_flops` ($4 B H N^2 D$); the peak is the card's dense
# bf16 figure. `ATTN_BIG=1` runs the full sweep; the default is a short one.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
BIG = os.environ.get("ATTN_BIG", "0") == "1"
if not torch.cuda.is_available():
    print("No GPU: the TFLOP/s sweep is skipped.")
else:
    ns = (512, 1024, 2048, 4096, 8192, 16384) if BIG else (1024, 4096)
    rows = FT.gpu_sweep(ns=ns, head_dims=(64, 128))
    print(f"{timing.describe_device('cuda')}, bf16 forward")
    print(f"{'impl':>11} {'D':>4} {'N':>6} {'ms':>8} {'TFLOP/s':>8} {'% peak':>7} {'vs flash':>8}")
    for r in rows:
        if r["error"]:
            print(f"{r['impl']:>11} {r['D']:>4} {r['N']:>6}   cannot run: {r['error'][:60]}")
            continue
        peak = "-" if r["pct_peak"] is None else f"{r['pct_peak']:.0f}"
        vs = "-" if r["vs_flash"] is None else f"{r['vs_flash']:.2f}"
        print(f"{r['impl']:>11} {r['D']:>4} {r['N']:>6} {r['ms']:8.3f} {r['tflops']:8.1f} {peak:>7} {vs:>8}")

# %% [markdown] slideshow={"slide_type": "-"}
# The autotuner tried every configuration in `FT.GPU_CONFIGS` (BLOCK_Q, BLOCK_K, warps,
# pipeline stages) on the first call for each shape and kept the fastest. Larger tiles
# reuse each loaded key tile for more queries (fewer bytes per FLOP) but need more
# registers and shared memory; more stages overlap the next tile's load with this tile's
# matmuls. The goal on an H100: at least 70% of SDPA flash's TFLOP/s at $N = 4096$, $D = 128$.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if not torch.cuda.is_available():
    print("No GPU: no autotuned configurations to show.")
else:
    for r in rows:
        if r["impl"] == "triton" and r["config"]:
            print(f"D = {r['D']:3d}, N = {r['N']:5d}: {r['config']}")
    goal = [r for r in rows if r["impl"] == "triton" and r["N"] == 4096 and r["D"] == 128]
    if goal and goal[0]["vs_flash"] is not None:
        print(f"N = 4096, D = 128: {100 * goal[0]['vs_flash']:.0f}% of SDPA flash (goal >= 70%)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A Triton kernel is written for one program; the grid (query tiles, $B \times H$) runs
#   one per query tile of each head, independently.
# - Each program streams key tiles through notebook 17's online softmax, with $m$, $\ell$
#   and the output in float32 and `exp2` on base-2 scores; only a (BQ, BK) score tile exists.
# - Causal (top-left, as SDPA): scores above the diagonal are masked, and the library's
#   key loop stops after the diagonal tile, visiting $T(T+1)/2$ of $T^2$ tiles.
# - Triton's interpreter runs the same kernel on a CPU, which is how it was proven equal to
#   SDPA here; speed is measured only on a GPU.
#
# ## Exercises
#
# Worked solutions are in `solutions/19_flash_attention_triton.py`: try first. Your answers
# are `@triton.jit` functions; the checks run them inside the library's real kernel.
#
# **Exercise 1.** Write `causal_kv_end(q_start, n_k, BLOCK_Q)`: where the causal key loop
# of the query tile starting at row `q_start` stops (exclusive), so that no tile wholly
# above the diagonal, and no tile past the last key, is visited. Decorate it with
# `@triton.jit` and mark `BLOCK_Q: tl.constexpr`.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb19


def causal_kv_end(q_start, n_k, BLOCK_Q):
    raise NotImplementedError


ok = nb19.check_causal_kv_end(causal_kv_end)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `online_rescale(m_old, m_new)`: the factor by which the running sum
# and output shrink when the running maximum moves from `m_old` to `m_new`, for the
# kernel's base-2 scores. On the first tile `m_old` is $-\infty$. Decorate it with
# `@triton.jit`.

# %% slideshow={"slide_type": "-"}
def online_rescale(m_old, m_new):
    raise NotImplementedError


ok = nb19.check_online_rescale(online_rescale)
