"""Live explorers: sliders next to each idea, redrawn when a control is released.

Each explorer is a few controls plus a figure drawn by attnlib.viz. Only ipywidgets API
common to 7.7 (Colab) and 8 is used. When displayed, an explorer sends both the live
widget and a static PNG of its current figure: JupyterLab and Colab show the widget,
while GitHub, nbval and a PDF export, which cannot run widgets, show the picture.

Redraws are fast (well under 100 ms on a 2-core CPU up to N = 64): a draw function
returns a `Panels` description rather than a Figure, and the explorer keeps one Figure
per layout (panel count, sizes, token labels). The static parts (axes, token tick labels,
colour bar) are rendered once per layout; a redraw only repaints the heatmaps, the numbers
in their cells, and the titles onto that saved background (matplotlib's "blitting"). A draw function may also
return any matplotlib Figure, which is then rendered in full.
"""

import base64
import html
import io
import math
import os
import time
from collections import OrderedDict

import ipywidgets as W
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image as PILImage

from . import masks, viz
from .core import scaled_dot_product_attention
from .data import SENTENCES, embed, tokenize, unknown_words

MASK_KINDS = ("none", "causal", "padding", "window", "prefix")
MAX_LEN = 64  # the longest sequence the sentence explorers offer
DPI = 72  # explorer pictures: 5 x 4.2 inches -> 360 x 302 pixels
_SIZED_MASKS = ("padding", "window", "prefix")  # the masks that use the size control
PRESENTER_SCALE = 1.75  # presenter setting: pictures 630 x 529 pixels, type 175 %


def _scale_from_environment():
    value = os.environ.get("ATTNLIB_PRESENTER", "").strip().lower()
    if value in ("", "0", "no", "off", "false"):
        return 1.0
    try:
        return float(value) if float(value) > 1 else PRESENTER_SCALE
    except ValueError:
        return PRESENTER_SCALE


_scale = _scale_from_environment()


def presenter(on=True, scale=PRESENTER_SCALE):
    """The presenter setting, for a projector: explorers made after this call draw their
    pictures `scale` times larger (labels and numbers grow with them) and show controls
    and readout in large type. presenter(False) goes back to the normal size. Setting the
    environment variable ATTNLIB_PRESENTER=1 (or a scale, e.g. 2) before starting Jupyter
    turns it on for every notebook. Returns the scale now in force."""
    global _scale
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    _scale = float(scale) if on else 1.0
    return _scale


def _presenter_css(scale):
    """Large type for the controls and readout of explorers made in the presenter setting."""
    size = f"{round(100 * scale)}%"
    return (f"<style>.attnlib-presenter .widget-label, .attnlib-presenter .widget-readout, "
            f".attnlib-presenter input, .attnlib-presenter select, "
            f".attnlib-presenter button {{ font-size: {size} !important; line-height: 1.4; "
            f"height: auto !important; }} .attnlib-presenter .widget-label {{ "
            f"min-width: {round(6 * scale)}em; }}</style>")


# ------------------------------------------------------------------ fast figures


class Panels:
    """What an explorer shows: one heatmap (weights (N_q, N_k)) or a grid of them (P, N_q, N_k).

    x_labels label the keys (columns), y_labels the queries (rows). panel_titles name the
    panels of a grid; `highlight` marks one panel (e.g. the chosen head) in the grid.
    colorbar_label names the colour bar of a single heatmap (default: "weight").
    """

    def __init__(self, weights, x_labels, y_labels, *, title, panel_titles=None, ncols=4,
                 panel=2.4, highlight=None, xlabel="key", ylabel="query", annotate=None,
                 colorbar_label=None):
        w = weights.detach().cpu().float().numpy() if isinstance(weights, torch.Tensor) \
            else np.asarray(weights, dtype=float)
        if w.ndim not in (2, 3):
            raise ValueError(f"weights must be (N_q, N_k) or (P, N_q, N_k), got shape {w.shape}")
        self.grid = w.ndim == 3
        self.weights = w if self.grid else w[None]
        _, n_q, n_k = self.weights.shape
        if len(x_labels) != n_k or len(y_labels) != n_q:
            raise ValueError(f"{len(y_labels)} query and {len(x_labels)} key labels do not fit "
                             f"weights of shape {w.shape}")
        self.x_labels, self.y_labels = [str(t) for t in x_labels], [str(t) for t in y_labels]
        self.title, self.ncols, self.panel, self.highlight = title, ncols, panel, highlight
        count = self.weights.shape[0]
        self.panel_titles = list(panel_titles) if panel_titles else [f"head {h}" for h in range(count)]
        self.xlabel, self.ylabel = xlabel, ylabel
        self.annotate = (not self.grid and n_q * n_k <= 64) if annotate is None else annotate
        self.colorbar_label = colorbar_label

    def layout(self):
        """Everything that the saved background depends on."""
        return (self.grid, self.weights.shape, tuple(self.x_labels), tuple(self.y_labels),
                tuple(self.panel_titles), self.ncols, self.panel, self.xlabel, self.ylabel,
                self.annotate, self.colorbar_label)


def _tick_step(n, inches):
    """Label every k-th token so that labels are at least ~11 pixels apart on the axes."""
    pixels = inches * DPI * 0.68  # the share of the figure the axes take
    return max(1, math.ceil(n * 11 / pixels))


class _FastFigure:
    """One Figure for one Panels layout; `render(panels)` repaints only what changes."""

    def __init__(self, panels, dpi=DPI):
        w = panels.weights
        if panels.grid:
            self.fig = viz.heads_grid(w, panels.x_labels, panels.y_labels, title=panels.title,
                                      ncols=panels.ncols, head_titles=panels.panel_titles,
                                      panel=panels.panel,
                                      tick_step=_tick_step(max(w.shape[1:]), panels.panel))
            self.axes = [ax for ax in self.fig.axes if ax.images][: w.shape[0]]
            self.title = self.fig._suptitle
        else:
            self.fig = viz.heatmap(w[0], panels.x_labels, panels.y_labels, title=panels.title,
                                   xlabel=panels.xlabel, ylabel=panels.ylabel,
                                   annotate=panels.annotate, colorbar_label=panels.colorbar_label,
                                   tick_step=_tick_step(max(w.shape[1:]), 4.2))
            self.axes = [self.fig.axes[0]]
            self.title = self.axes[0].title
        self.fig.set_dpi(dpi)
        self.images = [ax.images[0] for ax in self.axes]
        self.cells = list(self.axes[0].texts) if panels.annotate and not panels.grid else []
        self.panel_titles = [ax.title for ax in self.axes] if panels.grid else []
        self.titles = [self.title, *self.panel_titles]
        self.canvas = None
        self.background = None
        self.boxes = None  # (row, column) of each cell's number in the pixels, or None
        self.numbers = {}  # "0.42" -> its coverage (h, w, 1): how much ink each pixel gets

    def _save_background(self):
        """Render everything but the changing artists once and keep the pixels."""
        self.canvas = FigureCanvasAgg(self.fig)
        texts = [t.get_text() for t in self.titles]
        for artist in [*self.images, *self.cells]:
            artist.set_visible(False)
        for t in self.titles:  # emptied, not hidden, so that titles keep their place
            t.set_text("")
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        for artist in [*self.images, *self.cells]:
            artist.set_visible(True)
        for t, text in zip(self.titles, texts):
            t.set_text(text)
        self._place_numbers()

    def _place_numbers(self):
        """Where each cell's number goes, so that numbers can be pasted, not re-rendered.

        Drawing 64 texts costs far more than the rest of a redraw. Every number has the
        form d.dd and the font's digits share one width, so one box size fits them all:
        each distinct number is rendered once (black on the white, empty axes), kept as
        its coverage, and pasted into the cells that show it in their text colour. Each
        cell's text is moved by under a pixel so that all of them sit at the same
        sub-pixel offset: a number then renders alike in every cell, pasted or drawn.
        """
        self.boxes, self.numbers = None, {}
        if not self.cells:
            return
        to_pixels = self.axes[0].transData
        centres = []
        for t in self.cells:
            x, y = to_pixels.transform(t.get_position())
            centres.append((math.floor(x), math.floor(y)))
            t.set_position(to_pixels.inverted().transform((math.floor(x) + 0.25, math.floor(y) + 0.25)))
        renderer = self.canvas.get_renderer()
        extents = [t.get_window_extent(renderer) for t in self.cells]
        self.box_w = math.ceil(max(e.width for e in extents)) + 6
        self.box_h = math.ceil(max(e.height for e in extents)) + 6
        pixels = np.asarray(self.canvas.buffer_rgba())  # the background: axes still empty
        height, width = pixels.shape[:2]
        boxes = []
        for x, y in centres:
            row, col = height - y - self.box_h // 2, x - self.box_w // 2
            if row < 0 or col < 0 or row + self.box_h > height or col + self.box_w > width:
                return  # a number outside the figure: draw the texts instead
            if (pixels[row:row + self.box_h, col:col + self.box_w, :3] != 255).any():
                return  # numbers wider than their cells: draw the texts instead
            boxes.append((row, col))
        self.boxes = boxes

    def _coverage(self, number):
        """The number's ink per pixel (h, w, 1) in [0, 1], rendered once at the first cell."""
        if number not in self.numbers:
            text = self.cells[0]
            kept = text.get_text(), text.get_color()
            self.canvas.restore_region(self.background)
            text.set_text(number)
            text.set_color("black")
            self.fig.draw_artist(text)
            row, col = self.boxes[0]
            pixels = np.asarray(self.canvas.buffer_rgba())
            white = pixels[row:row + self.box_h, col:col + self.box_w, :1].astype(np.float32)
            self.numbers[number] = 1.0 - white / 255.0  # black on white: ink = 1 - brightness
            text.set_text(kept[0])
            text.set_color(kept[1])
        return self.numbers[number]

    def _paste_numbers(self, texts, colours):
        pixels = np.asarray(self.canvas.buffer_rgba())
        for (row, col), text, colour in zip(self.boxes, texts, colours):
            ink = self._coverage(text)  # (h, w, 1)
            box = pixels[row:row + self.box_h, col:col + self.box_w, :3]
            box[...] = (box * (1.0 - ink) + colour * ink + 0.5).astype(np.uint8)

    def render(self, panels):
        """Update the changing artists, paint them onto the background; returns PNG bytes."""
        for image, w in zip(self.images, panels.weights):
            image.set_data(w)
        numbers, colours = [], []
        if self.cells:
            w = panels.weights[0]
            for text, value in zip(self.cells, w.ravel()):
                numbers.append(f"{value:.2f}")
                colours.append(0 if value > 0.5 else 255)  # black on bright cells, else white
                text.set_text(numbers[-1])
                text.set_color("black" if value > 0.5 else "white")
        self.title.set_text(panels.title)
        for h, text in enumerate(self.panel_titles):
            chosen = h == panels.highlight
            text.set_text(f"{panels.panel_titles[h]}{' (chosen)' if chosen else ''}")
            text.set_color("#c0392b" if chosen else "black")
            text.set_fontweight("bold" if chosen else "normal")
        if self.fig.canvas is not self.canvas or self.background is None:
            self._save_background()  # first use, or someone drew the figure on another canvas
        pasted = self.boxes is not None
        if pasted:
            for number in numbers:
                self._coverage(number)  # render new numbers before the frame is painted
        self.canvas.restore_region(self.background)
        for artist in [*self.images, *([] if pasted else self.cells), *self.titles]:
            self.fig.draw_artist(artist)
        if pasted:
            self._paste_numbers(numbers, colours)
        return _png(self.canvas)


def _png(canvas):
    """The canvas's pixels as a quickly compressed RGB PNG."""
    rgba = np.asarray(canvas.buffer_rgba())
    buf = io.BytesIO()
    PILImage.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# ------------------------------------------------------------------ the explorer


class Backdrop:
    """A figure whose fixed parts are rendered once, for explorers that draw their own
    pictures (a graph, a grid world) rather than heatmaps.

    `moving` lists the artists that change between redraws (they must already be in the
    figure). A draw function updates them and returns the Backdrop; the explorer then
    paints only those artists over the saved pixels of everything else ("blitting"),
    instead of rendering the whole figure again. The figure itself stays complete, so it
    can still be saved or shown whole.
    """

    def __init__(self, fig, moving):
        self.fig, self.moving = fig, list(moving)
        self.canvas, self.background, self.dpi = None, None, None

    def render(self, dpi=DPI):
        """PNG bytes of the figure with the moving artists as they are now."""
        if self.dpi != dpi:  # first use, or another presenter scale: save the background
            self.fig.set_dpi(dpi)
            self.canvas = FigureCanvasAgg(self.fig)
            for artist in self.moving:
                artist.set_animated(True)  # a full draw skips animated artists
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in self.moving:
                artist.set_animated(False)
            self.dpi = dpi
        self.canvas.restore_region(self.background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        return _png(self.canvas)


class Explorer:
    """Controls plus one figure; `draw(**values)` makes the figure from the control values.

    draw returns (Panels, Backdrop or matplotlib Figure, readout HTML). `adjust(name,
    controls)`, if given, runs before a redraw when control `name` changed, to update dependent controls
    (e.g. a range); its own changes do not trigger further redraws. A draw that raises
    shows the error in the readout and keeps the last picture (the first draw raises).
    remember=K keeps the pictures of the last K control settings, for explorers whose
    draw returns a full Figure (slow to render) and whose settings are few: a setting seen
    before is shown again without drawing.
    """

    def __init__(self, name, controls, draw, *, height="440px", adjust=None, remember=0):
        self.name = name
        self.scale = _scale  # the presenter setting when the explorer was made
        self.dpi = DPI * self.scale
        if self.scale != 1 and height.endswith("px"):
            height = f"{round(float(height[:-2]) * self.scale)}px"
        self.controls = controls  # {name: widget}
        self._draw = draw
        self._adjust = adjust
        self._holding = False
        self._figures = OrderedDict()  # layout -> _FastFigure, most recent last
        self._remember = remember
        self._seen = OrderedDict()  # control values -> (figure, png, readout), most recent last
        self.out = W.Output(layout=W.Layout(height=height, overflow="hidden"))
        self.readout = W.HTML()
        for control_name, control in controls.items():
            control.observe(lambda change, n=control_name: self._on_change(n), names="value")
        rows = [W.HBox(list(controls.values())[i:i + 3]) for i in range(0, len(controls), 3)]
        self.widget = W.VBox([*rows, self.readout, self.out])
        if self.scale != 1:
            self.widget.children = (W.HTML(_presenter_css(self.scale)), *self.widget.children)
            self.widget.add_class("attnlib-presenter")
        self.figure = None
        self.png = b""
        self.error = None
        self.redraws = 0
        self.last_redraw_s = 0.0
        if adjust is not None:
            self._run_adjust(None)
        self.redraw(raise_errors=True)

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values):
        """Set controls as a learner would; each change redraws once."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"{self.name} has no control {name!r}; it has {list(self.controls)}")
            self.controls[name].value = value

    def _run_adjust(self, name):
        self._holding = True
        try:
            self._adjust(name, self.controls)
        finally:
            self._holding = False

    def _on_change(self, name):
        if self._holding:
            return
        if self._adjust is not None:
            self._run_adjust(name)
        self.redraw()

    def prepare(self, panels):
        """Render the static parts of a layout ahead of time, so its first view is quick."""
        key = panels.layout()
        if key not in self._figures:
            fast = self._figures[key] = _FastFigure(panels, self.dpi)
            fast.render(panels)

    def _render(self, panels):
        key = panels.layout()
        fast = self._figures.pop(key, None) or _FastFigure(panels, self.dpi)
        self._figures[key] = fast
        while len(self._figures) > 8:
            self._figures.popitem(last=False)
        return fast.fig, fast.render(panels)

    def redraw(self, raise_errors=False):
        start = time.perf_counter()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: a second thread only waits on a busy core
        try:
            key = tuple(self.values().items())
            if key in self._seen:
                self._seen.move_to_end(key)
                figure, png, readout = self._seen[key]
            else:
                with torch.no_grad():
                    result, readout = self._draw(**self.values())
                if isinstance(result, Panels):
                    figure, png = self._render(result)
                elif isinstance(result, Backdrop):
                    figure, png = result.fig, result.render(self.dpi)
                else:
                    figure, png = result, viz.to_png(result, dpi=self.dpi)
                if self._remember:
                    self._seen[key] = figure, png, readout
                    while len(self._seen) > self._remember:
                        self._seen.popitem(last=False)
        except Exception as err:  # noqa: BLE001 - a learner's input; say what is wrong
            if raise_errors:
                raise
            self.error = f"{type(err).__name__}: {err}"
            self.readout.value = self._large(f'<span style="color:#c0392b"><b>Cannot draw '
                                             f"this:</b> {html.escape(self.error)}</span>")
        else:
            self.error = None
            self.figure, self.png = figure, png
            self.readout.value = self._large(readout)
            # Replace the picture in one step (as clear_output(wait=True) would), no flicker.
            self.out.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": base64.b64encode(png).decode("ascii"),
                         "text/plain": f"<{self.name} explorer figure>"},
                "metadata": {},
            },)
        finally:
            torch.set_num_threads(threads)
        self.redraws += 1
        self.last_redraw_s = time.perf_counter() - start

    def _large(self, readout):
        """The readout in large type in the presenter setting."""
        if self.scale == 1:
            return readout
        return f'<div style="font-size:{round(100 * self.scale)}%;line-height:1.35">{readout}</div>'

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": self.widget.model_id,
            },
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": f"<{self.name} explorer: {self.values()}>",
        }


def _slider(description, value, lo, hi, step=1):
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                       continuous_update=False)


def _float_slider(description, value, lo, hi, step):
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=False, readout_format=".2f")


def _warn(text):
    return f'<br><span style="color:#b35900">{html.escape(text)}</span>'


def _text_notes(text, seq_len, n):
    """Readout lines: length clipped to the text, and words the embedding does not know."""
    notes = ""
    words = len(tokenize(text))
    if seq_len is not None and seq_len > words:
        notes += _warn(f"length {seq_len} asked, but the text has only {words} words: "
                       f"showing N = {n}. Add words to go longer.")
    unknown = sorted(set(unknown_words(" ".join(tokenize(text)[:n]))))
    if unknown:
        notes += _warn("not in the vocabulary, so embedded as zero vectors: "
                       + ", ".join(repr(w) for w in unknown))
    return notes


def _mask_name(mask, size):
    return f"{mask}({size})" if mask in _SIZED_MASKS else mask


def _describe(mask, size, n):
    """masks.describe with the size that masks.by_name actually uses for n tokens."""
    return masks.describe(mask, min(size, n) if mask in ("padding", "prefix") else size)


def show(control, visible):
    """Show or hide a control; a hidden control keeps its place, so nothing below it jumps."""
    control.layout.visibility = "visible" if visible else "hidden"


def is_shown(control):
    return control.layout.visibility != "hidden"


def _hide_unused_size(name, controls):
    """The size slider only does something for the masks that have a size."""
    show(controls["size"], controls["mask"].value in _SIZED_MASKS)


# ------------------------------------------------------------------ weights explorer

SELF_MATCH = ("kept", "removed")  # the self-match control: may a word attend to itself?


def sentence_weights(text, seq_len=None, temperature=1.0, mask="none", size=2, self_match="kept"):
    """Self-attention weights of a sentence's word vectors (q = k = v = x, no projections).

    Scores are x x^T / (sqrt(D) T). A word's vector is most similar to itself, so the
    diagonal takes most of the weight; self_match="removed" blocks it (query i may not
    attend to key i) on top of the mask, to show which *other* words each word resembles.
    Returns (tokens, weights (N, N), the keep mask used or None).
    """
    if self_match not in SELF_MATCH:
        raise ValueError(f"self_match must be one of {SELF_MATCH}, got {self_match!r}")
    tokens, x = embed(text, max_len=seq_len)  # x (N, D)
    n = len(tokens)
    keep = masks.by_name(mask, n, size)  # (N, N) or None
    if self_match == "removed":
        not_self = ~torch.eye(n, dtype=torch.bool)  # (N, N)
        keep = not_self if keep is None else keep & not_self
    scale = 1.0 / (x.shape[-1] ** 0.5 * temperature)
    _, weights = scaled_dot_product_attention(x, x, x, keep, scale=scale)
    return tokens, weights, keep


def _empty_rows_note(keep):
    """Readout line for queries that the mask leaves with no key at all."""
    empty = 0 if keep is None else int(masks.fully_masked_rows(keep).sum())
    if not empty:
        return ""
    return (f"<br>{empty} {'query has' if empty == 1 else 'queries have'} no key to attend to: "
            "zero weights in that row")


def weights_explorer(text=SENTENCES[2], seq_len=9, temperature=1.0, mask="none", size=2,
                     self_match="kept"):
    """Edit the sentence, its length, the softmax temperature, the mask and the self-match.

    The length is clipped to the number of words (the readout says so); words outside the
    vocabulary are embedded as zero vectors and listed in the readout. With the
    self-match removed the figure's title says so.
    """
    controls = {
        "text": W.Text(value=text, description="text", continuous_update=False),
        "seq_len": _slider("length N", seq_len, 1, MAX_LEN),
        "temperature": _float_slider("temperature", temperature, 0.1, 4.0, 0.1),
        "mask": W.Dropdown(options=MASK_KINDS, value=mask, description="mask"),
        "size": _slider("mask size", size, 0, MAX_LEN),
        "self_match": W.ToggleButtons(options=SELF_MATCH, value=self_match,
                                      description="self-match"),
    }

    def draw(text, seq_len, temperature, mask, size, self_match):
        tokens, weights, keep = sentence_weights(text, seq_len, temperature, mask, size, self_match)
        n = len(tokens)
        title = f"Self-attention, N={n}, T={temperature:.2f}, mask={_mask_name(mask, size)}"
        if self_match == "removed":
            title += "\nself-match removed: no word attends to itself"
        readout = (f"<b>N = {n}</b>, temperature {temperature:.2f}, {_describe(mask, size, n)}; "
                   f"self-match {self_match}" + _empty_rows_note(keep)
                   + _text_notes(text, seq_len, n))
        return Panels(weights, tokens, tokens, title=title), readout

    return Explorer("weights", controls, draw, adjust=_hide_unused_size)


# ------------------------------------------------------------------ lookup explorer


def lookup_weights(queries, text, temperature=1.0):
    """Weights of query words looking up a sentence's words (keys = values = the sentence).

    Returns (query tokens, key tokens, weights (N_q, N_k)). Scores are q k^T / (sqrt(D) T).
    """
    q_tokens, q = embed(queries)  # (N_q, D)
    k_tokens, k = embed(text)  # (N_k, D)
    scale = 1.0 / (k.shape[-1] ** 0.5 * temperature)
    _, weights = scaled_dot_product_attention(q, k, k, scale=scale)  # (N_q, N_k)
    return q_tokens, k_tokens, weights


def lookup_explorer(queries="bus blue doctor", text=SENTENCES[1], temperature=1.0):
    """Query words (not taken from the sentence) look up the words of a sentence.

    Edit the query words, the sentence and the temperature. The readout names the key
    each query puts most weight on, and flags words outside the vocabulary.
    """
    controls = {
        "queries": W.Text(value=queries, description="queries", continuous_update=False),
        "text": W.Text(value=text, description="sentence", continuous_update=False),
        "temperature": _float_slider("temperature", temperature, 0.1, 4.0, 0.1),
    }

    def draw(queries, text, temperature):
        q_tokens, k_tokens, weights = lookup_weights(queries, text, temperature)
        best = weights.max(dim=-1)  # per query: the largest weight and its key
        found = ", ".join(f"{q} &rarr; {k_tokens[j]} ({w:.2f})"
                          for q, j, w in zip(q_tokens, best.indices.tolist(), best.values.tolist()))
        title = f"Query words looking up the sentence, T={temperature:.2f}"
        readout = (f"<b>N_q = {len(q_tokens)}, N_k = {len(k_tokens)}</b>, temperature "
                   f"{temperature:.2f}; largest weight per query: {found}"
                   + _text_notes(queries, None, len(q_tokens)) + _text_notes(text, None, len(k_tokens)))
        fig = Panels(weights, k_tokens, q_tokens, title=title, xlabel="key (sentence word)",
                     ylabel="query word")
        return fig, readout

    return Explorer("lookup", controls, draw)


def compare_explorer(text=SENTENCES[2], left=None, right=None, seq_len=9):
    """Two settings of the weights explorer side by side, e.g. scaled vs unscaled.

    left/right: dicts of sentence_weights arguments plus an optional 'label'.
    The controls (text, length, mask) are shared by both sides.
    """
    left = left or {"temperature": 1.0, "label": "scaled by 1/sqrt(D)"}
    right = right or {"temperature": 1.0 / 32**0.5, "label": "unscaled"}
    controls = {
        "text": W.Text(value=text, description="text", continuous_update=False),
        "seq_len": _slider("length N", seq_len, 1, MAX_LEN),
        "mask": W.Dropdown(options=MASK_KINDS, value="none", description="mask"),
        "size": _slider("mask size", 2, 0, MAX_LEN),
    }

    def draw(text, seq_len, mask, size):
        panels = []
        for side in (left, right):
            settings = {"mask": mask, "size": size, **{k: v for k, v in side.items() if k != "label"}}
            tokens, weights, _ = sentence_weights(text, seq_len, **settings)
            panels.append(weights)
        n = len(tokens)
        fig = Panels(torch.stack(panels), tokens, tokens, ncols=2, panel=3.2,
                     panel_titles=[left.get("label", "left"), right.get("label", "right")],
                     title=f"Side by side, N={n}, mask={_mask_name(mask, size)}")
        return fig, f"<b>N = {n}</b>, {_describe(mask, size, n)}" + _text_notes(text, seq_len, n)

    return Explorer("compare", controls, draw, adjust=_hide_unused_size)


# ------------------------------------------------------------------ heads explorer


def heads_explorer(weights_by_heads, labels, *, title="Trained model"):
    """Browse attention weights of models with different head counts.

    weights_by_heads: {num_heads: weights (H, N, N)} computed by real models;
    labels: the N token labels. Controls: number of heads, head index (its range follows
    the number of heads), one head or all (the chosen head is marked in the grid). A
    control that could not move is left out (one model: no H slider; H = 1 only: no head
    slider and no view) or hidden while it cannot (the head slider when H = 1 is chosen).
    """
    options = sorted(weights_by_heads)
    for h, w in weights_by_heads.items():
        if w.shape[0] != h or w.shape[-1] != len(labels) or w.shape[-2] != len(labels):
            raise ValueError(f"weights_by_heads[{h}] must have shape ({h}, {len(labels)}, "
                             f"{len(labels)}) for {len(labels)} labels, got {tuple(w.shape)}")
    controls = {}
    if len(options) > 1:
        controls["num_heads"] = W.SelectionSlider(options=options, value=options[-1],
                                                  description="heads H", continuous_update=False)
    if options[-1] > 1:
        controls["head"] = _slider("head", 0, 0, options[-1] - 1)
        controls["view"] = W.ToggleButtons(options=("one head", "all heads"), value="all heads",
                                           description="view")

    def adjust(name, controls):
        if "num_heads" in controls and "head" in controls:
            num_heads = controls["num_heads"].value
            controls["head"].max = max(num_heads - 1, 1)  # a slider needs max > min to move
            controls["head"].value = min(controls["head"].value, num_heads - 1)
            show(controls["head"], num_heads > 1)

    def draw(num_heads=options[-1], head=0, view="one head"):
        w = weights_by_heads[num_heads]  # (H, N, N)
        head = min(head, num_heads - 1)
        if view == "all heads":
            fig = Panels(w, labels, labels, highlight=head,
                         title=f"{title}: all {num_heads} heads (head {head} chosen)")
        else:
            fig = Panels(w[head], labels, labels, title=f"{title}: head {head} of {num_heads}")
        return fig, f"<b>H = {num_heads}</b>, head {head}, {view}"

    explorer = Explorer("heads", controls, draw, height="520px", adjust=adjust)
    for h in options:  # a handful of layouts, known in advance: draw their axes and labels now
        explorer.prepare(Panels(weights_by_heads[h], labels, labels, title=title))
    explorer.prepare(Panels(weights_by_heads[options[0]][0], labels, labels, title=title))
    return explorer


# ------------------------------------------------------------------ model explorer


def model_explorer(run, text, kinds=("encoder self",), num_layers=1, num_heads=1, *,
                   unknown=None):
    """Explore a trained model's attention: input text, which attention, layer and head.

    run(text) -> {kind: (weights (L, H, N_q, N_k), query labels, key labels)}, computed by
    the caller's trained model (each text is run once, then cached). kinds: e.g.
    ('encoder self', 'decoder self', 'cross'). unknown(text), if given, lists the words
    the model does not know; the readout flags them. Controls that could not move (one
    kind, one layer, one head) are left out.
    """
    controls = {"text": W.Text(value=text, description="input", continuous_update=False)}
    if len(kinds) > 1:
        controls["kind"] = W.Dropdown(options=tuple(kinds), value=kinds[0], description="attention")
    if num_layers > 1:
        controls["layer"] = _slider("layer", 0, 0, num_layers - 1)
    if num_heads > 1:
        controls["head"] = _slider("head", 0, 0, num_heads - 1)
    cache = OrderedDict()

    def run_cached(text):
        if text not in cache:
            cache[text] = run(text)
            while len(cache) > 16:
                cache.popitem(last=False)
        return cache[text]

    def draw(text, kind=kinds[0], layer=0, head=0):
        weights, q_labels, k_labels = run_cached(text)[kind]
        where = ", ".join([*([f"layer {layer}"] if num_layers > 1 else []),
                           *([f"head {head}"] if num_heads > 1 else [])])
        fig = Panels(weights[layer, head], k_labels, q_labels,
                     title=f"{kind} attention" + (f", {where}" if where else ""))
        readout = (f"<b>{kind}</b>, layer {layer} of {num_layers}, head {head} of {num_heads}, "
                   f"N_q = {len(q_labels)}, N_k = {len(k_labels)}")
        missing = sorted(set(unknown(text))) if unknown is not None else []
        if missing:
            readout += _warn("not in the model's vocabulary: " + ", ".join(repr(w) for w in missing))
        return fig, readout

    return Explorer("model", controls, draw)
