"""Every claim notebook 16 makes about the trained policies holds on seeds 0-4.

measure(seed) retrains the three policies with that seed and returns the figures the
notebook's claims are about. Run this file as a script for min / median / max of every
figure:  python tests/test_learned_claims_16.py
"""

import operator
import statistics
from functools import cache

import pytest

from attnlib import agents

SEEDS = range(5)

CLAIMS = {
    # name: (figure, comparison, bound): each as asserted in the notebook
    "attention: good moves": ("attention", operator.ge, 0.97),
    "attention: weight on the goal": ("goal_share", operator.ge, 0.75),
    "attention - best baseline": ("margin", operator.ge, 0.15),
}


@cache
def measure(seed):
    right = {}
    for name in agents.POLICIES:
        model, _ = agents.train_policy(name, seed=seed, progress=False)
        right[name], share = agents.evaluate(model)
        if name == "attention":
            goal_share = share
    return {"attention": right["attention"], "goal_share": goal_share,
            "margin": right["attention"] - max(right["mean-pool"], right["flat MLP"]),
            "mean-pool": right["mean-pool"], "flat MLP": right["flat MLP"]}


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS)
def test_claim_holds(claim, seed):
    figure, compare, bound = CLAIMS[claim]
    value = measure(seed)[figure]
    assert compare(value, bound), f"{claim}: {value:.3f} on seed {seed} (bound {bound})"


if __name__ == "__main__":
    rows = {**CLAIMS, "mean-pool: good moves (not asserted)": ("mean-pool", None, None),
            "flat MLP: good moves (not asserted)": ("flat MLP", None, None)}
    for claim, (figure, compare, bound) in rows.items():
        values = [measure(seed)[figure] for seed in SEEDS]
        holds = "" if compare is None else f"  bound {bound}  all hold: {all(compare(v, bound) for v in values)}"
        print(f"{claim:<40} min {min(values):.3f}  median {statistics.median(values):.3f}  "
              f"max {max(values):.3f}{holds}")
