"""Every learned claim of notebooks 03, 04, 05 and 08 over several seeds: min / median / max.

    python scripts/seed_sweep.py            # seeds 0-4, as tests/test_learned_claims.py
    python scripts/seed_sweep.py --seeds 20 # seeds 0-19

The figures and bounds are those of tests/test_learned_claims.py (the same functions);
the last column says whether the claim holds on every seed. Notebook 08's claims about
fresh stacks are figures over 100 seeds at once (seeds 100-199), printed once.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_learned_claims as claims  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=len(claims.SEEDS), help="seeds 0..N-1")
    args = parser.parse_args()
    seeds = range(args.seeds)

    start = time.perf_counter()
    print(f"seeds 0-{seeds[-1]}")
    print(f"{'claim':<58} {'min':>8} {'median':>8} {'max':>8}  all hold")
    for claim in claims.CLAIMS:
        values = [claims.measured(claim.notebook, s)[claim.figure] for s in seeds]
        ok = all(claim.holds(v) for v in values)
        print(f"{str(claim):<58} {min(values):8.4f} {statistics.median(values):8.4f} "
              f"{max(values):8.4f}  {'yes' if ok else 'NO'}")
    stacks = claims.stack_figures()
    print(f"\nnotebook 08, fresh stacks, seeds {claims.STACK_SEEDS[0]}-{claims.STACK_SEEDS[-1]}:")
    for claim in claims.STACK_CLAIMS:
        value = stacks[claim.figure]
        print(f"{str(claim):<58} {value:8.4f}  {'yes' if claim.holds(value) else 'NO'}")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
