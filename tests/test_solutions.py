"""Exercise checks: every worked solution passes; every check prints exactly one verdict
line, leaves the learner's random numbers alone, and has a name no other check has."""

import importlib.util
import inspect
import re
from pathlib import Path

import pytest
import torch

from attnlib import exercises

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
VERDICT = re.compile(r"^\[(correct|not yet|not attempted)\] \w+")


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checks_of(module):
    return {name: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if name.startswith("check_") and fn.__module__ == module.__name__}


def run_check(check, answer, capsys):
    """Run one check; return (result, printed lines), asserting the global RNG is untouched."""
    torch.manual_seed(1234)
    before = torch.random.get_rng_state()
    result = check(answer)
    assert torch.equal(torch.random.get_rng_state(), before), "the check changed the global RNG"
    lines = capsys.readouterr().out.splitlines()
    return result, lines


def test_every_notebook_has_its_own_check_module_and_solutions():
    for notebook in NOTEBOOKS:
        number = notebook.name[:2]
        assert number in exercises.MODULES, f"no attnlib.exercises.nb{number} for {notebook.name}"
        assert (ROOT / "solutions" / notebook.name).exists(), f"no solutions/{notebook.name}"
        assert f"from attnlib.exercises import nb{number}" in notebook.read_text()
    assert sorted(exercises.MODULES) == sorted(p.name[:2] for p in NOTEBOOKS)


def test_check_names_are_unique(capsys):
    """Unique function names, and unique exercise names in the verdict lines."""
    seen, printed = {}, {}

    def todo(*args, **kwargs):
        raise NotImplementedError

    for number, module in exercises.MODULES.items():
        for name, check in checks_of(module).items():
            assert name not in seen, f"{name} is in nb{seen.get(name)} and nb{number}"
            seen[name] = number
            _, lines = run_check(check, todo, capsys)
            shown = lines[0].split("]", 1)[1].split(":", 1)[0].strip()
            assert shown not in printed, f"nb{number}.{name} prints {shown!r}, as {printed.get(shown)} does"
            printed[shown] = f"nb{number}.{name}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_pass_their_checks(path, capsys):
    module = exercises.MODULES[path.name[:2]]
    solutions = load(path).CHECKS
    assert set(solutions) == set(checks_of(module)), f"{path.name} must solve every check of its notebook"
    for check_name, solution in solutions.items():
        result, lines = run_check(getattr(module, check_name), solution, capsys)
        assert result is True, f"{path.name}: {check_name} failed: {lines}"
        assert len(lines) == 1 and lines[0].startswith("[correct]"), lines


# Answers of the wrong kind: each must give one clean `[not yet]` line, never an exception.
WRONG = {"None": None, "a float": 1.0, "NaN": float("nan"), "a (2, 3) tensor": torch.zeros(2, 3),
         "a pair of Nones": (None, None), "a string": "answer"}


@pytest.mark.parametrize("number", sorted(exercises.MODULES))
def test_unattempted_and_wrong_answers_get_one_verdict_line(number, capsys):
    def todo(*args, **kwargs):
        raise NotImplementedError

    for check_name, check in checks_of(exercises.MODULES[number]).items():
        result, lines = run_check(check, todo, capsys)
        assert result is False and len(lines) == 1, (check_name, lines)
        assert lines[0].startswith("[not attempted]"), (check_name, lines)
        for kind, value in WRONG.items():
            def wrong(*args, _value=value, **kwargs):
                torch.rand(3)  # a learner's answer may draw random numbers: still not the learner's RNG
                return _value

            result, lines = run_check(check, wrong, capsys)
            assert result is False and len(lines) == 1, (check_name, kind, lines)
            assert VERDICT.match(lines[0]) and lines[0].startswith("[not yet]"), (check_name, kind, lines)
