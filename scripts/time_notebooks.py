"""Execute each notebook in a fresh kernel (as CI does) and print seconds per notebook.

    python scripts/time_notebooks.py [notebooks/NN_*.ipynb ...]

Budgets: each notebook under 45 s, the whole series under 8 minutes on a 2-core CPU.
Exits 1 if a budget is broken. The notebooks on disk are not modified.
"""

import sys
import time
from pathlib import Path

import torch
from nbtool import run_notebook  # scripts/ is on sys.path when run as a script

NOTEBOOK_BUDGET_S, SERIES_BUDGET_S = 45, 8 * 60


def run(path):
    start = time.perf_counter()
    run_notebook(path)  # the same execution as `make execute`, without writing the result
    return time.perf_counter() - start


def main(paths):
    paths = [Path(p) for p in paths] or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print("| notebook | seconds | budget |")
    print("|---|---:|---|")
    total, ok = 0.0, True
    for path in paths:
        seconds = run(path)
        total += seconds
        within = seconds < NOTEBOOK_BUDGET_S
        ok &= within
        print(f"| {path.name} | {seconds:.1f} | {'ok' if within else 'OVER 45 s'} |", flush=True)
    within = total < SERIES_BUDGET_S
    print(f"| **all {len(paths)}** | **{total:.1f}** | {'ok' if within else 'OVER 8 min'} |")
    return 0 if ok and within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
