"""Exercise checks for notebook 18 (timing lab)."""

import time

from .harness import as_number, attempt, describe, report


def check_forward_flops(flops):
    """flops(B, H, n_q, n_k, d, causal) -> forward FLOPs of attention's two matmuls."""
    name = "forward_flops"
    for args in ((1, 1, 1, 1, 1, False), (3, 5, 7, 11, 13, False), (2, 16, 4096, 512, 128, False),
                 (4, 8, 1000, 1000, 64, True), (1, 32, 8192, 8192, 128, True)):
        ok, got = attempt(name, flops, *args)
        if not ok:
            return False
        B, H, n_q, n_k, d, causal = args
        expected = 4 * B * H * n_q * n_k * d / (2 if causal else 1)
        count = as_number(got)
        if count is None:
            return report(name, False, f"returned {describe(got)} for {args}, expected a number")
        if not abs(count - expected) <= 1e-9 * expected:  # `not <=` also catches NaN
            hint = ""
            if abs(count - 2 * expected) < 1e-9 * expected:
                hint = " (twice too many: halve it for causal)" if causal else " (twice too many)"
            elif abs(2 * count - expected) < 1e-9 * expected:
                hint = " (half: there are two matmuls of 2 N_q N_k D each)"
            return report(name, False, f"got {got} for {args}, expected {expected:g}{hint}")
    return report(name, True)


def check_timer(median_time):
    """median_time(fn) -> median seconds per call of fn(), with warm-up, robust to outliers."""
    name = "timer"
    calls = 0

    def work():  # 200 ms the first time (a cold start), 40 ms every 4th call, else 10 ms
        nonlocal calls
        calls += 1
        time.sleep(0.2 if calls == 1 else 0.04 if calls % 4 == 0 else 0.01)

    ok, got = attempt(name, median_time, work)
    if not ok:
        return False
    if calls < 5:
        return report(name, False, f"fn was called {calls} time(s): warm up, then repeat")
    seconds = as_number(got)
    if seconds is None:
        return report(name, False, f"returned {describe(got)}, expected a number of seconds")
    if not 0.008 <= seconds <= 0.016:
        return report(name, False, f"got {got!r} s for a call that usually takes 0.010 s "
                                   "(seconds? warm-up? the median, not the mean?)")
    return report(name, True)
