"""attnlib's MultiHeadAttention (readable and fast paths) against nn.MultiheadAttention.

    python scripts/mha_bench.py [--rounds 3] [--device cuda]

At LLMs-from-scratch's benchmark shape (B=8, N=1024, E=768, H=12), eval mode, no grad,
weights copied across. The three are timed in alternating rounds (attnlib.timing: warm-up,
median of several readings), so that a machine that gets busier mid-run hurts all three.
Prints each round, and each path's median as a ratio to nn.MultiheadAttention asked for
the same thing (the readable path returns weights; the fast path does not).
"""

import argparse
import statistics

import torch
from torch import nn

from attnlib import MultiHeadAttention, timing

B, N, E, H = 8, 1024, 768, 12


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default=timing.default_device())
    args = parser.parse_args()

    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(E, H, batch_first=True).to(args.device).eval()
    ours = MultiHeadAttention.from_torch(theirs).eval()
    x = torch.randn(B, N, E, device=args.device)  # random input: this only measures time
    calls = {  # each path against PyTorch's same request: with weights, or without
        "nn.MHA, weights": lambda: theirs(x, x, x, average_attn_weights=False),
        "attnlib readable, weights": lambda: ours(x),
        "nn.MHA, no weights": lambda: theirs(x, x, x, need_weights=False),
        "attnlib fast, no weights": lambda: ours(x, need_weights=False),
    }
    with torch.no_grad():
        for name in calls:
            torch.testing.assert_close(calls[name]()[0], calls["nn.MHA, no weights"]()[0],
                                       atol=1e-4, rtol=1e-4)

    print(f"B={B} N={N} E={E} H={H}, {timing.describe_device(args.device)}, torch {torch.__version__}")
    times = {name: [] for name in calls}
    for r in range(args.rounds):
        for name, fn in calls.items():
            t = timing.time_fn(fn, device=args.device)
            times[name].append(t.median_s)
            print(f"round {r + 1}: {name:28} {t}", flush=True)
    print()
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, median in medians.items():
        print(f"{name:28} median {median * 1e3:8.1f} ms")
    for ours_name, theirs_name in (("attnlib readable, weights", "nn.MHA, weights"),
                                   ("attnlib fast, no weights", "nn.MHA, no weights")):
        print(f"{ours_name} / {theirs_name}: {medians[ours_name] / medians[theirs_name]:.2f}x")

if __name__ == "__main__":
    main()
