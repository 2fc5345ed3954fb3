"""Colab dress rehearsal: run a notebook's Colab set-up cell, then the notebook, in an
environment built like Colab's. `make colab-rehearsal` (a few minutes: it builds a venv).

    python scripts/colab_rehearsal.py [notebooks/00_welcome.ipynb] [--keep DIR]

What it builds, in a temporary folder:
- a virtual environment with Colab's kind of packages already installed: torch (the CPU
  wheel of the pinned version), ipywidgets 7.7.1 and ipykernel 6 as Colab ships them,
  numpy, matplotlib, seaborn, tqdm, safetensors; no attnlib. $COLAB_PYTHON names the
  interpreter (Colab runs Python 3.12; the default is this machine's python3);
- a stub `google.colab` package (`output.enable_custom_widget_manager()` records that it was
  called), imported when the kernel starts, as on Colab;
- a bare git repository cloned from this one (its committed HEAD) that stands in for the
  real URL: a git `url.<local>.insteadOf <real URL>` rule makes `git clone <real URL>` in
  the set-up cell fetch it, so the cell runs exactly as synced from pyproject.toml except
  that Colab's /content is a temporary folder.

Then it runs the notebook top to bottom with nbclient in that environment and checks:
attnlib was installed from the clone (editable), torch and ipywidgets are the versions they
were before, the widget manager was turned on, the data was found and no cell failed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLAB_PACKAGES = ["ipywidgets==7.7.1", "ipykernel==6.17.1", "numpy", "matplotlib", "seaborn",
                  "tqdm", "safetensors", "nbclient", "nbformat"]
STUB_OUTPUT = '''"""Stand-in for google.colab.output (the Colab rehearsal)."""
import os


def enable_custom_widget_manager():
    with open(os.environ["COLAB_STUB_LOG"], "a") as f:
        f.write("enable_custom_widget_manager\\n")
'''
VERSIONS = ("import json, torch, ipywidgets; "
            "print(json.dumps({'torch': torch.__version__, 'ipywidgets': ipywidgets.__version__}))")


def pinned(name):
    """The version requirements.txt pins for a package."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.strip()
    raise KeyError(name)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def build_environment(where):
    python = os.environ.get("COLAB_PYTHON", "python3")
    run([python, "-m", "venv", str(where / "venv")])
    py = where / "venv" / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", pinned("torch"), *COLAB_PACKAGES])
    stub = where / "stubs" / "google" / "colab"
    stub.mkdir(parents=True)
    (stub.parent / "__init__.py").write_text("")
    (stub / "__init__.py").write_text('"""Stand-in for Google Colab\'s package."""\n')
    (stub / "output.py").write_text(STUB_OUTPUT)
    startup = where / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401 (as on Colab)\n")
    return py


def local_remote(where):
    """A bare clone of this repository's HEAD, and a git config sending the real URL to it."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")
    remote = where / "remote.git"
    run(["git", "clone", "--quiet", "--bare", str(ROOT), str(remote)])
    config = where / "gitconfig"
    config.write_text(f'[url "{remote.as_uri()}"]\n\tinsteadOf = {url}\n'
                      "[protocol \"file\"]\n\tallow = always\n")
    return url, config


RUNNER = r'''
import json, sys
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
setup = nb.cells[1]
assert "colab-setup" in setup.metadata.get("tags", []), "cell 1 is not the Colab set-up cell"
setup.source = setup.source.replace('"/content/attention-series"', repr(sys.argv[2]))
errors = []
try:
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[3]}}).execute()
except Exception as err:
    errors.append(f"{type(err).__name__}: {str(err)[-3000:]}")
for cell in nb.cells:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            errors.append(f"{out['ename']}: {out['evalue']}")
print(json.dumps({"errors": errors, "cells": len(nb.cells)}))
'''


def rehearse(notebook, where):
    start = time.perf_counter()
    py = build_environment(where)
    built = time.perf_counter() - start
    url, gitconfig = local_remote(where)
    home, content = where / "content" / "attention-series", where / "content"
    content.mkdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "IPYTHONDIR": str(where / "ipython"),
           "PYTHONPATH": str(where / "stubs"), "COLAB_STUB_LOG": str(where / "colab.log"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    for name in ("ATTNLIB_DATA", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    before = json.loads(run([str(py), "-c", VERSIONS], env=env, cwd=content).stdout)
    missing = subprocess.run([str(py), "-c", "import attnlib"], env=env, capture_output=True,
                             cwd=content)
    assert missing.returncode != 0, "attnlib is importable before the set-up cell ran"
    result = run([str(py), "-c", RUNNER, str(notebook), str(home), str(content)], env=env, cwd=content)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    after = json.loads(run([str(py), "-c", VERSIONS], env=env, cwd=content).stdout)
    where_from = run([str(py), "-c", "import attnlib, os; print(os.path.dirname(attnlib.__file__))"],
                     env=env, cwd=content).stdout.strip()
    log = (where / "colab.log").read_text() if (where / "colab.log").exists() else ""
    return {"seconds_build": round(built, 1), "seconds_total": round(time.perf_counter() - start, 1),
            "url": url, "before": before, "after": after, "attnlib_from": where_from,
            "home": str(home), "widget_manager_enabled": "enable_custom_widget_manager" in log,
            **report}


def check(report):
    """The rehearsal's verdict: a list of what went wrong (empty if nothing)."""
    problems = list(report["errors"])
    if report["before"] != report["after"]:
        problems.append(f"versions changed: {report['before']} -> {report['after']}")
    if not report["attnlib_from"].startswith(report["home"]):
        problems.append(f"attnlib imported from {report['attnlib_from']}, not the clone")
    if not report["widget_manager_enabled"]:
        problems.append("the set-up cell did not turn on Colab's widget manager")
    if not re.match(r"^2\.", report["before"]["torch"]) or report["before"]["ipywidgets"] != "7.7.1":
        problems.append(f"not Colab's kind of environment: {report['before']}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", type=Path,
                        default=ROOT / "notebooks" / "00_welcome.ipynb")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args(argv)
    where = args.keep or Path(tempfile.mkdtemp(prefix="colab-rehearsal-"))
    where.mkdir(parents=True, exist_ok=True)
    try:
        report = rehearse(args.notebook.resolve(), where)
    finally:
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)
    print(json.dumps(report, indent=1))
    problems = check(report)
    print("\n".join(["REHEARSAL FAILED:", *problems]) if problems else
          f"Colab rehearsal passed: {args.notebook.name} ran after its set-up cell "
          f"({report['seconds_total']} s, of which {report['seconds_build']} s building the venv)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
