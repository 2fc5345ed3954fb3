"""Every claim notebook 12 makes about trained models holds on every seed (0-4).

measure_12(seed) retrains the notebook's four models (neutral and distracting filler, each
with sentence attention and with uniform sentence weights) with attnlib.hierarchical, as
the notebook does but with another seed, and returns the figures its claims are about.
CLAIMS names, for each claim, the figure and the bound the notebook asserts. Print
min / median / max of every figure over the seeds with

    python tests/test_learned_claims_12.py            # seeds 0-4
    python tests/test_learned_claims_12.py --seeds 10 # seeds 0-9
"""

import sys
from functools import cache
from pathlib import Path

import pytest

from attnlib import hierarchical as hi

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_learned_claims import Claim, print_sweep  # noqa: E402


def asserted(figure, op, bound):
    return Claim("12", figure, op, bound)


SEEDS = range(5)
"""The seeds every claim is retrained on (the notebook uses seed 0)."""

pytestmark = pytest.mark.slow


@cache
def measure_12(seed):
    models = {(filler, uniform): hi.train_hierarchical(filler, seed=seed, uniform_sentences=uniform,
                                                       progress=False)[0]
              for filler in ("neutral", "distracting") for uniform in (False, True)}
    tests = {filler: hi.documents("test", filler) for filler in ("neutral", "distracting")}
    score = {key: hi.scores(m, tests[key[0]]) for key, m in models.items()}
    trained = models["distracting", False]
    by_position = []
    for to in range(6):
        moved = [hi.move_sentence(r, to) for r in tests["distracting"] if to < len(r["sentences"])]
        by_position.append(hi.scores(trained, moved))
    return {
        "neutral, attention: accuracy": score["neutral", False]["accuracy"],
        "neutral, uniform: accuracy": score["neutral", True]["accuracy"],
        "distracting, uniform: accuracy": score["distracting", True]["accuracy"],
        "distracting, attention: accuracy": score["distracting", False]["accuracy"],
        "distracting: film weighted most": score["distracting", False]["decisive weighted most"],
        "distracting: mean weight on film": score["distracting", False]["weight on decisive"],
        "moved: film weighted most, worst position": min(r["decisive weighted most"] for r in by_position),
        "moved: mean weight on film, worst position": min(r["weight on decisive"] for r in by_position),
        # printed, not asserted: the neutral-filler model's choice is not forced
        "neutral: film weighted most": score["neutral", False]["decisive weighted most"],
        "neutral: mean weight on film": score["neutral", False]["weight on decisive"],
    }


CLAIMS = [
    asserted("neutral, attention: accuracy", ">", 0.85),
    asserted("neutral, uniform: accuracy", ">", 0.85),
    asserted("distracting, uniform: accuracy", "<", 0.80),
    asserted("distracting, attention: accuracy", ">", 0.97),
    asserted("distracting: film weighted most", ">", 0.99),
    asserted("distracting: mean weight on film", ">", 0.7),
    asserted("moved: film weighted most, worst position", ">", 0.99),
    asserted("moved: mean weight on film, worst position", ">", 0.6),
]
"""The claims about trained models, with the bounds notebook 12 asserts."""

UNCLAIMED = ["neutral: film weighted most", "neutral: mean weight on film"]
"""Figures the notebook prints but does not bound (shown by the sweep, not tested)."""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS, ids=str)
def test_learned_claim_holds_on_every_seed(claim, seed):
    value = measure_12(seed)[claim.figure]
    assert claim.holds(value), f"seed {seed}: {claim.figure} = {value:.4f}, claimed {claim.op} {claim.bound}"


def main():
    print_sweep("12", measure_12, CLAIMS, UNCLAIMED)


if __name__ == "__main__":
    main()
