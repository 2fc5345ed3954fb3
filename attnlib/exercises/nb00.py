"""Exercise checks for notebook 00 (welcome)."""

import torch

from ..data import embed
from .harness import attempt, close, difference, has_nonfinite, report


def _show(s):
    """The first few scores of s, for a verdict line."""
    values = [round(v, 2) for v in s.tolist()]
    return str(values) if len(values) <= 4 else str(values[:3])[:-1] + ", ...]"


def check_softmax(softmax):
    """softmax(s) for a 1-D tensor, stable for large scores."""
    name = "softmax"
    for s in (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1000.0, 1001.0, 999.0]),
              torch.tensor([-3.0]), torch.linspace(-5, 5, 11)):
        ok, got = attempt(name, softmax, s.clone())
        if not ok:
            return False
        problem = difference(got, torch.softmax(s, -1), atol=1e-6)
        if problem:
            overflow = has_nonfinite(got) and got.shape == s.shape
            hint = " (overflow? subtract the max)" if overflow else ""
            return report(name, False, f"scores {_show(s)}: {problem}{hint}")
    return report(name, True)


def check_raw_scores(raw_scores):
    """raw_scores(text) -> (N, N) dot products of the sentence's word vectors."""
    text = "the old horse sees a red bus"
    ok, got = attempt("raw_scores", raw_scores, text)
    if not ok:
        return False
    _, x = embed(text)
    return close("raw_scores", got, x @ x.T, atol=1e-4)
