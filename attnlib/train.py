"""Tiny training loops, with a progress bar."""

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import neighbour_task
from .models import NeighbourModel, TinyEncoder


def train_neighbour_model(steps=400, batch=64, n=8, vocab=10, num_heads=2, lr=1e-2,
                          seed=0, progress=True):
    """Train NeighbourModel on data.neighbour_task; returns (model, losses)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = NeighbourModel(vocab=vocab, n=n, num_heads=num_heads)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in tqdm(range(steps), desc="training", disable=not progress, mininterval=0.5):
        x, prev, nxt = neighbour_task(batch, n, vocab, generator=gen)
        prev_logits, next_logits, _ = model(x)
        loss = F.cross_entropy(prev_logits.flatten(0, 1), prev.flatten()) + F.cross_entropy(
            next_logits.flatten(0, 1), nxt.flatten()
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.eval(), losses


@torch.no_grad()
def neighbour_accuracy(model, batch=512, n=8, vocab=10, seed=1):
    """Fraction of held-out positions where both neighbours are predicted correctly."""
    gen = torch.Generator().manual_seed(seed)
    x, prev, nxt = neighbour_task(batch, n, vocab, generator=gen)
    prev_logits, next_logits, _ = model(x)
    both = (prev_logits.argmax(-1) == prev) & (next_logits.argmax(-1) == nxt)
    return both.float().mean().item()


def sort_task(batch, n=8, vocab=10, generator=None):
    """Toy task for notebook 08: x (B, N) random digits, target (B, N) the same digits sorted.

    Position i must output the i-th smallest digit, which depends on every token of the
    sequence: a position-wise network alone cannot do it; attention must gather them.
    """
    x = torch.randint(0, vocab, (batch, n), generator=generator)
    return x, x.sort(dim=-1).values


def train_tiny_encoder(steps=300, batch=64, n=8, vocab=10, num_heads=2, num_layers=2, lr=1e-2,
                       seed=0, progress=True):
    """Train models.TinyEncoder on sort_task; returns (model in eval mode, losses).

    Runs on one CPU thread: for tensors this small, splitting each operation across
    threads costs more than it saves (several times slower on a busy 2-core machine).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TinyEncoder(vocab=vocab, n=n, num_heads=num_heads, num_layers=num_layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in tqdm(range(steps), desc="training", disable=not progress, mininterval=0.5):
            x, target = sort_task(batch, n, vocab, generator=gen)
            logits, _ = model(x)  # (B, N, V)
            loss = F.cross_entropy(logits.flatten(0, 1), target.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    return model.eval(), losses


@torch.no_grad()
def sort_accuracy(model, batch=1000, n=8, vocab=10, seed=1):
    """(per-digit accuracy, whole-sequence accuracy) on held-out sort_task sequences."""
    gen = torch.Generator().manual_seed(seed)
    x, target = sort_task(batch, n, vocab, generator=gen)
    right = model(x)[0].argmax(-1) == target  # (B, N)
    return right.float().mean().item(), right.all(dim=-1).float().mean().item()
