"""The shared harness for the exercise checks: one verdict line per exercise.

Each check (one module per notebook: nb00, nb01, ...) takes the learner's answer, tries
it on inputs the learner has not seen, prints exactly one line (`[correct] name`,
`[not yet] name: why`, or `[not attempted] name: ...`) and returns True or False.
A check draws its random inputs from its own generator (`private_rng`), so running it
never changes the learner's random numbers.
"""

import contextlib

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


def difference(got, expected, atol=1e-5):
    """None if got equals expected within atol, else a short description of the problem."""
    got = torch.as_tensor(got)
    expected = torch.as_tensor(expected)
    if got.shape != expected.shape:
        return f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    diff = (got.double() - expected.double()).abs().max().item()
    if not diff <= atol:
        return f"largest difference {diff:.3g} (allowed {atol:g})"
    return None


def close(name, got, expected, atol=1e-5):
    """Compare tensors and report: shape mismatches and the largest difference."""
    problem = difference(got, expected, atol)
    return report(name, problem is None, problem or "")


def close_pair(name, got, expected, atol=1e-6):
    """Check a returned pair (output, weights) against the expected pair; one verdict line."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        return report(name, False, "return a pair (output, weights)")
    for part, g, e in (("weights", got[1], expected[1]), ("output", got[0], expected[0])):
        problem = difference(g, e, atol)
        if problem:
            return report(name, False, f"{part}: {problem}")
    return report(name, True)


@contextlib.contextmanager
def private_rng(seed):
    """Run a block with torch's global RNG seeded to `seed`, then restore the learner's state.

    For the few checks that build torch modules (whose initial weights come from the
    global RNG); everything else draws from a torch.Generator.
    """
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        yield
