"""The notebooks follow the series' conventions (CONTRIBUTING.md); nbval runs them."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def tags(cell):
    return cell.metadata.get("tags", [])


sys.path.insert(0, str(ROOT / "scripts"))
import nbtool  # noqa: E402


def test_every_notebook_has_its_source_and_they_agree():
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in sources] == [p.stem for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert nbtool.pair_problems(path) == [], path.name


def test_a_source_that_drifts_from_its_notebook_is_caught(tmp_path):
    notebook = NOTEBOOKS[0]
    shutil.copy(notebook, tmp_path / notebook.name)
    nb = nbtool.read(notebook.with_suffix(".py"))
    nb.cells[-1].source += "\n# edited in the source only"
    nbtool.write(nb, tmp_path / notebook.with_suffix(".py").name)
    assert nbtool.pair_problems(tmp_path / notebook.name) == [
        f"cell {len(nb.cells) - 1}: {notebook.stem}.py and {notebook.name} differ in source or tags"]
    nb.cells[-1].source = nbformat.read(notebook, as_version=4).cells[-1].source
    nb.cells[-1].metadata["tags"] = ["nbval-ignore-output"]
    nbtool.write(nb, tmp_path / notebook.with_suffix(".py").name)
    assert len(nbtool.pair_problems(tmp_path / notebook.name)) == 1


def test_headers_and_readme_in_sync():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "nbtool.py"), "check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata.get("series", {}).get("summary"), "no one-line summary for the README"
    assert re.search(r"^# \d\d · ", source, re.M), "no '# NN · Title' heading"
    assert all("slideshow" in c.metadata for c in nb.cells), "cells without slide metadata"
    assert "## Summary" in source and "Exercise" in source
    assert "assert" in source, "no cell proves the lesson"
    counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
    assert None not in counts, "commit notebooks executed"
    assert counts == sorted(counts), "cells were run out of order"
    for cell in code_cells(nb):
        assert not any(o.output_type == "error" for o in cell.outputs), cell.source[:80]
        if re.search(r"\bwidgets\.\w+_explorer\(|Explorer\(", cell.source):
            assert "nbval-ignore-output" in tags(cell), f"explorer cell not tagged: {cell.source[:60]}"
        assert not re.search(r"(attn|attention|weights?)\w*\s*=\s*(torch|np\.random)\.rand", cell.source)
    assert any("_explorer(" in c.source or "Explorer(" in c.source for c in code_cells(nb)), "no explorer"
    assert (ROOT / "solutions" / f"{path.stem}.py").exists(), "no worked solutions"
