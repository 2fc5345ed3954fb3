"""Timing that tells the truth: warm up, synchronise, repeat, report the median.

On a GPU, kernels run asynchronously: a Python clock read right after a call measures
only the launch. We record CUDA events on the stream around many back-to-back calls and
wait for them. On a CPU we use torch.utils.benchmark with the thread count torch really
uses. Either way a Timing keeps every reading, so the spread can be shown.

Only `fn` is timed: build inputs and masks, and enter context managers such as
`torch.nn.attention.sdpa_kernel(...)`, outside `fn` (around the call to the timer).
"""

import math
import statistics
import time
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
    """Seconds per call: the median and the spread over repeats, and every reading."""

    median_s: float
    iqr_s: float
    repeats: int
    device: str
    times_s: tuple = ()  # seconds per call, one entry per reading

    def __str__(self):
        return f"{self.median_s * 1e3:.3f} ms (IQR {self.iqr_s * 1e3:.3f} ms, n={self.repeats}, {self.device})"


def _quartiles(xs):
    """First quartile, median and third quartile (linear interpolation, as numpy/torch)."""
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def _summarise(times, device):
    """A Timing from per-call readings in seconds."""
    q1, med, q3 = _quartiles(times)
    return Timing(med, q3 - q1, len(times), describe_device(device), tuple(times))


def calls_per_reading(seconds_per_call, min_reading_s=0.005, max_calls=10_000):
    """How many back-to-back calls make one reading last at least `min_reading_s`."""
    if seconds_per_call <= 0:
        return max_calls
    return max(1, min(max_calls, math.ceil(min_reading_s / seconds_per_call)))


def _cuda_seconds(fn, calls):
    """Seconds for `calls` back-to-back calls of fn(), between one pair of CUDA events."""
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(calls):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3  # ms -> s


def time_cuda(fn, *, warmup=3, repeats=20, calls=None, min_reading_s=0.005, max_run_time=None,
              min_repeats=5):
    """Median seconds per call of fn() on the current CUDA stream, measured by CUDA events.

    Each of the `repeats` readings times `calls` back-to-back calls between one pair of
    events, so launch overhead is not counted once per call. With calls=None, it is chosen
    after the warm-up so that one reading lasts at least `min_reading_s`. max_run_time
    (seconds, optional) takes fewer readings of a slow call, never fewer than `min_repeats`.
    """
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    if calls is None:
        calls = 1
        while True:  # grow until the overhead of one event pair no longer inflates the estimate
            more = calls_per_reading(_cuda_seconds(fn, calls) / calls, min_reading_s)
            if more <= calls:
                break
            calls = more
    times = [_cuda_seconds(fn, calls) / calls]
    if max_run_time is not None:  # a slow call: as many readings as fit, at least min_repeats
        repeats = max(min_repeats, min(repeats, int(max_run_time / (times[0] * calls))))
    times += [_cuda_seconds(fn, calls) / calls for _ in range(repeats - 1)]
    return _summarise(times, "cuda")


def time_cpu(fn, *, warmup=3, min_run_time=0.2, min_repeats=5):
    """Median seconds per call of fn() with torch.utils.benchmark, using torch's thread count.

    blocked_autorange runs for `min_run_time`, or longer for a slow call (judged by the last
    warm-up call) so that it gets `min_repeats` readings; if it still gets fewer, readings
    of the same block size are added with Timer.timeit until there are `min_repeats`.
    """
    seconds = 0.0
    for _ in range(warmup):
        start = time.perf_counter()
        fn()
        seconds = time.perf_counter() - start
    timer = benchmark.Timer(
        stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads()
    )
    m = timer.blocked_autorange(min_run_time=max(min_run_time, min_repeats * seconds))
    times = list(m.times)
    while len(times) < min_repeats:
        times += timer.timeit(m.number_per_run).times  # one more reading (after 2 untimed calls)
    return _summarise(times, "cpu")


def time_fn(fn, *args, device=None, warmup=3, repeats=20, min_run_time=0.2, min_repeats=5,
            calls=None, max_run_time=None, **kwargs):
    """Time fn(*args, **kwargs) on `device` ('cpu' or 'cuda'; default: where a GPU is).

    CUDA: `repeats` readings of `calls` back-to-back calls each (see time_cuda; with
    max_run_time, fewer readings of a slow call, at least `min_repeats`).
    CPU: readings for `min_run_time` seconds, and at least `min_repeats` (see time_cpu).
    """
    device = torch.device(device or default_device())
    call = lambda: fn(*args, **kwargs)
    with torch.no_grad():
        if device.type == "cuda":
            return time_cuda(call, warmup=warmup, repeats=repeats, calls=calls,
                             max_run_time=max_run_time, min_repeats=min_repeats)
        return time_cpu(call, warmup=warmup, min_run_time=min_run_time, min_repeats=min_repeats)
