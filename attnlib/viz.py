"""One visual vocabulary for the whole series: heatmaps of attention weights.

Every function returns a matplotlib Figure (it does not call plt.show), so notebooks
display it as a cell's value and tests can inspect it.
"""

import io

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

CMAP = "viridis"
STYLE = {"figure.dpi": 80, "savefig.dpi": 80, "font.size": 9}
"""The series' look. viz applies it to its own figures only; use_style() makes it global."""


def use_style():
    """Give every matplotlib figure of this session the series' look (changes rcParams)."""
    matplotlib.rcParams.update(STYLE)


def _numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=float)


def _check_labels(name, labels, n, shape):
    if labels is not None and len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels but the weights of shape {shape} need {n}")


def draw_heatmap(ax, weights, x_labels=None, y_labels=None, *, title=None, xlabel="key",
                 ylabel="query", vmin=0.0, vmax=1.0, annotate=None, cmap=CMAP, tick_step=1):
    """Draw (N_q, N_k) weights onto an existing Axes; returns the image.

    tick_step k > 1 labels every k-th token only (long sequences; also faster to draw)."""
    w = _numpy(weights)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (N_q, N_k), got shape {w.shape}")
    n_q, n_k = w.shape
    _check_labels("x_labels", x_labels, n_k, w.shape)
    _check_labels("y_labels", y_labels, n_q, w.shape)
    image = ax.imshow(w, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    xs, ys = range(0, n_k, tick_step), range(0, n_q, tick_step)
    ax.set_xticks(xs, [x_labels[j] for j in xs] if x_labels is not None else xs,
                  rotation=60 if x_labels is not None else 0, ha="right" if x_labels is not None else "center")
    ax.set_yticks(ys, [y_labels[i] for i in ys] if y_labels is not None else ys)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if annotate is None:
        annotate = n_q * n_k <= 64
    if annotate:
        middle = (vmin + vmax) / 2 if vmax is not None else w.mean()
        for i in range(n_q):
            for j in range(n_k):
                colour = "black" if w[i, j] > middle else "white"
                ax.text(j, i, f"{w[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour)
    return image


@matplotlib.rc_context(STYLE)
def heatmap(weights, x_labels=None, y_labels=None, *, title="Attention weights", xlabel="key",
            ylabel="query", vmin=0.0, vmax=1.0, annotate=None, cmap=CMAP, size=(5.0, 4.2),
            tick_step=1, colorbar_label=None):
    """A Figure with one heatmap of (N_q, N_k) weights, token labels on both axes, colour bar.

    The colour bar says "weight" for the range 0..1, else "value", unless colorbar_label."""
    fig = Figure(figsize=size)  # fixed margins: faster to redraw than a computed layout
    fig.subplots_adjust(left=0.2, right=0.86, bottom=0.22, top=0.9)
    ax = fig.add_subplot()
    image = draw_heatmap(ax, weights, x_labels, y_labels, title=title, xlabel=xlabel,
                         ylabel=ylabel, vmin=vmin, vmax=vmax, annotate=annotate, cmap=cmap,
                         tick_step=tick_step)
    label = colorbar_label or ("weight" if (vmin, vmax) == (0.0, 1.0) else "value")
    fig.colorbar(image, ax=ax, label=label, fraction=0.05, pad=0.03)
    return fig


@matplotlib.rc_context(STYLE)
def heads_grid(weights, x_labels=None, y_labels=None, *, title="Attention weights per head",
               ncols=4, head_titles=None, vmin=0.0, vmax=1.0, cmap=CMAP, panel=2.4, tick_step=1):
    """A Figure with one heatmap per head; weights (H, N_q, N_k)."""
    w = _numpy(weights)
    if w.ndim != 3:
        raise ValueError(f"weights must be 3-D (H, N_q, N_k), got shape {w.shape}")
    H = w.shape[0]
    ncols = max(1, min(ncols, H))
    nrows = -(-H // ncols)
    width, height = panel * ncols + 1.2, panel * nrows + 1.3
    fig = Figure(figsize=(width, height))
    # Margins in inches, so rotated token labels and the titles fit whatever the grid size.
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.85 / width, bottom=0.95 / height,
                        top=1 - 0.55 / height, wspace=0.45, hspace=0.75)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for h, ax in enumerate(axes.flat):
        if h >= H:
            ax.set_axis_off()
            continue
        image = draw_heatmap(ax, w[h], x_labels, y_labels, vmin=vmin, vmax=vmax, annotate=False,
                             title=head_titles[h] if head_titles else f"head {h}", cmap=cmap,
                             tick_step=tick_step,
                             xlabel="key" if h // ncols == nrows - 1 else "",
                             ylabel="query" if h % ncols == 0 else "")
    fig.colorbar(image, cax=fig.add_axes((1 - 0.7 / width, 0.95 / height, 0.12 / width,
                                          1 - 1.5 / height)),
                 label="weight" if (vmin, vmax) == (0.0, 1.0) else "value")
    fig.suptitle(title)
    return fig


@matplotlib.rc_context(STYLE)
def draw_mask(mask, x_labels=None, y_labels=None, *, title="Mask (yellow = may attend)"):
    """A Figure of a mask: a keep mask (bool), or an additive one (0 kept, -inf blocked)."""
    m = mask if isinstance(mask, torch.Tensor) else torch.as_tensor(mask)
    keep = m if m.dtype == torch.bool else m > float("-inf")
    if keep.dim() != 2:
        raise ValueError(f"mask must be 2-D (N_q, N_k) to draw, got shape {tuple(keep.shape)}")
    fig = Figure(figsize=(4.6, 4.0))
    fig.subplots_adjust(left=0.2, right=0.95, bottom=0.22, top=0.9)
    ax = fig.add_subplot()
    cmap = ListedColormap(["#3b0f70", "#fde725"])
    draw_heatmap(ax, keep.float(), x_labels, y_labels, title=title, annotate=False, cmap=cmap)
    return fig


@matplotlib.rc_context(STYLE)
def line_plot(x, series, *, title, xlabel, ylabel, logx=False, logy=False, size=(5.5, 3.6)):
    """A Figure of one or more named lines: series maps a label to y values."""
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    for label, y in series.items():
        ax.plot(x, _numpy(y), marker="o", markersize=3, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    return fig


def to_png(fig, dpi=72):
    """The figure as PNG bytes (for static pictures and tests)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def image_array(fig):
    """The rendered figure as an (height, width, 4) uint8 array."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _show_figures_in_notebooks():
    """Make a Figure returned as a cell's value display as a picture in Jupyter."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, lambda fig: to_png(fig, dpi=80))


_show_figures_in_notebooks()
