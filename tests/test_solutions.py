"""Every worked solution in solutions/ passes its exercise check."""

import importlib.util
from pathlib import Path

import pytest

from attnlib import exercises

SOLUTIONS = sorted((Path(__file__).resolve().parent.parent / "solutions").glob("[0-9][0-9]_*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_pass_their_checks(path, capsys):
    module = load(path)
    assert module.CHECKS, f"{path.name} lists no checks"
    for check_name, solution in module.CHECKS.items():
        assert getattr(exercises, check_name)(solution), f"{path.name}: {check_name} failed"
    assert "[not yet]" not in capsys.readouterr().out


def test_unattempted_exercise_is_reported_not_raised(capsys):
    def todo(*args):
        raise NotImplementedError

    assert exercises.check_softmax(todo) is False
    assert "[not attempted]" in capsys.readouterr().out
