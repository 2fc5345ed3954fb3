"""Attention over images: a conv feature map attending to itself, patches, a tiny ViT.

    ConvSelfAttention   every position of a (B, C, H, W) feature map attends over all H * W
    patchify            images (B, C, S, S) -> patches (B, N, C * P * P), row by row
    PatchEmbedding      one Linear on the patches (equal to a Conv2d, kernel = stride = P)
    TinyViT             patch embedding, class token, learned positions, attnlib's
                        pre-norm EncoderBlocks, a linear read-out of the class token
    locality_bias       an additive score -strength * distance between patches
    mean_attention_distance   how far, in pixels, each head of each layer looks
    PatchPicture        attention over patches drawn on top of the image (fast explorers)

Data: scikit-learn's bundled digits (8 x 8 grey images, no download), `load_digits_split`.
Notation: B batch, C channels, S image side, P patch side, G = S / P patches per side,
N = G * G patches, E model width, H heads.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .blocks import EncoderBlock
from .train import fit

# ------------------------------------------------------------------ data


def load_digits_split(test_size=497, seed=0):
    """scikit-learn's 1,797 digits as (x_train, y_train, x_test, y_test).

    x (B, 1, 8, 8) float in [0, 1] (the raw pixels run 0..16), y (B,) long. The split is a
    seeded shuffle: the same `seed` gives the same split on any machine.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0  # (1797, 1, 8, 8)
    y = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    test, train = order[:test_size], order[test_size:]
    return x[train], y[train], x[test], y[test]


# ------------------------------------------------------------------ conv feature maps


class ConvSelfAttention(nn.Module):
    """Self-attention over a conv feature map: each of the H * W positions attends over all
    of them. Queries, keys and values are 1 x 1 convolutions (a Linear per position).

    forward(x (B, C, H, W)) -> (out (B, C, H, W), weights (B, H*W, H*W)).
    """

    def __init__(self, channels, key_dim=None):
        super().__init__()
        validate.positive_int("channels", channels)
        key_dim = key_dim or channels
        self.query = nn.Conv2d(channels, key_dim, 1)
        self.key = nn.Conv2d(channels, key_dim, 1)
        self.value = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        if x.dim() != 4 or x.shape[1] != self.value.in_channels:
            raise ValueError(f"x must be (B, C, H, W) with C = {self.value.in_channels}, "
                             f"got shape {tuple(x.shape)}")
        B, C, Hh, Ww = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # (B, HW, D)
        k = self.key(x).flatten(2).transpose(1, 2)  # (B, HW, D)
        v = self.value(x).flatten(2).transpose(1, 2)  # (B, HW, C)
        weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)  # (B, HW, HW)
        out = (weights @ v).transpose(1, 2).reshape(B, C, Hh, Ww)  # back to (B, C, H, W)
        return out, weights


# ------------------------------------------------------------------ patches


def patchify(images, patch):
    """images (B, C, S, S) -> patches (B, N, C * P * P), N = (S / P)^2, row by row.

    Each patch is flattened channel first, then row, then column: the order of a Conv2d's
    weight (E, C, P, P), so that a Linear on these patches equals that Conv2d.
    """
    if images.dim() != 4 or images.shape[2] != images.shape[3]:
        raise ValueError(f"images must be (B, C, S, S), got shape {tuple(images.shape)}")
    B, C, S, _ = images.shape
    if patch < 1 or S % patch:
        raise ValueError(f"patch must divide the image side {S}, got patch={patch}")
    G = S // patch
    x = images.reshape(B, C, G, patch, G, patch)  # (B, C, G_row, P, G_col, P)
    x = x.permute(0, 2, 4, 1, 3, 5)  # (B, G_row, G_col, C, P, P)
    return x.reshape(B, G * G, C * patch * patch)  # (B, N, C*P*P)


class PatchEmbedding(nn.Module):
    """Patches (B, N, C * P * P) through one Linear: images (B, C, S, S) -> (B, N, E)."""

    def __init__(self, patch, channels, embed_dim):
        super().__init__()
        self.patch = patch
        self.proj = nn.Linear(channels * patch * patch, embed_dim)

    def forward(self, images):
        return self.proj(patchify(images, self.patch))  # (B, N, E)

    def to_conv(self):
        """The same map as an nn.Conv2d with kernel = stride = P (weights copied)."""
        E, _ = self.proj.weight.shape
        C = self.proj.in_features // (self.patch * self.patch)
        conv = nn.Conv2d(C, E, self.patch, stride=self.patch)
        with torch.no_grad():
            conv.weight.copy_(self.proj.weight.reshape(E, C, self.patch, self.patch))
            conv.bias.copy_(self.proj.bias)
        return conv


def patch_centres(grid, patch):
    """(N, 2) pixel coordinates (row, column) of each patch's centre, row by row."""
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    return (torch.stack([rows, cols], -1).reshape(-1, 2).float() + 0.5) * patch


def patch_distances(grid, patch=1):
    """(N, N) Euclidean distances between patch centres, in pixels (patch=1: in patches)."""
    c = patch_centres(grid, patch)
    return torch.cdist(c, c)


def locality_bias(grid, strength):
    """Additive scores (N + 1, N + 1) for a class token then N patches: a patch's score
    for another patch falls by `strength` per patch of distance; the class token's row
    and column get 0."""
    bias = torch.zeros(grid * grid + 1, grid * grid + 1)
    bias[1:, 1:] -= strength * patch_distances(grid)  # 0 - 0 = +0.0 on the diagonal
    return bias


def mean_attention_distance(weights, grid, patch):
    """How far each head looks: weights (B, H, 1 + N, 1 + N) of a model with a class token
    -> (H,) the mean, over images and patch queries, of sum_j w_ij * distance(i, j) in
    pixels. Only patch-to-patch weights count, renormalised to sum to 1 per query."""
    w = weights[:, :, 1:, 1:]  # (B, H, N, N): patches attending to patches
    w = w / w.sum(-1, keepdim=True)
    return (w * patch_distances(grid, patch)).sum(-1).mean(dim=(0, 2))  # (H,)


def uniform_attention_distance(grid, patch):
    """The mean attention distance of uniform weights over all patches, in pixels."""
    return patch_distances(grid, patch).mean().item()


# ------------------------------------------------------------------ the tiny ViT


class TinyViT(nn.Module):
    """A vision transformer small enough to train in seconds on 8 x 8 digits.

    forward(images (B, C, S, S)) -> (logits (B, classes), weights: one (B, H, 1+N, 1+N)
    per layer). `locality` > 0 adds locality_bias(G, locality) to every layer's scores.
    """

    def __init__(self, image=8, patch=4, channels=1, embed_dim=32, num_heads=4, num_layers=2,
                 ff_dim=64, classes=10, locality=0.0):
        super().__init__()
        if image % patch:
            raise ValueError(f"patch must divide image, got image={image}, patch={patch}")
        self.grid, self.patch, self.locality = image // patch, patch, locality
        N = self.grid * self.grid
        self.embed = PatchEmbedding(patch, channels, embed_dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos = nn.Parameter(torch.randn(1, N + 1, embed_dim) * 0.02)
        self.blocks = nn.ModuleList(
            EncoderBlock(embed_dim, num_heads, ff_dim, norm_first=True, activation="gelu")
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, classes)
        self.register_buffer("bias", locality_bias(self.grid, locality), persistent=False)

    def tokens(self, images):
        """The encoder's input: class token then patches, positions added. (B, 1 + N, E)"""
        x = self.embed(images)  # (B, N, E)
        cls = self.cls.expand(x.shape[0], -1, -1)  # (B, 1, E)
        return torch.cat([cls, x], 1) + self.pos  # (B, 1 + N, E)

    def forward(self, images):
        x = self.tokens(images)
        mask = self.bias if self.locality else None
        weights = []
        for block in self.blocks:
            x = block(x, mask=mask)
            weights.append(block.last_weights)  # (B, H, 1 + N, 1 + N)
        return self.head(self.norm(x[:, 0])), weights  # read out the class token


def vit_loss(model, batch):
    images, labels = batch
    return F.cross_entropy(model(images)[0], labels)


def train_vit(x, y, steps=600, batch=64, lr=3e-3, seed=0, progress=True, **config):
    """TinyViT(**config) trained with attnlib.train.fit on random batches of (x, y);
    returns (model, losses)."""
    torch.manual_seed(seed)
    model = TinyViT(**config)

    def batch_fn(generator):
        pick = torch.randint(len(y), (batch,), generator=generator)
        return x[pick], y[pick]

    return fit(model, batch_fn, vit_loss, steps, lr, seed, progress)


@torch.no_grad()
def evaluate(model, x, y):
    """(accuracy, per-layer mean attention distance (L, H) in pixels) on (x, y)."""
    logits, weights = model(x)
    accuracy = (logits.argmax(-1) == y).float().mean().item()
    distance = torch.stack([mean_attention_distance(w, model.grid, model.patch) for w in weights])
    return accuracy, distance


# ------------------------------------------------------------------ the picture


class PatchPicture:
    """An image with attention over its patches drawn on top, for explorers.

    show(image (S, S), weights (G, G), query=None, title) paints the grey image, the
    weights as a translucent colour layer (one cell per patch, scaled to the largest
    weight), and a box around the query patch (index, row by row) if given. Returns an
    attnlib.widgets.Backdrop: an explorer repaints only the image, the layer, the box and
    the title; `.fig` is the whole Figure. Any image size and patch grid works.
    """

    def __init__(self, side, grid, *, label="attention weight"):
        from matplotlib.colors import Normalize
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle

        from .widgets import Backdrop

        self.side, self.grid = side, grid
        fig = Figure(figsize=(4.6, 4.0))
        ax = fig.add_subplot()
        extent = (-0.5, side - 0.5, side - 0.5, -0.5)
        self.image = ax.imshow(torch.zeros(side, side).numpy(), cmap="gray_r", vmin=0, vmax=1,
                               extent=extent, interpolation="nearest")
        self.layer = ax.imshow(torch.zeros(grid, grid).numpy(), cmap="autumn_r", alpha=0.55,
                               norm=Normalize(0, 1), extent=extent, interpolation="nearest")
        size = side / grid
        self.box = Rectangle((-0.5, -0.5), size, size, fill=False, edgecolor="#1f77b4",
                             linewidth=3)
        ax.add_patch(self.box)
        fig.colorbar(self.layer, ax=ax, label=f"{label} (/ max)")
        ticks = [i * size - 0.5 for i in range(grid + 1)]
        ax.set_xticks(ticks, [f"{i * size:g}" for i in range(grid + 1)])
        ax.set_yticks(ticks, [f"{i * size:g}" for i in range(grid + 1)])
        ax.grid(True, color="0.6", linewidth=0.5)
        ax.set_xlabel("column (pixels)")
        ax.set_ylabel("row (pixels)")
        self.title = ax.set_title(" ", fontsize=10)
        self.fig = fig
        self.backdrop = Backdrop(fig, [self.image, self.layer, self.box, self.title])

    def show(self, image, weights, query=None, *, title):
        if tuple(weights.shape) != (self.grid, self.grid):
            raise ValueError(f"weights must be ({self.grid}, {self.grid}), got {tuple(weights.shape)}")
        self.image.set_data(torch.as_tensor(image).float().numpy())
        self.layer.set_data((weights / weights.max().clamp_min(1e-12)).numpy())
        self.box.set_visible(query is not None)
        if query is not None:
            size = self.side / self.grid
            row, col = divmod(query, self.grid)
            self.box.set_xy((col * size - 0.5, row * size - 0.5))
        self.title.set_text(title)
        return self.backdrop
