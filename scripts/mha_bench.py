"""attnlib's MultiHeadAttention (readable and fast paths) against nn.MultiheadAttention.

    python scripts/mha_bench.py [--pairs 15] [--device cuda]

At LLMs-from-scratch's benchmark shape (B=8, N=1024, E=768, H=12), eval mode, no grad,
weights copied across. Each of our paths is compared with nn.MultiheadAttention asked for
the same thing: the readable path returns per-head weights (average_attn_weights=False),
the fast path returns none (need_weights=False). The comparison is interleaved: each pair
is one call of ours and one of theirs, back to back (the order alternates), and the
ratio is taken per pair, so a machine that gets busier mid-run slows both sides of a pair.
Prints the median and IQR of the per-pair ratios, and each side's median time.
"""

import argparse
import statistics
import time

import torch
from torch import nn

from attnlib import MultiHeadAttention, timing

B, N, E, H = 8, 1024, 768, 12


def reading(fn, device):
    """Seconds for one call of fn(), synchronised on a GPU."""
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def quartiles(xs):
    """(first quartile, median, third quartile) of xs."""
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def interleaved(ours, theirs, pairs, device, warmup=2):
    """Per-pair times of ours and theirs (lists of seconds), called alternately."""
    for _ in range(warmup):
        ours(), theirs()
    t_ours, t_theirs = [], []
    for i in range(pairs):
        if i % 2 == 0:
            t_ours.append(reading(ours, device))
            t_theirs.append(reading(theirs, device))
        else:
            t_theirs.append(reading(theirs, device))
            t_ours.append(reading(ours, device))
    return t_ours, t_theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--device", default=timing.default_device())
    args = parser.parse_args()

    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(E, H, batch_first=True).to(args.device).eval()
    ours = MultiHeadAttention.from_torch(theirs).eval()
    x = torch.randn(B, N, E, device=args.device)  # random input: this only measures time
    comparisons = {  # (ours, theirs asked for the same thing)
        "readable, weights": (lambda: ours(x), lambda: theirs(x, x, x, average_attn_weights=False)),
        "fast, no weights": (lambda: ours(x, need_weights=False),
                             lambda: theirs(x, x, x, need_weights=False)),
    }
    with torch.no_grad():
        for mine, pytorch in comparisons.values():
            (out, w), (ref, ref_w) = mine(), pytorch()
            torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
            if w is not None:
                torch.testing.assert_close(w, ref_w, atol=1e-5, rtol=1e-4)

    print(f"B={B} N={N} E={E} H={H}, {timing.describe_device(args.device)}, torch {torch.__version__}")
    with torch.no_grad():
        for name, (mine, pytorch) in comparisons.items():
            t_ours, t_theirs = interleaved(mine, pytorch, args.pairs, args.device)
            q1, med, q3 = quartiles([a / b for a, b in zip(t_ours, t_theirs)])
            print(f"attnlib {name} / nn.MultiheadAttention: ratio median {med:.2f}x "
                  f"(IQR {q1:.2f}-{q3:.2f}, {args.pairs} pairs); "
                  f"ours {statistics.median(t_ours) * 1e3:.1f} ms, "
                  f"theirs {statistics.median(t_theirs) * 1e3:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
