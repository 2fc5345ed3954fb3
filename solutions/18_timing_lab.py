"""Worked solutions for notebook 18. Try the exercises first."""

import statistics
import time

import torch


def flops(B, H, n_q, n_k, d, causal):
    # Two matmuls (q k^T and weights v), each N_q * N_k * D multiply-adds = 2 N_q N_k D FLOPs,
    # for every batch element and head. A causal mask removes about half of the pairs.
    total = 4 * B * H * n_q * n_k * d
    return total / 2 if causal else total


def median_time(fn, warmup=3, repeats=15):
    # On a GPU the call only queues kernels: synchronise before starting the clock (so
    # earlier work is not counted) and before stopping it (so this work is).
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    for _ in range(warmup):  # pay one-time costs outside the measurement
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)  # robust to the occasional interrupted run


CHECKS = {"check_forward_flops": flops, "check_timer": median_time}
