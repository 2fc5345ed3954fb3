"""The shared harness for the exercise checks: one verdict line per exercise.

Each check (one module per notebook: nb00, nb01, ...) takes the learner's answer, tries
it on inputs the learner has not seen, prints exactly one line (`[correct] name`,
`[not yet] name: why`, or `[not attempted] name: ...`) and returns True or False.
A check that tries several cases stops at the first wrong one and says which it was.

A check draws its random inputs from its own torch.Generator, builds any torch module
inside `private_rng`, and runs the learner's function inside `private_rng` too, so
running a check never changes the learner's random numbers.
"""

import contextlib
import numbers

import torch

_LEARNER_SEED = 0  # the global RNG seen by the learner's function while a check runs it


@contextlib.contextmanager
def private_rng(seed):
    """Run a block with torch's global RNG seeded to `seed`, then restore the learner's state.

    For checks that build torch modules (whose initial weights come from the global RNG),
    and for the learner's own function; everything else draws from a torch.Generator.
    """
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        yield


def report(name, passed, detail=""):
    """Print one line for exercise `name` and return `passed`."""
    mark = "correct" if passed else "not yet"
    print(f"[{mark}] {name}" + (f": {detail}" if detail else ""))
    return passed


def attempt(name, fn, *args, **kwargs):
    """Call the learner's fn; returns (ok, value). NotImplementedError -> not attempted.

    fn runs with a private, fixed global RNG: randomness inside it is reproducible and
    does not advance the learner's own random numbers.
    """
    try:
        with private_rng(_LEARNER_SEED):
            return True, fn(*args, **kwargs)
    except NotImplementedError:
        print(f"[not attempted] {name}: replace `raise NotImplementedError` with your answer")
        return False, None
    except Exception as e:  # the learner's code failed: say how, don't crash the notebook
        print(f"[not yet] {name}: your function raised {type(e).__name__}: {e}")
        return False, None


def describe(value):
    """A few words on what a value is, for a verdict line: 'None', 'a float', 'a tensor of shape (3, 4)'."""
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def as_tensor(value):
    """value as a tensor (tensors, numbers, nested lists, arrays), or None if it is not one."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):  # a tuple of tensors, an object...
        return None


def as_number(value):
    """value as a Python int or float (a number, or a tensor or array of one element), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return value.item() if hasattr(value, "item") else value  # numpy scalars -> Python
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype != torch.bool:
        return value.item()
    return None


def as_bool(value):
    """value as True or False (a bool, or a boolean tensor of one element), else None."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
        return bool(value.item())
    return None


def has_nonfinite(value):
    """True if value is a floating tensor with a NaN or an infinity in it."""
    return (isinstance(value, torch.Tensor) and value.is_floating_point()
            and not torch.isfinite(value).all().item())


def difference(got, expected, atol=1e-5):
    """None if got equals expected within atol, else a short description of the problem.

    Never raises: an answer of the wrong type or shape is described, not an error. Equal
    infinities count as equal; a NaN where a number is expected is reported as such.
    """
    expected = torch.as_tensor(expected).detach().cpu()
    want = f"a tensor of shape {tuple(expected.shape)}"
    tensor = as_tensor(got)
    if tensor is None:
        return f"returned {describe(got)}, expected {want}"
    if tensor.shape != expected.shape:
        if not isinstance(got, torch.Tensor):
            what = describe(got)
            if isinstance(got, (tuple, list)):
                what = f"a {type(got).__name__} of shape {tuple(tensor.shape)}"
            return f"returned {what}, expected {want}"
        return f"shape {tuple(tensor.shape)}, expected {tuple(expected.shape)}"
    if tensor.is_complex():
        return f"dtype {tensor.dtype}, expected real numbers"
    g, e = tensor.double(), expected.double()
    nan = g.isnan() & ~e.isnan()
    if nan.any():
        return f"NaN in {nan.sum().item()} of {g.numel()} entries"
    gap = torch.where((g == e) | (g.isnan() & e.isnan()), torch.zeros_like(g), (g - e).abs())
    if gap.numel() == 0 or not gap.max().item() > atol:
        return None
    where = tuple(torch.unravel_index(gap.argmax(), gap.shape)) if gap.dim() else ()
    where = tuple(int(i) for i in where)
    at = f" at {list(where)}" if where else ""
    return (f"largest difference {gap.max().item():.3g}{at} (got {g[where].item():.4g}, "
            f"expected {e[where].item():.4g}; allowed {atol:g})")


def close(name, got, expected, atol=1e-5):
    """Compare one answer with the expected tensor and report, in one line."""
    problem = difference(got, expected, atol)
    return report(name, problem is None, problem or "")


def close_pair(name, got, expected, atol=1e-6):
    """Check a returned pair (output, weights) against the expected pair; one verdict line."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        return report(name, False, f"returned {describe(got)}, expected a pair (output, weights)")
    for part, g, e in (("weights", got[1], expected[1]), ("output", got[0], expected[0])):
        problem = difference(g, e, atol)
        if problem:
            return report(name, False, f"{part}: {problem}")
    return report(name, True)
