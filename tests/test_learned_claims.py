"""Every claim notebooks 03, 04, 05 and 08 make about trained models holds on every seed.

measure_03(seed) ... measure_08(seed) retrain a notebook's model(s) with attnlib.train, as
the notebook does but with another seed, and return the figures its claims are about.
CLAIMS names, for each claim, the figure and the bound the notebook asserts. Each test
checks one claim on one seed; each (notebook, seed) is trained once and shared.
notebook 08's claims about freshly initialised stacks (no training) are checked on seeds
the notebook does not use. scripts/seed_sweep.py prints min / median / max of every figure.
"""

import argparse
import operator
import statistics
import time
from dataclasses import dataclass
from functools import cache

import pytest
import torch
from torch import nn

from attnlib import data, train
from attnlib.blocks import EncoderBlock

SEEDS = range(5)
"""The seeds every claim is retrained on (the notebooks use seed 0)."""

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- notebook 03


def verb_weights_by_kind(model, seed=2, batch=500):
    """On held-out sentences (unseen nouns; batch without and batch with a size adjective):
    weights (B, N, N), kind (B, N) and the verb's position, per sentence length."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    with torch.no_grad():
        for with_size in (False, True):
            x, kind = data.verb_task(batch, gen, nouns=data.HELD_OUT_NOUNS, with_size=with_size)
            logits, weights = model(x)
            out.append((x, kind, weights, logits, x.shape[1] - 3))
    return out


@torch.no_grad()
def measure_03(seed):
    model, _ = train.train_verb_finder(seed=seed, progress=False)
    untrained, _ = train.train_verb_finder(steps=0, seed=seed, progress=False)
    kinds = list(data.VERB_KINDS)
    the = data.load_embeddings()[1][data.word_ids(["the"])]  # (1, E)
    default = model.readout(model.attn.W_v(the))[0].argmax().item()  # the kind "the" reads as

    on_verb_found, looked_away, obeys = 1.0, 0, 0
    for x, kind, weights, _, verb in verb_weights_by_kind(model):
        for k in range(len(kinds)):
            if k != default:  # every word of a sentence of this kind, the verb included
                on_verb_found = min(on_verb_found, weights[kind[:, 0] == k][:, :, verb].mean(0).min().item())
        values = model.attn.W_v(x)  # (B, N, D)
        without_verb = weights @ values - weights[:, :, verb, None] * values[:, verb, None]
        away = weights[:, :, verb] < 0.5  # (B, N): rows giving the verb less than half
        answer = model.readout(without_verb).argmax(-1)  # (B, N)
        looked_away += away.sum().item()
        obeys += (away & (kind == default) & (answer == default)).sum().item()

    tokens, x = data.embed(data.SENTENCES[2])
    predicted = model(x[None])[0][0].argmax(-1)
    trained_words = set(data.VERB_NOUNS + data.SIZES + ["the"]).union(*data.VERB_KINDS.values())
    seen = [kinds[p] == "see" for t, p in zip(tokens, predicted.tolist()) if t in trained_words]
    return {
        "accuracy": train.verb_accuracy(model),
        "untrained accuracy": train.verb_accuracy(untrained),
        "weight on the verb, two kinds": on_verb_found,
        "looking away obeys the rule": obeys / looked_away if looked_away else 1.0,
        "trained words say see": sum(seen) / len(seen),
    }


# ---------------------------------------------------------------- notebook 04


@torch.no_grad()
def alignment(model, seed=1, batch=500):
    """Mean weight a query's content word puts on the context word of its kind (cross),
    and on itself (self), over every query template, training and held-out."""
    context_kinds = data.fill_template(data.MATCH_CONTEXT, 1)[1]
    cross, itself = [], []
    for template in data.MATCH_TEMPLATES + data.MATCH_HELD_OUT_TEMPLATES:
        x_q, x_c, _ = data.match_task(batch, torch.Generator().manual_seed(seed), template)
        w_cross, w_self = model(x_q, x_c)[1], model(x_q, x_q)[1]  # (B, N_q, N_k), (B, N_q, N_q)
        for i, kind in enumerate(data.fill_template(template, 1)[1]):
            if kind is not None:
                cross.append(w_cross[:, i, context_kinds.index(kind)])
                itself.append(w_self[:, i, i])
    return torch.cat(cross).mean().item(), torch.cat(itself).mean().item()


@torch.no_grad()
def measure_04(seed):
    model, _ = train.train_matcher(seed=seed, progress=False)
    untrained, _ = train.train_matcher(steps=0, seed=seed, progress=False)
    vocab, _ = data.load_embeddings()
    (q_tokens, x_q), (_, x_c) = data.embed(PAIR[0]), data.embed(PAIR[1])
    predicted = model(x_q[None], x_c[None])[0][0].argmax(-1)
    right = [vocab[predicted[i]] == PAIR_ANSWERS[w] for i, w in enumerate(q_tokens) if w in PAIR_ANSWERS]
    on_kind, on_itself = alignment(model)
    return {
        "accuracy, training templates": min(train.match_accuracy(model, t) for t in data.MATCH_TEMPLATES),
        "accuracy, held-out templates": min(train.match_accuracy(model, t)
                                            for t in data.MATCH_HELD_OUT_TEMPLATES),
        "weight on the same kind": on_kind,
        "untrained weight on the same kind": alignment(untrained)[0],
        "self: weight on itself": on_itself,
        "pair answers right": sum(right) / len(right),
    }


PAIR = ("the teacher drives the red car", "the farmer takes the blue bus to the market")
PAIR_ANSWERS = {"teacher": "farmer", "drives": "takes", "red": "blue", "car": "bus"}


# ---------------------------------------------------------------- notebook 05


def neighbour_mass(w):
    """w (B, H, N, N) -> mean weight on the previous and on the next position, each (H,)."""
    n = w.shape[-1]
    i = torch.arange(n)
    w = w.mean(0)  # (H, N, N)
    return w[:, i, (i - 1) % n].mean(-1), w[:, i, (i + 1) % n].mean(-1)


@torch.no_grad()
def measure_05(seed):
    models = {h: train.train_neighbour_model(num_heads=h, seed=seed, progress=False)[0]
              for h in (1, 2, 4)}
    x, prev, nxt = data.neighbour_task(512, generator=torch.Generator().manual_seed(1))
    i = torch.arange(x.shape[1])

    prev_logits, next_logits, w1 = models[1](x)
    to_prev1, to_next1 = neighbour_mass(w1)
    prev_right = (prev_logits.argmax(-1) == prev).float().mean().item()
    next_right = (next_logits.argmax(-1) == nxt).float().mean().item()

    w2 = models[2](x)[2]  # (B, 2, N, N)
    to_prev2, to_next2 = neighbour_mass(w2)
    back, ahead = to_prev2.argmax().item(), to_next2.argmax().item()
    worst = min(w2[:, back, i, (i - 1) % 8].min().item(), w2[:, ahead, i, (i + 1) % 8].min().item())

    to_prev4, to_next4 = neighbour_mass(models[4](x)[2])
    return {
        "H=1 accuracy": train.neighbour_accuracy(models[1]),
        "H=2 accuracy": train.neighbour_accuracy(models[2]),
        "H=4 accuracy": train.neighbour_accuracy(models[4]),
        "H=1 weight on each neighbour": min(to_prev1.item(), to_next1.item()),
        "H=1 worse neighbour right": min(prev_right, next_right),
        "H=2 two heads, two roles": float(back != ahead),
        "H=2 weight on its neighbour": min(to_prev2[back].item(), to_next2[ahead].item()),
        "H=2 lowest weight, any query": worst,
        "H=4 sharpest heads": min(to_prev4.max().item(), to_next4.max().item()),
    }


# ---------------------------------------------------------------- notebook 08


@torch.no_grad()
def measure_08(seed):
    model, _ = train.train_tiny_encoder(seed=seed, progress=False)
    x, _ = data.sort_task(1000, generator=torch.Generator().manual_seed(2))
    w = model(x)[1][:, -1].mean(1)  # last layer, heads averaged: (B, N, N)
    looked_at = (w * x[:, None, :].float()).sum(-1).mean(0)  # (N,) mean digit attended
    example = [3, 1, 4, 1, 5, 9, 2, 6]
    output = model(torch.tensor([example]))[0][0].argmax(-1).tolist()
    return {
        "sorted digits right": train.sort_accuracy(model)[0],
        "3 1 4 1 5 9 2 6 sorted": float(output == sorted(example)),
        "smallest rise of the digit attended": (looked_at[1:] - looked_at[:-1]).min().item(),
    }


E, H, L = 32, 4, 24
STACK_SEEDS = range(100, 200)
"""Notebook 08 measures fresh stacks on seeds 0-99; the test uses seeds it has not seen."""


def run_stack(norm_first, seed):
    """Notebook 08's measurement of a fresh 24-block stack on the six sentences:
    (RMS of the stream after each block, gradient norm of each block's parameters,
    gradient norm on the stream after each block), for a stand-in loss."""
    x = torch.stack([data.embed(s, max_len=5)[1] for s in data.SENTENCES])  # (6, 5, E)
    torch.manual_seed(seed)
    stack = nn.ModuleList(EncoderBlock(E, H, 4 * E, norm_first=norm_first) for _ in range(L))
    rms, stream = [], []
    for block in stack:
        x = block(x)
        x.retain_grad()
        stream.append(x)
        rms.append(x.pow(2).mean().sqrt().item())
    out = nn.functional.layer_norm(x, (E,)) if norm_first else x
    readout = torch.randn(E, generator=torch.Generator().manual_seed(seed))
    (out @ readout).pow(2).mean().backward()
    grads = [sum(p.grad.pow(2).sum() for p in b.parameters()).sqrt().item() for b in stack]
    return rms, grads, [s.grad.norm().item() for s in stream]


@cache
def stack_figures(seeds=STACK_SEEDS):
    with train.one_thread_deterministic():  # tiny tensors: one thread is fastest
        post = [run_stack(False, s) for s in seeds]
        pre = [run_stack(True, s) for s in seeds]
    ratio = lambda g: g[-1] / g[0]  # noqa: E731
    post_ratio = torch.tensor([ratio(g) for _, g, _ in post])
    pre_ratio = torch.tensor([ratio(g) for _, g, _ in pre])
    return {
        "post-norm: largest |RMS - 1|": max(abs(r - 1) for rms, _, _ in post for r in rms),
        "pre-norm: smallest RMS growth": min(ratio(rms) for rms, _, _ in pre),
        "pre-norm: smallest stream gradient first/last": min(s[0] / s[-1] for _, _, s in pre),
        "post-norm: median gradient last/first": post_ratio.median().item(),
        "pre-norm: median gradient last/first": pre_ratio.median().item(),
        "post over pre, fraction of seeds": (post_ratio > pre_ratio).float().mean().item(),
    }


# ---------------------------------------------------------------- the claims


@dataclass(frozen=True)
class Claim:
    notebook: str
    figure: str
    op: str  # ">", ">=" or "<"
    bound: float

    def holds(self, value):
        return {">": operator.gt, ">=": operator.ge, "<": operator.lt}[self.op](value, self.bound)

    def __str__(self):
        return f"{self.notebook} {self.figure} {self.op} {self.bound:g}"


def print_sweep(notebook, measure, claims, unclaimed=()):
    """`python tests/test_learned_claims_NN.py [--seeds N]`: min / median / max of each
    figure over seeds 0..N-1 (measure(seed) -> {figure: value}), and whether each claim
    holds on all of them; `unclaimed` figures are shown without a bound."""
    parser = argparse.ArgumentParser(description=f"Notebook {notebook}'s learned claims: min / median / max.")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds 0..N-1")
    seeds = range(parser.parse_args().seeds)
    start = time.perf_counter()
    rows = [(str(c), c.figure, c) for c in claims] + [(f, f, None) for f in unclaimed]
    width = max(len(name) for name, _, _ in rows) + 2
    print(f"seeds 0-{seeds[-1]}")
    print(f"{'claim':<{width}} {'min':>7} {'median':>7} {'max':>7}  all hold")
    for name, figure, claim in rows:
        values = [measure(s)[figure] for s in seeds]
        verdict = "(not claimed)" if claim is None else ("yes" if all(map(claim.holds, values)) else "NO")
        print(f"{name:<{width}} {min(values):7.4f} {statistics.median(values):7.4f} "
              f"{max(values):7.4f}  {verdict}")
    print(f"\n{time.perf_counter() - start:.0f} s")


CLAIMS = [
    Claim("03", "accuracy", ">", 0.99),
    Claim("03", "untrained accuracy", "<", 0.6),
    Claim("03", "weight on the verb, two kinds", ">", 0.8),
    Claim("03", "looking away obeys the rule", ">=", 1.0),
    Claim("03", "trained words say see", ">=", 1.0),
    Claim("04", "accuracy, training templates", ">", 0.99),
    Claim("04", "accuracy, held-out templates", ">", 0.99),
    Claim("04", "weight on the same kind", ">", 0.5),
    Claim("04", "untrained weight on the same kind", "<", 0.2),
    Claim("04", "self: weight on itself", ">", 0.5),
    Claim("04", "pair answers right", ">=", 1.0),
    Claim("05", "H=1 accuracy", "<", 0.5),
    Claim("05", "H=2 accuracy", ">", 0.99),
    Claim("05", "H=4 accuracy", ">", 0.99),
    Claim("05", "H=1 weight on each neighbour", ">", 0.25),
    Claim("05", "H=1 worse neighbour right", "<", 0.5),
    Claim("05", "H=2 two heads, two roles", ">=", 1.0),
    Claim("05", "H=2 weight on its neighbour", ">", 0.85),
    Claim("05", "H=2 lowest weight, any query", ">", 0.5),
    Claim("05", "H=4 sharpest heads", ">", 0.85),
    Claim("08", "sorted digits right", ">", 0.99),
    Claim("08", "3 1 4 1 5 9 2 6 sorted", ">=", 1.0),
    Claim("08", "smallest rise of the digit attended", ">", 0.0),
]
"""The claims about trained models, with the bounds the notebooks assert."""

STACK_CLAIMS = [
    Claim("08", "post-norm: largest |RMS - 1|", "<", 1e-3),
    Claim("08", "pre-norm: smallest RMS growth", ">", 1.4),
    Claim("08", "pre-norm: smallest stream gradient first/last", ">", 1.0),
    Claim("08", "post-norm: median gradient last/first", ">", 1.2),
    Claim("08", "pre-norm: median gradient last/first", "<", 0.8),
    Claim("08", "post over pre, fraction of seeds", ">", 0.9),
]
"""Notebook 08's claims about fresh stacks, over 100 seeds at once."""

MEASURE = {"03": measure_03, "04": measure_04, "05": measure_05, "08": measure_08}


@cache
def measured(notebook, seed):
    return MEASURE[notebook](seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("claim", CLAIMS, ids=str)
def test_learned_claim_holds_on_every_seed(claim, seed):
    value = measured(claim.notebook, seed)[claim.figure]
    assert claim.holds(value), f"seed {seed}: {claim.figure} = {value:.4f}, claimed {claim.op} {claim.bound}"


@pytest.mark.parametrize("claim", STACK_CLAIMS, ids=str)
def test_stack_claim_holds_on_other_seeds(claim):
    value = stack_figures()[claim.figure]
    assert claim.holds(value), f"seeds {STACK_SEEDS}: {claim.figure} = {value:.4f}"
