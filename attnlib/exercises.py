"""Checks for the notebooks' exercises.

Each check takes the learner's answer (usually a function), tries it on inputs the
learner has not seen, prints one line saying what is right or wrong, and returns True or
False. An exercise left as `raise NotImplementedError` is reported as not attempted, so a
notebook runs top to bottom before anyone solves anything. Worked solutions live in
solutions/, apart from the notebooks, and tests/test_solutions.py runs them through
these checks.
"""

import torch


def report(name, passed, detail=""):
    """Print one line for exercise `name` and return `passed`."""
    mark = "correct" if passed else "not yet"
    print(f"[{mark}] {name}" + (f": {detail}" if detail else ""))
    return passed


def attempt(name, fn, *args, **kwargs):
    """Call the learner's fn; returns (ok, value). NotImplementedError -> not attempted."""
    try:
        return True, fn(*args, **kwargs)
    except NotImplementedError:
        print(f"[not attempted] {name}: replace `raise NotImplementedError` with your answer")
        return False, None
    except Exception as e:  # the learner's code failed: say how, don't crash the notebook
        print(f"[not yet] {name}: your function raised {type(e).__name__}: {e}")
        return False, None


def close(name, got, expected, atol=1e-5):
    """Compare tensors: report shape mismatches and the largest difference."""
    got = torch.as_tensor(got)
    expected = torch.as_tensor(expected)
    if got.shape != expected.shape:
        return report(name, False, f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    diff = (got.double() - expected.double()).abs().max().item()
    if not diff <= atol:
        return report(name, False, f"largest difference {diff:.3g} (allowed {atol:g})")
    return report(name, True)


# ---------------------------------------------------------------- 00 welcome


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
    from .data import embed

    text = "the old horse sees a red bus"
    ok, got = attempt("raw_scores", raw_scores, text)
    if not ok:
        return False
    _, x = embed(text)
    return close("raw_scores", got, x @ x.T, atol=1e-4)


# ---------------------------------------------------------------- 01 dot-product attention
# ---------------------------------------------------------------- 02 scaling
# ---------------------------------------------------------------- 03 self-attention
# ---------------------------------------------------------------- 04 cross-attention
# ---------------------------------------------------------------- 05 multi-head attention
# ---------------------------------------------------------------- 06 masking
# ---------------------------------------------------------------- 07 positional information
# ---------------------------------------------------------------- 08 transformer blocks
# ---------------------------------------------------------------- 17 efficient attention
# ---------------------------------------------------------------- 18 timing lab
