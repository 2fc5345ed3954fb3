"""Benchmark attention implementations: time, peak memory, TFLOP/s, one Markdown table.

    python scripts/bench.py --quick              # small CPU-friendly sweep (< 1 minute)
    python scripts/bench.py                      # on a CPU: N 256..4096, D 64 (about 2 minutes)
    python scripts/bench.py --device cuda        # the full sweep on a GPU (bf16 and fp32)
    python scripts/bench.py --impls naive flash sdpa --seq-lens 512 1024 --head-dims 64

Results go to <out>/<device-slug>/: results.csv and results.md (median, IQR and number of
readings per row), environment.md (torch, CUDA, driver, device, the load average before and
after), time_vs_n.png and memory_vs_n.png (one panel per dtype and D).
"""

import argparse
import os
import sys
import time

import torch

from attnlib import bench, report
from attnlib.timing import default_device, describe_device

QUICK = {
    "impls": ["naive", "attnlib_core", "torch_mha", "chunked_queries", "chunked_keys", "flash",
              "window", "linear", "sdpa", "sdpa_math", "sdpa_flash", "sdpa_efficient",
              "sdpa_cudnn", "flex"],
    "seq_lens": [128, 256, 512, 1024],
    "head_dims": [64],
    "heads": 2,
    "min_run_time": 0.05,
}
FULL = {
    "impls": list(bench.IMPLEMENTATIONS),
    "seq_lens": [256, 512, 1024, 2048, 4096, 8192],
    "head_dims": [64, 128],
    "heads": 8,
    "min_run_time": 0.2,
}
CPU = {  # the default on a CPU: the full sweep would take many minutes there
    "impls": list(bench.IMPLEMENTATIONS),
    "seq_lens": [256, 512, 1024, 2048, 4096],
    "head_dims": [64],
    "heads": 8,
    "min_run_time": 0.2,
}
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
          "float64": torch.float64}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small sweep that runs in < 60 s on a CPU")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    p.add_argument("--out", default="results", help="output folder (default: results)")
    p.add_argument("--impls", nargs="+", default=None, choices=list(bench.IMPLEMENTATIONS))
    p.add_argument("--seq-lens", nargs="+", type=int, default=None)
    p.add_argument("--head-dims", nargs="+", type=int, default=None)
    p.add_argument("--dtypes", nargs="+", default=None, choices=list(DTYPES),
                   help="default: float32 on CPU, bfloat16 on a GPU")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--heads", type=int, default=None)
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    p.add_argument("--note", default="", help="a line for environment.md (e.g. how busy the machine was)")
    return p.parse_args(argv)


def _load():
    """The 1-minute load average ('n/a' where the OS has none): how busy the machine was."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (OSError, AttributeError):
        return "n/a"


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device or default_device())
    preset = QUICK if args.quick else CPU if device.type == "cpu" else FULL
    if args.dtypes:
        dtypes = [DTYPES[d] for d in args.dtypes]
    else:
        dtypes = [torch.float32] if device.type == "cpu" else [torch.bfloat16, torch.float32]
    print(f"attention sweep on {describe_device(device)}, torch {torch.__version__}",
          file=sys.stderr)
    start, load_before = time.perf_counter(), _load()
    rows = bench.sweep(
        args.impls or preset["impls"],
        args.seq_lens or preset["seq_lens"],
        args.head_dims or preset["head_dims"],
        dtypes,
        device=device,
        batch=args.batch,
        heads=args.heads or preset["heads"],
        min_run_time=preset["min_run_time"],
        measure_memory=not args.no_memory,
        progress=lambda r: print(f"  {r['impl']:>16} N={r['N']:<6} D={r['D']:<4} {r['status']} "
                                 f"{report._fmt(r['median_ms'])} ms (IQR {report._fmt(r['iqr_ms'])})",
                                 file=sys.stderr),
    )
    env = report.environment(device)
    env["load average (1 min) before, after"] = f"{load_before}, {_load()}"
    env["command"] = "python scripts/bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    env["seconds"] = f"{time.perf_counter() - start:.0f}"
    note = (args.note + "\n\n" if args.note else "") + (
        "Regenerate with one line: `make bench` (a CPU; this preset) or `make gpu-check` (a GPU).")
    folder = bench.write_results(rows, args.out, env=env, note=note)
    print(bench.markdown_table(rows))
    print(f"\nwrote {folder} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
