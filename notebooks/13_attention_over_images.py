# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Self-attention over a conv feature map, then patches and a tiny vision
#       transformer on scikit-learn's digits; attention drawn over the image and measured.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/13_attention_over_images.ipynb)

# %% tags=["colab-setup"] slideshow={"slide_type": "skip"}
# Set-up for Google Colab; it does nothing anywhere else.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    REPO, HOME = "https://github.com/attnlib/attention-series", "/content/attention-series"
    if not os.path.isdir(HOME):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPO, HOME], check=True)
    # --no-deps: keep Colab's own torch and ipywidgets (attnlib needs nothing newer).
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", HOME], check=True)
    sys.path.insert(0, HOME)
    os.chdir(HOME + "/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()

# %% [markdown] slideshow={"slide_type": "slide"}
# # 13 · Attention over images
#
# A sentence is a sequence of tokens. An image can be made one too: the positions of a
# convolutional feature map, or square patches cut from the picture. Then the attention
# of the earlier notebooks runs unchanged, and every part of the image can look at every
# other part.
#
# **In this notebook you will:**
# - let each position of a conv feature map attend over all positions, and check it
#   against PyTorch's `F.scaled_dot_product_attention`;
# - cut images into patches and build a tiny vision transformer (ViT): patch embedding,
#   class token, positions and attnlib's encoder blocks, each checked against PyTorch;
# - train it on scikit-learn's handwritten digits, draw its attention over the image and
#   measure how far each layer looks.

# %% slideshow={"slide_type": "-"}
import torch
import torch.nn.functional as F
from torch import nn

from attnlib import vision

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The digits
#
# scikit-learn ships 1,797 handwritten digits, each an $8 \times 8$ grey image with a
# label 0-9 (no download). We keep 497 of them aside for testing, chosen by a seeded
# shuffle, and scale the pixels to $[0, 1]$.

# %% slideshow={"slide_type": "-"}
x_train, y_train, x_test, y_test = vision.load_digits_split()
print("train:", tuple(x_train.shape), " test:", tuple(x_test.shape))
print("pixels in [0, 1]:", bool(x_train.min() >= 0 and x_train.max() <= 1))
print("every digit in both sets:", bool(y_train.unique().numel() == y_test.unique().numel() == 10))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Attention over a conv feature map
#
# A convolution turns an image into a feature map $(B, C, H, W)$: $C$ features at each of
# the $H \cdot W$ positions. Flatten the positions into a sequence $(B, H W, C)$ and each
# position can attend over all of them. Queries, keys and values come from $1 \times 1$
# convolutions, which apply one linear map at every position:
#
# $$A = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{D}}\Big) \in \mathbb{R}^{HW \times HW},
#   \qquad \text{out} = A V .$$
#
# A convolution sees only a small window; after this layer every position has a weight
# on every other one. The convolution and the attention below have random weights: we
# only check shapes and sums, so nothing here is a learned picture.

# %% slideshow={"slide_type": "-"}
conv = nn.Conv2d(1, 8, 3, padding=1)  # random weights
attention = vision.ConvSelfAttention(8)
with torch.no_grad():
    fmap = conv(x_test[:5])  # (B, C, H, W) = (5, 8, 8, 8)
    out, weights = attention(fmap)
print("feature map:", tuple(fmap.shape), " out:", tuple(out.shape), " weights:", tuple(weights.shape))
print("each of the 64 positions has a weight on all 64:", bool((weights > 0).all()))
print("rows sum to 1:", torch.allclose(weights.sum(-1), torch.ones(5, 64)))

# %% [markdown] slideshow={"slide_type": "-"}
# The same computation with PyTorch's `F.scaled_dot_product_attention`, given the
# flattened queries, keys and values:

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    q, k, v = (proj(fmap).flatten(2).transpose(1, 2)  # (B, HW, C)
               for proj in (attention.query, attention.key, attention.value))
    torch_out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(5, 8, 8, 8)
print("build == PyTorch SDPA:", torch.allclose(out, torch_out, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "-"}
# Attention ignores where a position is: shuffle the 64 positions and the outputs are
# shuffled the same way, nothing else changes. So a model that should know where things
# are needs positions added, as with words.

# %% slideshow={"slide_type": "-"}
perm = torch.randperm(64)
with torch.no_grad():
    shuffled = fmap.flatten(2)[:, :, perm].reshape(5, 8, 8, 8)
    out_shuffled, _ = attention(shuffled)
print("shuffled in, shuffled out:", torch.allclose(out_shuffled.flatten(2), out.flatten(2)[:, :, perm], atol=1e-6))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths of a vision transformer
#
# A ViT skips the convolution's many positions: it cuts the $S \times S$ image into
# $N = (S / P)^2$ square patches of side $P$, flattens each into a vector $p_i$ of
# $C P^2$ pixels and maps it to width $E$. A learned **class token** $c$ goes first, and
# learned positions $e^{\text{pos}}$ are added:
#
# $$z^{(0)} = [\,c\,;\; W p_1 + b\,;\; \dots\,;\; W p_N + b\,] + e^{\text{pos}} \in
#   \mathbb{R}^{(1 + N) \times E}.$$
#
# Then $L$ encoder blocks (pre-norm, GELU), and the class is read from the class token
# alone: $\hat y = \operatorname{Linear}(\operatorname{LayerNorm}(z^{(L)}_0))$. The class
# token owns no pixels; everything it knows, it gathers by attention.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Patches, step by step
#
# Our digits are $8 \times 8$; with $P = 4$ each is four patches of 16 pixels, read row by
# row: top left, top right, bottom left, bottom right.

# %% slideshow={"slide_type": "-"}
patches = vision.patchify(x_test[:1], 4)  # (B, N, C*P*P)
image = x_test[0, 0]  # (S, S)
print("patches:", tuple(patches.shape))
print("patch 0 is the top-left corner:", torch.equal(patches[0, 0], image[:4, :4].flatten()))
print("patch 1 is the top-right corner:", torch.equal(patches[0, 1], image[:4, 4:].flatten()))
print("patch 2 is the bottom-left corner:", torch.equal(patches[0, 2], image[4:, :4].flatten()))

# %% [markdown] slideshow={"slide_type": "-"}
# One linear map on every patch is a convolution whose kernel is the patch and whose
# stride is the patch too, so that the windows do not overlap. Copy the weights into an
# `nn.Conv2d` with kernel = stride = 4 and the two agree:

# %% slideshow={"slide_type": "-"}
embed = vision.PatchEmbedding(patch=4, channels=1, embed_dim=32)
conv = embed.to_conv()  # nn.Conv2d(1, 32, kernel_size=4, stride=4), weights copied
with torch.no_grad():
    ours = embed(x_test[:8])  # (B, N, E)
    theirs = conv(x_test[:8]).flatten(2).transpose(1, 2)  # (B, E, 2, 2) -> (B, N, E)
print(conv)
print("patch embedding == Conv2d(kernel = stride = 4):", torch.allclose(ours, theirs, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The whole model, checked against PyTorch
#
# `vision.TinyViT` puts it together: patch embedding, class token, positions, two
# `attnlib.blocks.EncoderBlock`s of width 32 with 4 heads, a LayerNorm and a linear
# read-out. The tokens are $1 + N = 5$ vectors of width 32.

# %% slideshow={"slide_type": "-"}
vit = vision.TinyViT()
with torch.no_grad():
    tokens = vit.tokens(x_test[:8])  # (B, 1 + N, E)
    logits, layer_weights = vit(x_test[:8])
print("tokens:", tuple(tokens.shape), " logits:", tuple(logits.shape))
print("weights per layer:", [tuple(w.shape) for w in layer_weights])
print("parameters:", sum(p.numel() for p in vit.parameters()))

# %% [markdown] slideshow={"slide_type": "-"}
# Now PyTorch's own layers: two `nn.TransformerEncoderLayer`s (pre-norm, GELU). We copy
# their weights into our blocks with `EncoderBlock.from_torch`, and run the same tokens
# through both stacks, then through the same norm and read-out.

# %% slideshow={"slide_type": "-"}
from attnlib.blocks import EncoderBlock

torch_layers = [nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True).eval()
                for _ in range(2)]
vit.blocks = nn.ModuleList(EncoderBlock.from_torch(layer) for layer in torch_layers)
with torch.no_grad():
    ours, _ = vit(x_test[:8])
    z = vit.tokens(x_test[:8])
    for layer in torch_layers:
        z = layer(z)
    theirs = vit.head(vit.norm(z[:, 0]))
print("TinyViT == nn.TransformerEncoderLayer stack:", torch.allclose(ours, theirs, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training the tiny ViT
#
# 600 steps of Adam on batches of 64 training digits, with `attnlib.train.fit`. Then the
# accuracy on the 497 digits it never saw.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
model, losses = vision.train_vit(x_train, y_train, seed=0)
accuracy, distance = vision.evaluate(model, x_test, y_test)
print(f"loss: first step {losses[0]:.2f}, last step {losses[-1]:.3f}")
print(f"held-out accuracy: {accuracy:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The claim, as a bound that holds on all five seeds of `tests/test_learned_claims_13.py`:

# %% slideshow={"slide_type": "-"}
assert accuracy >= 0.95
print("held-out accuracy >= 0.95: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Attention over the patches
#
# Where does the class token look? For one test digit, its weights on the four patches
# in the last layer, averaged over the heads, drawn on top of the image (the colour is
# scaled to the largest weight). `vision.PatchPicture` draws any weights over any patch
# grid.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
with torch.no_grad():
    test_logits, test_weights = model(x_test)  # weights: per layer (B, H, 1 + N, 1 + N)
picture = vision.PatchPicture(8, 2, label="class token's weight")
cls_on_patches = test_weights[-1][0, :, 0, 1:].mean(0)  # (N,): last layer, heads averaged
print("weights on the patches:", [round(w, 3) for w in cls_on_patches.tolist()])
picture.show(x_test[0, 0], cls_on_patches.reshape(2, 2),
             title=f"digit {y_test[0].item()}: class token, last layer").fig

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How far does each layer look?
#
# The **mean attention distance** of a head: for each patch $i$, the distance in pixels
# from its centre to the centres of the patches it attends to, weighted by the attention,
# $\sum_j \alpha_{ij} \lVert c_i - c_j \rVert$, averaged over patches and images (only
# patch-to-patch weights, renormalised). Uniform weights give the mean over all pairs,
# which we can compute exactly: here $(0 + 4 + 4 + 4\sqrt 2)/4 = 2 + \sqrt 2$ pixels.

# %% slideshow={"slide_type": "-"}
uniform = vision.uniform_attention_distance(grid=2, patch=4)
print(f"uniform weights: {uniform:.4f} pixels;  2 + sqrt(2) = {2 + 2 ** 0.5:.4f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The trained model, per layer (mean over its heads):

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
for layer, d in enumerate(distance, 1):
    print(f"layer {layer}: {d.mean():.3f} pixels (heads: {[round(h, 2) for h in d.tolist()]})")

# %% [markdown] slideshow={"slide_type": "-"}
# On this budget, both layers look about as far as uniform weights would: on every seed
# of the test, each layer's mean distance is within 20% of uniform (some heads look a
# little farther, some a little nearer). So nothing here says that the first layer looks
# near and the last one far; with 1,300 small images and four patches the model has no
# reason to learn that.

# %% slideshow={"slide_type": "-"}
ratio = distance.mean(1) / uniform  # (L,)
assert ((ratio >= 0.8) & (ratio <= 1.2)).all()
print("every layer within 20% of uniform: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Making attention local
#
# What does change it: a **locality bias**, $-\lambda \lVert c_i - c_j \rVert$ (with the
# distance in patches) added to every score between patches, before the softmax, in
# every layer. It is a fixed additive mask: neighbours start with higher scores, and the
# model can still learn to look far if that pays. We train the same model with
# $\lambda = 1.5$.

# %% slideshow={"slide_type": "-"}
print(vision.locality_bias(grid=2, strength=1.5).round(decimals=3))

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
local, _ = vision.train_vit(x_train, y_train, seed=0, locality=1.5)
local_accuracy, local_distance = vision.evaluate(local, x_test, y_test)
print(f"held-out accuracy: {local_accuracy:.3f}")
for layer, d in enumerate(local_distance, 1):
    print(f"layer {layer}: {d.mean():.3f} pixels (without the bias: {distance[layer - 1].mean():.3f})")

# %% [markdown] slideshow={"slide_type": "-"}
# The bias shortens every layer's mean distance by at least 0.75 pixels, and the accuracy
# stays at least 0.95 (bounds that hold on all five seeds).

# %% slideshow={"slide_type": "-"}
assert (distance.mean(1) - local_distance.mean(1) >= 0.75).all()
assert local_accuracy >= 0.95
print("locality bias: every layer at least 0.75 pixels nearer: True")
print("locality bias: held-out accuracy >= 0.95: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: attention over a digit
#
# Pick a test digit, a model, a layer and a head, and the query: the class token or one
# of the four patches (its box is drawn in blue). The colour shows that query's weights
# on the four patches, scaled to the largest. The readout adds the weight the query
# keeps for the class token.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W

from attnlib.widgets import Explorer

with torch.no_grad():
    explorer_weights = {"plain": test_weights, "locality bias": local(x_test)[1]}
    predictions = {"plain": test_logits.argmax(-1), "locality bias": local(x_test)[0].argmax(-1)}
QUERIES = ("class token", "patch 0", "patch 1", "patch 2", "patch 3")


def draw_digit(digit, model, layer, head, query):
    q = QUERIES.index(query)
    w = explorer_weights[model][layer - 1][digit, head, q]  # (1 + N,)
    title = f"digit {y_test[digit].item()} ({model}), layer {layer}, head {head}: {query}"
    readout = (f"predicted {predictions[model][digit].item()}; "
               f"weight on the class token {w[0]:.2f}, on the patches "
               + ", ".join(f"{v:.2f}" for v in w[1:].tolist()))
    return picture.show(x_test[digit, 0], w[1:].reshape(2, 2), None if q == 0 else q - 1,
                        title=title), readout


digit_explorer = Explorer("digits", {
    "digit": W.IntSlider(value=0, min=0, max=len(y_test) - 1, description="digit",
                         continuous_update=False),
    "model": W.Dropdown(options=("plain", "locality bias"), value="plain", description="model"),
    "layer": W.Dropdown(options=(1, 2), value=2, description="layer"),
    "head": W.IntSlider(value=0, min=0, max=3, description="head", continuous_update=False),
    "query": W.Dropdown(options=QUERIES, value="class token", description="query"),
}, draw_digit)
digit_explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# One forward pass of the trained ViT (its attention weights included) on a batch of 64
# test digits and on one digit.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

with torch.no_grad():
    print(f"TinyViT, 64 digits: {timing.time_fn(lambda: model(x_test[:64]))}")
    print(f"one digit:          {timing.time_fn(lambda: model(x_test[:1]))}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Flatten the positions of a conv feature map and self-attention gives each position
#   a weight on every other one; it equals PyTorch's SDPA, and shuffling positions only
#   shuffles the output.
# - A ViT cuts the image into patches; the patch embedding is a Conv2d with kernel =
#   stride = patch, and its encoder equals a stack of `nn.TransformerEncoderLayer`s.
# - A ViT with 4 patches and two blocks reaches at least 95% on held-out digits, read
#   from a class token that gathers everything by attention.
# - On this budget its mean attention distance stays near uniform in both layers; a
#   locality bias added to the scores makes every layer look nearer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Worked solutions are in `solutions/13_attention_over_images.py`: try first.
#
# **Exercise 1.** Cut images into patches: `patchify(images, patch)` takes images
# $(B, C, S, S)$ and returns $(B, N, C P^2)$, patches read row by row, each flattened
# channel, then row, then column.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb13


def patchify(images, patch):
    raise NotImplementedError


ok = nb13.check_patchify(patchify)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** The mean attention distance: `attention_distance(weights, centres)`
# takes weights $(N, N)$ between patches (rows sum to 1) and the patch centres $(N, 2)$,
# and returns $\frac{1}{N}\sum_i \sum_j \alpha_{ij} \lVert c_i - c_j \rVert$ as a float.

# %% slideshow={"slide_type": "-"}
def attention_distance(weights, centres):
    raise NotImplementedError


ok = nb13.check_attention_distance(attention_distance)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** The class-token read-out: `class_token_readout(z, norm, head)` takes the
# encoder's output $z$ $(B, 1 + N, E)$, a LayerNorm and a Linear, and returns the logits
# $(B, \text{classes})$ read from the class token alone.

# %% slideshow={"slide_type": "-"}
def class_token_readout(z, norm, head):
    raise NotImplementedError


ok = nb13.check_class_token_readout(class_token_readout)
