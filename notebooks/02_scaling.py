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
#     summary: Why scores are divided by sqrt(D), measured - score variance grows with
#       D, the softmax saturates, gradients vanish.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/02_scaling.ipynb)

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
# # 02 · Why divide by $\sqrt{D}$
#
# Notebook 01 divided every score by $\sqrt{D}$, the width of the keys (written $d_k$ in the
# original Transformer paper). This notebook measures what goes wrong without it.
#
# **In this notebook you will:**
# - derive, then measure, that the variance of a dot product $q \cdot k$ grows like $D$;
# - measure how unscaled scores saturate the softmax (its entropy collapses) and starve the
#   scores of gradient, while scaled scores do not;
# - see the same effect on real word vectors, and learn which comparison does *not* show it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The size of the scores decides how soft the softmax is
#
# The softmax only cares about differences between scores. Multiply the same scores by 10
# and their order is unchanged, but the weights go from a blend to almost one-hot:

# %% slideshow={"slide_type": "-"}
import torch

s = torch.tensor([1.0, 2.0, 3.0])
print("softmax(s)      :", torch.softmax(s, -1).numpy().round(4))
print("softmax(10 * s) :", torch.softmax(10 * s, -1).numpy().round(4))
assert torch.softmax(10 * s, -1).max() > 0.9999

# %% [markdown] slideshow={"slide_type": "-"}
# So anything that makes scores larger makes attention harder, closer to picking one key.
# The width $D$ of the vectors does exactly that, as the next slide shows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths
#
# Let the $D$ components of $q$ and $k$ be independent, with mean 0 and variance 1. The
# score is a sum of $D$ products, $q \cdot k = \sum_{c=1}^{D} q_c k_c$. Each product has mean
# $\mathbb{E}[q_c]\,\mathbb{E}[k_c] = 0$ and variance
# $\mathbb{E}[q_c^2 k_c^2] = \mathbb{E}[q_c^2]\,\mathbb{E}[k_c^2] = 1$, and variances of
# independent terms add:
#
# $$
# \operatorname{Var}(q \cdot k) = D, \qquad
# \operatorname{Var}\!\left(\frac{q \cdot k}{\sqrt{D}}\right) = 1 .
# $$
#
# Unscaled scores spread over about $\pm\sqrt{D}$: $\pm 32$ when $D = 1024$. Then the softmax
# saturates, and its derivative
#
# $$
# \frac{\partial a_j}{\partial s_l} = a_j(\delta_{jl} - a_l), \qquad
# J = \operatorname{diag}(a) - a a^\top,
# $$
#
# vanishes when $a$ is one-hot: every entry is $1 \cdot (1 - 1)$ or contains a factor 0. No
# gradient reaches the scores, so nothing upstream of them (the queries, the keys, the
# projections that make them) can learn.

# %% slideshow={"slide_type": "-"}
from attnlib import analysis

for a in (torch.tensor([0.2, 0.3, 0.5]), torch.tensor([0.0, 0.0, 1.0])):
    J = analysis.softmax_jacobian(a)  # (N_k, N_k)
    print(f"a = {a.numpy()}: largest |J| entry = {J.abs().max():.4f}")
assert analysis.softmax_jacobian(torch.tensor([0.0, 0.0, 1.0])).abs().max() == 0

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measurement 1: the variance of $q \cdot k$ grows like $D$
#
# An experiment, not attention: we draw 20,000 random pairs $(q, k)$ with independent
# standard normal components (the assumption of the derivation) for each width $D$, and
# measure the variance of their dot product. The ratio $\operatorname{Var}/D$ should be
# close to 1, and the scaled scores should have variance close to 1.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
widths = [4, 16, 64, 256, 1024]
n_pairs = 20_000
print("    D   Var(q.k)   Var/D   std(q.k)   sqrt(D)")
ratios = []
for D in widths:
    q = torch.randn(n_pairs, D)  # (pairs, D): random inputs for a statistics experiment
    k = torch.randn(n_pairs, D)
    dots = (q * k).sum(-1)  # (pairs,)
    ratios.append(dots.var().item() / D)
    print(f"{D:5d} {dots.var().item():10.1f} {ratios[-1]:7.3f} {dots.std().item():10.2f} {D**0.5:9.2f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The proof: every ratio is within 10% of 1 (with 20,000 pairs the sampling error is about
# 1–2%). The ratio $\operatorname{Var}(q \cdot k)/D$ is also exactly the variance of the
# scaled score $q \cdot k / \sqrt{D}$, so the scaled scores have variance close to 1 at
# every width, while the unscaled ones spread over $\pm\sqrt{D}$.

# %% slideshow={"slide_type": "-"}
assert all(abs(r - 1) < 0.1 for r in ratios), ratios
print("Var(q.k) / D within 10% of 1 for every D:", True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measurement 2: the softmax saturates
#
# How spread out is a row of weights? Its **entropy** $H(a) = -\sum_j a_j \ln a_j$ is
# $\ln N_k$ when the row is uniform and 0 when all the weight sits on one key;
# $e^{H}$ is the number of keys the row effectively averages over.
#
# Again random inputs for a statistics experiment: 1,000 draws of one query and
# $N_k = 16$ keys per width $D$, softmax of the scores with and without the $1/\sqrt{D}$.

# %% slideshow={"slide_type": "-"}
import math

from attnlib import scaled_dot_product_attention

N_k, n_draws = 16, 1000
entropy = {"unscaled": [], "scaled by 1/sqrt(D)": []}
torch.manual_seed(0)
for D in widths:
    q = torch.randn(n_draws, 1, D)  # (draws, N_q=1, D)
    k = torch.randn(n_draws, N_k, D)  # (draws, N_k, D)
    for name, scale in (("unscaled", 1.0), ("scaled by 1/sqrt(D)", 1 / math.sqrt(D))):
        _, w = scaled_dot_product_attention(q, k, k, scale=scale)  # w (draws, 1, N_k)
        entropy[name].append(analysis.entropy(w).mean().item())
print(f"uniform over N_k = {N_k} keys: entropy {analysis.max_entropy(N_k):.3f}")
for name, values in entropy.items():
    print(f"{name:>20}: " + "  ".join(f"D={D}: {h:.3f}" for D, h in zip(widths, values)))

# %% [markdown] slideshow={"slide_type": "-"}
# Unscaled, the mean entropy falls towards 0 as $D$ grows: the weights become one-hot.
# Scaled, it stays at the same value for every $D$, well above 0 and below $\ln 16$.

# %% slideshow={"slide_type": "-"}
from attnlib import viz

viz.line_plot(widths, {**entropy, "uniform (ln N_k)": [analysis.max_entropy(N_k)] * len(widths)},
              title=f"Entropy of the attention weights (N_k = {N_k})",
              xlabel="key width D", ylabel="mean entropy (nats)", logx=True)

# %% [markdown] slideshow={"slide_type": "-"}
# The proof: unscaled entropy falls at every step and ends below a tenth of the scaled one;
# scaled entropy stays within 5% of its value at $D = 4$.

# %% slideshow={"slide_type": "-"}
unscaled, scaled = entropy["unscaled"], entropy["scaled by 1/sqrt(D)"]
assert all(a > b for a, b in zip(unscaled, unscaled[1:])), unscaled
assert unscaled[-1] < 0.1 * scaled[-1]
assert all(abs(h - scaled[0]) < 0.05 * scaled[0] for h in scaled), scaled
print(f"unscaled entropy at D=1024: {unscaled[-1]:.3f}, scaled: {scaled[-1]:.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measurement 3: the gradients vanish
#
# We let autograd measure the gradient that reaches the softmax's input, the (scaled or
# unscaled) scores. The loss is a fixed random linear read-out of the attention output,
# $L = \sum_i o_i \cdot u$, with random values $V$ and direction $u$: any loss that depends
# on the output would do. Per draw we take the norm $\lVert \partial L / \partial s \rVert$
# over its $N_k$ scores, then report the **median** over draws, and the share of draws whose
# gradient is below $10^{-3}$ (practically dead).

# %% slideshow={"slide_type": "-"}
def score_gradients(D, scale, n_draws=1000, n_k=16, d_v=8):
    """Norms of dL/ds for random draws, L a random read-out of the attention output. (draws,)"""
    q = torch.randn(n_draws, 1, D)  # (draws, 1, D)
    k = torch.randn(n_draws, n_k, D)  # (draws, N_k, D)
    v = torch.randn(n_draws, n_k, d_v)  # (draws, N_k, D_v)
    u = torch.randn(n_draws, 1, d_v)  # (draws, 1, D_v)
    s = (scale * q @ k.transpose(-2, -1)).requires_grad_()  # (draws, 1, N_k): softmax input
    out = torch.softmax(s, dim=-1) @ v  # (draws, 1, D_v)
    (out * u).sum().backward()
    return s.grad.norm(dim=-1).squeeze(1)  # (draws,)


torch.manual_seed(0)
median_grad = {"unscaled": [], "scaled by 1/sqrt(D)": []}
print("    D   median |dL/ds| unscaled  (dead)   scaled  (dead)")
for D in widths:
    g_u, g_s = score_gradients(D, 1.0), score_gradients(D, 1 / math.sqrt(D))
    median_grad["unscaled"].append(g_u.median().item())
    median_grad["scaled by 1/sqrt(D)"].append(g_s.median().item())
    dead_u, dead_s = (g_u < 1e-3).float().mean().item(), (g_s < 1e-3).float().mean().item()
    print(f"{D:5d} {g_u.median():24.2e} {dead_u:7.0%} {g_s.median():8.3f} {dead_s:7.0%}")

# %% slideshow={"slide_type": "-"}
viz.line_plot(widths, median_grad, title="Gradient reaching the scores",
              xlabel="key width D", ylabel="median |dL/ds|", logx=True, logy=True)

# %% [markdown] slideshow={"slide_type": "-"}
# The proof: unscaled, the typical gradient shrinks by more than a factor of 1,000 from
# $D = 4$ to $D = 1024$; scaled, it stays within 20% of its value at $D = 4$.

# %% slideshow={"slide_type": "-"}
g_unscaled, g_scaled = median_grad["unscaled"], median_grad["scaled by 1/sqrt(D)"]
assert g_unscaled[-1] < g_unscaled[0] / 1000, g_unscaled
assert all(abs(g - g_scaled[0]) < 0.2 * g_scaled[0] for g in g_scaled), g_scaled
print(f"unscaled: {g_unscaled[0]:.3f} -> {g_unscaled[-1]:.1e}; "
      f"scaled: {g_scaled[0]:.3f} -> {g_scaled[-1]:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Why the median and not the mean: unscaled, a few draws happen to have two nearly tied top
# scores and get a large gradient, while most get almost none. Training then moves a few
# rows in big jumps and leaves the rest frozen. Scaling keeps the typical row learning.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A comparison that shows nothing
#
# A tempting demonstration compares the largest value in the attention *output* with and
# without scaling. It cannot show the effect: each output is a weighted average of the
# values (weights positive, summing to 1), so every output coordinate lies between the
# smallest and largest value, scaled or not. Here on the random draws for $D = 256$:

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
q, k, v = torch.randn(200, 1, 256), torch.randn(200, 16, 256), torch.randn(200, 16, 8)
for name, scale in (("unscaled", 1.0), ("scaled", 1 / 16)):
    out, w = scaled_dot_product_attention(q, k, v, scale=scale)
    inside = ((out >= v.amin(-2, keepdim=True) - 1e-6) & (out <= v.amax(-2, keepdim=True) + 1e-6)).all()
    print(f"{name:>8}: every output inside the range of its values: {inside.item()}, "
          f"mean entropy {analysis.entropy(w).mean():.3f}")
    assert inside

# %% [markdown] slideshow={"slide_type": "-"}
# Both pass the same bound, so output magnitudes cannot tell the two apart. What differs is
# *how many values are mixed*, which the entropy measures, and *how much gradient flows
# back*, which autograd measures. Those are the two effects this notebook measured.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real word vectors
#
# The word vectors of `attnlib.data.embed` have $D = 32$ and components of variance close
# to 1, so unscaled scores are about $\sqrt{32} \approx 5.7$ times larger than scaled ones.
# Four query words look up the words of a sentence, as in notebook 01.

# %% slideshow={"slide_type": "-"}
from attnlib.data import embed

sentence = "the teacher drives the red car"
key_tokens, x = embed(sentence)  # (N_k, D) = (6, 32)
query_tokens, q_words = embed("bus blue doctor student")  # (N_q, D) = (4, 32)
print(f"D = {x.shape[-1]}, variance of the components: {x.var():.3f}")
_, w_scaled = scaled_dot_product_attention(q_words, x, x)  # (N_q, N_k), scale 1/sqrt(32)
_, w_unscaled = scaled_dot_product_attention(q_words, x, x, scale=1.0)
for name, w in (("scaled", w_scaled), ("unscaled", w_unscaled)):
    print(f"{name:>8}: effective keys per query {analysis.effective_keys(w).numpy().round(2)}")

# %% [markdown] slideshow={"slide_type": "-"}
# Scaled, "doctor" spreads its weight over about four words and "student" over more than two;
# unscaled, every query collapses onto exactly one word, a hard lookup (effective keys 1).

# %% slideshow={"slide_type": "-"}
assert (analysis.effective_keys(w_unscaled) < 1.05).all()
assert (analysis.effective_keys(w_scaled) > 1.3).all()
assert analysis.entropy(w_scaled).mean() > 3 * analysis.entropy(w_unscaled).mean()

# %% slideshow={"slide_type": "-"}
viz.heads_grid(torch.stack([w_scaled, w_unscaled]), key_tokens, query_tokens, ncols=2,
               panel=3.2, head_titles=["scaled by 1/sqrt(D)", "unscaled"],
               title=f"Looking up {sentence!r} (D = 32)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: scaled and unscaled side by side
#
# Self-attention of a sentence's word vectors ($Q = K = V = X$), scaled on the left,
# unscaled on the right. Each word is most similar to itself, so the diagonal dominates
# both; unscaled, it takes almost everything (a repeated word such as "the" splits its
# weight between its copies). Try other sentences and masks.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import widgets

widgets.compare_explorer(text="a small dog sees the cat in the park")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# Scaling costs one multiplication per score, $N_q N_k$ in all, against the $N_q N_k D$
# multiply-adds of $QK^\top$ itself; folded into the queries it costs only $N_q D$. The two
# placements give the same result (asserted below); the times, on random inputs of shape
# $(B, N, D) = (4, 128, 64)$, show what the difference is worth on your device next to
# the fused `F.scaled_dot_product_attention`, which scales internally.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import torch.nn.functional as F

from attnlib import timing


def scale_scores(q, k, v):
    s = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B, N_q, N_k) multiplications
    return torch.softmax(s, -1) @ v


def scale_queries(q, k, v):
    s = (q / math.sqrt(q.shape[-1])) @ k.transpose(-2, -1)  # (B, N_q, D) multiplications
    return torch.softmax(s, -1) @ v


device = timing.default_device()
torch.manual_seed(0)
qt, kt, vt = (torch.randn(4, 128, 64, device=device) for _ in range(3))  # (B, N, D)
assert torch.allclose(scale_scores(qt, kt, vt), scale_queries(qt, kt, vt), atol=1e-5)
print(f"device: {timing.describe_device(device)}")
print(f"scale the scores   {timing.time_fn(scale_scores, qt, kt, vt)}")
print(f"scale the queries  {timing.time_fn(scale_queries, qt, kt, vt)}")
print(f"F.sdpa             {timing.time_fn(F.scaled_dot_product_attention, qt, kt, vt)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - For components of variance 1, $\operatorname{Var}(q \cdot k) = D$ (measured: the ratio is
#   within 10% of 1 from $D = 4$ to $1024$); dividing by $\sqrt{D}$ brings it back to 1.
# - Unscaled, the softmax saturates as $D$ grows: the entropy of the weights falls towards 0,
#   and the gradient reaching the scores vanishes for the typical row. Scaled, both stay
#   the same for every $D$.
# - The effect shows in the entropy and the gradients, not in the size of the outputs,
#   which are weighted averages of the values either way.
#
# ## Exercises
#
# Worked solutions are in `solutions/02_scaling.py`: try first.
#
# **Exercise 1.** Write `softmax_entropy(w)`, the entropy in nats of each row of weights
# $(\dots, N_q, N_k) \to (\dots, N_q)$. A row with zeros in it (a one-hot row, a masked key)
# must give a finite number, not NaN: $0 \ln 0$ counts as 0.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb02


def softmax_entropy(w):
    raise NotImplementedError


ok = nb02.check_softmax_entropy(softmax_entropy)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `softmax_jacobian(a)`: for a 1-D tensor of weights
# $a = \operatorname{softmax}(s)$ of length $N$, return the $(N, N)$ matrix
# $\partial a_j / \partial s_l$ without autograd.

# %% slideshow={"slide_type": "-"}
def softmax_jacobian(a):
    raise NotImplementedError


ok = nb02.check_softmax_jacobian(softmax_jacobian)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Queries and keys do not always have unit variance. If the components of $q$
# have standard deviation $\sigma_q$ and those of $k$ have $\sigma_k$ (all independent, mean
# 0), what factor must the scores be multiplied by to have variance 1? Write
# `unit_variance_scale(D, sigma_q, sigma_k)`. The check also measures your factor on random
# draws.

# %% slideshow={"slide_type": "-"}
def unit_variance_scale(D, sigma_q, sigma_k):
    raise NotImplementedError


ok = nb02.check_unit_variance_scale(unit_variance_scale)
