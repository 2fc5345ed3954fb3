"""Handouts: one PDF per notebook, with its maths typeset and its pictures, without LaTeX.

    python scripts/handouts.py [notebooks/NN_name.ipynb ...] [--out build/handouts]

Each notebook is converted to HTML by nbconvert (stored outputs, so explorers show the
picture they were saved with), with MathJax loaded from the local copy that
scripts/slides.py uses, then printed to A4 by headless Chromium through Playwright
(Debian's /usr/bin/chromium, or $CHROMIUM): the page is printed only once MathJax has
finished and every picture has loaded. Code lines wrap at the page edge. No network is
used. The HTML files stay beside the PDFs (out/html/).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slides import ASSETS, copy_assets, exporter, without_live_widgets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# True once MathJax (if the page has maths) has typeset everything and every <img> loaded.
PAGE_DONE = """() => {
    const images = [...document.images].every(img => img.complete);
    const maths = !window.MathJax || (MathJax.Hub && MathJax.Hub.queue.pending === 0
                                      && MathJax.Hub.queue.running === 0 && window.typesetDone);
    return images && maths;
}"""
BROKEN_IMAGES = "() => [...document.images].filter(i => !i.naturalWidth).map(i => i.src.slice(0, 80))"
MARK_TYPESET = """() => { if (window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(() => { window.typesetDone = true; }); } }"""


def for_print(nb):
    """The notebook without its live widgets and without the cells that slides skip (the
    Colab badge and set-up cell, which mean nothing on paper)."""
    nb = without_live_widgets(nb)
    nb.cells = [c for c in nb.cells
                if c.metadata.get("slideshow", {}).get("slide_type") != "skip"]
    return nb


def write_html(paths, html_dir):
    """Each notebook as a handout page in html_dir, beside a copy of the assets."""
    html_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(html_dir)
    page = exporter("handout", ASSETS)
    written = []
    for path in map(Path, paths):
        nb = for_print(nbformat.read(path, as_version=4))
        body, _ = page.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = html_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def print_pdfs(pages, out, browser=None, timeout_ms=120_000):
    """Print each HTML page to out/<name>.pdf with headless Chromium, offline.

    browser: a Playwright Browser to use (the tests pass theirs); else one is started."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        if not os.access(CHROMIUM, os.X_OK):
            raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install chromium "
                             "(or bash scripts/ensure_chromium.sh), or set CHROMIUM")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
            try:
                return print_pdfs(pages, out, browser, timeout_ms)
            finally:
                browser.close()
    context = browser.new_context(offline=True)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("file:", "data:", "about:"))
                  else route.abort())
    pdfs = []
    try:
        for html in pages:
            page = context.new_page()
            page.goto(html.resolve().as_uri(), timeout=timeout_ms)
            page.evaluate(MARK_TYPESET)
            page.wait_for_function(PAGE_DONE, timeout=timeout_ms, polling=100)
            broken = page.evaluate(BROKEN_IMAGES)
            if broken:
                raise RuntimeError(f"{html.name}: pictures that did not load: {broken}")
            target = out / f"{html.stem}.pdf"
            page.pdf(path=str(target), format="A4", print_background=True,
                     prefer_css_page_size=True)
            page.close()
            pdfs.append(target)
    finally:
        context.close()
    return pdfs


def build_handouts(paths, out, browser=None):
    out = Path(out)
    pages = write_html(paths, out / "html")
    return print_pdfs(pages, out, browser)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "handouts")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    start = time.perf_counter()
    for pdf in build_handouts(paths, args.out):
        print(f"wrote {pdf}")
    print(f"{len(paths)} handouts in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
