"""Every claim notebook 14 makes about the trained models holds on seeds 0-4.

measure(seed) retrains both models with that seed and returns the figures the notebook's
claims are about. Run this file as a script for min / median / max of every figure:
python tests/test_learned_claims_14.py
"""

import operator
import statistics
from functools import cache

import pytest

from attnlib import multimodal as mm

SEEDS = range(5)

CLAIMS = {
    # name: (figure, comparison, bound): each as asserted in the notebook
    "cross-attention: held-out accuracy": ("accuracy", operator.ge, 0.95),
    "cross-attention: weight on the asked patch": ("on_asked", operator.ge, 0.8),
    "pooled: weight on its one vector": ("pooled_weight", operator.eq, 1.0),
    "cross-attention - pooled accuracy": ("drop", operator.ge, 0.5),
}


@cache
def measure(seed):
    full, _ = mm.train_qa("cross-attention", seed=seed, progress=False)
    pooled, _ = mm.train_qa("pooled", seed=seed, progress=False)
    accuracy, on_asked = mm.evaluate(full)
    pooled_accuracy, pooled_weight = mm.evaluate(pooled)
    return {"accuracy": accuracy, "on_asked": on_asked, "pooled_weight": pooled_weight,
            "drop": accuracy - pooled_accuracy, "pooled": pooled_accuracy}


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS)
def test_claim_holds(claim, seed):
    figure, compare, bound = CLAIMS[claim]
    value = measure(seed)[figure]
    assert compare(value, bound), f"{claim}: {value:.3f} on seed {seed} (bound {bound})"


if __name__ == "__main__":
    rows = {**CLAIMS, "pooled: held-out accuracy (not asserted)": ("pooled", None, None)}
    for claim, (figure, compare, bound) in rows.items():
        values = [measure(seed)[figure] for seed in SEEDS]
        holds = "" if compare is None else f"  bound {bound}  all hold: {all(compare(v, bound) for v in values)}"
        print(f"{claim:<45} min {min(values):.3f}  median {statistics.median(values):.3f}  "
              f"max {max(values):.3f}{holds}")
