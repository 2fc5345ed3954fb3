# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: series
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Build encoder and decoder blocks equal to PyTorch's, measure what pre-norm
#       changes in a 24-layer stack, run a ViT block and explore a trained 2-layer encoder.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/08_transformer_blocks.ipynb)

# %% slideshow={"slide_type": "skip"} tags=["colab-setup"]
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
# # 08 · Transformer blocks
#
# Attention on its own mixes information between positions. A transformer wraps it with
# three more parts: a feed-forward network applied at every position, residual connections
# and layer normalisation. That package is a **block**, and a transformer is a stack of
# blocks.
#
# **In this notebook you will:**
# - build an encoder block step by step, then a decoder block (masked self-attention plus
#   cross-attention), and prove both equal PyTorch's `nn.TransformerEncoderLayer` and
#   `nn.TransformerDecoderLayer`;
# - measure what moving the LayerNorm (post-norm vs pre-norm) does to a 24-layer stack;
# - run a ViT block over image patches, and train a 2-layer encoder that sorts digits.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The encoder block: two sublayers, each with add & norm
#
# An encoder block has two **sublayers**: multi-head self-attention, which moves
# information between positions, and a feed-forward network, which transforms each
# position on its own. Each sublayer is wrapped the same way: its output is *added* to its
# input (a residual connection) and the sum is normalised with LayerNorm. For
# $x \in \mathbb{R}^{N \times E}$, the original transformer (**post-norm**) computes
#
# $$h = \operatorname{LN}_1\big(x + \operatorname{MHA}(x)\big), \qquad
#   y = \operatorname{LN}_2\big(h + \operatorname{FFN}(h)\big),$$
#
# where the feed-forward network acts on each row (position) separately,
#
# $$\operatorname{FFN}(h) = \operatorname{relu}(h W_1^\top + b_1)\, W_2^\top + b_2,
#   \qquad W_1 \in \mathbb{R}^{F \times E},\; W_2 \in \mathbb{R}^{E \times F},$$
#
# and LayerNorm rescales each position's vector to mean 0 and variance 1 before a learned
# scale $\gamma$ and shift $\beta$:
#
# $$\operatorname{LN}(z) = \gamma \odot \frac{z - \mu(z)}{\sqrt{\sigma^2(z) + \epsilon}} + \beta .$$
#
# We build it on a real sentence, one sublayer per cell, using the modules of an
# `attnlib.blocks.EncoderBlock` so that at the end we can check the block gives the same
# answer.

# %% slideshow={"slide_type": "-"}
import torch

from attnlib.blocks import EncoderBlock
from attnlib.data import SENTENCES, embed

torch.manual_seed(0)
E, H, F_DIM = 32, 4, 64  # model width, heads, feed-forward width
block = EncoderBlock(E, H, F_DIM).eval()  # post-norm (norm_first=False), as in the 2017 paper
tokens, x = embed(SENTENCES[1])
x = x[None]  # (B, N, E) = (1, 6, 32)
print(tokens, tuple(x.shape))

# %% [markdown] slideshow={"slide_type": "-"}
# **Step 1: attention.** Every position gathers information from every other one. The
# output has the input's shape, so it can be added to the input.

# %% slideshow={"slide_type": "-"}
attn_out, weights = block.self_attn(x)  # (B, N, E), (B, H, N, N)
print("attention output", tuple(attn_out.shape), "weights", tuple(weights.shape))
assert attn_out.shape == x.shape

# %% [markdown] slideshow={"slide_type": "-"}
# **Step 2: add & norm.** Add the attention output to its input, then normalise each
# position. Before the LayerNorm's learned scale and shift (here still at their initial
# values $\gamma = 1$, $\beta = 0$), every position has mean 0 and standard deviation 1.

# %% slideshow={"slide_type": "-"}
h = block.norm1(x + attn_out)  # (B, N, E)
print("per-position mean:", h.mean(-1).detach().numpy().round(4) + 0.0)  # + 0.0: no "-0."
print("per-position std: ", h.std(-1, correction=0).detach().numpy().round(4))
assert torch.allclose(h.mean(-1), torch.zeros(1, 6), atol=1e-5)
assert torch.allclose(h.std(-1, correction=0), torch.ones(1, 6), atol=1e-3)

# %% [markdown] slideshow={"slide_type": "-"}
# **Step 3: feed-forward.** Two linear layers with a relu between, $E \to F \to E$. It
# treats positions independently: running it on one position alone gives that position's
# row of the full result. All mixing between positions happened in step 1.

# %% slideshow={"slide_type": "-"}
ff_out = block.ff(h)  # (B, N, E)
print("feed-forward:", block.ff.linear1, "->", block.ff.linear2)
assert torch.allclose(block.ff(h[:, 3:4]), ff_out[:, 3:4], atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# **Step 4: add & norm again**, and the block is done. The check compares our four steps
# with `EncoderBlock.forward`.

# %% slideshow={"slide_type": "-"}
y = block.norm2(h + ff_out)  # (B, N, E)
print("block output", tuple(y.shape))
assert torch.allclose(y, block(x), atol=1e-6)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pre-norm: the same parts, the norm moved
#
# Most models since GPT-2 normalise the *input* of each sublayer instead of the sum, and
# leave the residual path untouched:
#
# $$h = x + \operatorname{MHA}\big(\operatorname{LN}_1(x)\big), \qquad
#   y = h + \operatorname{FFN}\big(\operatorname{LN}_2(h)\big).$$
#
# Unrolled over $L$ blocks, the output is the input plus a sum of every sublayer's
# output, $x_L = x_0 + \sum_{\ell} f_\ell(\operatorname{LN}(x_{\ell}))$: nothing ever
# rescales the stream itself. `EncoderBlock(..., norm_first=True)` computes this; with
# the same weights it matches the two lines above.

# %% slideshow={"slide_type": "-"}
pre = EncoderBlock(E, H, F_DIM, norm_first=True).eval()
pre.load_state_dict(block.state_dict())  # same weights, only the order differs
h = x + pre.self_attn(pre.norm1(x))[0]
y_pre = h + pre.ff(pre.norm2(h))
assert torch.allclose(y_pre, pre(x), atol=1e-6)
print("pre-norm and post-norm outputs differ by up to",
      f"{(y_pre - y).abs().max().item():.2f}: same weights, different function")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked against PyTorch's encoder layer
#
# `EncoderBlock.from_torch` copies the weights of an `nn.TransformerEncoderLayer`. We
# check both norm placements in float64 (so that any real difference would stand out far
# above rounding), with a causal mask and a padding mask together: three sequences of
# lengths 6, 4 and 2 padded to 6. attnlib's masks say `True` = may attend: a keep mask
# $(N, N)$ and a key mask $(B, N)$ that is `True` for real tokens (what `masks.padding`
# returns). PyTorch's layers take the opposite, `True` = may not; `masks.to_mha_attn_mask`
# and `masks.to_mha_key_padding_mask` convert. Eval mode turns dropout off in both.

# %% slideshow={"slide_type": "-"}
from torch import nn

from attnlib import masks

torch.manual_seed(0)
N = 6
causal = masks.causal(N)  # (N, N) keep: query i sees keys 0..i
key_mask = masks.padding([6, 4, 2], N)  # (B, N), True = real token
x64 = torch.randn(3, N, E, dtype=torch.float64)  # random inputs: a numerical check
for norm_first in (False, True):
    layer = nn.TransformerEncoderLayer(E, H, F_DIM, dropout=0.1, batch_first=True,
                                       norm_first=norm_first).double().eval()
    ours = EncoderBlock.from_torch(layer)
    with torch.no_grad():
        theirs = layer(x64, src_mask=masks.to_mha_attn_mask(causal),
                       src_key_padding_mask=masks.to_mha_key_padding_mask(key_mask))
        diff = (ours(x64, mask=causal, key_mask=key_mask) - theirs).abs().max().item()
    print(f"norm_first={norm_first!s:5}  max |ours - PyTorch| < 1e-12: {diff < 1e-12}")
    assert diff < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The decoder block: masked self-attention, then cross-attention
#
# A decoder block has three sublayers. Masked self-attention lets position $i$ of the
# target see positions $0..i$ only; cross-attention takes its queries from the decoder and
# its keys and values from the encoder's output $m \in \mathbb{R}^{N_k \times E}$ (the
# *memory*); then the feed-forward network. Post-norm:
#
# $$\begin{aligned}
# h_1 &= \operatorname{LN}_1\big(x + \operatorname{MHA}(x, x, x;\ \text{causal})\big)\\
# h_2 &= \operatorname{LN}_2\big(h_1 + \operatorname{MHA}(h_1, m, m)\big)\\
# y &= \operatorname{LN}_3\big(h_2 + \operatorname{FFN}(h_2)\big)
# \end{aligned}$$
#
# and pre-norm moves each $\operatorname{LN}$ onto the sublayer's input (the memory is
# not normalised by the block: it arrives already normalised by the encoder). The check
# uses a causal self-mask, padding on both the target and the memory, and both placements.

# %% slideshow={"slide_type": "-"}
from attnlib.blocks import DecoderBlock

torch.manual_seed(0)
N_K = 5
memory = torch.randn(3, N_K, E, dtype=torch.float64)  # random stand-in for an encoder output
memory_key_mask = masks.padding([5, 3, 5], N_K)  # (B, N_k), True = real token
for norm_first in (False, True):
    layer = nn.TransformerDecoderLayer(E, H, F_DIM, batch_first=True,
                                       norm_first=norm_first).double().eval()
    ours = DecoderBlock.from_torch(layer)
    with torch.no_grad():
        theirs = layer(x64, memory, tgt_mask=masks.to_mha_attn_mask(causal),
                       tgt_key_padding_mask=masks.to_mha_key_padding_mask(key_mask),
                       memory_key_padding_mask=masks.to_mha_key_padding_mask(memory_key_mask))
        mine = ours(x64, memory, self_mask=causal, self_key_mask=key_mask,
                    memory_key_mask=memory_key_mask)
    diff = (mine - theirs).abs().max().item()
    print(f"norm_first={norm_first!s:5}  max |ours - PyTorch| < 1e-12: {diff < 1e-12}")
    assert diff < 1e-12

# %% [markdown] slideshow={"slide_type": "-"}
# The block keeps the weights of its last forward. The self-attention weights are
# $(B, H, N, N)$ and lower-triangular; the cross-attention weights are $(B, H, N, N_k)$,
# and give nothing to the padded memory positions (the second sequence's memory has 3 real
# positions of 5).

# %% slideshow={"slide_type": "-"}
self_w, cross_w = ours.last_self_weights, ours.last_cross_weights
print("self-attention weights ", tuple(self_w.shape))
print("cross-attention weights", tuple(cross_w.shape))
assert (self_w[..., ~causal] == 0).all()  # nothing above the diagonal
assert (cross_w[1, :, :, 3:] == 0).all()  # nothing on padded memory
assert torch.allclose(cross_w.sum(-1), torch.ones(3, H, N, dtype=torch.float64))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What pre-norm changes, measured
#
# Take a stack of 24 freshly initialised blocks (seeded), once post-norm and once
# pre-norm, and feed both the same real input: the first five words of our six
# sentences, embedded ($B = 6$, $N = 5$, $E = 32$). We record the root mean square of the
# residual stream after each block,
#
# $$\operatorname{RMS}(x_\ell) = \sqrt{\tfrac{1}{BNE}\textstyle\sum x_\ell^2}.$$
#
# Post-norm ends every block with a LayerNorm, so the stream is reset to RMS 1 each time.
# Pre-norm only ever *adds* to the stream, so we expect it to grow with depth. One
# function builds a stack for a seed and measures it; it also measures gradients, which
# come after.

# %% slideshow={"slide_type": "-"}
L = 24
x_sent = torch.stack([embed(s, max_len=5)[1] for s in SENTENCES])  # (B, N, E) = (6, 5, 32)


def run_stack(norm_first, seed):
    """A fresh stack of L blocks on the six sentences. Returns, per block: the RMS of the
    residual stream after it, and for a stand-in loss the gradient norm of its parameters
    and the gradient norm on the stream after it."""
    torch.manual_seed(seed)  # the same initial weights for both placements
    stack = nn.ModuleList(EncoderBlock(E, H, 4 * E, norm_first=norm_first) for _ in range(L))
    x, rms, stream = x_sent, [], []
    for block in stack:
        x = block(x)  # (B, N, E)
        x.retain_grad()  # keep the gradient that reaches the stream here
        stream.append(x)
        rms.append(x.pow(2).mean().sqrt().item())
    out = nn.functional.layer_norm(x, (E,)) if norm_first else x  # pre-norm ends with a LayerNorm
    readout = torch.randn(E, generator=torch.Generator().manual_seed(seed))  # a random read-out
    (out @ readout).pow(2).mean().backward()  # a stand-in for a task's loss
    grads = [sum(p.grad.pow(2).sum() for p in b.parameters()).sqrt().item() for b in stack]
    return rms, grads, [s.grad.norm().item() for s in stream]


runs = {"post-norm": run_stack(False, seed=0), "pre-norm": run_stack(True, seed=0)}
rms = {name: run[0] for name, run in runs.items()}

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
for name, r in rms.items():
    print(f"{name:9} RMS after layers 1, 6, 12, 24:", [round(r[i], 2) for i in (0, 5, 11, 23)])

# %% [markdown] slideshow={"slide_type": "-"}
# The plot shows every layer. The check asserts what holds on every seed (below, we try
# 100): post-norm stays at 1, pre-norm grows (its last layer's stream is more than 1.4
# times its first).

# %% slideshow={"slide_type": "-"}
from attnlib import viz

assert all(abs(r - 1) < 1e-3 for r in rms["post-norm"])
assert rms["pre-norm"][-1] > 1.4 * rms["pre-norm"][0]
viz.line_plot(range(1, L + 1), rms, title="Residual stream through 24 blocks (6 sentences, seed 0)",
              xlabel="layer", ylabel="RMS of the residual stream")

# %% [markdown] slideshow={"slide_type": "-"}
# **Gradients.** Growth matters for training: in pre-norm a sublayer's output is added to
# an ever larger stream, while in post-norm every LayerNorm on the way back rescales the
# gradient. `run_stack` backpropagated a stand-in loss, a random read-out of the last layer
# (after a final LayerNorm for pre-norm, as pre-norm models have), and measured the norm
# of the gradient on each block's parameters. For seed 0:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
grads = {name: run[1] for name, run in runs.items()}
for name, g in grads.items():
    print(f"{name:9} gradient norm at layer 1: {g[0]:5.2f}, at layer 24: {g[-1]:5.2f}, "
          f"ratio last/first {g[-1] / g[0]:.2f}")

# %% slideshow={"slide_type": "-"}
viz.line_plot(range(1, L + 1), grads, title="Gradient norm per block (24-layer stack, seed 0)",
              xlabel="layer", ylabel="gradient norm of the block's parameters")

# %% [markdown] slideshow={"slide_type": "-"}
# One seed says little: the ratio last/first depends on that seed's random weights and
# read-out as much as on where the norm sits. So we measure 100 seeds (no training, a
# few seconds).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from tqdm.auto import tqdm

from attnlib.train import one_thread_deterministic

SEEDS = range(100)
with one_thread_deterministic():  # for tensors this small, one thread is the fastest
    seed_runs = {name: [run_stack(name == "pre-norm", s) for s in tqdm(SEEDS, desc=name)]
                 for name in ("post-norm", "pre-norm")}

# %% [markdown] slideshow={"slide_type": "-"}
# The distribution of the ratio last/first over the seeds, for each placement (left), and
# seed by seed, post-norm's ratio against pre-norm's on the same weights and read-out
# (right; above the diagonal, post-norm's is the larger).

# %% slideshow={"slide_type": "-"}
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

ratios = pd.DataFrame([
    {"seed": s, "placement": name, "last / first": run[1][-1] / run[1][0]}
    for name, runs_ in seed_runs.items() for s, run in zip(SEEDS, runs_)
])
paired = ratios.pivot(index="seed", columns="placement", values="last / first")
fig = Figure(figsize=(10, 3.8))
fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.28)
ax_hist, ax_pair = fig.subplots(1, 2)
sns.histplot(data=ratios, x="last / first", hue="placement", log_scale=True, bins=25,
             element="step", ax=ax_hist)
ax_hist.axvline(1, color="grey", linestyle="--")
ax_hist.set(title=f"Gradient norm, last block / first block ({len(SEEDS)} seeds)",
            xlabel="last / first (log scale)", ylabel="seeds")
sns.scatterplot(data=paired, x="pre-norm", y="post-norm", ax=ax_pair)
ax_pair.set(xscale="log", yscale="log", title="The same seed, both placements",
            xlabel="pre-norm: last / first", ylabel="post-norm: last / first")
ax_pair.axline((1, 1), (2, 2), color="grey", linestyle="--")  # the diagonal, y = x
ticks = [0.25, 0.5, 1, 2, 4]
for ax in (ax_hist, ax_pair):
    ax.minorticks_off()
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(0.2, 6)
ax_pair.set_yticks(ticks, [f"{t:g}" for t in ticks])
ax_pair.set_ylim(0.2, 6)
fig

# %% [markdown] slideshow={"slide_type": "-"}
# In numbers:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
for name in seed_runs:
    r = paired[name]
    print(f"{name:9} last/first: min {r.min():.2f}, median {r.median():.2f}, max {r.max():.2f}; "
          f"above 1 on {(r > 1).sum()} of {len(r)} seeds")
print(f"post-norm's ratio above pre-norm's on {(paired['post-norm'] > paired['pre-norm']).sum()} seeds")
stream = [run[2][0] / run[2][-1] for run in seed_runs["pre-norm"]]
print(f"pre-norm, gradient on the stream after block 1 / after block 24: min {min(stream):.2f}")

# %% [markdown] slideshow={"slide_type": "-"}
# With post-norm the last block gets more gradient than the first on most seeds, about
# four in five, with a median ratio of about 1.6, but single seeds range from about 0.6 to
# about 4.5: no one seed settles it. Pre-norm tilts the other way on almost every seed
# (median about 0.65). Seed by seed, on the same weights and read-out, post-norm's ratio is
# the larger on nearly every seed (here all of them). What holds on every seed: post-norm
# keeps the stream at RMS 1 and pre-norm lets it grow; and in pre-norm the gradient that
# reaches the stream is larger after the first block than after the last, because the
# residual path carries it back unscaled and each block on the way adds to it. The check
# asserts these, and the distribution's shape with margins.

# %% slideshow={"slide_type": "-"}
post, pre = paired["post-norm"], paired["pre-norm"]
for (rms_post, _, _), (rms_pre, _, grad_stream) in zip(*seed_runs.values()):
    assert all(abs(r - 1) < 1e-3 for r in rms_post)  # every seed: post-norm RMS 1
    assert rms_pre[-1] > 1.4 * rms_pre[0]  # every seed: pre-norm grows
    assert grad_stream[0] > grad_stream[-1]  # every seed: more gradient reaches block 1
assert post.median() > 1.2 and pre.median() < 0.8
assert (post > pre).mean() >= 0.9
print(f"every one of {len(SEEDS)} seeds: post-norm RMS 1, pre-norm RMS grows more than 1.4x, "
      "pre-norm's stream gradient larger after block 1 than after block 24")
print("medians of last/first: post-norm above 1.2, pre-norm below 0.8; "
      "post-norm's ratio the larger on at least 90% of seeds")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A ViT block
#
# A Vision Transformer treats an image as a sequence: cut it into square patches, flatten
# each patch, map it to width $E$ with one linear layer, prepend a learned **class token**
# whose output will summarise the image, and add learned positions. Its blocks are
# pre-norm encoder blocks with the gelu activation, so `EncoderBlock(norm_first=True,
# activation="gelu")` is a ViT block. Our image: a 16×16 drawing of a ring.

# %% slideshow={"slide_type": "-"}
rows, cols = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
radius = ((rows - 7.5) ** 2 + (cols - 7.5) ** 2).sqrt()
image = ((radius > 3.5) & (radius < 6.5)).float()  # (16, 16): 1 on the ring, 0 elsewhere
viz.heatmap(image, title="A 16x16 image: a ring", xlabel="pixel column", ylabel="pixel row",
            vmax=None, annotate=False)

# %% [markdown] slideshow={"slide_type": "-"}
# Cutting into 4×4 patches gives a 4×4 grid of 16 patches, each flattened to 16 pixel
# values: a sequence of $N = 16$ tokens. Patch 0 is the image's top-left corner.

# %% slideshow={"slide_type": "-"}
P = 4
patches = image.unfold(0, P, P).unfold(1, P, P)  # (4, 4, P, P): grid row, grid column, pixels
patches = patches.reshape(-1, P * P)[None]  # (B, N, P*P) = (1, 16, 16)
print("patches", tuple(patches.shape))
assert torch.equal(patches[0, 0], image[:4, :4].flatten())
assert torch.equal(patches[0, 5], image[4:8, 4:8].flatten())  # grid row 1, column 1

# %% [markdown] slideshow={"slide_type": "-"}
# Embed, prepend the class token, add positions, and run one block. The output keeps the
# shape $(B, 1 + N, E)$; the class token's row `out[:, 0]` is what a classifier head
# would read.

# %% slideshow={"slide_type": "-"}
from attnlib.positional import LearnedPositionalEmbedding

torch.manual_seed(0)
patch_embed = nn.Linear(P * P, E)  # one linear map per patch: (P*P) -> E
cls_token = nn.Parameter(torch.zeros(1, 1, E))
positions = LearnedPositionalEmbedding(1 + 16, E)
vit_block = EncoderBlock(E, H, 4 * E, norm_first=True, activation="gelu").eval()

tokens_in = torch.cat([cls_token, patch_embed(patches)], dim=1)  # (B, 1 + N, E) = (1, 17, 32)
out = vit_block(positions(tokens_in))  # (1, 17, 32)
print("tokens in", tuple(tokens_in.shape), "-> block out", tuple(out.shape))
print("class-token summary", tuple(out[:, 0].shape),
      "attention weights", tuple(vit_block.last_weights.shape))
assert out.shape == (1, 17, E) and vit_block.last_weights.shape == (1, H, 17, 17)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A trained 2-layer encoder that sorts digits
#
# To see what heads do inside a stack, we train one. The task: given 8 random digits,
# output at each position the digit that belongs there once the sequence is sorted
# (`3 1 4 1 5 9 2 6` → `1 1 2 3 4 5 6 9`). The answer at a position depends on every
# digit, so a model that could not move information between positions would fail.
# `attnlib.models.TinyEncoder` is token embeddings plus learned positions, two
# `EncoderBlock`s with $H = 2$ heads, and a linear read-out; `attnlib.train` trains it
# with the series' one training loop (400 seeded steps of Adam, a few seconds), and
# scores it on 1,000 held-out sequences.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib.data import sort_task
from attnlib.train import sort_accuracy, train_tiny_encoder

model, losses = train_tiny_encoder(num_layers=2, num_heads=2, seed=0)
per_digit, whole = sort_accuracy(model)  # 1000 held-out sequences
print(f"loss {losses[0]:.2f} -> {losses[-1]:.4f}")
print(f"held-out accuracy: {per_digit:.4f} of digits, {whole:.3f} of whole sequences")

# %% [markdown] slideshow={"slide_type": "-"}
# The check asserts what holds on every seed (`tests/test_learned_claims.py` retrains on
# several): more than 99% of the digits are right.

# %% slideshow={"slide_type": "-"}
print(f"more than 0.99 of the digits right: {per_digit > 0.99}")
assert per_digit > 0.99

# %% [markdown] slideshow={"slide_type": "-"}
# All four heads on one input. Rows are output positions, labelled with the digit the
# model writes there; columns are the input digits.

# %% slideshow={"slide_type": "-"}
def run_model(digits):
    ids = torch.tensor([digits])  # (1, N)
    with torch.no_grad():
        logits, w = model(ids)  # (1, N, V), (1, L, H, N, N)
    out_labels = [f"->{d}" for d in logits[0].argmax(-1).tolist()]
    return w[0], out_labels, [str(d) for d in digits]  # (L, H, N, N)


w, out_labels, in_labels = run_model([3, 1, 4, 1, 5, 9, 2, 6])
print("model output:", " ".join(label[2:] for label in out_labels))
assert out_labels == [f"->{d}" for d in sorted([3, 1, 4, 1, 5, 9, 2, 6])]
viz.heads_grid(w.flatten(0, 1), in_labels, out_labels, ncols=2, panel=2.8,
               head_titles=[f"layer {i}, head {h}" for i in range(2) for h in range(2)],
               title="Trained sorter: every head on '3 1 4 1 5 9 2 6'")

# %% [markdown] slideshow={"slide_type": "-"}
# The later output positions attend to larger digits. Measured over 1000 held-out
# sequences: the attention-weighted mean of the input digits each output position looks
# at, in the last layer (heads averaged).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
x_test, _ = sort_task(1000, generator=torch.Generator().manual_seed(2))
with torch.no_grad():
    w_test = model(x_test)[1][:, -1].mean(1)  # last layer, heads averaged: (B, N, N)
looked_at = (w_test * x_test[:, None, :].float()).sum(-1).mean(0)  # (N,) mean digit attended
print("mean digit attended by output position 0..7:", looked_at.numpy().round(2))

# %% [markdown] slideshow={"slide_type": "-"}
# It rises from each output position to the next, on every seed we tried.

# %% slideshow={"slide_type": "-"}
print(f"rises at every step from position 0 to 7: {bool((looked_at[1:] > looked_at[:-1]).all())}")
assert (looked_at[1:] > looked_at[:-1]).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore the trained stack
#
# Type up to 8 digits (the model was trained on exactly 8), pick a layer and a head.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import re

from attnlib import widgets


def run(text):
    digits = [int(d) for d in re.findall(r"\d", text)][:8] or [0]
    w, out_labels, in_labels = run_model(digits)
    return {"encoder self": (w, out_labels, in_labels)}


widgets.model_explorer(run, "3 1 4 1 5 9 2 6", kinds=("encoder self",), num_layers=2, num_heads=2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# Our encoder block against PyTorch's layer on random inputs ($B = 8$, $N = 128$,
# $E = 256$, $H = 8$). In eval mode under `no_grad`, PyTorch can take a fused "fast path"
# for the whole layer; ours runs the readable code above, module by module.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

device = timing.default_device()
torch.manual_seed(0)
layer = nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True).to(device).eval()
ours = EncoderBlock.from_torch(layer)
x_big = torch.randn(8, 128, 256, device=device)  # random inputs for timing
with torch.no_grad():
    print(f"attnlib EncoderBlock            {timing.time_fn(ours, x_big)}")
    print(f"PyTorch TransformerEncoderLayer {timing.time_fn(layer, x_big)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A block is attention (mixing positions) and a feed-forward network (per position),
#   each wrapped in a residual connection and a LayerNorm. A decoder block adds masked
#   self-attention and cross-attention over the encoder's memory.
# - Our `EncoderBlock` and `DecoderBlock` equal PyTorch's layers with copied weights, in
#   both norm placements, with causal and padding masks.
# - Post-norm resets the residual stream to RMS 1 after every block; pre-norm lets it grow
#   with depth. Over 100 seeds, post-norm gives the last block more gradient than the
#   first on most seeds and pre-norm less on almost all; single seeds vary widely, so the
#   claim is about the distribution, measured, not about one seed.
# - A ViT block is a pre-norm gelu encoder block over patch embeddings plus a class token.
#
# ## Exercises
#
# Worked solutions are in `solutions/08_transformer_blocks.py`: try first.
#
# **Exercise 1.** Write one pre-norm residual step: `pre_norm_step(x, sublayer, norm)`
# returns $x + \text{sublayer}(\operatorname{LN}(x))$.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb08


def pre_norm_step(x, sublayer, norm):
    raise NotImplementedError


ok = nb08.check_pre_norm_step(pre_norm_step)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Count the parameters of `EncoderBlock(E, H, ff_dim)` (biases included)
# as a formula: `block_params(E, ff_dim)`. Does $H$ matter?

# %% slideshow={"slide_type": "-"}
def block_params(E, ff_dim):
    raise NotImplementedError


ok = nb08.check_block_params(block_params)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write the feed-forward network from its weights:
# `feed_forward(x, w1, b1, w2, b2)` $= \operatorname{relu}(x W_1^\top + b_1) W_2^\top + b_2$
# for $x$ of shape $(B, N, E)$.

# %% slideshow={"slide_type": "-"}
def feed_forward(x, w1, b1, w2, b2):
    raise NotImplementedError


ok = nb08.check_feed_forward(feed_forward)
