"""Live explorers: sliders next to each idea, redrawn when a control is released.

Each explorer is a few controls plus a figure drawn by attnlib.viz. Only ipywidgets API
common to 7.7 (Colab) and 8 is used. When displayed, an explorer sends both the live
widget and a static PNG of its current figure: JupyterLab and Colab show the widget,
while GitHub, nbval and a PDF export, which cannot run widgets, show the picture.
"""

import base64
import time

import ipywidgets as W
import torch
from IPython.display import Image, clear_output, display

from . import masks, viz
from .core import scaled_dot_product_attention
from .data import SENTENCES, embed

MASK_KINDS = ("none", "causal", "padding", "window", "prefix")


class Explorer:
    """Controls plus one figure; `draw(**values)` makes the figure from the control values."""

    def __init__(self, name, controls, draw, *, height="440px"):
        self.name = name
        self.controls = controls  # {name: widget}
        self._draw = draw
        self.out = W.Output(layout=W.Layout(height=height, overflow="hidden"))
        self.readout = W.HTML()
        for control in controls.values():
            control.observe(self._on_change, names="value")
        rows = [W.HBox(list(controls.values())[i:i + 3]) for i in range(0, len(controls), 3)]
        self.widget = W.VBox([*rows, self.readout, self.out])
        self.figure = None
        self.png = b""
        self.redraws = 0
        self.last_redraw_s = 0.0
        self.redraw()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values):
        """Set controls as a learner would; each change redraws once."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"{self.name} has no control {name!r}; it has {list(self.controls)}")
            self.controls[name].value = value

    def _on_change(self, change):
        self.redraw()

    def redraw(self):
        start = time.perf_counter()
        self.figure, readout = self._draw(**self.values())
        self.png = viz.to_png(self.figure)
        self.readout.value = readout
        with self.out:
            clear_output(wait=True)  # replace the figure instead of stacking a new one
            display(Image(data=self.png))
        self.redraws += 1
        self.last_redraw_s = time.perf_counter() - start

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


# ------------------------------------------------------------------ weights explorer


def sentence_weights(text, seq_len=None, temperature=1.0, mask="none", size=2):
    """Self-attention weights of a sentence's word vectors (q = k = v = x, no projections).

    Returns (tokens, weights (N, N), the mask used or None). Scores are x x^T / (sqrt(D) T).
    """
    tokens, x = embed(text, max_len=seq_len)  # x (N, D)
    n = len(tokens)
    keep = masks.by_name(mask, n, size)
    scale = 1.0 / (x.shape[-1] ** 0.5 * temperature)
    _, weights = scaled_dot_product_attention(x, x, x, keep, scale=scale)
    return tokens, weights, keep


def weights_explorer(text=SENTENCES[2], seq_len=9, temperature=1.0, mask="none", size=2):
    """Edit the sentence, its length, the softmax temperature and the mask."""
    controls = {
        "text": W.Text(value=text, description="text", continuous_update=False),
        "seq_len": _slider("length N", seq_len, 1, 16),
        "temperature": _float_slider("temperature", temperature, 0.1, 4.0, 0.1),
        "mask": W.Dropdown(options=MASK_KINDS, value=mask, description="mask"),
        "size": _slider("mask size", size, 0, 16),
    }

    def draw(text, seq_len, temperature, mask, size):
        tokens, weights, _ = sentence_weights(text, seq_len, temperature, mask, size)
        title = f"Self-attention, N={len(tokens)}, T={temperature:.2f}, mask={mask}"
        readout = f"<b>N = {len(tokens)}</b>, temperature {temperature:.2f}, {masks.describe(mask, size)}"
        return viz.heatmap(weights, tokens, tokens, title=title), readout

    return Explorer("weights", controls, draw)


def compare_explorer(text=SENTENCES[2], left=None, right=None, seq_len=9):
    """Two settings of the weights explorer side by side, e.g. scaled vs unscaled.

    left/right: dicts of sentence_weights arguments plus an optional 'label'.
    The controls (text, length, mask) are shared by both sides.
    """
    left = left or {"temperature": 1.0, "label": "scaled by 1/sqrt(D)"}
    right = right or {"temperature": 1.0 / 32**0.5, "label": "unscaled"}
    controls = {
        "text": W.Text(value=text, description="text", continuous_update=False),
        "seq_len": _slider("length N", seq_len, 1, 16),
        "mask": W.Dropdown(options=MASK_KINDS, value="none", description="mask"),
        "size": _slider("mask size", 2, 0, 16),
    }

    def draw(text, seq_len, mask, size):
        panels = []
        for side in (left, right):
            settings = {"mask": mask, "size": size, **{k: v for k, v in side.items() if k != "label"}}
            tokens, weights, _ = sentence_weights(text, seq_len, **settings)
            panels.append(weights)
        fig = viz.heads_grid(torch.stack(panels), tokens, tokens, ncols=2, panel=3.2,
                             head_titles=[left.get("label", "left"), right.get("label", "right")],
                             title=f"Side by side, N={len(tokens)}, mask={mask}")
        return fig, f"<b>N = {len(tokens)}</b>, {masks.describe(mask, size)}"

    return Explorer("compare", controls, draw)


# ------------------------------------------------------------------ heads explorer


def heads_explorer(weights_by_heads, labels, *, title="Trained model"):
    """Browse attention weights of models with different head counts.

    weights_by_heads: {num_heads: weights (H, N, N)} computed by real models;
    labels: the N token labels. Controls: number of heads, head index, one head or all.
    """
    options = sorted(weights_by_heads)
    controls = {
        "num_heads": W.SelectionSlider(options=options, value=options[-1], description="heads H",
                                       continuous_update=False),
        "head": _slider("head", 0, 0, max(options) - 1),
        "view": W.ToggleButtons(options=("one head", "all heads"), value="all heads",
                                description="view"),
    }

    def draw(num_heads, head, view):
        w = weights_by_heads[num_heads]  # (H, N, N)
        head = min(head, num_heads - 1)
        if view == "all heads":
            fig = viz.heads_grid(w, labels, labels, title=f"{title}: all {num_heads} heads")
        else:
            fig = viz.heatmap(w[head], labels, labels, title=f"{title}: head {head} of {num_heads}")
        return fig, f"<b>H = {num_heads}</b>, head {head}, {view}"

    return Explorer("heads", controls, draw, height="520px")


# ------------------------------------------------------------------ model explorer


def model_explorer(run, text, kinds=("encoder self",), num_layers=1, num_heads=1):
    """Explore a trained model's attention: input text, which attention, layer and head.

    run(text) -> {kind: (weights (L, H, N_q, N_k), query labels, key labels)}, computed by
    the caller's trained model. kinds: e.g. ('encoder self', 'decoder self', 'cross').
    """
    controls = {
        "text": W.Text(value=text, description="input", continuous_update=False),
        "kind": W.Dropdown(options=tuple(kinds), value=kinds[0], description="attention"),
        "layer": _slider("layer", 0, 0, num_layers - 1),
        "head": _slider("head", 0, 0, num_heads - 1),
    }

    def draw(text, kind, layer, head):
        weights, q_labels, k_labels = run(text)[kind]
        fig = viz.heatmap(weights[layer, head], k_labels, q_labels,
                          title=f"{kind} attention, layer {layer}, head {head}")
        return fig, f"<b>{kind}</b>, layer {layer}, head {head}"

    return Explorer("model", controls, draw)
