"""Live slides with working explorers: `make live-slides NB=05`.

    python scripts/live_slides.py notebooks/NN_name.ipynb [--port 8866] [--out build/live]

Serves one notebook as a reveal.js slideshow through Voila's reveal template: when the
page opens, the notebook runs top to bottom in a fresh kernel, and every explorer on its
slide is live (drag a slider, the picture redraws). Each `##` section is a slide, as in
the static decks. The code is shown on the slides; the set-up cells for Colab are skipped.

Nothing comes from the network. The notebook is copied into --out beside reveal.js (from
sphinx-revealjs) and jQuery (from sphinxcontrib-jquery), which Voila serves from there; the
repository's notebook is never touched. The page template is Voila's own reveal template
with one addition (scripts/jupyter/voila/templates/attnlib-reveal). Set ATTNLIB_PRESENTER=1
for the presenter setting (large pictures and type). Stop with Ctrl+C.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "scripts" / "jupyter"  # holds voila/templates/attnlib-reveal
sys.path.insert(0, str(ROOT / "scripts"))

from slides import copy_assets  # noqa: E402  (the static decks' reveal.js copy)


def jquery_source():
    """jQuery as the sphinxcontrib-jquery package ships it (Voila's reveal bundle uses it)."""
    import sphinxcontrib.jquery

    path = Path(sphinxcontrib.jquery.__file__).parent / "jquery.js"
    if not path.exists():
        raise FileNotFoundError(f"no jQuery at {path}: pip install sphinxcontrib-jquery (make install)")
    return path


def voila_config():
    """Voila's settings: our template, the local reveal.js and jQuery, the code shown."""
    return {"HTMLExporter": {"jquery_url": "voila/files/_assets/jquery.js"},
            "VoilaConfiguration": {
        "template": "attnlib-reveal",
        "strip_sources": False,
        "resources": {"reveal": {"url_prefix": "voila/files/_assets/reveal.js", "scroll": True,
                                 "width": 1100, "height": 780, "transition": "none",
                                 "number": "c/t"}},
        # Voila serves files beside the notebook only when their names match this list.
        "file_allowlist": [r"_assets/.*\.(css|js|woff2?|ttf|eot|svg|png)"],
    }}


def prepare(notebook, out):
    """Copy the notebook, reveal.js and jQuery into out; write out/voila.json. Returns the copy."""
    notebook, out = Path(notebook), Path(out)
    if not notebook.exists():
        raise FileNotFoundError(f"notebook {notebook} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    assets = copy_assets(out)
    shutil.copy(jquery_source(), assets / "jquery.js")
    shutil.copy(notebook, out / notebook.name)
    (out / "voila.json").write_text(json.dumps(voila_config(), indent=1))
    return out / notebook.name


def command(copy, port, open_browser=True):
    """The Voila command line that serves the copy (run it in the copy's folder)."""
    cmd = [sys.executable, "-m", "voila", copy.name, f"--port={port}", "--Voila.ip=127.0.0.1"]
    return cmd + ([] if open_browser else ["--no-browser"])


def environment():
    """os.environ with our template folder on JUPYTER_PATH (where Voila looks for templates)."""
    paths = [str(TEMPLATES)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    return {**os.environ, "JUPYTER_PATH": os.pathsep.join(paths)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="notebooks/NN_name.ipynb")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--out", default=str(ROOT / "build" / "live"))
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    args = parser.parse_args()
    copy = prepare(args.notebook, args.out)
    print(f"serving {copy.name} as live slides at http://127.0.0.1:{args.port}/ "
          "(the notebook runs when the page opens; Ctrl+C stops)", flush=True)
    try:
        subprocess.run(command(copy, args.port, not args.no_browser), cwd=copy.parent,
                       env=environment(), check=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
