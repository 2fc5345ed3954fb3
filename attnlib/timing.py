"""Timing that tells the truth: warm up, synchronise, repeat, report the median.

On a GPU, kernels run asynchronously: a Python clock read right after a call measures
only the launch. We time with CUDA events recorded on the stream and wait for them.
On a CPU we use torch.utils.benchmark with the thread count torch really uses.
"""

import statistics
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark


def default_device():
    """'cuda' when a GPU is visible, else 'cpu'."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def describe_device(device=None):
    """A one-line description of the device, e.g. 'cpu (2 threads)' or the GPU's name."""
    device = torch.device(device or default_device())
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


@dataclass
class Timing:
    """Seconds per call: the median and the spread over repeats."""

    median_s: float
    iqr_s: float
    repeats: int
    device: str

    def __str__(self):
        return f"{self.median_s * 1e3:.3f} ms (IQR {self.iqr_s * 1e3:.3f} ms, n={self.repeats}, {self.device})"


def _quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4)
    return q1, q2, q3


def time_cuda(fn, *, warmup=3, repeats=20):
    """Median seconds per call of fn() on the current CUDA stream, measured by CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)  # ms -> s
    q1, med, q3 = _quartiles(times)
    return Timing(med, q3 - q1, repeats, describe_device("cuda"))


def time_cpu(fn, *, warmup=3, min_run_time=0.2):
    """Median seconds per call of fn() with torch.utils.benchmark, using torch's thread count."""
    for _ in range(warmup):
        fn()
    timer = benchmark.Timer(
        stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads()
    )
    m = timer.blocked_autorange(min_run_time=min_run_time)
    return Timing(m.median, m.iqr, len(m.times), describe_device("cpu"))


def time_fn(fn, *args, device=None, warmup=3, repeats=20, min_run_time=0.2, **kwargs):
    """Time fn(*args, **kwargs) on `device` ('cpu' or 'cuda'; default: where a GPU is)."""
    device = torch.device(device or default_device())
    call = lambda: fn(*args, **kwargs)
    with torch.no_grad():
        if device.type == "cuda":
            return time_cuda(call, warmup=warmup, repeats=repeats)
        return time_cpu(call, warmup=warmup, min_run_time=min_run_time)
