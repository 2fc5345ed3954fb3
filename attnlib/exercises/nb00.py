"""Exercise checks for notebook 00 (welcome)."""

import torch

from ..data import embed
from .harness import attempt, close, report


def check_softmax(softmax):
    """softmax(s) for a 1-D tensor, stable for large scores."""
    name = "softmax"
    for s in (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1000.0, 1001.0, 999.0]),
              torch.tensor([-3.0]), torch.linspace(-5, 5, 11)):
        ok, got = attempt(name, softmax, s.clone())
        if not ok:
            return False
        if got is None or not torch.isfinite(torch.as_tensor(got)).all():
            return report(name, False, f"got {got} for scores {s.tolist()} (overflow? subtract the max)")
        if not close(name + f" on {s.tolist()[:3]}...", got, torch.softmax(s, -1), atol=1e-6):
            return False
    return True


def check_raw_scores(raw_scores):
    """raw_scores(text) -> (N, N) dot products of the sentence's word vectors."""
    text = "the old horse sees a red bus"
    ok, got = attempt("raw_scores", raw_scores, text)
    if not ok:
        return False
    _, x = embed(text)
    return close("raw_scores", got, x @ x.T, atol=1e-4)
