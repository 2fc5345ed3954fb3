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
#     summary: Attention alone is a bag of tokens; sinusoidal, learned, relative, RoPE
#       and ALiBi put order back, each property proven.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/07_positional_information.ipynb)

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
# # 07 · Positional information: putting word order back
#
# "The dog chases the cat" and "the cat chases the dog" use the same words and mean
# different things. Attention, as built so far, cannot tell them apart: it compares every
# token with every other one, and nothing in that comparison says where a token sits.
#
# **In this notebook you will:**
# - prove that self-attention without positions is permutation-equivariant, so word order
#   is invisible to it;
# - build and check five fixes: sinusoidal and learned absolute encodings, Shaw-style
#   relative scores, rotary embeddings (RoPE) and ALiBi;
# - prove the property each one is chosen for: sinusoidal dot products and RoPE scores
#   depend only on the offset between positions, ALiBi heads look nearer as the slope grows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Attention is a bag of tokens
#
# Take self-attention with learned projections, $f(X) = \operatorname{softmax}(XW_Q (XW_K)^\top / \sqrt{D})\, XW_V$.
# Shuffle the rows of $X$ with a permutation matrix $P$: scores become $P S P^\top$, the
# row-wise softmax commutes with that, and
#
# $$f(PX) = P\, f(X).$$
#
# The outputs are shuffled the same way and otherwise unchanged: *permutation
# equivariance*. Here is the layer we use throughout ($E = D = 32$, one head, projections
# freshly initialised with a fixed seed).

# %% slideshow={"slide_type": "-"}
import torch
from torch import nn

from attnlib import scaled_dot_product_attention, viz
from attnlib.data import embed

torch.manual_seed(0)
proj_q, proj_k, proj_v = nn.Linear(32, 32), nn.Linear(32, 32), nn.Linear(32, 32)


def attend(x, bias=None, rotate=None):
    """One head of self-attention on x (N, E); optional score bias (N, N) or q/k rotation."""
    q, k, v = proj_q(x), proj_k(x), proj_v(x)  # (N, D) each
    if rotate is not None:
        q, k = rotate(q), rotate(k)
    return scaled_dot_product_attention(q, k, v, bias)  # output (N, D), weights (N, N)


# %% [markdown] slideshow={"slide_type": "-"}
# The proof, on a real sentence and a seeded random shuffle:

# %% slideshow={"slide_type": "-"}
tokens, x = embed("a small dog sees the cat in the park")  # x (N, E) = (9, 32)
torch.manual_seed(1)
perm = torch.randperm(len(tokens))
with torch.no_grad():
    out, _ = attend(x)
    out_shuffled, _ = attend(x[perm])
assert torch.allclose(out_shuffled, out[perm], atol=1e-6)
print("shuffled words:", [tokens[p] for p in perm])
print("f(PX) == P f(X):", torch.allclose(out_shuffled, out[perm], atol=1e-6))

# %% [markdown] slideshow={"slide_type": "-"}
# So the two sentences below get the same set of output vectors, only listed in another
# order. "dog" gets the same vector whether it chases or is chased, and any summary that
# pools the outputs (a mean, as a classifier would use) is identical.

# %% slideshow={"slide_type": "-"}
tok_a, x_a = embed("the dog chases the cat")
tok_b, x_b = embed("the cat chases the dog")
swap = [0, 4, 2, 3, 1]  # sentence b is sentence a with words 1 and 4 swapped
assert [tok_a[s] for s in swap] == tok_b


def order_visible(encode=lambda x: x, **attend_args):
    """Do the two sentences get different outputs (beyond the swap) under this encoding?"""
    with torch.no_grad():
        out_a, _ = attend(encode(x_a), **attend_args)
        out_b, _ = attend(encode(x_b), **attend_args)
    return not torch.allclose(out_b, out_a[swap], atol=1e-5)


with torch.no_grad():
    out_a, _ = attend(x_a)
    out_b, _ = attend(x_b)
assert torch.allclose(out_a[1], out_b[4], atol=1e-6)  # "dog" as chaser == "dog" as chased
assert torch.allclose(out_a.mean(0), out_b.mean(0), atol=1e-6)
assert not order_visible()
print("'dog' gets the same output in both sentences:", torch.allclose(out_a[1], out_b[4], atol=1e-6))
print("word order visible without positions:", order_visible())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sinusoidal encoding
#
# The original Transformer adds a fixed vector to each word vector, made of sines and
# cosines of the position $p$ at geometrically spaced frequencies $\omega_i = b^{-2i/E}$,
# $b = 10000$:
#
# $$\mathrm{PE}_{p,\,2i} = \sin(p\,\omega_i), \qquad \mathrm{PE}_{p,\,2i+1} = \cos(p\,\omega_i).$$
#
# Early columns turn fast, late ones slowly, like the hands of a clock.

# %% slideshow={"slide_type": "-"}
from attnlib import positional

pe = positional.sinusoidal(64, 32)  # (N, E): 64 positions, 32 dimensions
p, two_i = 5, 6
assert torch.isclose(pe[p, two_i], torch.sin(torch.tensor(p / 10000 ** (two_i / 32))))
assert torch.isclose(pe[p, two_i + 1], torch.cos(torch.tensor(p / 10000 ** (two_i / 32))))
every = lambda n, step: [str(t) if t % step == 0 else "" for t in range(n)]  # sparse tick labels
fig = viz.heatmap(pe, every(32, 4), every(64, 8), xlabel="dimension", ylabel="position",
                  vmin=-1.0, vmax=1.0, annotate=False, size=(6.0, 5.0),
                  title="Sinusoidal encoding, N = 64, E = 32")
fig.axes[-1].set_ylabel("value")
fig

# %% [markdown] slideshow={"slide_type": "-"}
# **Why sines and cosines.** Each pair $(\sin p\omega_i, \cos p\omega_i)$ is a point on a
# circle; moving $k$ positions rotates it by $k\omega_i$. So the dot product of two
# encodings depends only on their offset $k$, not on where they are:
#
# $$\mathrm{PE}_p \cdot \mathrm{PE}_{p+k} = \sum_i \big(\sin p\omega_i \sin (p+k)\omega_i + \cos p\omega_i \cos (p+k)\omega_i\big) = \sum_i \cos(k\,\omega_i).$$

# %% slideshow={"slide_type": "-"}
pe64 = positional.sinusoidal(64, 32, dtype=torch.float64)  # (64, 32)
gram = pe64 @ pe64.T  # (N, N): PE_p . PE_q
omega = 10000 ** (-torch.arange(0, 32, 2, dtype=torch.float64) / 32)  # (E/2,)
for k in range(32):
    along = torch.diagonal(gram, k)  # PE_p . PE_{p+k} for every p
    assert torch.allclose(along, torch.cos(k * omega).sum().expand_as(along), atol=1e-9)
print("PE_p . PE_{p+k} equals sum_i cos(k w_i) for every p and every k < 32")

# %% [markdown] slideshow={"slide_type": "-"}
# The same fact as a picture: the curves from three different starting positions lie on
# top of each other.

# %% slideshow={"slide_type": "-"}
offsets = torch.arange(32)
viz.line_plot(offsets, {f"p = {p}": gram[p, p + offsets] for p in (0, 10, 30)},
              title="PE_p . PE_{p+k} depends only on the offset k", xlabel="offset k",
              ylabel="dot product")

# %% [markdown] slideshow={"slide_type": "-"}
# **Odd widths.** With $E$ odd there are $\lceil E/2 \rceil$ sine columns but only
# $\lfloor E/2 \rfloor$ cosine columns. The common two-line recipe
# `pe[:, 0::2] = sin(angles); pe[:, 1::2] = cos(angles)` then fails, because the last
# sine has no cosine partner. `attnlib` drops that one cosine.

# %% slideshow={"slide_type": "-"}
angles = torch.arange(10.0)[:, None] * 10000 ** (-torch.arange(0, 7, 2) / 7)  # (10, 4)
naive = torch.empty(10, 7)
naive[:, 0::2] = torch.sin(angles)
try:
    naive[:, 1::2] = torch.cos(angles)  # 3 columns, 4 angles
except RuntimeError as e:
    print("naive recipe, E = 7:", str(e).split(".")[0])

pe7 = positional.sinusoidal(10, 7)
assert pe7.shape == (10, 7)
assert torch.allclose(pe7[:, -1], torch.sin(angles[:, -1]))  # the unpaired last sine
print("attnlib, E = 7: shape", tuple(pe7.shape))

# %% [markdown] slideshow={"slide_type": "-"}
# Added to the word vectors, the encoding makes the two sentences differ: "dog" at
# position 1 is no longer "dog" at position 4.

# %% slideshow={"slide_type": "-"}
visible = order_visible(lambda x: x + positional.sinusoidal(len(x), 32))
assert visible
print("word order visible with sinusoidal encoding:", visible)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learned absolute positions
#
# BERT and GPT-2 skip the formula and learn a table of $N_{\max}$ position vectors,
# trained with the rest of the model: $x_p \mapsto x_p + T_p$. It can fit whatever the data
# needs, but it knows nothing past $N_{\max}$:

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
learned = positional.LearnedPositionalEmbedding(max_len=8, dim=32)
print("table:", tuple(learned.table.shape), "-> output", tuple(learned(x[None, :8]).shape))
try:
    learned(x[None])  # 9 tokens, one more than the table has
except ValueError as e:
    print("9 tokens:", e)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Relative position scores (Shaw et al., 2018)
#
# Instead of encoding where a token is, encode how far apart two tokens are. Query $i$
# gets an extra score for key $j$ from a learned vector $a_{ij} = w_{\operatorname{clip}(j-i,\,-K,\,K)}$:
#
# $$s_{ij} = \frac{q_i \cdot k_j + q_i \cdot a_{ij}}{\sqrt{D}} .$$
#
# Only $2K + 1$ vectors are learned: offsets beyond $\pm K$ share the edge vector. The
# table of which vector each pair uses:

# %% slideshow={"slide_type": "-"}
K = 3
index = positional.relative_position_index(len(tokens), len(tokens), max_distance=K)  # (N, N)
i, j = torch.arange(len(tokens))[:, None], torch.arange(len(tokens))[None, :]
assert torch.equal(index, (j - i).clamp(-K, K) + K)
assert torch.equal(index[1:, 1:], index[:-1, :-1])  # depends on j - i only
fig = viz.heatmap(index, tokens, tokens, vmin=0, vmax=2 * K, annotate=True,
                  title=f"Shaw index clip(j - i, -{K}, {K}) + {K}")
fig.axes[-1].set_ylabel("which vector a")
fig

# %% [markdown] slideshow={"slide_type": "-"}
# `attnlib.positional.RelativePositionScores` computes $q_i \cdot a_{ij}$ for all pairs at
# once. It equals the definition written as a loop, and every key further than $K$ to the
# right (or left) gets the same score:

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
rel = positional.RelativePositionScores(max_distance=K, head_dim=32)
with torch.no_grad():
    q = proj_q(x)  # (N, D)
    rel_scores = rel(q, len(tokens))  # (N, N)
    loop = torch.stack([torch.stack([q[a] @ rel.table.weight[index[a, b]]
                                     for b in range(len(tokens))]) for a in range(len(tokens))])
assert torch.allclose(rel_scores, loop, atol=1e-6)
assert torch.allclose(rel_scores[0, K:], rel_scores[0, K].expand(len(tokens) - K))  # clipped
print("vectorised == loop; keys 3 or more to the right of query 0 share one score")


# %% [markdown] slideshow={"slide_type": "-"}
# Added to the scores (after scaling, as `attnlib` adds its masks), they make word order
# visible:

# %% slideshow={"slide_type": "-"}
def with_relative_scores(x):
    q = proj_q(x)
    return scaled_dot_product_attention(q, proj_k(x), proj_v(x), rel(q, len(x)) / 32**0.5)


with torch.no_grad():
    out_a, _ = with_relative_scores(x_a)
    out_b, _ = with_relative_scores(x_b)
assert not torch.allclose(out_b, out_a[swap], atol=1e-5)
print("word order visible with relative scores:", not torch.allclose(out_b, out_a[swap], atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Rotary position embedding (RoPE)
#
# RoPE leaves $x$ alone and rotates the query and key instead. Split a $D$-wide vector
# into $D/2$ pairs; the pair $i$ of a vector at position $m$ is rotated by the angle
# $m\theta_i$, $\theta_i = b^{-2i/D}$:
#
# $$\begin{pmatrix} y_i \\ y_{i+D/2} \end{pmatrix} = \begin{pmatrix} \cos m\theta_i & -\sin m\theta_i \\ \sin m\theta_i & \cos m\theta_i \end{pmatrix} \begin{pmatrix} x_i \\ x_{i+D/2} \end{pmatrix}.$$
#
# (`attnlib` pairs dimension $i$ with $i + D/2$, the "rotate-half" layout of GPT-NeoX and
# LLaMA; the paper pairs neighbours. Both are rotations.) With $D = 2$ there is one pair
# and $\theta_0 = 1$, so position $\pi/2$ turns $(1, 0)$ a quarter turn:

# %% slideshow={"slide_type": "-"}
from attnlib.positional import apply_rope

turned = apply_rope(torch.tensor([[1.0, 0.0]]), positions=torch.tensor([torch.pi / 2]))
assert torch.allclose(turned, torch.tensor([[0.0, 1.0]]), atol=1e-6)
print("(1, 0) at position pi/2 ->", turned[0].numpy().round(4) + 0.0)  # + 0.0: no "-0."

# %% [markdown] slideshow={"slide_type": "-"}
# Rotations keep lengths. And since rotating both vectors by the same extra angle changes
# nothing between them, the score depends only on the offset $n - m$:
#
# $$\langle R_m q,\ R_n k \rangle = \langle q,\ R_m^\top R_n k \rangle = \langle q,\ R_{n-m}\, k \rangle .$$
#
# We check it in float64 on the sentence's real queries and keys: moving the whole
# sentence to positions $t, t+1, \dots$ leaves every score unchanged.

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    q64 = proj_q(x).double()  # (N, D)
    k64 = proj_k(x).double()
positions = torch.arange(len(tokens), dtype=torch.float64)
assert torch.allclose(apply_rope(q64).norm(dim=-1), q64.norm(dim=-1), atol=1e-12)


def rope_scores(shift):
    return apply_rope(q64, positions + shift) @ apply_rope(k64, positions + shift).T  # (N, N)


for shift in (1, 7, 100, 1000):
    assert torch.allclose(rope_scores(shift), rope_scores(0), rtol=0, atol=1e-9)
assert not torch.allclose(rope_scores(0), q64 @ k64.T, atol=1e-3)  # yet positions do matter
print("RoPE scores unchanged by shifting all positions by 1, 7, 100, 1000")

# %% [markdown] slideshow={"slide_type": "-"}
# One query and one key ("dog", "cat"), placed at every pair of positions $(m, n)$ up to 15:
# the score is the same along each diagonal, so it is a function of $n - m$ alone.

# %% slideshow={"slide_type": "-"}
dog, cat = tokens.index("dog"), tokens.index("cat")
grid = torch.arange(16, dtype=torch.float64)
s = apply_rope(q64[dog].expand(16, -1), grid) @ apply_rope(k64[cat].expand(16, -1), grid).T
for offset in range(-15, 16):
    along = torch.diagonal(s, offset)
    assert torch.allclose(along, along[0].expand_as(along), atol=1e-9)
viz.line_plot(torch.arange(11), {"m = 0": s[0, :11], "m = 5": s[5, 5:]},
              title="RoPE score of q('dog') at m, k('cat') at m + k", xlabel="offset k",
              ylabel="score q . k")

# %% slideshow={"slide_type": "-"}
visible = order_visible(rotate=apply_rope)
assert visible
print("word order visible with RoPE:", visible)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## ALiBi: a distance penalty per head
#
# ALiBi (Press et al., 2022) adds no vectors at all. Each head $h$ subtracts a penalty
# proportional to distance from its scores, with a fixed slope $m_h$:
#
# $$s_{ij} = \frac{q_i \cdot k_j}{\sqrt{D}} - m_h\,|i - j|, \qquad m_h = 2^{-8(h+1)/H}.$$
#
# For $H = 8$ the slopes are $1/2, 1/4, \dots, 1/256$: head 0 is short-sighted, head 7
# nearly sees everything equally.

# %% slideshow={"slide_type": "-"}
from attnlib.positional import alibi_bias, alibi_slopes

H, N = 8, len(tokens)
slopes = alibi_slopes(H)
assert torch.allclose(slopes, 2.0 ** (-8.0 * torch.arange(1, H + 1) / H))
print("slopes:", [f"1/{round(1 / s)}" for s in slopes.tolist()])
bias = alibi_bias(H, N)  # (H, N, N)
assert torch.allclose(bias, -slopes[:, None, None] * (i - j).abs())
head_titles = [f"slope 1/{round(1 / s)}" for s in slopes.tolist()]
fig = viz.heads_grid(bias, tokens, tokens, vmin=-4.0, vmax=0.0, head_titles=head_titles,
                     title="ALiBi bias -m_h |i - j| per head")
fig.axes[-1].set_ylabel("bias")
fig

# %% [markdown] slideshow={"slide_type": "-"}
# Its effect on the weights of our sentence: the same queries and keys in every head, only
# the bias differs. The *mean attention distance* of a head, $\frac1N\sum_i \sum_j w_{ij}|i-j|$,
# measures how far it looks. The steeper the slope, the nearer it looks:

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    q, k, v = (p(x).expand(H, N, 32) for p in (proj_q, proj_k, proj_v))  # (H, N, D)
    _, alibi_weights = scaled_dot_product_attention(q, k, v, bias)  # (H, N, N)
    _, plain_weights = attend(x)
distance = (i - j).abs().float()
mean_distance = (alibi_weights * distance).sum(-1).mean(-1)  # (H,)
plain_distance = (plain_weights * distance).sum(-1).mean().item()
for h in range(H):
    print(f"head {h}, slope 1/{round(1 / slopes[h].item()):<3}: mean distance {mean_distance[h]:.3f}")
print(f"no ALiBi:              mean distance {plain_distance:.3f}")
assert (mean_distance[:-1] < mean_distance[1:]).all()  # steeper slope -> nearer
assert (mean_distance < plain_distance).all()

# %% slideshow={"slide_type": "-"}
viz.heads_grid(alibi_weights, tokens, tokens, head_titles=head_titles, vmax=0.5,
               title="Attention weights under ALiBi per head, untrained projections "
                     "(colour scale 0 to 0.5)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: one sentence, four encodings
#
# Pick an encoding and watch the weights of the same sentence change. For ALiBi choose the
# head (0 is steepest); for RoPE choose the base $b$ (a small base turns fast, so position
# matters more). Each of those two controls appears only with its encoding. The layer is
# the untrained one used throughout (the title says so): what changes with the encoding is
# the point, not which word a row picks.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W

from attnlib.data import SENTENCES
from attnlib.widgets import Explorer, Panels, show


def draw_positions(text, encoding, seq_len, alibi_head, rope_base):
    words, xs = embed(text, max_len=seq_len)
    n = len(words)
    with torch.no_grad():
        if encoding == "sinusoidal":
            _, w = attend(xs + positional.sinusoidal(n, 32))
        elif encoding == "RoPE":
            _, w = attend(xs, rotate=lambda t: apply_rope(t, base=float(rope_base)))
        elif encoding == "ALiBi":
            _, w = attend(xs, bias=alibi_bias(H, n)[alibi_head])
        else:
            _, w = attend(xs)
    detail = {"ALiBi": f"head {alibi_head}, slope {alibi_slopes(H)[alibi_head]:.4f}",
              "RoPE": f"base {rope_base}"}.get(encoding, "")
    title = f"{encoding}, N = {n} {detail}\n(untrained projections)"
    return Panels(w, words, words, title=title), (f"<b>{encoding}</b>, N = {n}; "
                                                  f"{detail or 'no parameters'}; untrained projections")


def show_used(name, controls):
    """The ALiBi head and the RoPE base each change only their own encoding."""
    encoding = controls["encoding"].value
    show(controls["alibi_head"], encoding == "ALiBi")
    show(controls["rope_base"], encoding == "RoPE")


controls = {
    "text": W.Text(value=SENTENCES[2], description="text", continuous_update=False),
    "encoding": W.Dropdown(options=("none", "sinusoidal", "RoPE", "ALiBi"), value="ALiBi",
                           description="encoding"),
    "seq_len": W.IntSlider(value=9, min=2, max=16, description="length N", continuous_update=False),
    "alibi_head": W.IntSlider(value=0, min=0, max=H - 1, description="ALiBi head", continuous_update=False),
    "rope_base": W.Dropdown(options=(10, 100, 1000, 10000), value=10000, description="RoPE base"),
}
Explorer("positions", controls, draw_positions, adjust=show_used)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost of positions
#
# Adding a precomputed sinusoidal table costs one addition per input. RoPE rotates both
# queries and keys in every layer: a few multiplications per element, plus the angles.
# Random inputs, $B H = 8$, $N = 256$, $D = 64$:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

torch.manual_seed(0)
device = timing.default_device()
qs = torch.randn(8, 256, 64, device=device)
ks = torch.randn(8, 256, 64, device=device)
table = positional.sinusoidal(256, 64, device=device)
rows = {
    "add sinusoidal (table ready)": timing.time_fn(torch.add, qs, table),
    "sinusoidal table + add": timing.time_fn(lambda: qs + positional.sinusoidal(256, 64, device=device)),
    "RoPE on q and k": timing.time_fn(lambda: (apply_rope(qs), apply_rope(ks))),
}
for name, t in rows.items():
    print(f"{name:<30} {t}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Without positions, self-attention is permutation-equivariant: $f(PX) = P f(X)$, so
#   "the dog chases the cat" and "the cat chases the dog" get the same outputs.
# - Sinusoidal encodings are added to the input; $\mathrm{PE}_p \cdot \mathrm{PE}_{p+k}$
#   depends only on $k$. They work for odd widths when the unpaired sine is kept alone.
#   Learned tables fit the data but stop at $N_{\max}$.
# - Shaw-style relative scores learn one vector per clipped offset $j - i$.
# - RoPE rotates $q$ and $k$; their score depends only on $n - m$.
# - ALiBi subtracts $m_h |i - j|$; steeper heads attend nearer.
#
# ## Exercises
#
# Worked solutions are in `solutions/07_positional_information.py`: try first.
#
# **Exercise 1.** Write `sinusoidal(n, dim)` returning the $(n, \text{dim})$ table with
# $b = 10000$, correct for odd `dim` too (float32).

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb07


def sinusoidal(n, dim):
    raise NotImplementedError


ok = nb07.check_sinusoidal(sinusoidal)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `rotate_pair(v, angle)`: rotate the 2-D vector `v` (a tensor of
# shape (2,)) counter-clockwise by `angle` radians, the step RoPE applies to every pair.

# %% slideshow={"slide_type": "-"}
def rotate_pair(v, angle):
    raise NotImplementedError


ok = nb07.check_rotate_pair(rotate_pair)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write `relative_index(n_q, n_k, k)`: the $(N_q, N_k)$ integer tensor
# $\operatorname{clip}(j - i, -k, k) + k$ that picks Shaw's vector for each pair.

# %% slideshow={"slide_type": "-"}
def relative_index(n_q, n_k, k):
    raise NotImplementedError


ok = nb07.check_relative_index(relative_index)
