"""The timing lab: FLOPs, peak memory, a sweep over implementations, and its report.

Builds on attnlib.timing (time_fn, describe_device) for the clock. The numbers it adds:

    attention_flops   how much arithmetic attention does (the matmuls only)
    peak_tflops       the GPU's published dense peak, to say how close we get (peak_kind
                      says which: bf16, fp16, tf32 or fp32)
    peak_memory       the most bytes torch held at once while a function ran (CPU or GPU)
    sweep             every implementation x N x D x dtype, with honest skips
    device_label      a device's name with its index, e.g. 'NVIDIA L4 (cuda:1)'
    write_results     results.csv, results.md and log-log plots in results/<device-slug>/
"""

import contextlib
import csv
import os
import re
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from . import efficient
from .core import scaled_dot_product_attention
from .timing import default_device, describe_device, time_fn

# ---------------------------------------------------------------- FLOPs and peaks


def attention_flops(batch, heads, n_q, n_k, head_dim, causal=False, backward=False, d_v=None):
    """FLOPs of attention's two matmuls: 2 * B * H * N_q * N_k * (D + D_v).

    q k^T costs 2 * N_q * N_k * D and weights v costs 2 * N_q * N_k * D_v (a multiply and
    an add each); softmax is not counted. d_v (the values' width) defaults to head_dim.
    causal=True halves it (about half the scores are masked). backward=True returns the
    backward pass's FLOPs ONLY, taken as 2.5 x forward (the usual FlashAttention count);
    add the two for a training step.
    """
    d_v = head_dim if d_v is None else d_v
    for name, value in (("batch", batch), ("heads", heads), ("n_q", n_q), ("n_k", n_k),
                        ("head_dim", head_dim), ("d_v", d_v)):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    scores = 2 * batch * heads * n_q * n_k * head_dim  # (B, H, N_q, D) @ (B, H, D, N_k)
    weighted = 2 * batch * heads * n_q * n_k * d_v  # (B, H, N_q, N_k) @ (B, H, N_k, D_v)
    flops = scores + weighted
    if causal:
        flops = flops / 2
    if backward:
        return 2.5 * flops
    return flops


# Dense (no sparsity) peak TFLOP/s from NVIDIA's data sheets, per dtype. "tf32" is what
# float32 matmuls reach on tensor cores when torch allows TF32; "fp32" is without it.
PEAK_TFLOPS = {
    "H100 SXM": {"bf16": 989.0, "fp16": 989.0, "tf32": 494.5, "fp32": 67.0},
    "H100 PCIe": {"bf16": 756.0, "fp16": 756.0, "tf32": 378.0, "fp32": 51.0},
    "H100 NVL": {"bf16": 835.0, "fp16": 835.0, "tf32": 417.5, "fp32": 60.0},
    "H200 SXM": {"bf16": 989.0, "fp16": 989.0, "tf32": 494.5, "fp32": 67.0},
    "H200 NVL": {"bf16": 835.0, "fp16": 835.0, "tf32": 417.5, "fp32": 60.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
    "L40S": {"bf16": 362.0, "fp16": 362.0, "tf32": 183.0, "fp32": 91.6},
    "L40": {"bf16": 181.0, "fp16": 181.0, "tf32": 90.5, "fp32": 90.5},
    "L4": {"bf16": 121.0, "fp16": 121.0, "tf32": 60.0, "fp32": 30.3},
    "T4": {"fp16": 65.0, "fp32": 8.1},
}

# Device-name pattern -> PEAK_TFLOPS key; the first match wins, so the specific names
# ("H200 NVL") come before the general ones ("H200"). \b keeps "L4" from matching "L40",
# and "H200" from matching "GH200". torch.cuda.get_device_name gives e.g.
# "NVIDIA H100 80GB HBM3" for the SXM part, "NVIDIA A100-SXM4-80GB", "Tesla T4".
_NAME_PATTERNS = (
    (r"\bH100 PCIe\b", "H100 PCIe"),
    (r"\bH100 NVL\b", "H100 NVL"),
    (r"\bH100\b", "H100 SXM"),
    (r"\bH200 NVL\b", "H200 NVL"),
    (r"\bH200\b", "H200 SXM"),
    (r"\bA100\b", "A100"),
    (r"\bL40S\b", "L40S"),
    (r"\bL40\b", "L40"),
    (r"\bL4\b", "L4"),
    (r"\bT4\b", "T4"),
)


def gpu_key(device_name):
    """The PEAK_TFLOPS key for a GPU named `device_name` ('NVIDIA L40S' -> 'L40S'), or None."""
    for pattern, key in _NAME_PATTERNS:
        if re.search(pattern, device_name, flags=re.IGNORECASE):
            return key
    return None


def tf32_setting():
    """Whether CUDA float32 matmuls may use TF32: 'on', 'off' or 'unknown'. Never raises.

    Reads torch.backends.cuda.matmul.fp32_precision (torch >= 2.9) when it exists, else
    the older allow_tf32 (which raises once fp32_precision has been set).
    """
    try:
        matmul = torch.backends.cuda.matmul
        precision = getattr(matmul, "fp32_precision", None)
        if precision is None:  # an older torch
            return "on" if matmul.allow_tf32 else "off"
        if precision == "none":  # inherits the global setting
            precision = torch.backends.fp32_precision
        return {"tf32": "on", "ieee": "off", "none": "off"}.get(precision, "unknown")
    except Exception:  # any failure only means we cannot tell
        return "unknown"


def peak_kind(dtype):
    """Which column of PEAK_TFLOPS applies to `dtype`: 'bf16', 'fp16', 'tf32', 'fp32' or None.

    float32 uses the TF32 peak only when torch allows TF32; when that cannot be read it
    uses the fp32 peak. Either way the rows say which (their 'peak_kind').
    """
    if dtype == torch.bfloat16:
        return "bf16"
    if dtype == torch.float16:
        return "fp16"
    if dtype == torch.float32:
        return "tf32" if tf32_setting() == "on" else "fp32"
    return None


def peak_tflops_for_name(device_name, dtype):
    """Dense peak TFLOP/s for a GPU named `device_name`, or None if unknown."""
    gpu = gpu_key(device_name)
    if gpu is None:
        return None
    return PEAK_TFLOPS[gpu].get(peak_kind(dtype))


def peak_tflops(device, dtype):
    """Dense peak TFLOP/s of `device` for `dtype`; None for a CPU or an unknown GPU."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    return peak_tflops_for_name(torch.cuda.get_device_name(device), dtype)


def device_label(device):
    """'cpu (2 threads)', or a GPU's name with its index: 'NVIDIA L4 (cuda:1)'.

    A bare 'cuda' is labelled with the current device's index.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return describe_device(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"{torch.cuda.get_device_name(index)} (cuda:{index})"


def tflops(flops, seconds):
    """Achieved TFLOP/s: flops / seconds / 1e12."""
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    return flops / seconds / 1e12


def percent_of_peak(flops, seconds, peak):
    """100 * achieved / peak TFLOP/s; None when the peak is unknown (None)."""
    if peak is None:
        return None
    return 100.0 * tflops(flops, seconds) / peak


# ---------------------------------------------------------------- peak memory


@contextlib.contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to /dev/null for the block (C++ logging bypasses sys.stderr)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to redirect
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _cpu_peak_memory(fn):
    """Peak bytes torch held on the CPU during fn(), from the profiler's memory events.

    With profile_memory=True every CPU allocation and free is recorded as a "[memory]"
    event of +bytes or -bytes. In time order their running sum is what fn() holds;
    its maximum is the peak. Memory allocated before fn() does not count.
    """
    from torch.profiler import ProfilerActivity, profile

    prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with _quiet_stderr():  # some builds log profiler start/stop to fd 2: noise in notebooks
        prof.start()
    try:
        fn()
    finally:
        with _quiet_stderr():
            prof.stop()
    events = [
        e for e in prof.profiler.kineto_results.events()
        if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
    ]
    events.sort(key=lambda e: e.start_ns())
    held = peak = 0
    for e in events:
        held += e.nbytes()
        peak = max(peak, held)
    return peak


def _cuda_peak_memory(fn, device):
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def peak_memory(fn, device=None):
    """Peak bytes allocated while fn() runs, above what was allocated before it.

    GPU: torch.cuda's peak counter. CPU: the profiler's allocation timeline (slow for
    functions that run many tiny ops, but it sees every tensor torch allocates).
    device defaults to 'cuda' when a GPU is visible, else 'cpu'.
    """
    device = torch.device(device or default_device())
    with torch.no_grad():
        if device.type == "cuda":
            return _cuda_peak_memory(fn, device)
        return _cpu_peak_memory(fn)


# ---------------------------------------------------------------- the implementations


_torch_mha_cache = {}


def _torch_mha(q, k, v):
    """nn.MultiheadAttention on (B, H, N, D) inputs: merges heads to E = H * D and back.

    It applies its own in/out projections (random weights), so it does more work than
    the others: this is the cost of attention as people usually call it.
    """
    B, H, N, D = q.shape
    key = (H, D, q.device, q.dtype)
    if key not in _torch_mha_cache:
        mha = torch.nn.MultiheadAttention(H * D, H, batch_first=True)
        _torch_mha_cache[key] = mha.to(device=q.device, dtype=q.dtype).eval()
    mha = _torch_mha_cache[key]
    merge = lambda t: t.transpose(1, 2).reshape(B, t.shape[2], H * D)  # (B, N, E)
    out, _ = mha(merge(q), merge(k), merge(v), need_weights=False)
    return out.view(B, N, H, D).transpose(1, 2)  # (B, H, N, D)


def flex_setup(mask_mod=None):
    """setup(q, k, v) -> fn(q, k, v): FlexAttention with its block mask built by setup.

    The block mask (none for mask_mod=None: full attention) is built once, before timing
    and before the peak-memory measurement, so neither counts create_block_mask. Eager on
    a CPU (unfused, materialises scores); compiled on a GPU, where it is fused.
    """

    def setup(q, k, v):
        block_mask = None
        if mask_mod is not None:
            block_mask = efficient.flex_block_mask(mask_mod, q.shape[-2], k.shape[-2], q.device)
        return lambda q, k, v: efficient.flex_attention(q, k, v, block_mask=block_mask,
                                                        compile=q.is_cuda)

    return setup


IMPLEMENTATIONS = {
    "naive": efficient.naive_attention,
    "attnlib_core": lambda q, k, v: scaled_dot_product_attention(q, k, v)[0],
    "torch_mha": _torch_mha,
    "chunked_queries": lambda q, k, v: efficient.chunked_queries(q, k, v, 256),
    "chunked_keys": lambda q, k, v: efficient.chunked_keys(q, k, v, 256),
    "flash": efficient.flash_attention,
    "window": lambda q, k, v: efficient.sliding_window_attention(q, k, v, window=128),
    "linear": efficient.linear_attention,
    "sdpa": F.scaled_dot_product_attention,
    "sdpa_math": lambda q, k, v: efficient.sdpa_backend(q, k, v, "math"),
    "sdpa_efficient": lambda q, k, v: efficient.sdpa_backend(q, k, v, "efficient"),
    "sdpa_flash": lambda q, k, v: efficient.sdpa_backend(q, k, v, "flash"),
    "sdpa_cudnn": lambda q, k, v: efficient.sdpa_backend(q, k, v, "cudnn"),
    "flex": lambda q, k, v: efficient.flex_attention(q, k, v, compile=q.is_cuda),
}
"""name -> callable(q, k, v) on (B, H, N, D) inputs, all non-causal.

All compute full softmax attention except "window" (|i - j| <= 128) and "linear"
(elu + 1 features): those are different models, so they get no TFLOP/s figure.
"flex" is full attention with no mask.
"""

SETUP = {"flex": flex_setup()}
"""name -> setup(q, k, v) returning the fn(q, k, v) to time: work done once, untimed."""

APPROXIMATE = {"window", "linear"}

# Implementations that materialise (B, H, N, N) scores, for the "would it fit" guess.
_QUADRATIC = {"naive", "attnlib_core", "torch_mha", "sdpa_math"}


def _estimated_bytes(impl, batch, heads, n, head_dim, dtype, device):
    """A rough upper guess of the memory one call needs (to skip what cannot fit)."""
    size = torch.empty((), dtype=dtype).element_size()
    inputs = 4 * batch * heads * n * head_dim * size  # q, k, v, out
    if impl in _QUADRATIC or (impl == "flex" and torch.device(device).type == "cpu"):
        return inputs + 3 * batch * heads * n * n * size
    if impl in ("chunked_queries", "chunked_keys"):
        return inputs + 3 * batch * heads * n * 256 * size
    return 2 * inputs


def _available_bytes(device):
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


# ---------------------------------------------------------------- the sweep


def _row(impl, n, head_dim, dtype, device, **values):
    row = {
        "impl": impl, "N": n, "D": head_dim, "dtype": str(dtype).replace("torch.", ""),
        "device": device_label(device), "median_ms": None, "peak_mb": None,
        "tflops": None, "pct_peak": None, "peak_kind": None, "status": "ok", "note": "",
    }
    row.update(values)
    return row


def sweep(impls, seq_lens, head_dims, dtypes, device=None, batch=1, heads=8, out_dir=None,
          min_run_time=0.2, measure_memory=True, seed=0, progress=None):
    """Time (and measure the memory of) every impl x N x D x dtype on `device`.

    impls: names from IMPLEMENTATIONS. Self-attention, non-causal, q, k, v (B, H, N, D).
    A combination that cannot run (an unknown name, a backend that refuses, an error,
    out of memory) or that would not fit in free memory is kept as a row with
    status 'skipped' and the reason in 'note'. Returns the rows; with out_dir, also
    writes them with write_results. progress: an optional callable(row) per row.
    """
    device = torch.device(device or default_device())
    free = _available_bytes(device)
    rows = []
    generator = torch.Generator().manual_seed(seed)
    for dtype in dtypes:
        for head_dim in head_dims:
            for n in seq_lens:
                shape = (batch, heads, n, head_dim)
                qkv = None
                for impl in impls:
                    row = _measure(impl, n, head_dim, dtype, device, batch, heads, shape,
                                   free, generator, qkv, min_run_time, measure_memory)
                    qkv = row.pop("_qkv", qkv)
                    rows.append(row)
                    if progress is not None:
                        progress(row)
                del qkv
    if out_dir is not None:
        write_results(rows, out_dir)
    return rows


def _measure(impl, n, head_dim, dtype, device, batch, heads, shape, free, generator, qkv,
             min_run_time, measure_memory):
    skip = lambda reason: _row(impl, n, head_dim, dtype, device, status="skipped", note=reason)
    if impl not in IMPLEMENTATIONS:
        return skip(f"unknown implementation; known: {', '.join(IMPLEMENTATIONS)}")
    need = _estimated_bytes(impl, batch, heads, n, head_dim, dtype, device)
    if free is not None and need > 0.8 * free:
        return skip(f"would need ~{need / 2**20:.0f} MB, only {free / 2**20:.0f} MB free")
    try:
        if qkv is None:
            qkv = tuple(
                torch.randn(shape, generator=generator).to(device=device, dtype=dtype)
                for _ in range(3)
            )
        fn = SETUP[impl](*qkv) if impl in SETUP else IMPLEMENTATIONS[impl]  # untimed setup
        with torch.no_grad():
            fn(*qkv)  # one trial call: does it run at all?
        timing = time_fn(fn, *qkv, device=device, min_run_time=min_run_time)
        peak = peak_memory(lambda: fn(*qkv), device=device) if measure_memory else None
    except (RuntimeError, ValueError, TypeError, NotImplementedError) as err:  # incl. OOM
        if device.type == "cuda":
            torch.cuda.empty_cache()
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        row = skip(reason)
        row["_qkv"] = qkv
        return row
    row = _row(impl, n, head_dim, dtype, device, median_ms=timing.median_s * 1e3,
               peak_mb=None if peak is None else peak / 2**20)
    if impl not in APPROXIMATE:
        flops = attention_flops(batch, heads, n, n, head_dim)
        row["tflops"] = tflops(flops, timing.median_s)
        peak_tf = peak_tflops(device, dtype)
        row["pct_peak"] = percent_of_peak(flops, timing.median_s, peak_tf)
        if peak_tf is not None:  # say which peak: fp32 and tf32 differ by up to 8x
            row["peak_kind"] = peak_kind(dtype)
    row["_qkv"] = qkv
    return row


# ---------------------------------------------------------------- the report


COLUMNS = ("impl", "N", "D", "dtype", "device", "median_ms", "peak_mb", "tflops", "pct_peak",
           "peak_kind", "status", "note")


def device_slug(description):
    """'NVIDIA H100 80GB HBM3 (cuda:0)' -> 'nvidia-h100-80gb-hbm3' (the folder names the GPU,
    not its index); 'cpu (2 threads)' -> 'cpu-2-threads'."""
    name = re.sub(r" \(cuda:\d+\)$", "", description)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "device"


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(rows):
    """The rows as a Markdown table (one line per row)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [_fmt(row.get(c)).replace("|", "/") for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plot(rows, key, ylabel, title, path):
    from matplotlib.figure import Figure  # no pyplot: no GUI backend needed

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    series = {}
    for row in rows:
        if row["status"] == "ok" and row.get(key) is not None and row[key] > 0:
            label = f"{row['impl']} D={row['D']} {row['dtype']}"
            series.setdefault(label, []).append((row["N"], row[key]))
    for i, (label, points) in enumerate(sorted(series.items())):
        points.sort()
        style = ("-", "--", ":")[(i // 10) % 3]  # the colour cycle repeats after 10 lines
        ax.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length N")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if series:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_results(rows, out_dir):
    """Write results.csv, results.md, time_vs_n.png, memory_vs_n.png.

    They go into out_dir/<device-slug>/ (the slug of the rows' device). Returns that folder.
    """
    if not rows:
        raise ValueError("write_results needs at least one row")
    device = rows[0]["device"]
    folder = Path(out_dir) / device_slug(device)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (folder / "results.md").write_text(f"# Attention timings on {device}\n\n"
                                        + markdown_table(rows) + "\n")
    _plot(rows, "median_ms", "median time per call (ms)", f"Attention time vs N ({device})",
          folder / "time_vs_n.png")
    _plot(rows, "peak_mb", "peak memory (MB)", f"Attention peak memory vs N ({device})",
          folder / "memory_vs_n.png")
    return folder
