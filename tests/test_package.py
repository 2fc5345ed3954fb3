"""The package's promises: one import gives every concept module, changes no global
setting, and states one Python floor everywhere."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import attnlib

ROOT = Path(__file__).resolve().parent.parent
def test_every_concept_module_is_reachable_after_a_plain_import():
    modules = sorted(p.stem for p in (ROOT / "attnlib").glob("*.py") if p.stem != "__init__")
    modules = sorted(modules + [p.parent.name for p in (ROOT / "attnlib").glob("*/__init__.py")])
    code = f"import attnlib; print(' '.join(m for m in {modules!r} if hasattr(attnlib, m)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == modules, "modules missing after `import attnlib`"
    for name in modules:
        assert name in attnlib.__doc__, f"the package docstring does not mention {name}"


def test_import_leaves_matplotlib_settings_alone():
    code = ("import matplotlib; before = dict(matplotlib.rcParams); import attnlib; "
            "print(sorted(k for k, v in matplotlib.rcParams.items() if before[k] != v))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_python_floor():
    floor = "{}.{}".format(*attnlib.PYTHON_FLOOR)
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)
    assert project["project"]["requires-python"] == f">={floor}"
    assert project["tool"]["ruff"]["target-version"] == "py" + floor.replace(".", "")
    readme = (ROOT / "README.md").read_text()
    assert re.findall(r"Python (3\.\d+)\+", readme) == [floor]
    assert f"python={floor}" in (ROOT / "environment.yml").read_text()
