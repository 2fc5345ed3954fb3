"""A question that attends over the patches of a picture (notebook 14).

A scene: a G x G grid of patches holding a few objects, each a shape in a colour; within a
scene no two objects share a shape or a colour. Every patch is described by the features
a small vision encoder might give, in two separate groups of channels: which shape is
there and which colour (a feature map's channels, one-hot here). An empty patch is all
zeros. A question is a few words, "what colour is the circle ?"; its answer is a colour.

Held out: the objects of HELD_OUT, a (shape, colour) at one patch, never appear in a
training scene; every held-out test scene asks about one of them. (Each shape, colour and
patch, and each shape-colour pair, still appears in training, elsewhere.)

Two models of the same size read the same patches:
    PatchQA   the question makes one query that cross-attends over the G * G patches
    PooledQA  the patches are averaged into one vector first, then attended (the mistake)
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .multihead import MultiHeadAttention
from .train import fit

GRID = 4
PATCHES = GRID * GRID
OBJECTS = 3
SHAPES = ("circle", "square", "triangle", "cross")
COLOURS = ("red", "green", "blue", "yellow", "purple")
HELD_OUT = (("circle", "green", 5), ("circle", "purple", 10), ("square", "blue", 0),
            ("square", "red", 15), ("triangle", "yellow", 6), ("triangle", "green", 12),
            ("cross", "red", 3), ("cross", "purple", 9))  # (shape, colour, patch)
FEATURES = len(SHAPES) + len(COLOURS)  # shape channels, then colour channels

WORDS = ("<pad>", "what", "colour", "is", "the", "?", *SHAPES)
ANSWERS = COLOURS


def _draw(batch, generator):
    """Scenes with no constraint: shapes, colours (B, K) all different within a scene, cells
    (B, K) distinct patch indices, which object is asked about (B,)."""
    shapes = torch.rand(batch, len(SHAPES), generator=generator).argsort(-1)[:, :OBJECTS]
    colours = torch.rand(batch, len(COLOURS), generator=generator).argsort(-1)[:, :OBJECTS]
    cells = torch.rand(batch, PATCHES, generator=generator).argsort(-1)[:, :OBJECTS]
    asked = torch.randint(OBJECTS, (batch,), generator=generator)
    return shapes, colours, cells, asked


def held_out_objects(shapes, colours, cells):
    """(B, K) bool: which objects are held out (a HELD_OUT shape and colour at its patch)."""
    held = torch.tensor([[SHAPES.index(s), COLOURS.index(c), p] for s, c, p in HELD_OUT])
    match = ((shapes[..., None] == held[:, 0]) & (colours[..., None] == held[:, 1])
             & (cells[..., None] == held[:, 2]))  # (B, K, len(HELD_OUT))
    return match.any(-1)


def scenes(batch, held_out=False, generator=None):
    """A batch of scenes: shapes, colours, cells (B, K), the asked object (B,).

    held_out=False: training scenes, where no object is a HELD_OUT object. held_out=True:
    every scene asks about a HELD_OUT object.
    """
    parts, have = [], 0
    while have < batch:
        s, c, cells, asked = _draw((40 if held_out else 2) * batch + 8, generator)
        bad = held_out_objects(s, c, cells)
        rows = torch.arange(len(s))
        keep = bad[rows, asked] if held_out else ~bad.any(-1)
        parts.append([t[keep] for t in (s, c, cells, asked)])
        have += int(keep.sum())
    return tuple(torch.cat(ts)[:batch] for ts in zip(*parts))


def patch_features(shapes, colours, cells):
    """Patch features (B, P, FEATURES): shape channels, colour channels; zero if empty."""
    objects = torch.cat([F.one_hot(shapes, len(SHAPES)), F.one_hot(colours, len(COLOURS))],
                        -1).float()  # (B, K, F)
    x = torch.zeros(len(shapes), PATCHES, FEATURES)
    x.scatter_(1, cells[..., None].expand_as(objects), objects)  # object k into patch cells[k]
    return x


def question_words(shape):
    """The question about a shape, as words."""
    return ["what", "colour", "is", "the", shape, "?"]


def encode_words(questions):
    """Word ids (B, L): one list of words per question, all of one length L."""
    return torch.tensor([[WORDS.index(w) for w in q] for q in questions])


def task(batch, held_out=False, generator=None):
    """patches (B, P, FEATURES), question ids (B, 6), answer colour (B,), the asked object's patch (B,)."""
    shapes, colours, cells, asked = scenes(batch, held_out, generator)
    rows = torch.arange(batch)
    question = encode_words([question_words(SHAPES[s]) for s in shapes[rows, asked].tolist()])
    return patch_features(shapes, colours, cells), question, colours[rows, asked], cells[rows, asked]


class PatchQA(nn.Module):
    """Each patch embedded linearly plus a learned position (as a vision transformer's patch
    embedding); the summed word embeddings of the question make one query that
    cross-attends over the patches; the question and what it read choose the answer."""

    def __init__(self, width=32):
        super().__init__()
        self.embed = nn.Linear(FEATURES, width)
        self.position = nn.Parameter(0.1 * torch.randn(PATCHES, width))
        self.words = nn.Embedding(len(WORDS), width, padding_idx=0)
        self.attend = MultiHeadAttention(width, 1)
        self.head = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(),
                                  nn.Linear(width, len(ANSWERS)))

    def memory(self, patches):
        """What the question may attend to: every patch, (B, P, E)."""
        return self.embed(patches) + self.position

    def forward(self, patches, question):
        """patches (B, P, FEATURES), question (B, L) -> logits (B, answers), weights (B, N_k)."""
        q = self.words(question).sum(1, keepdim=True)  # (B, 1, E): one query per question
        m = self.memory(patches)  # (B, N_k, E)
        out, weights = self.attend(q, m, m)  # (B, 1, E), (B, H=1, 1, N_k)
        return self.head(torch.cat([q[:, 0], out[:, 0]], -1)), weights[:, 0, 0]


class PooledQA(PatchQA):
    """The same model, but the patches are averaged into one vector before the question
    attends: N_k = 1, so its one weight is 1 whatever the question."""

    def memory(self, patches):
        return super().memory(patches).mean(1, keepdim=True)  # (B, 1, E)


MODELS = {"cross-attention": PatchQA, "pooled": PooledQA}


def qa_loss(model, batch):
    patches, question, answer, _ = batch
    return F.cross_entropy(model(patches, question)[0], answer)


def train_qa(kind="cross-attention", steps=500, batch=64, lr=1e-2, seed=0, progress=True):
    """A model of the given kind trained on fresh training scenes; (model, losses)."""
    torch.manual_seed(seed)
    model = MODELS[kind]()
    return fit(model, lambda gen: task(batch, generator=gen), qa_loss, steps, lr, seed, progress)


@torch.no_grad()
def evaluate(model, batch=2000, seed=1, held_out=True):
    """(accuracy, mean weight on the asked object's patch) on fresh scenes (by default the
    held-out ones). For PooledQA the weight is that of its one pooled vector."""
    patches, question, answer, target = task(batch, held_out, torch.Generator().manual_seed(seed))
    logits, weights = model(patches, question)
    right = (logits.argmax(-1) == answer).float().mean().item()
    if weights.shape[-1] == 1:
        return right, weights[:, 0].mean().item()
    return right, weights[torch.arange(batch), target].mean().item()


# ---------------------------------------------------------------- pictures

PAINT = {"red": "#d62728", "green": "#2ca02c", "blue": "#1f77b4", "yellow": "#e8c100",
         "purple": "#9467bd"}
MARKERS = {"circle": "o", "square": "s", "triangle": "^", "cross": "P"}


class ScenePicture:
    """The grid drawn once; `show(...)` puts one scene and the weights over its patches on
    it and returns an attnlib.widgets.Backdrop (an explorer repaints only what moves)."""

    def __init__(self):
        from matplotlib.figure import Figure

        from .widgets import Backdrop

        fig = Figure(figsize=(4.8, 4.6))
        ax = fig.add_subplot()
        self.heat = ax.imshow(np.zeros((GRID, GRID)), cmap="Greys", vmin=0, vmax=1.6,
                              extent=(-0.5, GRID - 0.5, GRID - 0.5, -0.5))
        ax.set_xticks(range(GRID))
        ax.set_yticks(range(GRID))
        ax.set_xlabel("patch column")
        ax.set_ylabel("patch row")
        for g in range(GRID + 1):
            ax.axhline(g - 0.5, color="0.6", lw=0.5)
            ax.axvline(g - 0.5, color="0.6", lw=0.5)
        self.shapes = {s: ax.scatter([], [], s=600, marker=m, edgecolors="black")
                       for s, m in MARKERS.items()}
        self.labels = [ax.text(p % GRID, p // GRID + 0.38, "", ha="center", fontsize=8)
                       for p in range(PATCHES)]
        self.title = ax.set_title(" ", fontsize=10)
        fig.tight_layout()
        self.fig = fig
        self.backdrop = Backdrop(fig, [self.heat, *self.shapes.values(), *self.labels,
                                       self.title])

    def show(self, shapes, colours, cells, weights=None, *, title, label_min=0.01):
        """shapes, colours, cells (K,) for one scene; weights (P,) over the patches or None.
        Patches with a weight below label_min are shaded but not labelled (fewer texts to
        draw: an explorer redraws faster)."""
        w = torch.zeros(PATCHES) if weights is None else torch.as_tensor(weights).detach()
        self.heat.set_data(w.reshape(GRID, GRID).numpy())
        for s, artist in self.shapes.items():
            mine = [k for k in range(len(shapes)) if SHAPES[shapes[k]] == s]
            artist.set_offsets(np.array([(cells[k] % GRID, cells[k] // GRID) for k in mine],
                                        dtype=float).reshape(-1, 2))
            artist.set_facecolors([PAINT[COLOURS[colours[k]]] for k in mine])
        for p, label in enumerate(self.labels):
            label.set_visible(weights is not None and w[p] >= label_min)
            label.set_text(f"{w[p]:.2f}")
        self.title.set_text(title)
        return self.backdrop


def scene_figure(shapes, colours, cells, weights=None, *, title):
    """A Figure of one scene (see ScenePicture, which an explorer should keep and reuse)."""
    picture = ScenePicture()
    picture.show(shapes, colours, cells, weights, title=title)
    return picture.fig
