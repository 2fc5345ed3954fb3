# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: series
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Time attention correctly on CPU and GPU, count its FLOPs, and compare
#       every implementation's time, memory and % of peak.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/18_timing_lab.ipynb)

# %% slideshow={"slide_type": "skip"} tags=["colab-setup"]
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
# # 18 · The timing lab: measuring attention honestly
#
# Most published attention timings are wrong in one of a few ways: the first call is
# timed with everything else, a GPU is timed without waiting for it, or one noisy reading
# stands for the whole. This notebook shows each error by measuring it, then compares every
# attention implementation in the series with a timer that avoids them.
#
# **In this notebook you will:**
# - measure the naive timer's error on your device, and see how `attnlib.timing` avoids it
#   (warm-up, CUDA events, medians from `torch.utils.benchmark`);
# - count attention's FLOPs and turn times into TFLOP/s and a percentage of the hardware's peak;
# - put every implementation side by side (time and peak memory against $N$), and measure
#   what really scales: $N_q N_k$, and where linear attention overtakes softmax.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Set-up
#
# All inputs below are random tensors used only for timing and shape checks. `BIG`
# (`ATTN_BIG=1`) switches on the large sizes; by default the sizes are small so that the
# notebook runs in seconds on a laptop CPU.

# %% slideshow={"slide_type": "-"}
import os
import time

import torch
import torch.nn.functional as F

from attnlib import bench, report, timing, viz
from attnlib import efficient as E

BIG = os.environ.get("ATTN_BIG", "0") == "1"
SIZES = [256, 512, 1024, 2048, 4096] if BIG else [128, 256]  # sequence lengths for the sweep


def random_qkv(n_q, n_k=None, heads=2, d=64, device="cpu", dtype=torch.float32, seed=0):
    """Random (B=1, H, N, D) queries, keys and values, for timing."""
    g = torch.Generator().manual_seed(seed)
    n_k = n_q if n_k is None else n_k
    shapes = [(1, heads, n_q, d), (1, heads, n_k, d), (1, heads, n_k, d)]
    return [torch.randn(s, generator=g).to(device=device, dtype=dtype) for s in shapes]


print("BIG sizes:", BIG, "| sweep sizes:", SIZES)

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
device = timing.default_device()
print(f"device: {timing.describe_device(device)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The naive timer on a GPU: timing the launch
#
# A GPU runs kernels *asynchronously*: a Python call only queues the work and returns. The
# common timer
#
# ```python
# t0 = time.time(); out = attention(q, k, v); t1 = time.time()
# ```
#
# measures how long it took to *queue* the kernels, not to run them. The honest version
# records CUDA events on the stream around the call and waits for the second one
# (`timing.time_cuda`). This cell measures both; it needs a GPU.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    q, k, v = random_qkv(4096, heads=16, device="cuda", dtype=torch.float16)
    call = lambda: E.naive_attention(q, k, v)
    for _ in range(3):
        call()  # warm-up
    torch.cuda.synchronize()
    t0 = time.time()
    call()
    launch_s = time.time() - t0  # no synchronize: only the launch
    torch.cuda.synchronize()
    honest = timing.time_cuda(call)
    print(f"time.time() without synchronize: {launch_s * 1e3:8.3f} ms")
    print(f"CUDA events, synchronised:       {honest.median_s * 1e3:8.3f} ms (median of {honest.repeats})")
    print(f"the naive timer reports {100 * launch_s / honest.median_s:.0f}% of the real time")
else:
    print("No GPU: the launch-vs-kernel timing error cannot be shown here; skipped.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The naive timer on a CPU: the first call and the single reading
#
# A CPU runs synchronously, so the clock does see the work. Two errors remain: the first
# call pays one-time costs (lazy initialisation, memory touched for the first time, code
# paths chosen and cached), and a single reading is at the mercy of whatever else the
# machine is doing. This cell measures both on the CPU, whatever your device.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
torch.manual_seed(0)
mha = torch.nn.MultiheadAttention(256, 4, batch_first=True).eval()  # a fresh module
x = torch.randn(4, 512, 256)
with torch.no_grad():
    t0 = time.perf_counter()
    mha(x, x, x, need_weights=False)
    first_s = time.perf_counter() - t0
    singles = []
    for _ in range(15):
        t0 = time.perf_counter()
        mha(x, x, x, need_weights=False)
        singles.append(time.perf_counter() - t0)
warm = timing.time_fn(mha, x, x, x, need_weights=False, device="cpu")
print(f"first call:               {first_s * 1e3:8.2f} ms")
print(f"single warm readings:     {min(singles) * 1e3:8.2f} .. {max(singles) * 1e3:.2f} ms")
print(f"timing.time_fn (median):  {warm.median_s * 1e3:8.2f} ms, IQR {warm.iqr_s * 1e3:.2f} ms")
print(f"first call / median = {first_s / warm.median_s:.1f}x; "
      f"slowest single / median = {max(singles) / warm.median_s:.1f}x")

# %% [markdown] slideshow={"slide_type": "-"}
# On a quiet machine the median sits near the fastest readings and the spread is small. If
# the readings here are scattered, something else is using the cores: torch's threads
# (`torch.get_num_threads()`) then wait for each other, and small operations can take many
# times longer than they should. No timer can remove that; a median with its spread at least
# shows it, where a single reading hides it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A timer that tells the truth
#
# `attnlib.timing.time_fn(fn, *args)` does four things, in this order:
#
# 1. **warm up**: call `fn` a few times untimed, so one-time costs are paid;
# 2. **synchronise** (GPU): `time_cuda` records a `torch.cuda.Event` *on the stream*, makes
#    many calls back to back, records a second event, and `torch.cuda.synchronize()` waits
#    for the kernels; `start.elapsed_time(end)` divided by the number of calls is the GPU's
#    own measure of one call, with the host's per-call overhead spread thin;
# 3. **repeat**: on a GPU, several such readings; on a CPU,
#    `torch.utils.benchmark.Timer.blocked_autorange` runs the call in blocks until
#    `min_run_time` has passed, with the thread count torch really uses, and a slow call gets
#    extra readings so that there are always at least `min_repeats` (5);
# 4. **summarise robustly**: the median, with the interquartile range as the spread, so
#    a few interrupted runs do not move the answer.
#
# It also runs under `torch.no_grad()`, so autograd's bookkeeping is not timed. (The
# series' tests check each of these steps against the code, so this list cannot drift from
# it.) Here is `torch.utils.benchmark` used directly, with its own report:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import torch.utils.benchmark as benchmark

q, k, v = random_qkv(512)
measurement = benchmark.Timer(
    stmt="F.scaled_dot_product_attention(q, k, v)",
    globals={"F": F, "q": q, "k": k, "v": v},
    num_threads=torch.get_num_threads(),
    label="SDPA, 2 heads, N = 512, D = 64",
).blocked_autorange(min_run_time=0.2)
print(measurement)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Counting FLOPs
#
# Attention's arithmetic is two matrix products per head: $S = QK^\top$ and $O = PV$. Each
# has $N_q N_k$ outputs or inputs summed over $D$, one multiply and one add each, so each
# costs $2 N_q N_k D$ floating-point operations:
#
# $$\text{FLOPs}_{\text{forward}} = 4\, B\, H\, N_q\, N_k\, D .$$
#
# The softmax ($O(N_q N_k)$) is left out by convention. A causal mask removes about half of
# the pairs, so it **halves** the count.
#
# The backward pass needs four matrix products, each as large as a forward one: with
# $dS$ the gradient of the scores (from $dP$ through the softmax),
#
# $$dV = P^\top dO, \qquad dP = dO\, V^\top, \qquad dQ = dS\, K, \qquad dK = dS^\top Q,$$
#
# so it costs **2 times** the forward when the forward kept $P$. FlashAttention's forward
# does not keep $P$ (that is its memory saving), so its backward first recomputes
# $S = QK^\top$: five products, **2.5 times** the forward. `bench.attention_flops(...,
# backward=True)` uses that FlashAttention count. Throughput and utilisation are then
#
# $$\text{TFLOP/s} = \frac{\text{FLOPs}}{t \cdot 10^{12}}, \qquad
#   \%\ \text{of peak} = 100 \cdot \frac{\text{TFLOP/s}}{\text{peak TFLOP/s}} .$$

# %% slideshow={"slide_type": "-"}
B, H, N, D = 8, 12, 1024, 64
fwd = bench.attention_flops(B, H, N, N, D)
print(f"B={B} H={H} N={N} D={D}: forward {fwd / 1e9:.1f} GFLOP, "
      f"causal {bench.attention_flops(B, H, N, N, D, causal=True) / 1e9:.1f} GFLOP, "
      f"backward {bench.attention_flops(B, H, N, N, D, backward=True) / 1e9:.1f} GFLOP")
assert fwd == 4 * B * H * N * N * D
assert bench.attention_flops(B, H, N, N, D, causal=True) == fwd / 2
assert bench.attention_flops(B, H, N, N, D, backward=True) == 2.5 * fwd
print(f"at 10 ms that is {bench.tflops(fwd, 0.010):.2f} TFLOP/s, "
      f"{bench.percent_of_peak(fwd, 0.010, 989.0):.2f}% of an H100's 989 bf16 TFLOP/s")

# %% [markdown] slideshow={"slide_type": "-"}
# The matmul count can be checked rather than trusted. PyTorch's `FlopCounterMode` counts
# the FLOPs of every matrix product: for the naive attention (which keeps $P$), the
# forward makes two products and autograd's backward four, exactly twice the forward.
# Counts are integers, the same on every device.

# %% slideshow={"slide_type": "-"}
from torch.utils.flop_counter import FlopCounterMode

q, k, v = (t.requires_grad_() for t in random_qkv(256, 128))  # (B, H, N_q, D), N_k = 128
with FlopCounterMode(display=False) as counter:
    out = E.naive_attention(q, k, v)
forward_flops = counter.get_total_flops()
with FlopCounterMode(display=False) as counter:
    out.sum().backward()
backward_flops = counter.get_total_flops()
one_matmul = 2 * 1 * 2 * 256 * 128 * 64  # 2 B H N_q N_k D
print(f"forward:  {forward_flops:,} FLOPs = {forward_flops // one_matmul} matmuls")
print(f"backward: {backward_flops:,} FLOPs = {backward_flops // one_matmul} matmuls")
assert forward_flops == bench.attention_flops(1, 2, 256, 128, 64) == 2 * one_matmul
assert backward_flops == 4 * one_matmul == 2 * forward_flops

# %% [markdown] slideshow={"slide_type": "-"}
# The peaks come from the GPU makers' data sheets (`bench.PEAK_TFLOPS`, dense, no
# sparsity); `bench.peak_tflops(device, dtype)` looks up the one for your GPU and returns
# `None` on a CPU, where a percentage of peak is not reported.

# %% slideshow={"slide_type": "-"}
print("H100 SXM peaks (TFLOP/s):", bench.PEAK_TFLOPS["H100 SXM"])
print("peak for a CPU:", bench.peak_tflops("cpu", torch.float32))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Every implementation, side by side
#
# `bench.sweep` times each implementation in `bench.IMPLEMENTATIONS` with `time_fn` and
# measures its peak memory with `bench.peak_memory`, for each $N$. What cannot run here (an
# SDPA backend this device lacks, a size that would not fit) is kept as a *skipped* row with
# the reason, rather than silently dropped. They are:

# %% slideshow={"slide_type": "-"}
for name in bench.IMPLEMENTATIONS:
    kind = "approximate (a different model)" if name in bench.APPROXIMATE else "exact"
    print(f"{name:16s} {kind}")

# %% [markdown] slideshow={"slide_type": "-"}
# Before timing anything, every exact implementation that runs here must give the same
# output as the reference (a fast wrong answer is not a result). `torch_mha` applies its
# own projections, so it is checked in the section on multi-head attention instead.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
q, k, v = random_qkv(256, device=device)
expected = E.naive_attention(q, k, v)
agree = []
for name, fn in bench.IMPLEMENTATIONS.items():
    if name in bench.APPROXIMATE or name == "torch_mha":
        continue
    try:
        with torch.no_grad():
            got = fn(q, k, v)
    except RuntimeError:
        continue  # cannot run on this device; the sweep will say why
    assert torch.allclose(got.float(), expected, atol=1e-4, rtol=0), name
    agree.append(name)
print(f"{len(agree)} exact implementations agree on {timing.describe_device(device)}: {agree}")

# %% [markdown] slideshow={"slide_type": "-"}
# Now the sweep (one batch, 2 heads, $D = 64$, float32). The table is the same one
# `scripts/bench.py` writes to `results/<device>/results.md`: each row has the median, the
# interquartile range (`iqr_ms`) and the number of readings. The plots after it are the
# ones `scripts/bench.py` saves (`attnlib.report.plot_sweep`): one panel per dtype and
# $D$, attnlib's implementations in solid lines, PyTorch's dashed.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from IPython.display import Markdown, display

rows = bench.sweep(list(bench.IMPLEMENTATIONS), SIZES, [64], [torch.float32], device=device,
                   batch=1, heads=2, min_run_time=0.05 if BIG else 0.01)
display(Markdown(bench.markdown_table(rows)))

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
ok_rows = [r for r in rows if r["status"] == "ok"]
names = [n for n in bench.IMPLEMENTATIONS if any(r["impl"] == n for r in ok_rows)]


def series(key):
    return {n: [next(r[key] for r in ok_rows if r["impl"] == n and r["N"] == size) for size in SIZES]
            for n in names if all(any(r["impl"] == n and r["N"] == s for r in ok_rows) for s in SIZES)}


report.plot_sweep(rows, "median_ms", "median time per call (ms)",
                  f"Time per call ({timing.describe_device(device)})")

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
report.plot_sweep(rows, "peak_mb", "peak memory (MB)",
                  f"Peak memory ({timing.describe_device(device)})")

# %% [markdown] slideshow={"slide_type": "-"}
# Read the plots with care: with the small default sizes, fixed per-call overheads
# (Python loops, kernel launches) dominate, and the tiled loops written in Python look
# slow. Their memory, which does not depend on the clock, already shows the split between
# the implementations that build the $N \times N$ matrix and those that do not. Run with
# `ATTN_BIG=1` to see the asymptotic slopes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Self- vs cross-attention: what actually scales
#
# "Self-attention is quadratic" is shorthand. The score matrix is $N_q \times N_k$, and
# the FLOP count $4 B H N_q N_k D$ depends only on the **product** $N_q N_k$. A decoder's
# cross-attention over a long encoder output ($N_q$ small, $N_k$ large) costs the same as
# self-attention with the same product. Five shapes with $N_q N_k = 2^{18}$:

# %% slideshow={"slide_type": "-"}
shapes = [(64, 4096), (256, 1024), (512, 512), (1024, 256), (4096, 64)]
flop_counts = {bench.attention_flops(1, 2, n_q, n_k, 64) for n_q, n_k in shapes}
print(f"{len(shapes)} shapes, {len(flop_counts)} distinct FLOP count: {flop_counts.pop() / 1e6:.0f} MFLOP")

# %% [markdown] slideshow={"slide_type": "-"}
# Measured: the times at a fixed product should be close to one another, while doubling
# $N_k$ alone should roughly double the time (SDPA, 2 heads, $D = 64$).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
fixed = {}
for n_q, n_k in shapes:
    q, k, v = random_qkv(n_q, n_k, device=device)
    fixed[(n_q, n_k)] = timing.time_fn(F.scaled_dot_product_attention, q, k, v, device=device,
                                        min_run_time=0.05).median_s
    print(f"N_q = {n_q:5d}, N_k = {n_k:5d}: {fixed[(n_q, n_k)] * 1e3:7.3f} ms")
print(f"slowest / fastest at a fixed product: {max(fixed.values()) / min(fixed.values()):.2f}x")
q, k, v = random_qkv(512, 4096, device=device)
ratio = (timing.time_fn(F.scaled_dot_product_attention, q, k, v, device=device, min_run_time=0.05).median_s
         / fixed[(512, 512)])
print(f"N_q = 512: N_k = 4096 takes {ratio:.1f}x as long as N_k = 512 (FLOPs: 8x)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When linear attention overtakes softmax
#
# Linear attention costs $O(N D^2)$ against softmax attention's $O(N^2 D)$, so it must win
# for long enough sequences. Where it wins is a measurement, not a formula: here against
# PyTorch's SDPA (the fastest softmax we have) and our naive softmax, over powers of two.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
lin_Ns = [2**p for p in range(6, 14 if BIG else 11)]
lin = {"linear (elu + 1)": E.linear_attention, "softmax (SDPA)": F.scaled_dot_product_attention,
       "softmax (naive)": E.naive_attention}
lin_times = {label: [] for label in lin}
for n in lin_Ns:
    q, k, v = random_qkv(n, heads=4, device=device)
    for label, fn in lin.items():
        lin_times[label].append(timing.time_fn(fn, q, k, v, device=device, min_run_time=0.02).median_s * 1e3)


def crossover(fast, slow):
    """The smallest N from which fast < slow at every larger N too, as text."""
    for i in range(len(lin_Ns)):
        if all(f < s for f, s in zip(fast[i:], slow[i:])):
            return f"from N = {lin_Ns[i]}"
    return f"nowhere up to N = {lin_Ns[-1]}"


for other in ("softmax (SDPA)", "softmax (naive)"):
    print(f"linear attention beats {other} {crossover(lin_times['linear (elu + 1)'], lin_times[other])}")
viz.line_plot(lin_Ns, lin_times, title="Linear vs softmax attention, 4 heads, D = 64",
              xlabel="sequence length N", ylabel="median time (ms)", logx=True, logy=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On a GPU: TFLOP/s and percentage of peak
#
# On a GPU the question becomes how close each kernel gets to the hardware. Half precision
# (bf16, fp16) runs on tensor cores with a peak many times fp32's, and the fused kernels
# (SDPA's flash and efficient backends, compiled FlexAttention) are the ones that get near
# it. Which dtypes a backend takes depends on the device. On CUDA, SDPA's flash backend
# runs only in half precision, so a float32 call that you meant for "flash" runs on
# another backend, and timing it under that name is one of the classic errors. On a CPU,
# PyTorch's flash backend runs float32 too (a CPU sweep above times `sdpa_flash` in
# float32). The first cell checks the CPU; the second, which needs a GPU, lists what CUDA
# accepts per dtype.

# %% slideshow={"slide_type": "-"}
cpu_backends = E.available_backends("cpu", torch.float32)
print("SDPA's flash backend runs float32 on the CPU:", "flash" in cpu_backends)
assert "flash" in cpu_backends

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        print(f"CUDA, {str(dtype):14s}: SDPA backends that run: {E.available_backends('cuda', dtype)}")
else:
    print("No GPU: which dtypes CUDA's flash backend takes cannot be shown here; skipped.")

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    gpu_impls = ["naive", "flash", "sdpa_math", "sdpa_efficient", "sdpa_flash", "sdpa_cudnn", "flex"]
    gpu_rows = bench.sweep(gpu_impls, [1024, 4096] if not BIG else [1024, 2048, 4096, 8192], [64],
                           [torch.bfloat16, torch.float16, torch.float32], device="cuda", batch=4,
                           heads=16, min_run_time=0.1, measure_memory=False)
    for r in gpu_rows:
        if r["status"] == "ok":
            pct = "n/a" if r["pct_peak"] is None else f"{r['pct_peak']:.1f}%"
            print(f"{r['impl']:15s} {r['dtype']:9s} N={r['N']:5d} {r['median_ms']:9.3f} ms "
                  f"{r['tflops']:8.1f} TFLOP/s  {pct} of peak")
        else:
            print(f"{r['impl']:15s} {r['dtype']:9s} N={r['N']:5d} skipped: {r['note'][:70]}")
else:
    print("No GPU: TFLOP/s and % of peak are GPU measurements; skipped.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Our multi-head attention against `nn.MultiheadAttention`
#
# `attnlib.MultiHeadAttention.from_torch` copies a PyTorch module's weights into ours. First
# the outputs must agree; only then is the timing comparison meaningful.

# %% slideshow={"slide_type": "-"}
from attnlib import MultiHeadAttention

torch.manual_seed(0)
E_model, heads = 768, 12
theirs = torch.nn.MultiheadAttention(E_model, heads, batch_first=True).eval()
ours = MultiHeadAttention.from_torch(theirs).eval()
x = torch.randn(2, 64, E_model)
with torch.no_grad():
    same_out = torch.allclose(ours(x)[0], theirs(x, x, x)[0], atol=1e-5)
print("our output == nn.MultiheadAttention's:", same_out)
assert same_out

# %% [markdown] slideshow={"slide_type": "-"}
# The timing, with no gradients and in evaluation mode (batch 8, $N = 1024$, $E = 768$,
# 12 heads with `ATTN_BIG=1`; a smaller batch and length by default). Ours also returns
# the weights, so it builds the full $N \times N$ matrix; PyTorch's, asked for no weights,
# can use a fused kernel.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
b, n = (8, 1024) if BIG else (2, 256)
x = torch.randn(b, n, E_model, device=device)
ours, theirs = ours.to(device), theirs.to(device)
t_ours = timing.time_fn(ours, x, device=device)
t_theirs = timing.time_fn(theirs, x, x, x, need_weights=False, device=device)
print(f"B={b} N={n} E={E_model} H={heads}: ours {t_ours.median_s * 1e3:.1f} ms, "
      f"nn.MultiheadAttention {t_theirs.median_s * 1e3:.1f} ms, "
      f"ratio {t_ours.median_s / t_theirs.median_s:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: the sweep
#
# Choose what to plot from the sweep above and which implementations to show. Redrawing
# uses the measured rows; nothing is re-timed. There are six pictures in all; the cell
# draws each once, so that moving a control shows its picture at once.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import itertools

import ipywidgets as W

from attnlib.widgets import Explorer

METRICS = {"time (ms)": "median_ms", "peak memory (MB)": "peak_mb"}
GROUPS = {
    "all": names,
    "ours (attnlib)": [n for n in names if n in ("naive", "attnlib_core", "chunked_queries",
                                                 "chunked_keys", "flash", "window", "linear")],
    "PyTorch": [n for n in names if n.startswith("sdpa") or n in ("torch_mha", "flex")],
}


def draw_sweep(metric, group):
    data = {n: ys for n, ys in series(METRICS[metric]).items() if n in GROUPS[group]}
    fig = viz.line_plot(SIZES, data, title=f"{metric}: {group}", xlabel="sequence length N",
                        ylabel=metric, logx=True, logy=True, size=(7.5, 4.8))
    best = min(data, key=lambda n: data[n][-1]) if data else "none"
    return fig, f"at N = {SIZES[-1]}, the lowest {metric} in this group: <b>{best}</b>"


sweep_explorer = Explorer("sweep", {
    "metric": W.Dropdown(options=tuple(METRICS), value="time (ms)", description="metric"),
    "group": W.ToggleButtons(options=tuple(GROUPS), value="all", description="show"),
}, draw_sweep, height="520px", remember=len(METRICS) * len(GROUPS))
for metric, group in itertools.product(METRICS, GROUPS):
    sweep_explorer.set(metric=metric, group=group)
sweep_explorer.set(metric="time (ms)", group="all")
sweep_explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A GPU timer must synchronise: `time.time()` around an asynchronous call measures the
#   launch. CUDA events on the stream, followed by a synchronise, measure the kernels.
# - Every timer must warm up and repeat: the first call pays one-time costs, and single
#   readings are noisy. Report the median and a spread (`attnlib.timing`).
# - Attention's forward pass is $4 B H N_q N_k D$ FLOPs (half with a causal mask). The
#   backward is four more matmuls, 2x the forward, or five, 2.5x, when the scores are
#   recomputed as FlashAttention does. Time scales with $N_q N_k$, whether that is self-
#   or cross-attention.
# - Compare implementations only after checking they compute the same thing, and only at
#   the same dtype: TFLOP/s against the card's peak says how much is left on the table.
#
# ## Exercises
#
# Worked solutions are in `solutions/18_timing_lab.py`: try first.
#
# **Exercise 1.** Write `flops(B, H, n_q, n_k, d, causal)`: the forward FLOPs of attention
# (the two matmuls), halved when `causal` is true.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb18


def flops(B, H, n_q, n_k, d, causal):
    raise NotImplementedError


ok = nb18.check_forward_flops(flops)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `median_time(fn)`: the median seconds per call of `fn()`, correct
# on a CPU and on a GPU. The check times a function whose first call is slow and whose
# calls are sometimes interrupted, so one reading or a mean will fail.

# %% slideshow={"slide_type": "-"}
def median_time(fn):
    raise NotImplementedError


ok = nb18.check_timer(median_time)
