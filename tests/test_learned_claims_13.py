"""Every claim notebook 13 makes about its trained vision transformers holds on seeds 0-4.

measure(seed) retrains the notebook's two TinyViTs (plain, and with the locality bias)
with that seed on the notebook's digit split, and returns the figures the notebook's
claims are about. Run this file as a script for min / median / max of every figure:
python tests/test_learned_claims_13.py
"""

import operator
import statistics
from functools import cache

import pytest

from attnlib import vision

SEEDS = range(5)
UNIFORM = vision.uniform_attention_distance(grid=2, patch=4)

CLAIMS = {
    # name: (figure, comparison, bound): each as asserted in the notebook
    "ViT held-out accuracy": ("accuracy", operator.ge, 0.95),
    "layer 1 distance / uniform, at least": ("near_1", operator.ge, 0.8),
    "layer 1 distance / uniform, at most": ("near_1", operator.le, 1.2),
    "layer 2 distance / uniform, at least": ("near_2", operator.ge, 0.8),
    "layer 2 distance / uniform, at most": ("near_2", operator.le, 1.2),
    "locality bias: layer 1 nearer by (pixels)": ("nearer_1", operator.ge, 0.75),
    "locality bias: layer 2 nearer by (pixels)": ("nearer_2", operator.ge, 0.75),
    "locality bias: held-out accuracy": ("local_accuracy", operator.ge, 0.95),
}


@cache
def measure(seed):
    x_train, y_train, x_test, y_test = vision.load_digits_split()
    model, _ = vision.train_vit(x_train, y_train, seed=seed, progress=False)
    local, _ = vision.train_vit(x_train, y_train, seed=seed, locality=1.5, progress=False)
    accuracy, distance = vision.evaluate(model, x_test, y_test)
    local_accuracy, local_distance = vision.evaluate(local, x_test, y_test)
    d, ld = distance.mean(1), local_distance.mean(1)  # (L,): mean over heads
    return {
        "accuracy": accuracy, "local_accuracy": local_accuracy,
        "near_1": d[0].item() / UNIFORM, "near_2": d[1].item() / UNIFORM,
        "nearer_1": (d[0] - ld[0]).item(), "nearer_2": (d[1] - ld[1]).item(),
    }


pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS)
def test_claim_holds(claim, seed):
    figure, compare, bound = CLAIMS[claim]
    value = measure(seed)[figure]
    assert compare(value, bound), f"{claim}: {value:.3f} on seed {seed} (bound {bound})"


if __name__ == "__main__":
    for claim, (figure, compare, bound) in CLAIMS.items():
        values = [measure(seed)[figure] for seed in SEEDS]
        holds = all(compare(v, bound) for v in values)
        print(f"{claim:<44} min {min(values):.3f}  median {statistics.median(values):.3f}  "
              f"max {max(values):.3f}  bound {bound}  all hold: {holds}")
