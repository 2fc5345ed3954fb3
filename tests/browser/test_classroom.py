"""Classroom material in a real browser, with the network off.

- A static deck (`make slides`) opened from disk: reveal.js starts, the slides advance with
  the arrow key, and every formula is typeset by the local MathJax (none left as raw $...$).
- A handout (`make handouts`): a PDF printed by Chromium that holds every picture of the
  notebook (the explorer's included) and no raw TeX.

Screenshots go to browser-artifacts/. The network is cut by the browser context
(offline) and by a route that aborts any request that is not a local file.
"""

import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import handouts  # noqa: E402
import slides  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05_multi_head_attention.ipynb"
TIMEOUT_MS = 120_000


def image_outputs(nb):
    """How many pictures the notebook's stored outputs hold (an explorer sends one)."""
    return sum("image/png" in o.get("data", {})
               for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture
def offline(chromium):
    context = chromium.new_context(offline=True, viewport={"width": 1280, "height": 900})
    outside = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    yield context, outside
    context.close()


def test_offline_deck_renders_advances_and_typesets_maths(offline, artifacts, tmp_path):
    context, outside = offline
    started = time.monotonic()
    (deck,) = slides.build_decks([NOTEBOOK], tmp_path)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(deck.as_uri(), timeout=TIMEOUT_MS)
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=TIMEOUT_MS)
    page.wait_for_function(
        """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0
                 && MathJax.Hub.queue.running === 0
                 && document.querySelectorAll('script[type^="math/tex"]').length > 0""",
        timeout=TIMEOUT_MS, polling=200)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")  # all typeset
    total = page.evaluate("() => Reveal.getTotalSlides()")
    maths = page.evaluate("""() => {
        const scripts = [...document.querySelectorAll('script[type^="math/tex"]')];
        return {formulas: scripts.length,
                typeset: scripts.filter(s => s.previousElementSibling
                    && /MathJax/.test(s.previousElementSibling.className)).length,
                errors: document.querySelectorAll('.MathJax .merror, .MathJax_Error').length};
    }""")
    assert total > 5
    assert maths["formulas"] > 20 and maths["typeset"] == maths["formulas"], maths
    assert maths["errors"] == 0, maths
    page.screenshot(path=str(artifacts / "deck_first_slide.png"))

    # Advance with the keyboard, as a presenter would, to the slide with the most maths.
    first = page.evaluate("() => Reveal.getIndices().h")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Reveal.getIndices().h === {first + 1}", timeout=10_000)
    target = page.evaluate("""() => {
        const slides = [...document.querySelectorAll('.reveal .slides > section')];
        const counts = slides.map(s => s.querySelectorAll('script[type^="math/tex"]').length);
        return counts.indexOf(Math.max(...counts));
    }""")
    for _ in range(target - first - 1):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Reveal.getIndices().h === {target}", timeout=10_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")
    shown = page.evaluate("""() => {
        const slide = Reveal.getCurrentSlide();
        const prose = [...slide.querySelectorAll('.jp-RenderedMarkdown')].map(m => {
            const copy = m.cloneNode(true);
            copy.querySelectorAll('code, pre, script').forEach(c => c.remove());
            return copy.textContent;
        }).join(' ');
        return {prose, rendered: slide.querySelectorAll('.MathJax, .MathJax_Display').length};
    }""")
    page.screenshot(path=str(artifacts / "deck_maths_slide.png"))
    assert shown["rendered"] > 0
    assert not re.search(r"\$[^$\s][^$]*\$", shown["prose"]), "raw $...$ left on the slide"
    assert not outside, f"the deck asked the network for {outside}"
    assert not errors, errors
    print(f"\noffline deck: {total} slides, {maths['formulas']} formulas typeset, "
          f"{time.monotonic() - started:.1f} s", flush=True)


def test_handout_pdf_holds_every_picture_and_typeset_maths(chromium, artifacts, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    started = time.monotonic()
    (pdf,) = handouts.build_handouts([NOTEBOOK], tmp_path, chromium)
    reader = pypdf.PdfReader(pdf)
    pictures = sum(len(page.images) for page in reader.pages)
    text = " ".join(page.extract_text() for page in reader.pages)
    expected = image_outputs(nbformat.read(NOTEBOOK, as_version=4))
    assert expected == 4
    assert pictures == expected, f"the PDF holds {pictures} pictures, the notebook {expected}"
    assert "$" not in text, "raw TeX ($...$) printed in the handout"
    assert not re.search(r"\\(frac|sqrt|top|operatorname|mathrm)\b", text)
    assert "Multi-head attention" in text and "google.colab" not in text
    (artifacts / "handout_05.pdf").write_bytes(pdf.read_bytes())
    print(f"\nhandout: {len(reader.pages)} pages, {pictures} pictures, "
          f"{time.monotonic() - started:.1f} s", flush=True)
