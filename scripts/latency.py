"""Latency of the explorers: seconds from a control change to the finished redraw.

For each explorer (weights, compare, lookup, heads, model) at sequence lengths 8, 32 and 64, sets
controls as a learner would, 30 changes in turn over the explorer's controls, each to a
new value so that every change redraws, and prints a Markdown table of the median and
95th percentile in ms. The time is measured around `Explorer.set` (trait notification,
the computation, the figure, the PNG). Goal: p95 under 100 ms on a 2-core CPU.

Run: `make latency` (or .venv/bin/python scripts/latency.py [--changes 30]).
"""

import argparse
import itertools
import os
import platform
import statistics
import time

import torch

from attnlib import widgets
from attnlib.blocks import DecoderBlock, EncoderBlock
from attnlib.data import SENTENCES, embed, tokenize
from attnlib.models import stack_weights
from attnlib.train import train_neighbour_model

LENGTHS = (8, 32, 64)


def long_text(n):
    """At least n words, all in the vocabulary: the example sentences, repeated."""
    words = []
    while len(words) < n:
        for sentence in SENTENCES:
            words += tokenize(sentence)
    return " ".join(words[:n])


def heads_weights(n):
    """{H: (H, N, N)} weights of neighbour models trained briefly with H heads on length n."""
    out = {}
    x = torch.arange(n)[None] % 10  # one input sequence of token ids
    torch.set_num_threads(1)  # training tiny models: one thread is faster on a busy CPU
    for h in (1, 2, 4):
        model, _ = train_neighbour_model(steps=60, n=n, num_heads=h, progress=False)
        with torch.no_grad():
            out[h] = model(x)[2][0]
    return out, [str(t) for t in x[0].tolist()]


def encoder_decoder_run(num_layers=2, num_heads=4, seed=0):
    """run(text) over seeded Encoder/Decoder blocks on the text's word vectors."""
    torch.manual_seed(seed)
    enc = [EncoderBlock(32, num_heads, 64).eval() for _ in range(num_layers)]
    dec = [DecoderBlock(32, num_heads, 64).eval() for _ in range(num_layers)]

    def run(text):
        tokens, x = embed(text)
        w = stack_weights(enc, dec, x[None], x[None])  # the first (only) sample below
        return {kind: (weights[0], tokens, tokens) for kind, weights in w.items()}

    return run


def explorers(n):
    """(name, explorer, {control: values to cycle through}) for sequence length n."""
    text = long_text(n)
    other = long_text(n + 6)[len(long_text(6)) + 1:]  # another n words
    weights = widgets.weights_explorer(text=text, seq_len=n, mask="window", size=2)
    compare = widgets.compare_explorer(text=text, seq_len=n)
    compare.set(mask="window")
    queries = " ".join(tokenize(long_text(n + 3))[n:n + 3])  # three words, n keys
    lookup = widgets.lookup_explorer(queries=queries, text=text)
    by_heads, labels = heads_weights(n)
    heads = widgets.heads_explorer(by_heads, labels, title=f"Neighbour model, N={n}")
    model = widgets.model_explorer(encoder_decoder_run(), text,
                                   kinds=("encoder self", "decoder self", "cross"),
                                   num_layers=2, num_heads=4)
    return [
        ("weights", weights, {"temperature": [0.5, 1.0], "size": [3, 2], "seq_len": [n - 1, n],
                              "mask": ["causal", "prefix", "window"],
                              "self_match": ["removed", "kept"]}),
        ("compare", compare, {"size": [3, 2], "seq_len": [n - 1, n],
                              "mask": ["causal", "window"]}),
        ("lookup", lookup, {"temperature": [0.5, 1.0], "queries": [queries, "bus blue doctor"]}),
        ("heads", heads, {"head": [1, 0], "num_heads": [2, 4], "view": ["one head", "all heads"]}),
        ("model", model, {"layer": [1, 0], "head": [2, 0], "kind": ["cross", "encoder self"],
                          "text": [other, text]}),
    ]


def measure(explorer, cycles, changes):
    """Seconds per control change, `changes` changes in turn over the controls."""
    cycles = {name: itertools.cycle(values) for name, values in cycles.items()}
    times = []
    for name in itertools.islice(itertools.cycle(list(cycles)), changes):
        value = next(cycles[name])
        if explorer.controls[name].value == value:
            value = next(cycles[name])
        before = explorer.redraws
        start = time.perf_counter()
        explorer.set(**{name: value})
        times.append(time.perf_counter() - start)
        assert explorer.redraws == before + 1, f"{name}={value!r} did not redraw exactly once"
        assert explorer.error is None, explorer.error
    return times


def p95(values):
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    print(f"Explorer latency, control change -> finished redraw, {args.changes} changes each; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    rows = []
    for n in LENGTHS:
        for name, explorer, cycles in explorers(n):
            times = measure(explorer, cycles, args.changes)
            rows.append((name, n, statistics.median(times), p95(times), max(times)))
    print("| explorer | N | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, n, med, q95, top in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"| {name} | {n} | {med * 1e3:.1f} | {q95 * 1e3:.1f} | {top * 1e3:.1f} |")
    worst = max(r[3] for r in rows)
    verdict = "meets" if worst < 0.1 else "MISSES"
    print(f"\nworst p95 {worst * 1e3:.1f} ms: {verdict} the 100 ms goal")


if __name__ == "__main__":
    main()
