"""Everything a GPU machine should check, in one command (`make gpu-check`), in < 8 minutes.

    python scripts/gpu_check.py              # on a machine with a CUDA GPU
    python scripts/gpu_check.py --dry-run    # anywhere: list the steps, run nothing

Steps, each with its own time limit (a step that runs over is stopped and reported):
  1. strict nbval over every notebook, on CUDA (the Makefile's NBVAL flags, passed in);
  2. `make bench`'s GPU preset (scripts/bench.py --device cuda): results.csv, results.md,
     environment.md, time_vs_n.png, memory_vs_n.png;
  3. notebook 18 with its big settings (ATTN_BIG=1), kept executed as 18_timing_lab.big.ipynb;
  4. notebook 19's kernel sweep, attnlib.flash_triton.gpu_sweep (skipped with a message
     where it does not exist): triton_sweep.csv and triton_sweep.md.
Everything goes to results/<gpu-name>/, with gpu_check.md: each step, its status, its
seconds and the end of its log, and environment.md (torch, CUDA, driver, GPU).

Without a CUDA GPU it runs nothing, says so, and exits with status 2: a check that did
not run must not look like one that passed. Exit status 1: a step failed or ran over.
"""

import argparse
import csv
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBVAL = ("--nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg "
         "--nbval-cell-timeout 300")  # the Makefile's NBVAL; `make gpu-check` passes its own
NO_GPU = 2


def steps(python, nbval, folder):
    """(name, seconds allowed, command, extra environment) for each step, in order."""
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    inline = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    return [
        ("nbval: every notebook on CUDA", 210,
         [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *shlex.split(nbval), *notebooks],
         inline),
        ("make bench: the GPU preset", 150,
         [python, "scripts/bench.py", "--device", "cuda", "--out", str(folder.parent)], {}),
        ("notebook 18, big settings", 60,
         [python, "-m", "nbconvert", "--to", "notebook", "--execute",
          "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.kernel_name=python3",
          "--output-dir", str(folder), "--output", "18_timing_lab.big.ipynb",
          "notebooks/18_timing_lab.ipynb"], {**inline, "ATTN_BIG": "1"}),
        ("notebook 19: flash_triton.gpu_sweep", 50,
         [python, "scripts/gpu_check.py", "--triton-sweep", str(folder)], {}),
    ]


def triton_sweep(folder):
    """Step 4, in its own process: the Triton kernel's sweep, if attnlib has one."""
    from attnlib import flash_triton, report

    if not hasattr(flash_triton, "gpu_sweep"):
        print("attnlib.flash_triton.gpu_sweep does not exist yet: skipped")
        return 0
    rows = flash_triton.gpu_sweep(progress=lambda r: print(r, flush=True))
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(Path(folder) / "triton_sweep.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(report._fmt(r.get(k)).replace("|", "/") for k in keys) + " |"
              for r in rows]
    (Path(folder) / "triton_sweep.md").write_text("# FlashAttention in Triton vs SDPA\n\n"
                                                  + "\n".join(lines) + "\n")
    return 0


def run_step(name, limit, command, extra_env):
    """Run one step; returns (status, seconds, the end of its log)."""
    start = time.perf_counter()
    env = {**os.environ, **extra_env}
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=limit)
        status = "passed" if done.returncode == 0 else f"failed (exit {done.returncode})"
        log = done.stdout + done.stderr
    except subprocess.TimeoutExpired as err:
        status = f"ran over its {limit} s"
        log = (err.stdout or b"").decode(errors="replace") + (err.stderr or b"").decode(errors="replace")
    return status, time.perf_counter() - start, log[-3000:]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dry-run", action="store_true", help="list the steps and run nothing")
    p.add_argument("--nbval", default=NBVAL, help="pytest's nbval flags (the Makefile's NBVAL)")
    p.add_argument("--triton-sweep", metavar="FOLDER", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.triton_sweep:
        return triton_sweep(args.triton_sweep)

    import torch

    from attnlib import report

    has_gpu = torch.cuda.is_available()
    name = torch.cuda.get_device_name(0) if has_gpu else "<gpu-name>"
    folder = ROOT / "results" / report.device_slug(name)
    plan = steps(sys.executable, args.nbval, folder)
    if args.dry_run:
        print(f"gpu-check would write to {folder.relative_to(ROOT)}/ and run, in order:")
        for i, (step, limit, command, extra) in enumerate(plan, 1):
            env = " ".join(f"{k}={v}" for k, v in extra.items())
            print(f"  {i}. {step} (at most {limit} s): {env + ' ' if env else ''}{shlex.join(command)}")
        print(f"  total at most {sum(s[1] for s in plan)} s")
        return 0
    if not has_gpu:
        print(f"gpu-check needs a CUDA GPU and torch {torch.__version__} sees none "
              f"(CUDA build: {torch.version.cuda}). Nothing was run; exit status {NO_GPU}. "
              "`python scripts/gpu_check.py --dry-run` lists the steps.", file=sys.stderr)
        return NO_GPU

    folder.mkdir(parents=True, exist_ok=True)
    env = report.environment("cuda")
    (folder / "environment.md").write_text(
        f"# Environment of {name}\n\n" + "\n".join(f"- {k}: {v}" for k, v in env.items()) + "\n")
    lines = [f"# gpu-check on {name}", ""]
    failed = False
    for step, limit, command, extra in plan:
        print(f"{step} ...", flush=True)
        status, seconds, log = run_step(step, limit, command, extra)
        print(f"{step}: {status} in {seconds:.0f} s", flush=True)
        failed |= status != "passed"
        lines += [f"## {step}: {status} in {seconds:.0f} s", "", "```", log.strip(), "```", ""]
    (folder / "gpu_check.md").write_text("\n".join(lines))
    print(f"wrote {folder.relative_to(ROOT)}/gpu_check.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
