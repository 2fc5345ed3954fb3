"""Every claim notebook 21 makes about its trained sorter holds on every seed (0-4).

measure_21(seed) retrains the notebook's model (attnlib.pruning.train_sorter: a 2-layer,
4-head TinyEncoder sorting 8 digits 0-3) with another seed and returns the figures its
claims are about. CLAIMS names, for each claim, the figure and the bound the notebook
asserts. Print min / median / max of every figure over the seeds with

    python tests/test_learned_claims_21.py            # seeds 0-4
    python tests/test_learned_claims_21.py --seeds 10 # seeds 0-9
"""

import argparse
import operator
import statistics
import time
from dataclasses import dataclass
from functools import cache

import pytest
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr

from attnlib import pruning as pr

SEEDS = range(5)
"""The seeds every claim is retrained on (the notebook uses seed 0)."""

pytestmark = pytest.mark.slow


@cache
def measure_21(seed):
    model, losses = pr.train_sorter(seed=seed, progress=False)
    x, target = pr.held_out()
    loss, acc = pr.scores(model, x, target)
    loss_up, acc_drop = pr.ablation_importance(model, x, target)
    proxy = pr.gate_gradients(model, x, target)
    gates = torch.ones(pr.LAYERS, pr.HEADS, requires_grad=True)
    mean_loss = F.cross_entropy(pr.gated_logits(model, x, gates).flatten(0, 1), target.flatten())
    (batch_grad,) = torch.autograd.grad(mean_loss, gates)
    curves = {how: pr.removal_curve(model, x, target, pr.order(loss_up, how, seed=0))
              for how in ("least", "most", "random")}
    per_head = pr.head_parameters(model.blocks[0].self_attn) - 3 * model.blocks[0].self_attn.head_dim
    magnitude = {k: pr.scores(pr.magnitude_prune(model, k * per_head), x, target)[1] for k in (2, 4)}
    gaps = [a - b for a, b in zip(curves["least"], curves["most"])]
    return {
        "held-out accuracy": acc,
        "least-first: heads removable at < 1 point": pr.heads_removable(curves["least"]),
        "most-first: accuracy lost with 1 head off": acc - curves["most"][1],
        "mean gap least-first - most-first": sum(gaps) / len(gaps),
        "largest loss increase (ablation)": loss_up.max().item(),
        "largest |d mean loss / d gate|": batch_grad.abs().max().item(),
        "largest proxy E|d loss_b / d gate|": proxy.max().item(),
        "least-first, 2 heads off: accuracy lost": acc - curves["least"][2],
        "magnitude, 2 heads' weights: accuracy lost": acc - magnitude[2],
        "magnitude, 4 heads' weights: accuracy lost": acc - magnitude[4],
        # printed, not asserted
        "final training loss": losses[-1],
        "held-out loss": loss,
        "Spearman proxy vs ablation (loss)": spearmanr(proxy.flatten(), loss_up.flatten())[0],
        "least-first, 4 heads off: accuracy lost": acc - curves["least"][4],
        "random: mean gap least-first - random": sum(a - b for a, b in zip(curves["least"], curves["random"])) / 9,
    }


@dataclass(frozen=True)
class Claim:
    figure: str
    op: str  # ">", "<" or ">="
    bound: float

    def holds(self, value):
        return {">": operator.gt, "<": operator.lt, ">=": operator.ge}[self.op](value, self.bound)

    def __str__(self):
        return f"21 {self.figure} {self.op} {self.bound:g}"


CLAIMS = [
    Claim("held-out accuracy", ">", 0.99),
    Claim("least-first: heads removable at < 1 point", ">=", 2),
    Claim("most-first: accuracy lost with 1 head off", ">", 0.05),
    Claim("mean gap least-first - most-first", ">", 0.03),
    Claim("largest loss increase (ablation)", ">", 0.2),
    Claim("largest |d mean loss / d gate|", "<", 0.01),
    Claim("largest proxy E|d loss_b / d gate|", "<", 0.01),
    Claim("least-first, 2 heads off: accuracy lost", "<", 0.01),
    Claim("magnitude, 2 heads' weights: accuracy lost", "<", 0.01),
]
"""The claims about trained models, with the bounds notebook 21 asserts."""

UNCLAIMED = ["magnitude, 4 heads' weights: accuracy lost",
             "final training loss", "held-out loss", "Spearman proxy vs ablation (loss)",
             "least-first, 4 heads off: accuracy lost", "random: mean gap least-first - random"]
"""Figures the notebook prints but does not bound (shown by the sweep, not tested)."""


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS, ids=str)
def test_learned_claim_holds_on_every_seed(claim, seed):
    value = measure_21(seed)[claim.figure]
    assert claim.holds(value), f"seed {seed}: {claim.figure} = {value:.4f}, claimed {claim.op} {claim.bound}"


def main():
    parser = argparse.ArgumentParser(description="Notebook 21's learned claims: min / median / max.")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds 0..N-1")
    seeds = range(parser.parse_args().seeds)
    start = time.perf_counter()
    print(f"seeds 0-{seeds[-1]}")
    print(f"{'claim':<62} {'min':>7} {'median':>7} {'max':>7}  all hold")
    for claim in [*CLAIMS, *UNCLAIMED]:
        figure = claim.figure if isinstance(claim, Claim) else claim
        values = [measure_21(s)[figure] for s in seeds]
        verdict = ("yes" if all(claim.holds(v) for v in values) else "NO") \
            if isinstance(claim, Claim) else "(not claimed)"
        print(f"{str(claim):<62} {min(values):7.4f} {statistics.median(values):7.4f} "
              f"{max(values):7.4f}  {verdict}")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
