"""Every claim notebook 11 makes about its trained models, retrained on seeds 0-4.

measure(seed) trains the four models of notebook 11 (attnlib.textapps) as the notebook
does, with another seed, and returns the figures its claims are about. CLAIMS names the
bound the notebook asserts for each; SEED_CLAIMS are claims about the spread over seeds
("not reliable across seeds"), checked on all five seeds at once. Print min / median /
max of every figure with

    python tests/test_learned_claims_11.py
"""

import operator
import statistics
import sys
from dataclasses import dataclass
from functools import cache

import pytest

from attnlib import data
from attnlib import textapps as T

SEEDS = range(5)

pytestmark = pytest.mark.slow


@cache
def measure(seed):
    figures = {}
    sentiment_test = data.load_sentiment("test")
    model, vocab, _ = T.train_sentiment(seed=seed, progress=False)
    no_prefix, _, _ = T.train_sentiment(seed=seed, progress=False, max_prefix=0)
    for heldout in ("none", "template"):
        records = T.select(sentiment_test, heldout=heldout)
        figures[f"sentiment accuracy, heldout={heldout}"] = T.sentiment_scores(model, vocab, records)[0]
    figures["sentiment accuracy, unseen templates, no prefixes"] = T.sentiment_scores(
        no_prefix, vocab, T.select(sentiment_test, heldout="template"))[0]
    negated = T.select(sentiment_test, kind="negated", heldout="none") + \
        T.select(sentiment_test, kind="negated", heldout="template")
    _, share, uniform = T.sentiment_scores(model, vocab, negated)
    figures["share on not + adjective"] = share
    figures["share on not + adjective / uniform"] = share / uniform
    figures["accuracy, never-negated adjectives negated"] = T.sentiment_scores(
        model, vocab, T.select(sentiment_test, heldout="negation"))[0]
    contrast = T.select(sentiment_test, kind="contrast")
    _, share, uniform = T.sentiment_scores(model, vocab, contrast)
    figures["share on the but-clause"] = share

    entities_test = data.load_entities("test")
    tagger, vocab, _ = T.train_tagger(seed=seed, progress=False)
    for heldout in ("none", "template"):
        f1 = T.entity_f1(tagger, vocab, T.select(entities_test, heldout=heldout))
        figures[f"lowest entity F1, heldout={heldout}"] = min(f1.values())
        figures[f"mean entity F1, heldout={heldout}"] = statistics.mean(f1.values())
    alone = T.entity_f1(tagger, vocab, T.select(entities_test, heldout="template"), alone=True)
    figures["mean entity F1, heldout=template, each word alone"] = statistics.mean(alone.values())
    figures["entity F1 lost without context, heldout=template"] = \
        figures["mean entity F1, heldout=template"] - figures["mean entity F1, heldout=template, each word alone"]

    qa_test = data.load_qa("test")
    reader, vocab, _ = T.train_reader(seed=seed, progress=False)
    for heldout in ("none", "template", "roles"):
        figures[f"QA exact match, heldout={heldout}"] = T.qa_exact_match(
            reader, vocab, T.select(qa_test, heldout=heldout))

    headlines_test = data.load_headlines("test")
    headliner, vocab, _ = T.train_headliner(seed=seed, progress=False)
    for heldout in ("none", "words", "template"):
        right, share = T.headline_scores(headliner, vocab, T.select(headlines_test, heldout=heldout))
        figures[f"headline exact match, heldout={heldout}"] = right
        if heldout != "template":
            figures[f"copy attention on the emitted word, heldout={heldout}"] = share
    source = "on friday the union of quito sold a new stadium <end>".split()
    ids, key_mask = vocab.encode([source])
    copied, _ = headliner.greedy(ids, key_mask, vocab.stoi["<end>"])
    out = [source[j] for j in copied[0].tolist()]
    figures["headline example copied"] = float(out[:5] == ["quito", "union", "sold", "stadium", "<end>"])
    return figures


@dataclass(frozen=True)
class Claim:
    figure: str
    op: str  # ">", ">=", "<" or "<="
    bound: float

    def holds(self, value):
        ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
        return ops[self.op](value, self.bound)

    def __str__(self):
        return f"11 {self.figure} {self.op} {self.bound:g}"


CLAIMS = [
    Claim("sentiment accuracy, heldout=none", ">", 0.75),
    Claim("sentiment accuracy, heldout=template", ">", 0.75),
    Claim("sentiment accuracy, unseen templates, no prefixes", "<", 0.83),
    Claim("share on not + adjective / uniform", ">", 1.5),
    Claim("lowest entity F1, heldout=none", ">", 0.99),
    Claim("mean entity F1, heldout=template", "<", 0.3),
    Claim("QA exact match, heldout=none", ">=", 1.0),
    Claim("headline exact match, heldout=none", ">", 0.98),
    Claim("headline exact match, heldout=words", ">", 0.98),
    Claim("copy attention on the emitted word, heldout=none", ">", 0.9),
    Claim("copy attention on the emitted word, heldout=words", ">", 0.9),
    Claim("headline example copied", ">=", 1.0),
]
"""The bounds notebook 11 asserts, each on every seed (the no-prefix bound backs its prose:
without filler prefixes every seed scores below the worst seed with them)."""

SPREAD = {
    "accuracy, never-negated adjectives negated": 0.3,
    "share on the but-clause": 0.3,
    "QA exact match, heldout=roles": 0.3,
}
"""Figures the notebook calls not reliable across seeds: max - min over the seeds exceeds this."""


@pytest.mark.parametrize("figure", SPREAD)
def test_not_reliable_across_seeds(figure):
    values = [measure(s)[figure] for s in SEEDS]
    assert max(values) - min(values) > SPREAD[figure], f"{figure}: {values}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS, ids=str)
def test_learned_claim_holds_on_every_seed(claim, seed):
    value = measure(seed)[claim.figure]
    assert claim.holds(value), f"seed {seed}: {claim.figure} = {value:.4f}, claimed {claim.op} {claim.bound}"


def sweep(seeds=SEEDS):
    """Print min / median / max of every figure over the seeds."""
    names = list(measure(seeds[0]))
    print(f"{'figure':<62} {'min':>7} {'median':>7} {'max':>7}")
    for name in names:
        values = [measure(s)[name] for s in seeds]
        print(f"{name:<62} {min(values):7.3f} {statistics.median(values):7.3f} {max(values):7.3f}")


if __name__ == "__main__":
    sweep(range(int(sys.argv[1])) if len(sys.argv) > 1 else SEEDS)
