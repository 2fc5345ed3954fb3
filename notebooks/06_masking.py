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
#     summary: Causal, padding, window and prefix masks; keep, block and additive conventions
#       proven equal; no NaN from empty rows; no leaks from the future.
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/06_masking.ipynb)

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
# # 06 · Masking: deciding what each query may see
#
# Plain attention lets every query look at every key. Often that is wrong: a language
# model must not read the word it is asked to predict, padding added to make a batch
# rectangular is not a word, and some models only look at nearby tokens. A **mask** says,
# for each query and each key, whether attention is allowed.
#
# **In this notebook you will:**
# - build and draw the four masks in common use: causal, padding, local window and prefix;
# - meet attnlib's one mask convention (True = may attend), convert it to the ways other
#   libraries write a mask (block, additive), and prove that `attnlib`,
#   `F.scaled_dot_product_attention` and `nn.MultiheadAttention` agree;
# - prove that a query with nothing to look at gives zeros rather than NaN, and that a
#   causal mask lets nothing leak from the future, down to the last bit of the gradient.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The idea: remove keys before the softmax
#
# A mask $M$ is added to the scores before the softmax. It holds $0$ where query $i$ may
# attend to key $j$ and $-\infty$ where it may not:
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{D}} + M\right) V,
# \qquad M_{ij} \in \{0, -\infty\}.$$
#
# Since $e^{-\infty} = 0$, a blocked key gets weight exactly $0$, and the softmax shares the
# whole weight among the allowed keys, so each row still sums to 1.
#
# Here is a sentence and its raw self-attention weights ($Q = K = V = X$, word vectors),
# first with no mask.

# %% slideshow={"slide_type": "-"}
import torch

from attnlib import masks, scaled_dot_product_attention, viz
from attnlib.data import embed

tokens, x = embed("the cat eats the fish")  # x (N, E) = (5, 32)
N = len(tokens)
_, weights = scaled_dot_product_attention(x, x, x)
viz.heatmap(weights, tokens, tokens, title="No mask: every query sees every key")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The causal mask
#
# A model that generates text left to right predicts token $i+1$ from tokens $0..i$. So
# query $i$ may only see keys $j \le i$: the mask is the lower triangle,
# $\text{keep}_{ij} = [\,j \le i\,]$.

# %% slideshow={"slide_type": "-"}
causal = masks.causal(N)  # (N, N) bool, True = may attend
i, j = torch.arange(N)[:, None], torch.arange(N)[None, :]
assert torch.equal(causal, j <= i)
viz.draw_mask(causal, tokens, tokens, title="Causal mask (yellow = may attend)")

# %% [markdown] slideshow={"slide_type": "-"}
# With the mask, the first word can only attend to itself, and each row spreads its weight
# over the words up to and including its own. The upper triangle is exactly zero. (On raw
# word vectors each word matches itself best, so the diagonal takes most of every row in
# both pictures; the explorer at the end can remove that self-match to show the rest.)

# %% slideshow={"slide_type": "-"}
_, causal_weights = scaled_dot_product_attention(x, x, x, causal)
assert (causal_weights[~causal] == 0).all()
assert torch.allclose(causal_weights.sum(-1), torch.ones(N))
viz.heatmap(causal_weights, tokens, tokens, title="Causal self-attention")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The padding mask
#
# Sentences in a batch have different lengths. To stack them into one tensor we pad the
# short ones, here with zero vectors. The padding is not text, so no query may attend to it.
# A **key mask** marks real tokens True and padding False, one row per sentence, shape
# $(B, N)$: `masks.padding(lengths, N)` builds it.

# %% slideshow={"slide_type": "-"}
texts = ["the cat eats the fish", "a dog sees the cat in the park"]
embedded = [embed(t) for t in texts]
lengths = [len(tok) for tok, _ in embedded]
N_max = max(lengths)
X = torch.zeros(len(texts), N_max, 32)  # (B, N, E), zero vectors as padding
for b, (_, xb) in enumerate(embedded):
    X[b, : len(xb)] = xb
token_keep = masks.padding(lengths, N_max)  # (B, N): True = real token
labels = [tok + ["<pad>"] * (N_max - len(tok)) for tok, _ in embedded]
print("lengths:", lengths, " mask shape:", tuple(token_keep.shape))
print("sentence 0 keep:", token_keep[0].tolist())

# %% [markdown] slideshow={"slide_type": "-"}
# A padding mask is about keys: every query of sentence 0 sees the same five real keys. As
# an $(N_q, N_k)$ picture it is the same row repeated, `token_keep[b][None, :]`.

# %% slideshow={"slide_type": "-"}
pad_keep = token_keep[:, None, :].expand(-1, N_max, -1)  # (B, N_q, N_k)
viz.draw_mask(pad_keep[0], labels[0], labels[0], title="Padding mask, sentence 0")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Local window and prefix masks
#
# A **window** of size $w$ lets query $i$ see keys with $|i - j| \le w$: attention becomes
# local, and its cost can grow like $N w$ instead of $N^2$ (notebook 17). A **prefix** mask
# lets every query see the first $P$ tokens, the prompt, and is causal after that: the
# prompt is read in both directions, the answer is generated left to right (the "prefix
# language model", one of the set-ups compared in the T5 paper).

# %% slideshow={"slide_type": "-"}
tokens9, x9 = embed("a small dog sees the cat in the park")
window = masks.window(len(tokens9), 1)  # |i - j| <= 1
i9 = torch.arange(len(tokens9))
assert torch.equal(window, (i9[:, None] - i9[None, :]).abs() <= 1)
viz.draw_mask(window, tokens9, tokens9, title="Window mask, w = 1")

# %% slideshow={"slide_type": "-"}
prefix = masks.prefix(len(tokens9), 3)  # the first 3 tokens are seen by all
assert prefix[:, :3].all() and torch.equal(prefix[:, 3:], masks.causal(len(tokens9))[:, 3:])
viz.draw_mask(prefix, tokens9, tokens9, title="Prefix mask, P = 3")

# %% [markdown] slideshow={"slide_type": "-"}
# Masks combine by AND: a causal model on a padded batch uses both. `masks.combine` does it
# for keep masks (and adds additive ones).

# %% slideshow={"slide_type": "-"}
both = masks.combine(masks.causal(N_max), pad_keep)  # (B, N, N)
assert torch.equal(both, masks.causal(N_max) & pad_keep)
viz.draw_mask(both[0], labels[0], labels[0], title="Causal AND padding, sentence 0")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One convention in attnlib, converters at the border
#
# Libraries disagree on what `True` means, which is the source of many silent bugs.
# `attnlib` has one convention everywhere: **True = may attend**. It holds for every mask
# argument of its functions and classes: a keep mask $(N_q, N_k)$ passed as `mask`, and a
# key mask $(B, N_k)$ passed as `key_mask` (True = real token). PyTorch's
# `nn.MultiheadAttention` and `nn.Transformer*` layers use the opposite, a **block**
# convention, and the only place it appears in this series is the converters we call when
# handing a mask to those layers.
#
# | convention | allowed | forbidden | where |
# |---|---|---|---|
# | keep (bool) | `True` | `False` | every mask in `attnlib` (`mask`, `key_mask`); `F.scaled_dot_product_attention`'s `attn_mask` |
# | block (bool) | `False` | `True` | `nn.MultiheadAttention` and `nn.Transformer*`: `attn_mask`, and `key_padding_mask` (True = padding); made by `masks.to_mha_attn_mask`, `masks.to_mha_key_padding_mask` |
# | additive (float) | `0.0` | `-inf` | accepted by all of them; added to the scores |
#
# The conversions are one line each: block $= \lnot$ keep, additive $= 0$ where keep,
# $-\infty$ elsewhere.

# %% slideshow={"slide_type": "-"}
keep = masks.causal(3)
block = masks.keep_to_block(keep)
additive = masks.keep_to_additive(keep)
print("keep\n", keep.int().numpy())
print("block\n", block.int().numpy())
print("additive\n", additive.numpy())

# %% [markdown] slideshow={"slide_type": "-"}
# Every conversion goes there and back without loss, for all the masks above:

# %% slideshow={"slide_type": "-"}
for name, m in [("causal", causal), ("window", window), ("prefix", prefix), ("causal+pad", both)]:
    assert torch.equal(masks.block_to_keep(masks.keep_to_block(m)), m)
    assert torch.equal(masks.additive_to_keep(masks.keep_to_additive(m)), m)
    assert torch.equal(masks.keep_to_block(m), masks.additive_to_keep(masks.keep_to_additive(m)) == 0)
    print(f"{name:>10}: keep -> block -> keep and keep -> additive -> keep round-trip")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One mask, four libraries, one answer
#
# Now the real test. A multi-head attention layer ($E = 32$, $H = 4$, learned projections,
# freshly initialised, not trained) runs on the padded batch with a causal mask. We
# compute it four ways:
#
# 1. `attnlib.MultiHeadAttention` with the causal keep mask as `mask` and the padding as
#    `key_mask`, both True = may attend;
# 2. the same layer with the two combined into one **additive** mask $(B, 1, N, N)$;
# 3. the layer's projections around `F.scaled_dot_product_attention` (**keep**: True keeps);
# 4. `nn.MultiheadAttention` with copied weights, given `attn_mask` and `key_padding_mask`
#    in its **block** convention by the two converters.

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

from attnlib import MultiHeadAttention

torch.manual_seed(0)
mha = MultiHeadAttention(32, 4).eval()
keep4 = both[:, None]  # (B, 1, N, N): the same mask for every head

out_keep, w_keep = mha(X, mask=masks.causal(N_max), key_mask=token_keep)  # 1. keep masks
out_add, w_add = mha(X, mask=masks.keep_to_additive(keep4))  # 2. one additive mask

q, k, v = (mha.split_heads(p(X)) for p in (mha.q_proj, mha.k_proj, mha.v_proj))  # (B, H, N, D)
sdpa = F.scaled_dot_product_attention(q, k, v, attn_mask=masks.to_sdpa_mask(keep4))
out_sdpa = mha.out_proj(mha.merge_heads(sdpa))  # 3. PyTorch SDPA

torch_mha = mha.to_torch().eval()  # 4. nn.MultiheadAttention, batch_first=True
out_torch, w_torch = torch_mha(
    X, X, X,
    attn_mask=masks.to_mha_attn_mask(masks.causal(N_max)),  # (N, N), True = blocked
    key_padding_mask=masks.to_mha_key_padding_mask(token_keep),  # (B, N), True = padding
    average_attn_weights=False,
)

# %% [markdown] slideshow={"slide_type": "-"}
# PyTorch's keyword does not reach `attnlib` by mistake: a mask written in the block
# convention would mean the opposite there, so `key_padding_mask` is refused.

# %% slideshow={"slide_type": "-"}
try:
    mha(X, key_padding_mask=masks.to_mha_key_padding_mask(token_keep))
    refused = False
except TypeError:
    refused = True
print("attnlib refuses key_padding_mask with a TypeError:", refused)
assert refused

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    for name, out in [("additive", out_add), ("F.sdpa", out_sdpa), ("nn.MHA", out_torch)]:
        same = torch.allclose(out, out_keep, atol=1e-6)
        print(f"keep vs {name:<8}: outputs equal within 1e-6: {same}")
        assert same
    assert torch.equal(w_add, w_keep)
    assert torch.allclose(w_torch, w_keep, atol=1e-6)
print("all four agree, outputs and per-head weights")

# %% [markdown] slideshow={"slide_type": "-"}
# The weights of one head on sentence 0 show both masks at work: the upper triangle is
# zero (causal), and so are the columns of the three padding keys. The layer is untrained,
# so the pattern inside the allowed triangle means nothing; only the zeros do.

# %% slideshow={"slide_type": "-"}
assert (w_keep[0, 0][~both[0]] == 0).all()
viz.heatmap(w_keep[0, 0].detach(), labels[0], labels[0],
            title="Head 0, sentence 0: causal + padding\n(untrained layer: only the zeros mean something)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A row with nothing to see
#
# Sometimes a query may attend to no key at all: a batch element that is all padding
# (length 0), or a window that excludes every key. Its scores are all $-\infty$, and the
# softmax becomes $0/0$:
#
# $$\operatorname{softmax}(-\infty, \dots, -\infty)_j = \frac{e^{-\infty}}{\sum_k e^{-\infty}} = \frac{0}{0} = \text{NaN}.$$
#
# The naive recipe (`masked_fill(-inf)` then `torch.softmax`) shows it. The second batch
# element below has length 0.

# %% slideshow={"slide_type": "-"}
empty_keep = masks.padding([5, 0], 5)[:, None, :]  # (B, 1, N_k): element 1 has no real key
Xe = torch.stack([x, x])  # (B, N, E), the same sentence twice
scores = Xe @ Xe.transpose(-2, -1) / 32**0.5  # (B, N, N)
naive = torch.softmax(scores.masked_fill(~empty_keep, float("-inf")), dim=-1)
print("naive weights, NaN entries per batch element:", naive.isnan().sum(dim=(1, 2)).tolist())
print("naive output has NaN:", (naive @ Xe).isnan().any().item())

# %% [markdown] slideshow={"slide_type": "-"}
# One NaN is enough to ruin everything after it: summed into a loss, it makes every
# gradient NaN. `attnlib` defines the answer instead: a query with no key gets zero weights
# and a zero output, and every other row is what the plain softmax gives. The cell below
# checks all three, and that no gradient is NaN either. (Exercise 3 asks you to write such
# a softmax yourself.)

# %% slideshow={"slide_type": "-"}
Xg = Xe.clone().requires_grad_()
out, w = scaled_dot_product_attention(Xg, Xg, Xg, empty_keep)
out.sum().backward()
assert not out.isnan().any() and not w.isnan().any() and not Xg.grad.isnan().any()
assert (w[1] == 0).all() and (out[1] == 0).all()
assert torch.allclose(w[0], naive[0])  # rows that can see something are unchanged
print("fully masked rows:", masks.fully_masked_rows(empty_keep.expand(2, 5, 5)).sum(-1).tolist())
print("attnlib: zero weights and zero output for element 1; no NaN in outputs or gradients")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof: the causal mask leaks nothing from the future
#
# A causal model is only honest if output $i$ does not depend on any input $j > i$. We
# check that on the derivative itself. For the layer $f$ above and the embedded sentence
# $X$, the Jacobian block $\partial f(X)_i / \partial X_j$ is an $E \times E$ matrix; we sum
# its absolute values into one number per pair $(i, j)$:
#
# $$G_{ij} = \sum_{a, b} \left| \frac{\partial f(X)_{i,a}}{\partial X_{j,b}} \right| .$$
#
# The claim: $G_{ij} = 0$ **exactly** for every $j > i$, and $G_{ij} > 0$ for $j \le i$.

# %% slideshow={"slide_type": "-"}
from torch.autograd.functional import jacobian

tokens9, x9 = embed("a small dog sees the cat in the park")  # a longer sentence, N = 9
N9 = len(tokens9)


def causal_layer(x):  # (N, E) -> (N, E)
    return mha(x[None], mask=masks.causal(N9))[0][0]


J = jacobian(causal_layer, x9)  # (N, E, N, E): d out[i, a] / d x[j, b]
G = J.abs().sum(dim=(1, 3))  # (N, N)
future = torch.ones(N9, N9, dtype=torch.bool).triu(1)  # j > i
assert (G[future] == 0).all(), "output depends on a future input"
assert (G[~future] > 0).all()
print(f"future pairs: {future.sum().item()}, all with gradient exactly 0.0")
print(f"past pairs:   {(~future).sum().item()}, smallest gradient {G[~future].min().item():.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Without the mask the same layer does depend on the future, so the check above is not
# true by accident:

# %% slideshow={"slide_type": "-"}
G_open = jacobian(lambda x: mha(x[None])[0][0], x9).abs().sum(dim=(1, 3))
assert (G_open[future] > 0).all()
print(f"no mask: smallest future gradient {G_open[future].min().item():.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The dependence of each output on each input, scaled per row. The upper triangle is not
# just small: it is zero.

# %% slideshow={"slide_type": "-"}
viz.heatmap(G / G.amax(dim=1, keepdim=True), tokens9, tokens9, xlabel="input j",
            ylabel="output i", title="Causal layer: |d out_i / d x_j| (row-scaled)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: masks on a real sentence
#
# Pick a mask and drag its size (window: neighbours on each side; prefix: prefix length;
# padding: number of real tokens). The heatmap shows the self-attention weights of the
# sentence's word vectors under that mask. Each word's match with itself is **removed**
# (the figure's title says so): on raw word vectors it takes most of every row, as the
# first pictures of this notebook show, and would hide what the mask changes. With it
# removed, each row shows which *other* words that word resembles among those the mask
# allows: widen the window and "the" finds the other "the". Under the causal mask the first
# word then has nothing to see, and its row is zeros, as in the section on empty rows. Set
# the self-match back to "kept" to compare.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import widgets

widgets.weights_explorer(mask="window", size=1, self_match="removed")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost of a mask
#
# A mask removes no arithmetic from dense attention: the blocked scores are still
# computed, then thrown away. `FlopCounterMode` counts the FLOPs of the matrix products
# that `attnlib`'s attention makes, with and without a causal mask (random inputs,
# $B H = 8$, $N = 256$, $D = 64$; counts are exact and the same on every device):

# %% slideshow={"slide_type": "-"}
from torch.utils.flop_counter import FlopCounterMode

torch.manual_seed(0)
q = torch.randn(8, 256, 64)  # (B H, N, D): random inputs, for counting and timing


def matmul_flops(*args):
    with FlopCounterMode(display=False) as counter:
        scaled_dot_product_attention(*args)
    return counter.get_total_flops()


flops_open, flops_causal = matmul_flops(q, q, q), matmul_flops(q, q, q, masks.causal(256))
print(f"no mask: {flops_open:,} FLOPs; causal mask: {flops_causal:,} FLOPs")
assert flops_causal == flops_open == 4 * 8 * 256 * 256 * 64

# %% [markdown] slideshow={"slide_type": "-"}
# What a mask adds is work: the blocked scores must be set to $-\infty$, and the softmax
# must give empty rows zeros. A fused kernel can do better, skipping tiles that lie
# entirely above the diagonal when told the mask is causal (`is_causal=True`; notebook 17
# counts those tiles). Whether that pays depends on the kernel, the device and the size,
# so here it is measured on yours, each time also as a ratio to the same function with no
# mask:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

torch.manual_seed(0)
device = timing.default_device()
q = torch.randn(8, 256, 64, device=device)
keep256 = masks.causal(256, device=device)
rows = {
    "attnlib, no mask": timing.time_fn(scaled_dot_product_attention, q, q, q),
    "attnlib, causal mask": timing.time_fn(scaled_dot_product_attention, q, q, q, keep256),
    "F.sdpa, no mask": timing.time_fn(F.scaled_dot_product_attention, q, q, q),
    "F.sdpa, bool mask": timing.time_fn(F.scaled_dot_product_attention, q, q, q, attn_mask=keep256),
    "F.sdpa, is_causal=True": timing.time_fn(F.scaled_dot_product_attention, q, q, q, is_causal=True),
}
for name, t in rows.items():
    base = rows["attnlib, no mask" if name.startswith("attnlib") else "F.sdpa, no mask"]
    print(f"{name:<24} {t}   {t.median_s / base.median_s:4.1f}x no mask")

# %% [markdown] slideshow={"slide_type": "-"}
# In the stored output (a CPU with 2 threads) every mask made the call slower, none
# faster: `attnlib` with the causal mask took several times as long as without it, and
# SDPA with a mask, boolean or `is_causal=True`, was slower than SDPA with no mask. On that
# CPU, at $N = 256$, the extra elementwise work outweighed any tiles skipped. On a GPU
# with a fused kernel, `is_causal=True` can come out faster than no mask; run the cell
# there to see.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A mask removes keys before the softmax: $-\infty$ added to a score makes its weight
#   exactly 0, and the rest of the row still sums to 1.
# - Causal (keys $j \le i$), padding (real keys only), window ($|i-j| \le w$) and prefix
#   (prompt seen by all, causal after) masks combine by AND.
# - Keep, block and additive masks are the same information. `attnlib` has one
#   convention, True = may attend, for `mask` and `key_mask` alike (as
#   `F.scaled_dot_product_attention`'s `attn_mask`); PyTorch's block convention appears only
#   at the converters, when a mask goes to `nn.MultiheadAttention` or `nn.Transformer*`.
#   Converted correctly, all give the same outputs, as proven above.
# - A mask removes no matrix products from dense attention (counted above); fused kernels
#   told `is_causal=True` may skip tiles, and only a timing on your device says whether
#   that pays.
# - A row with no allowed key is NaN in the naive recipe; `attnlib` returns zeros.
# - Under a causal mask, the gradient of output $i$ with respect to every input $j > i$ is
#   exactly zero.
#
# ## Exercises
#
# Worked solutions are in `solutions/06_masking.py`: try first.
#
# **Exercise 1.** Write `causal_mask(n)` returning the $(n, n)$ boolean **keep** mask of
# causal attention, without `attnlib.masks`.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb06


def causal_mask(n):
    raise NotImplementedError


ok = nb06.check_causal_mask(causal_mask)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** `nn.MultiheadAttention` takes **block** masks. Write `block_to_additive(block)`
# turning a boolean block mask of any shape into a float additive mask: $0$ where
# attention is allowed, $-\infty$ where it is blocked.

# %% slideshow={"slide_type": "-"}
def block_to_additive(block):
    raise NotImplementedError


ok = nb06.check_block_to_additive(block_to_additive)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write `safe_softmax(scores)`: the softmax over the last dimension that
# returns a row of zeros, not NaN, when every score of the row is $-\infty$ (and equals
# `torch.softmax` on every other row).

# %% slideshow={"slide_type": "-"}
def safe_softmax(scores):
    raise NotImplementedError


ok = nb06.check_safe_softmax(safe_softmax)
