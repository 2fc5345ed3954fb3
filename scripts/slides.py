"""Static slide decks that work with no network: `make slides`.

    python scripts/slides.py [notebooks/NN_name.ipynb ...] [--out slides]

Each notebook becomes slides/NN_name.slides.html, a reveal.js deck cut by the cells'
slide metadata (each `##` section is a slide; the Colab cells are skipped). nbconvert's
own deck loads reveal.js, require.js, jQuery and MathJax from CDNs; this one loads
reveal.js and MathJax from slides/_assets/, copied from two pip packages that
`make install` brings (reveal.js 5 from sphinx-revealjs, MathJax 2.7 from
jupyter-server-mathjax), and needs neither require.js nor jQuery. Explorers show the
picture stored with the notebook (a deck has no kernel): the live widget needs one.

scripts/handouts.py uses the same assets for its PDFs.
"""

import argparse
import shutil
import sys
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter, SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
ASSETS = "_assets"  # beside the decks: slides/_assets/{reveal.js,mathjax}
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configs jupyter-server-mathjax ships

# The deck: nbconvert's reveal template without its CDN scripts (jQuery, require.js,
# mermaid, widgets) and with reveal.js loaded by plain <script> tags.
# jupyter-server-mathjax ships MathJax's STIX-Web fonts only (not its default TeX fonts).
MATHJAX_FONTS = r"""{%- block html_head_js_mathjax -%}
<script>window.MathJax = {"HTML-CSS": {availableFonts: [], preferredFont: null,
                                      webFont: "STIX-Web", imageFont: null}};</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
"""

DECK_TEMPLATE = r"""{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
""" + MATHJAX_FONTS + r"""
{%- block html_head_css -%}
<style>
  .reveal pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  .reveal .jp-OutputArea-output img { max-height: 520px; width: auto; }
</style>
{%- endblock html_head_css -%}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, hash: true, slideNumber: "c/t",
  transition: "none", width: 1100, height: 780, plugins: [RevealNotes],
});
function fit(slide) {  // a slide taller than the screen scrolls instead of being cut
  slide.querySelectorAll("section").forEach(function (s) {
    if (s.scrollHeight > document.querySelector(".reveal").offsetHeight * 0.95) {
      s.style.height = "calc(95vh)"; s.style.overflowY = "scroll"; s.style.marginTop = "20px";
    }
  });
}
Reveal.on("ready", function (event) { fit(event.currentSlide.parentNode); });
Reveal.on("slidechanged", function (event) {
  fit(event.currentSlide.parentNode);
  if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(["Rerender", MathJax.Hub, event.currentSlide]); }
});
</script>
{% endblock footer_js %}
"""

# A handout page: nbconvert's lab template without its CDN scripts, code wrapped at the
# page edge, pictures no wider than the page, no prompts.
HANDOUT_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
""" + MATHJAX_FONTS + r"""
{%- block html_head_css -%}
{{ super() }}
<style>
  @page { size: A4; margin: 14mm 12mm; }
  body { padding: 0 !important; }
  .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
  .jp-InputArea-editor, .jp-OutputArea-output { max-width: 100%; }
  pre, code, .jp-RenderedText pre, .highlight pre {
    white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: break-word;
  }
  .jp-OutputArea-output img { max-width: 100% !important; height: auto !important; }
  .jp-Cell { break-inside: avoid-page; }
  .jp-RenderedHTMLCommon h2 { break-before: auto; break-after: avoid-page; }
</style>
{%- endblock html_head_css -%}
"""


def _package_dir(module):
    __import__(module)
    return Path(sys.modules[module].__file__).parent


def reveal_source():
    """reveal.js (dist/, plugin/) as the sphinx-revealjs package ships it."""
    path = _package_dir("sphinx_revealjs") / "_static" / "revealjs"
    if not (path / "dist" / "reveal.js").exists():
        raise FileNotFoundError(f"no reveal.js in {path}: pip install sphinx-revealjs (make install)")
    return path


def mathjax_source():
    """MathJax 2.7 (MathJax.js, config/, jax/, fonts/) as jupyter-server-mathjax ships it."""
    path = _package_dir("jupyter_server_mathjax") / "static"
    if not (path / "MathJax.js").exists():
        raise FileNotFoundError(f"no MathJax in {path}: pip install jupyter-server-mathjax (make install)")
    return path


def copy_assets(out):
    """Copy reveal.js and MathJax into out/_assets/ (once; kept between runs)."""
    assets = Path(out) / ASSETS
    reveal, mathjax = assets / "reveal.js", assets / "mathjax"
    if not (reveal / "dist" / "reveal.js").exists():
        src = reveal_source()
        for part in ("dist", "plugin"):
            shutil.copytree(src / part, reveal / part, dirs_exist_ok=True)
    if not (mathjax / "MathJax.js").exists():
        shutil.copytree(mathjax_source(), mathjax, dirs_exist_ok=True)
    return assets


def without_live_widgets(nb):
    """A copy whose explorers show their stored picture: no widget state, so nbconvert
    falls back from the widget view to the PNG that every explorer also sends."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    return nb


def exporter(kind, assets_url):
    """An nbconvert exporter ('slides' or 'handout') that loads everything from assets_url."""
    loader = jinja2.DictLoader({"offline_deck.j2": DECK_TEMPLATE,
                                "offline_handout.j2": HANDOUT_TEMPLATE})
    mathjax = f"{assets_url}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    if kind == "slides":
        return SlidesExporter(extra_loaders=[loader], template_file="offline_deck.j2",
                              mathjax_url=mathjax, reveal_url_prefix=f"{assets_url}/reveal.js",
                              reveal_theme="white",
                              exclude_input_prompt=True, exclude_output_prompt=True)
    return HTMLExporter(extra_loaders=[loader], template_file="offline_handout.j2",
                        mathjax_url=mathjax, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def build_decks(paths, out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    deck = exporter("slides", ASSETS)
    written = []
    for path in map(Path, paths):
        nb = without_live_widgets(nbformat.read(path, as_version=4))
        body, _ = deck.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out / f"{path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "slides")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for target in build_decks(paths, args.out):
        print(f"wrote {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}")
    print(f"Open any {args.out}/NN_name.slides.html in a browser (no network needed): arrow keys "
          "to move, s for the speaker view.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
