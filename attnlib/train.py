"""The one training loop, its per-task wrappers, and held-out scores.

fit(model, batch_fn, loss_fn, steps, lr, seed, progress) trains any model with Adam. Each
wrapper pairs a model of attnlib.models with its task from attnlib.data:

    train_verb_finder     VerbFinder on data.verb_task          (notebook 03)
    train_matcher         Matcher on data.match_task            (notebook 04)
    train_neighbour_model NeighbourModel on data.neighbour_task (notebook 05)
    train_tiny_encoder    TinyEncoder on data.sort_task         (notebook 08)

`steps=0` returns the model as it starts, before any training.
"""

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import (
    HELD_OUT_NOUNS,
    load_embeddings,
    match_task,
    neighbour_task,
    sort_task,
    verb_task,
)
from .models import Matcher, NeighbourModel, TinyEncoder, VerbFinder


@contextmanager
def one_thread_deterministic():
    """One CPU thread and deterministic algorithms inside the block; restored after.

    The same seed then gives the same model whatever the machine's thread count. For
    tensors this small one thread is also the fastest: splitting each operation across
    threads costs more than it saves. (Claims about the trained models must not depend on
    this: they are asserted with margins that hold across seeds.)
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def fit(model, batch_fn, loss_fn, steps, lr=1e-2, seed=0, progress=True, clip=None):
    """Train `model` with Adam for `steps` steps; returns (model in eval mode, losses).

    batch_fn(generator) draws one batch from a torch.Generator seeded with `seed`;
    loss_fn(model, batch) returns the batch's scalar loss. The learning rate falls
    linearly from `lr` to 0, so that the last steps cannot undo the training. `clip`, if
    given, caps the gradients' total norm at each step (recurrent networks need it).
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # anything random inside the model, such as dropout
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / max(steps, 1))
    model.train()
    losses = []
    with one_thread_deterministic(), torch.enable_grad():
        for _ in tqdm(range(steps), desc="training", disable=not progress, mininterval=0.5):
            loss = loss_fn(model, batch_fn(generator))
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
    return model.eval(), losses


# ---------------------------------------------------------------- notebook 03: VerbFinder


def verb_loss(model, batch):
    x, kind = batch  # (B, N, E), (B, N)
    logits, _ = model(x)  # (B, N, kinds)
    return F.cross_entropy(logits.flatten(0, 1), kind.flatten())


def train_verb_finder(steps=150, batch=64, lr=1e-2, seed=0, progress=True):
    """VerbFinder trained on data.verb_task with the training nouns; (model, losses)."""
    torch.manual_seed(seed)
    model = VerbFinder()
    return fit(model, lambda gen: verb_task(batch, gen), verb_loss, steps, lr, seed, progress)


@torch.no_grad()
def verb_accuracy(model, batch=500, seed=1, nouns=HELD_OUT_NOUNS):
    """Fraction of words given the right kind, over 2 * batch sentences (half with a size
    adjective) whose nouns are `nouns`: by default nouns that training never used."""
    gen = torch.Generator().manual_seed(seed)
    right = []
    for with_size in (False, True):
        x, kind = verb_task(batch, gen, nouns=nouns, with_size=with_size)
        right.append((model(x)[0].argmax(-1) == kind).flatten())
    return torch.cat(right).float().mean().item()


# ---------------------------------------------------------------- notebook 04: Matcher


def match_loss(model, batch):
    x_q, x_c, targets = batch  # (B, N_q, E), (B, N_k, E), (B, N_q)
    logits, _ = model(x_q, x_c)  # (B, N_q, V)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)


def train_matcher(steps=1000, batch=64, lr=5e-3, seed=0, progress=True):
    """Matcher trained on data.match_task (the training templates); (model, losses)."""
    torch.manual_seed(seed)
    model = Matcher(load_embeddings()[1])
    return fit(model, lambda gen: match_task(batch, gen), match_loss, steps, lr, seed, progress)


@torch.no_grad()
def match_accuracy(model, template, batch=500, seed=1):
    """Fraction of the query's content words matched to the right context word, on
    `batch` fresh pairs whose query follows `template`."""
    x_q, x_c, targets = match_task(batch, torch.Generator().manual_seed(seed), template)
    pred = model(x_q, x_c)[0].argmax(-1)  # (B, N_q)
    keep = targets != -100
    return (pred[keep] == targets[keep]).float().mean().item()


# ---------------------------------------------------------------- notebook 05: NeighbourModel


def neighbour_loss(model, batch):
    x, prev, nxt = batch  # (B, N) each
    prev_logits, next_logits, _ = model(x)  # (B, N, V) each
    return (F.cross_entropy(prev_logits.flatten(0, 1), prev.flatten())
            + F.cross_entropy(next_logits.flatten(0, 1), nxt.flatten()))


def train_neighbour_model(steps=400, batch=64, n=8, vocab=10, num_heads=2, lr=1e-2,
                          seed=0, progress=True):
    """NeighbourModel trained on data.neighbour_task; (model, losses)."""
    torch.manual_seed(seed)
    model = NeighbourModel(vocab=vocab, n=n, num_heads=num_heads)
    return fit(model, lambda gen: neighbour_task(batch, n, vocab, generator=gen),
               neighbour_loss, steps, lr, seed, progress)


@torch.no_grad()
def neighbour_accuracy(model, batch=512, n=8, vocab=10, seed=1):
    """Fraction of held-out positions where both neighbours are predicted correctly."""
    x, prev, nxt = neighbour_task(batch, n, vocab, generator=torch.Generator().manual_seed(seed))
    prev_logits, next_logits, _ = model(x)
    both = (prev_logits.argmax(-1) == prev) & (next_logits.argmax(-1) == nxt)
    return both.float().mean().item()


# ---------------------------------------------------------------- notebook 08: TinyEncoder


def sort_loss(model, batch):
    x, target = batch  # (B, N) each
    logits, _ = model(x)  # (B, N, V)
    return F.cross_entropy(logits.flatten(0, 1), target.flatten())


def train_tiny_encoder(steps=400, batch=64, n=8, vocab=10, num_heads=2, num_layers=2, lr=3e-3,
                       seed=0, progress=True):
    """TinyEncoder trained on data.sort_task; (model, losses)."""
    torch.manual_seed(seed)
    model = TinyEncoder(vocab=vocab, n=n, num_heads=num_heads, num_layers=num_layers)
    return fit(model, lambda gen: sort_task(batch, n, vocab, generator=gen),
               sort_loss, steps, lr, seed, progress)


@torch.no_grad()
def sort_accuracy(model, batch=1000, n=8, vocab=10, seed=1):
    """(per-digit accuracy, whole-sequence accuracy) on held-out sort_task sequences."""
    x, target = sort_task(batch, n, vocab, generator=torch.Generator().manual_seed(seed))
    right = model(x)[0].argmax(-1) == target  # (B, N)
    return right.float().mean().item(), right.all(dim=-1).float().mean().item()
