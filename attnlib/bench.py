"""The timing lab's sweep: every implementation x N x D x dtype, timed and measured.

The sweep makes one set of inputs per point (dtype, D, N) and gives the same tensors to
every implementation; each row it returns carries the median, the interquartile range
and the number of readings from attnlib.timing (never fewer than MIN_READINGS). The
other parts live in their own modules and are re-exported here:

    attnlib.flops    attention_flops, peak_tflops (and peak_kind), tflops, percent_of_peak
    attnlib.memory   peak_memory: the most bytes torch held at once while a function ran
    attnlib.report   markdown_table, plot_sweep, environment, write_results

    IMPLEMENTATIONS   name -> fn(q, k, v); kind(name) says 'attnlib' or 'PyTorch'
    sweep             the rows, with honest skips; device_label names the device
"""

import torch
import torch.nn.functional as F

from . import efficient
from .core import scaled_dot_product_attention
from .flops import (  # noqa: F401  (re-exported: bench.attention_flops etc.)
    PEAK_TFLOPS,
    attention_flops,
    gpu_key,
    peak_kind,
    peak_tflops,
    peak_tflops_for_name,
    percent_of_peak,
    tf32_setting,
    tflops,
)
from .memory import available_bytes, peak_memory
from .report import COLUMNS, device_slug, markdown_table, write_results  # noqa: F401
from .timing import default_device, describe_device, time_fn

MIN_READINGS = 5
"""A row's median and IQR come from at least this many readings; fewer is an error."""

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

PYTORCH = {"torch_mha", "sdpa", "sdpa_math", "sdpa_efficient", "sdpa_flash", "sdpa_cudnn", "flex"}
"""The entries that are PyTorch's own (kind 'PyTorch'); the others are attnlib's."""


def kind(impl):
    """'PyTorch' for PyTorch's own implementations, 'attnlib' for ours."""
    return "PyTorch" if impl in PYTORCH else "attnlib"

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


# ---------------------------------------------------------------- the sweep


def device_label(device):
    """'cpu (2 threads)', or a GPU's name with its index: 'NVIDIA L4 (cuda:1)'.

    A bare 'cuda' is labelled with the current device's index.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return describe_device(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"{torch.cuda.get_device_name(index)} (cuda:{index})"


def _row(impl, n, head_dim, dtype, device, **values):
    row = dict.fromkeys(COLUMNS)
    row.update(impl=impl, kind=kind(impl), N=n, D=head_dim,
               dtype=str(dtype).replace("torch.", ""), device=device_label(device),
               status="ok", note="")
    row.update(values)
    return row


def timed_row(impl, n, head_dim, dtype, device, timing, flops=None, peak_bytes=None):
    """The row of one measurement: median, IQR and n from `timing` (an attnlib Timing).

    flops: the call's FLOPs (None for an approximate model): gives tflops, and pct_peak
    where the device's peak is known. Raises ValueError when `timing` holds fewer than
    MIN_READINGS readings: one reading has no spread, and a table must show it.
    """
    if timing.repeats < MIN_READINGS or len(timing.times_s) < MIN_READINGS:
        raise ValueError(f"timing has {len(timing.times_s)} readings; a row needs at least "
                         f"{MIN_READINGS} (median and IQR)")
    row = _row(impl, n, head_dim, dtype, device, median_ms=timing.median_s * 1e3,
               iqr_ms=timing.iqr_s * 1e3, readings=timing.repeats,
               peak_mb=None if peak_bytes is None else peak_bytes / 2**20)
    if flops is not None:
        row["tflops"] = tflops(flops, timing.median_s)
        peak = peak_tflops(device, dtype)
        row["pct_peak"] = percent_of_peak(flops, timing.median_s, peak)
        if peak is not None:  # say which peak: fp32 and tf32 differ by up to 8x
            row["peak_kind"] = peak_kind(dtype)
    return row


def make_inputs(shape, dtype, device, generator):
    """q, k, v: three random (B, H, N, D) tensors, made on the CPU (seeded) and moved."""
    return tuple(torch.randn(shape, generator=generator).to(device=device, dtype=dtype)
                 for _ in range(3))


def _reason(err):
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def sweep(impls, seq_lens, head_dims, dtypes, device=None, batch=1, heads=8, out_dir=None,
          min_run_time=0.2, measure_memory=True, seed=0, progress=None):
    """Time (and measure the memory of) every impl x N x D x dtype on `device`.

    impls: names from IMPLEMENTATIONS. Self-attention, non-causal, q, k, v (B, H, N, D),
    made once per (dtype, D, N) and shared by every impl. A combination that cannot run
    (an unknown name, a backend that refuses, an error, out of memory) or that would not
    fit in free memory is kept as a row with status 'skipped' and the reason in 'note'.
    Returns the rows; with out_dir, also writes them with write_results. progress: an
    optional callable(row) per row.
    """
    device = torch.device(device or default_device())
    free = available_bytes(device)
    rows = []
    generator = torch.Generator().manual_seed(seed)
    for dtype in dtypes:
        for head_dim in head_dims:
            for n in seq_lens:
                point = (batch, heads, n, head_dim, dtype, device)
                rows += _sweep_point(impls, point, free, generator, min_run_time,
                                     measure_memory, progress)
    if out_dir is not None:
        write_results(rows, out_dir)
    return rows


def _sweep_point(impls, point, free, generator, min_run_time, measure_memory, progress):
    """The rows of one (dtype, D, N): inputs made once, then each impl in turn."""
    batch, heads, n, head_dim, dtype, device = point
    reasons = {}  # impl -> why it is skipped before it runs
    for impl in impls:
        if impl not in IMPLEMENTATIONS:
            reasons[impl] = f"unknown implementation; known: {', '.join(IMPLEMENTATIONS)}"
            continue
        need = _estimated_bytes(impl, batch, heads, n, head_dim, dtype, device)
        if free is not None and need > 0.8 * free:
            reasons[impl] = f"would need ~{need / 2**20:.0f} MB, only {free / 2**20:.0f} MB free"
    qkv = None
    if len(reasons) < len(impls):  # someone will run: make the inputs, once
        try:
            qkv = make_inputs((batch, heads, n, head_dim), dtype, device, generator)
        except (RuntimeError, ValueError, TypeError) as err:  # incl. out of memory
            reasons = dict.fromkeys(impls, f"inputs: {_reason(err)}")
    rows = []
    for impl in impls:
        if impl in reasons:
            row = _row(impl, n, head_dim, dtype, device, status="skipped", note=reasons[impl])
        else:
            row = _measure(impl, qkv, point, min_run_time, measure_memory)
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def _measure(impl, qkv, point, min_run_time, measure_memory):
    """One row: setup (untimed), one trial call, the timing, then the peak memory."""
    batch, heads, n, head_dim, dtype, device = point
    try:
        fn = SETUP[impl](*qkv) if impl in SETUP else IMPLEMENTATIONS[impl]  # untimed setup
        with torch.no_grad():
            fn(*qkv)  # one trial call: does it run at all?
        timing = time_fn(fn, *qkv, device=device, min_run_time=min_run_time,
                         min_repeats=MIN_READINGS, max_run_time=10 * min_run_time)
        peak = peak_memory(lambda: fn(*qkv), device=device) if measure_memory else None
    except (RuntimeError, ValueError, TypeError, NotImplementedError) as err:  # incl. OOM
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return _row(impl, n, head_dim, dtype, device, status="skipped", note=_reason(err))
    flops = None if impl in APPROXIMATE else attention_flops(batch, heads, n, n, head_dim)
    return timed_row(impl, n, head_dim, dtype, device, timing, flops, peak)
