"""Every claim notebook 15 makes about trained graph attention holds on seeds 0-4.

measure(seed) retrains the notebook's four networks (GAT and its uniform-weights twin, on
the karate club and on the distractor graph) with that seed, the graphs' own seeds
included, and returns the figures the notebook's claims are about. Run this file as a
script for min / median / max of every figure:  python tests/test_learned_claims_15.py
"""

import operator
import statistics
from functools import cache

import pytest

from attnlib import graphs

SEEDS = range(5)

CLAIMS = {
    # name: (figure, comparison, bound): each as asserted in the notebook
    "karate: GAT accuracy": ("karate_gat", operator.ge, 0.75),
    "karate: uniform accuracy": ("karate_uniform", operator.ge, 0.75),
    "distractors: GAT accuracy": ("gat", operator.ge, 0.8),
    "distractors: GAT - uniform": ("margin", operator.ge, 0.15),
    "distractors: attention on clean neighbours": ("share", operator.ge, 0.7),
    "distractors: clean share of links": ("link_share", operator.lt, 0.35),
}


@cache
def measure(seed):
    features, clubs, karate = graphs.karate_club()
    labelled = graphs.split_nodes(clubs, per_class=2, seed=seed)
    figures = {}
    for name, uniform in (("karate_gat", False), ("karate_uniform", True)):
        model, _ = graphs.train_gat(features, clubs, karate, labelled, uniform=uniform,
                                    seed=seed, progress=False)
        figures[name] = graphs.accuracy(model, features, clubs, karate, ~labelled)

    feats, labels, graph, informative = graphs.distractor_graph(seed=seed)
    train_nodes = graphs.split_nodes(labels, share=0.5, seed=seed)
    test_nodes = (labels >= 0) & ~train_nodes
    gat, _ = graphs.train_gat(feats, labels, graph, train_nodes, steps=250, seed=seed,
                              progress=False)
    uniform, _ = graphs.train_gat(feats, labels, graph, train_nodes, uniform=True, steps=250,
                                  seed=seed, progress=False)
    figures["gat"] = graphs.accuracy(gat, feats, labels, graph, test_nodes)
    figures["margin"] = figures["gat"] - graphs.accuracy(uniform, feats, labels, graph, test_nodes)
    figures["share"] = graphs.informative_share(gat, feats, graph, informative, test_nodes)
    clean = labels >= 0
    figures["link_share"] = (informative[clean].sum() / graph[clean].sum()).item()
    return figures


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
        print(f"{claim:<46} min {min(values):.3f}  median {statistics.median(values):.3f}  "
              f"max {max(values):.3f}  bound {bound}  all hold: {holds}")
