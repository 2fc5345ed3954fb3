"""Tiny training loops, with a progress bar."""

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import neighbour_task
from .models import NeighbourModel


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
