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
#     summary: Attention as a soft dictionary lookup, built from scores, softmax and
#       a weighted sum, in NumPy then PyTorch.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/01_dot_product_attention.ipynb)

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
# # 01 · Dot-product attention
#
# Attention is a lookup: a query is compared with every key, and the answer is a blend of
# the values, weighted by how well each key matched. Three steps make it: **scores**,
# **softmax**, **weighted sum**.
#
# **In this notebook you will:**
# - work a three-query, three-key example by hand and check the code reproduces it exactly;
# - build attention in NumPy, then in PyTorch, and prove both equal `attnlib` and
#   `F.scaled_dot_product_attention`;
# - see real words look each other up, and watch the temperature turn the soft lookup into a
#   hard one.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From a hard lookup to a soft one
#
# A Python `dict` does a *hard* lookup: the query must equal one key exactly, and you get
# that key's value and nothing else. Written with weights, the dictionary puts weight 1 on
# the matching key and 0 on every other one.

# %% slideshow={"slide_type": "-"}
import numpy as np

keys = ["cat", "dog", "car"]
values = np.array([10.0, 20.0, 30.0])  # one number per key
table = dict(zip(keys, values))

weights = np.array([k == "dog" for k in keys], dtype=float)  # one-hot: 1 on the match
print("dict lookup     :", table["dog"])
print("weights         :", weights)
print("weighted sum    :", weights @ values)
assert weights @ values == table["dog"]

# %% [markdown] slideshow={"slide_type": "-"}
# Attention relaxes both rules. Keys and queries are vectors, so instead of "equal or not"
# each key gets a **score**, how similar it is to the query. A **softmax** turns the scores
# into weights that are positive and sum to 1, and the answer is the **weighted sum** of
# all the values. A query halfway between two keys gets a blend of their two values.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths
#
# Take $N_q$ queries $q_i$, $N_k$ keys $k_j$ (all of width $D$) and $N_k$ values $v_j$
# (of width $D_v$). For query $i$:
#
# $$
# s_{ij} = \frac{q_i \cdot k_j}{\sqrt{D}}, \qquad
# a_{ij} = \operatorname{softmax}_j(s_{i\cdot}) = \frac{e^{s_{ij}}}{\sum_{l=1}^{N_k} e^{s_{il}}},
# \qquad
# o_i = \sum_{j=1}^{N_k} a_{ij}\, v_j .
# $$
#
# Stacking queries, keys and values as rows of $Q$ $(N_q, D)$, $K$ $(N_k, D)$ and
# $V$ $(N_k, D_v)$, the three steps are three matrix operations:
#
# $$
# \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{D}}\right) V,
# \qquad S, A \in \mathbb{R}^{N_q \times N_k}, \quad O \in \mathbb{R}^{N_q \times D_v}.
# $$
#
# The division by $\sqrt{D}$ keeps the scores in a range where the softmax still blends;
# notebook 02 measures why. Here it is part of the recipe.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A worked example by hand
#
# Three queries, three keys, $D = 4$ (so $\sqrt{D} = 2$), and values of width $D_v = 2$:
#
# $$
# Q = \begin{pmatrix} 2 & 2 & 0 & 0 \\ 0 & 0 & 2 & 2 \\ 1 & 1 & 1 & 1 \end{pmatrix}, \quad
# K = \begin{pmatrix} 1 & 1 & 0 & 0 \\ 0 & 0 & 1 & 1 \\ 1 & 0 & 1 & 0 \end{pmatrix}, \quad
# V = \begin{pmatrix} 10 & 0 \\ 0 & 10 \\ 5 & 5 \end{pmatrix}.
# $$
#
# **Scores.** $q_1 \cdot k_1 = 2 + 2 = 4$, $q_1 \cdot k_2 = 0$, $q_1 \cdot k_3 = 2$, and so
# on; divided by 2:
#
# $$
# S = \frac{Q K^\top}{2} = \begin{pmatrix} 2 & 0 & 1 \\ 0 & 2 & 1 \\ 1 & 1 & 1 \end{pmatrix}.
# $$
#
# **Softmax**, row by row. Row 1 has exponentials $e^2, e^0, e^1$; call their sum
# $Z = e^2 + e + 1 \approx 11.107$. Row 2 is row 1 with keys 1 and 2 swapped. Row 3 has
# equal scores, so equal weights:
#
# $$
# A = \begin{pmatrix} e^2/Z & 1/Z & e/Z \\ 1/Z & e^2/Z & e/Z \\ 1/3 & 1/3 & 1/3 \end{pmatrix}
# \approx \begin{pmatrix} 0.6652 & 0.0900 & 0.2447 \\ 0.0900 & 0.6652 & 0.2447 \\
# 0.3333 & 0.3333 & 0.3333 \end{pmatrix}.
# $$
#
# **Weighted sum.** $o_1 = \frac{e^2}{Z}(10, 0) + \frac{1}{Z}(0, 10) + \frac{e}{Z}(5, 5)
# = \left(\frac{10e^2 + 5e}{Z}, \frac{10 + 5e}{Z}\right) \approx (7.876, 2.124)$; $o_2$ is
# $o_1$ with its two entries swapped; and $o_3$ is the plain average of the values, $(5, 5)$.

# %% [markdown] slideshow={"slide_type": "-"}
# The same numbers in code, written from the closed forms above (not computed by any
# attention function):

# %% slideshow={"slide_type": "-"}
import math

e, Z = math.e, math.e**2 + math.e + 1
A_hand = np.array([[e**2 / Z, 1 / Z, e / Z],
                   [1 / Z, e**2 / Z, e / Z],
                   [1 / 3, 1 / 3, 1 / 3]])
O_hand = np.array([[(10 * e**2 + 5 * e) / Z, (10 + 5 * e) / Z],
                   [(10 + 5 * e) / Z, (10 * e**2 + 5 * e) / Z],
                   [5.0, 5.0]])
print("A by hand:\n", A_hand.round(4))
print("O by hand:\n", O_hand.round(4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build in NumPy
#
# One function per step. Step 1, the scores $S = QK^\top / \sqrt{D}$: entry $(i, j)$ is the
# dot product of query row $i$ with key row $j$. `swapaxes(-2, -1)` transposes the last two
# axes, so the same code works with leading batch axes $(B, N, D)$.

# %% slideshow={"slide_type": "-"}
def scores_np(q, k):
    """q (..., N_q, D), k (..., N_k, D) -> (..., N_q, N_k)"""
    return q @ k.swapaxes(-2, -1) / np.sqrt(q.shape[-1])


Q = np.array([[2, 2, 0, 0], [0, 0, 2, 2], [1, 1, 1, 1]], dtype=float)
K = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=float)
V = np.array([[10, 0], [0, 10], [5, 5]], dtype=float)
S = scores_np(Q, K)
print(S)
assert (S == [[2, 0, 1], [0, 2, 1], [1, 1, 1]]).all()


# %% [markdown] slideshow={"slide_type": "-"}
# Step 2, the softmax over the keys (the last axis). Subtracting each row's maximum first
# changes nothing, since $e^{s - m} / \sum e^{s - m} = e^{s} / \sum e^{s}$, but it keeps
# `exp` from overflowing when scores are large.

# %% slideshow={"slide_type": "-"}
def softmax_np(s):
    """Softmax over the last axis (the keys). (..., N_q, N_k) -> (..., N_q, N_k)"""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


A = softmax_np(S)
print(A.round(4))
print("softmax of [1000, 1001] is finite:", softmax_np(np.array([1000.0, 1001.0])).round(4))


# %% [markdown] slideshow={"slide_type": "-"}
# Step 3, the weighted sum $O = AV$: row $i$ of $O$ mixes the rows of $V$ with the weights in
# row $i$ of $A$. Together the three steps are attention:

# %% slideshow={"slide_type": "-"}
def attention_np(q, k, v):
    """q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v) -> (..., N_q, D_v), (..., N_q, N_k)"""
    a = softmax_np(scores_np(q, k))  # (..., N_q, N_k)
    return a @ v, a  # (..., N_q, D_v), (..., N_q, N_k)


O_np, A = attention_np(Q, K, V)
print("O:\n", O_np.round(4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof: the code equals the hand calculation
#
# Weights and outputs agree with the closed forms to the last digits of float64, and every
# row of weights is a probability distribution: positive, summing to 1.

# %% slideshow={"slide_type": "-"}
assert np.allclose(A, A_hand, rtol=0, atol=1e-12)
assert np.allclose(O_np, O_hand, rtol=0, atol=1e-12)
assert (A > 0).all() and np.allclose(A.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
print("weights equal the hand values:", np.abs(A - A_hand).max() < 1e-12)
print("outputs equal the hand values:", np.abs(O_np - O_hand).max() < 1e-12)
print("row sums:", A.sum(axis=-1).round(12))

# %% [markdown] slideshow={"slide_type": "-"}
# Because the weights are positive and sum to 1, each output is a weighted *average* of the
# values: every coordinate of $o_i$ lies between the smallest and largest value in that
# coordinate. Query 3 matched all keys equally and got the plain mean.

# %% slideshow={"slide_type": "-"}
assert ((O_np >= V.min(axis=0)) & (O_np <= V.max(axis=0))).all()
assert np.allclose(O_np[2], V.mean(axis=0))
print("query 3 gets the mean of the values:", O_np[2], "=", V.mean(axis=0))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build in PyTorch
#
# The PyTorch version is the same three lines with `torch` names: `transpose(-2, -1)`,
# `torch.softmax`, `@`. It runs on a GPU and autograd can differentiate through it.

# %% slideshow={"slide_type": "-"}
import torch


def attention_torch(q, k, v):
    """q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v) -> (..., N_q, D_v), (..., N_q, N_k)"""
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., N_q, N_k)
    a = torch.softmax(s, dim=-1)  # (..., N_q, N_k), rows sum to 1
    return a @ v, a  # (..., N_q, D_v), (..., N_q, N_k)


O_t, A_t = attention_torch(*(torch.tensor(m) for m in (Q, K, V)))
print("dtype:", O_t.dtype, "| equals the hand values:", np.allclose(O_t.numpy(), O_hand, atol=1e-12))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check against attnlib and PyTorch
#
# Four implementations, one answer: our NumPy build, our PyTorch build,
# `attnlib.scaled_dot_product_attention` (the version the rest of the series uses) and
# PyTorch's own `F.scaled_dot_product_attention`. The inputs are random numbers in float64
# with batch shape $(B, N_q, D) = (2, 5, 8)$ and $N_k = 7$, $D_v = 3$: random inputs are fine
# for an equality check.

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

from attnlib import scaled_dot_product_attention

torch.manual_seed(0)
q = torch.randn(2, 5, 8, dtype=torch.float64)  # (B, N_q, D)
k = torch.randn(2, 7, 8, dtype=torch.float64)  # (B, N_k, D)
v = torch.randn(2, 7, 3, dtype=torch.float64)  # (B, N_k, D_v)

out_np, w_np = attention_np(q.numpy(), k.numpy(), v.numpy())
out_torch, w_torch = attention_torch(q, k, v)
out_lib, w_lib = scaled_dot_product_attention(q, k, v)
out_F = F.scaled_dot_product_attention(q, k, v)

print("output shape:", tuple(out_lib.shape), "| weights shape:", tuple(w_lib.shape))
for name, out in [("torch build", out_torch), ("attnlib", out_lib), ("F.sdpa", out_F)]:
    diff = (torch.from_numpy(out_np) - out).abs().max().item()
    print(f"NumPy build vs {name:<11}: max difference < 1e-12: {diff < 1e-12}")
    assert diff < 1e-12
assert torch.allclose(torch.from_numpy(w_np), w_lib, rtol=0, atol=1e-12)
assert torch.allclose(w_torch, w_lib, rtol=0, atol=1e-12)
assert torch.allclose(w_lib.sum(-1), torch.ones(2, 5, dtype=torch.float64), rtol=0, atol=1e-12)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Real words looking each other up
#
# Now the keys and values are the word vectors of a real sentence ($D = 32$, from
# `attnlib.data.embed`), and the queries are the vectors of three words that are *not* in
# the sentence. Each query should find the sentence word that means something close to it.

# %% slideshow={"slide_type": "-"}
from attnlib.data import embed

sentence = "the teacher drives the red car"
key_tokens, x = embed(sentence)  # x (N_k, D) = (6, 32)
query_tokens, q_words = embed("bus blue doctor")  # (N_q, D) = (3, 32)
out, w = attention_torch(q_words, x, x)  # out (N_q, D), w (N_q, N_k)
print("x:", tuple(x.shape), "| queries:", tuple(q_words.shape), "| weights:", tuple(w.shape))
for token, row in zip(query_tokens, w):
    print(f"{token:>7} -> {key_tokens[row.argmax()]:<8} weight {row.max():.3f}")
assert [key_tokens[i] for i in w.argmax(-1)] == ["car", "red", "teacher"]

# %% [markdown] slideshow={"slide_type": "-"}
# The heatmap shows every weight: one row per query word, one column per key word. Each row
# sums to 1; "bus" puts most of its weight on "car", "blue" on "red", "doctor" on "teacher".
# The lookup is soft: the rest of each row is spread over the other words.

# %% slideshow={"slide_type": "-"}
from attnlib import viz

viz.heatmap(w, key_tokens, query_tokens, title=f"Queries looking up {sentence!r}",
            xlabel="key (sentence word)", ylabel="query word", size=(6.0, 3.4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Temperature: from soft to hard
#
# Dividing the scores by a temperature $T$ before the softmax, $a_{ij} =
# \operatorname{softmax}_j(s_{ij} / T)$, controls how soft the lookup is. As $T \to 0$ all
# the weight goes to the best key: the hard dictionary lookup we started from. As
# $T \to \infty$ the weights become uniform, $1/N_k$ for every key.

# %% slideshow={"slide_type": "-"}
D = x.shape[-1]
for T in (0.02, 1.0, 100.0):
    _, w_T = scaled_dot_product_attention(q_words, x, x, scale=1 / (math.sqrt(D) * T))
    print(f"T = {T:>6}: largest weight per query {w_T.max(-1).values.numpy().round(3)}")

_, w_cold = scaled_dot_product_attention(q_words, x, x, scale=1 / (math.sqrt(D) * 0.02))
_, w_hot = scaled_dot_product_attention(q_words, x, x, scale=1 / (math.sqrt(D) * 100.0))
one_hot = F.one_hot(w.argmax(-1), num_classes=len(key_tokens)).float()  # the hard lookup
assert torch.allclose(w_cold, one_hot, atol=1e-3)
assert torch.allclose(w_hot, torch.full_like(w_hot, 1 / len(key_tokens)), atol=1e-2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: query words, sentence and temperature
#
# The lookup above, live: query words (not taken from the sentence) look up the words of a
# sentence, with the temperature $T$ applied to the scores. Drag the temperature down and
# each row collapses onto its best key, the hard lookup; drag it up and every row flattens
# towards $1/N_k$. Type other query words ("grass", "walks", "city") or another sentence
# and watch which key each query finds; the readout names it.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import widgets

widgets.lookup_explorer(queries="bus blue doctor", text=sentence, temperature=1.0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# The four implementations on random inputs of shape $(B, N, D) = (4, 128, 64)$. The NumPy
# build always runs on the CPU; the others run on the device this notebook found. On a
# CPU, our PyTorch build and `attnlib` do the same three operations, while
# `F.scaled_dot_product_attention` may pick a fused kernel.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

device = timing.default_device()
torch.manual_seed(0)
qt, kt, vt = (torch.randn(4, 128, 64, device=device) for _ in range(3))  # (B, N, D)
qn, kn, vn = (t.cpu().numpy() for t in (qt, kt, vt))
print(f"device: {timing.describe_device(device)}")
print(f"NumPy build    {timing.time_fn(attention_np, qn, kn, vn, device='cpu')}")
print(f"PyTorch build  {timing.time_fn(attention_torch, qt, kt, vt)}")
print(f"attnlib        {timing.time_fn(scaled_dot_product_attention, qt, kt, vt)}")
print(f"F.sdpa         {timing.time_fn(F.scaled_dot_product_attention, qt, kt, vt)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Attention is a soft dictionary lookup: scores $s_{ij} = q_i \cdot k_j / \sqrt{D}$, weights
#   $a_{ij} = \operatorname{softmax}_j(s_{ij})$, output $o_i = \sum_j a_{ij} v_j$; in matrix
#   form $\operatorname{softmax}(QK^\top / \sqrt{D})\,V$.
# - Each row of weights is a probability distribution over the keys, so each output is a
#   weighted average of the values.
# - A few lines of NumPy or PyTorch compute exactly what `attnlib` and
#   `F.scaled_dot_product_attention` compute. A temperature moves the lookup between hard
#   (one key) and uniform (all keys equally).
#
# ## Exercises
#
# The checks try your function on inputs you have not seen. Worked solutions are in
# `solutions/01_dot_product_attention.py`: try first.
#
# **Exercise 1.** Write `attention_weights(q, k)` returning
# $\operatorname{softmax}(QK^\top / \sqrt{D})$ for tensors q $(\dots, N_q, D)$ and
# k $(\dots, N_k, D)$, without `torch.softmax` or any attention function. Keep it stable for
# large scores.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb01


def attention_weights(q, k):
    raise NotImplementedError


ok = nb01.check_attention_weights(attention_weights)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `attention_loop(q, k, v)` for 2-D tensors q $(N_q, D)$,
# k $(N_k, D)$, v $(N_k, D_v)$ with Python loops: one dot product $q_i \cdot k_j$ at a time,
# then the softmax of each row, then the weighted sum $\sum_j a_{ij} v_j$. It must return
# the output $(N_q, D_v)$ and match the matrix form.

# %% slideshow={"slide_type": "-"}
def attention_loop(q, k, v):
    raise NotImplementedError


ok = nb01.check_attention_loop(attention_loop)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write `hard_lookup(q, k, v)`, the $T \to 0$ limit: for each query, return
# the value of the key with the highest score $q_i \cdot k_j$. Shapes as in attention:
# $(\dots, N_q, D), (\dots, N_k, D), (\dots, N_k, D_v) \to (\dots, N_q, D_v)$.
# (Hint: `argmax`, then `torch.gather` or indexing.)

# %% slideshow={"slide_type": "-"}
def hard_lookup(q, k, v):
    raise NotImplementedError


ok = nb01.check_hard_lookup(hard_lookup)
