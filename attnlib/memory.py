"""Peak memory: the most bytes torch held at once while a function ran, CPU or GPU.

    peak_memory       bytes allocated above the start while fn() runs (profiler on a CPU,
                      torch.cuda's peak counter on a GPU)
    available_bytes   free memory on a device, to skip what cannot fit
"""

import contextlib
import os
import sys

import torch

from .timing import default_device


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


def available_bytes(device):
    """Free bytes on `device` (a GPU's free memory, a CPU's available RAM); None if unknown."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
