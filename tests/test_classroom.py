"""Static decks and handout pages load nothing from the network (no browser needed).

scripts/slides.py and scripts/handouts.py must point every script, style sheet and picture
at a local file (reveal.js and MathJax copied from the installed packages) or a data: URI.
tests/browser/test_classroom.py opens them in Chromium with the network off.
"""

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import handouts  # noqa: E402
import slides  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05_multi_head_attention.ipynb"  # maths, pictures, an explorer
LOADED = re.compile(r"<(script|img|link|iframe|source)\b[^>]*?\b(src|href)=\"([^\"]*)\"", re.I)


def loaded_urls(html):
    """What a browser fetches on opening the page: script and image sources, style sheets."""
    return [m.group(3) for m in LOADED.finditer(html)]


def assert_all_local(page):
    html = page.read_text(encoding="utf-8")
    urls = loaded_urls(html)
    assert urls, f"{page.name} loads nothing at all?"
    for url in urls:
        if url.startswith("data:"):
            continue
        parts = urlsplit(url)
        assert not parts.scheme and not url.startswith("//"), f"{page.name} loads {url}"
        assert (page.parent / unquote(parts.path)).is_file(), f"{page.name}: {url} is missing"
    for cdn in ("cdnjs", "unpkg", "jsdelivr", "googleapis"):
        assert not any(cdn in u for u in urls), f"{page.name} still loads from {cdn}"
    return html


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("classroom")


def test_deck_loads_reveal_and_mathjax_from_local_copies(out):
    (deck,) = slides.build_decks([NOTEBOOK], out / "slides")
    html = assert_all_local(deck)
    urls = loaded_urls(html)
    assert "_assets/reveal.js/dist/reveal.js" in urls
    assert any(u.startswith("_assets/mathjax/MathJax.js?config=") for u in urls)
    assert "require.js" not in html and "jquery" not in html.lower()
    assert "widget-view+json" not in html  # explorers show their stored picture
    assert html.count("<section") > 5  # cut into slides by the cells' metadata
    assert "Open In Colab" not in html  # the skipped set-up cells are left out


def test_handout_page_is_local_and_leaves_out_the_colab_cells(out):
    (page,) = handouts.write_html([NOTEBOOK], out / "handouts" / "html")
    html = assert_all_local(page)
    assert "google.colab" not in html and "Open In Colab" not in html
    assert "white-space: pre-wrap" in html  # long code lines wrap at the page edge
    pictures = [u for u in loaded_urls(html) if u.startswith("data:image/png")]
    assert len(pictures) == 4  # the three plots and the explorer's picture


def test_assets_come_from_the_installed_packages():
    assert (slides.reveal_source() / "dist" / "reveal.js").read_text()[:40].find("reveal.js") >= 0
    assert "MathJax" in (slides.mathjax_source() / "MathJax.js").read_text()[:2000]
