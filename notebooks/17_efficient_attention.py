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
#     summary: Attention's N^2 memory measured, then removed exactly (online softmax,
#       tiled FlashAttention) or by changing the model (window, linear).
# ---

# %% [markdown] slideshow={"slide_type": "skip"} tags=["colab-badge"]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/17_efficient_attention.ipynb)

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
# # 17 · Efficient attention: the same answer in less memory
#
# Attention compares every query with every key, so its score matrix has $N_q \times N_k$
# entries. This notebook measures that cost, then removes the memory part of it without
# changing a single output number, and finally looks at methods that buy more speed by
# changing the model itself.
#
# **In this notebook you will:**
# - measure attention's $N^2$ memory, and see why splitting the *keys* into chunks is wrong
#   unless the softmax is computed online;
# - build the online softmax and a tiled FlashAttention-style forward pass, and prove them
#   exact against `attnlib` and `F.scaled_dot_product_attention`;
# - check the approximations (sliding window, linear attention) and PyTorch's own kernels
#   (SDPA backends, FlexAttention), and measure where linear attention starts to pay.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where the $N^2$ comes from
#
# For one head, with queries $Q \in \mathbb{R}^{N_q \times D}$, keys $K \in \mathbb{R}^{N_k \times D}$
# and values $V \in \mathbb{R}^{N_k \times D}$,
#
# $$S = \frac{QK^\top}{\sqrt{D}} \in \mathbb{R}^{N_q \times N_k}, \qquad
#   P = \operatorname{softmax}_{\text{rows}}(S), \qquad O = PV \in \mathbb{R}^{N_q \times D}.$$
#
# The inputs and the output grow like $N D$, but $S$ and $P$ grow like $N^2$: in float32 a
# single head at $N = 8192$ needs $4 \cdot 8192^2$ bytes $= 256$ MiB for $S$ alone. Time grows
# like $N^2 D$ whatever we do (every score is needed); memory does not have to.
#
# Timing and memory checks here use random inputs, and are called that. `BIG` switches on
# the slow, large measurements (`ATTN_BIG=1`); the default sizes keep the notebook fast.

# %% slideshow={"slide_type": "-"}
import math
import os
from functools import partial

import torch
import torch.nn.functional as F

from attnlib import bench, masks, timing, viz
from attnlib import efficient as E

BIG = os.environ.get("ATTN_BIG", "0") == "1"


def random_qkv(n, d=64, heads=1, seed=0, n_k=None):
    """Random (B=1, H, N, D) queries, keys and values: inputs for checks, not attention."""
    g = torch.Generator().manual_seed(seed)
    n_k = n if n_k is None else n_k
    shapes = [(1, heads, n, d), (1, heads, n_k, d), (1, heads, n_k, d)]
    return [torch.randn(s, generator=g) for s in shapes]


def reference(q, k, v, causal=False):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def same(a, b, atol=1e-5):
    return torch.allclose(a, b, atol=atol, rtol=0)


print("BIG measurements:", BIG)

# %% [markdown] slideshow={"slide_type": "-"}
# `bench.peak_memory(fn)` runs `fn` once and reports the most bytes torch held at the same
# time while it ran. Here is the naive implementation, which builds $S$ and $P$ in full, for
# one head with $D = 64$:

# %% slideshow={"slide_type": "-"}
Ns = [256, 512, 1024, 2048]
naive_mb = []
for n in Ns:
    q, k, v = random_qkv(n)
    naive_mb.append(bench.peak_memory(partial(E.naive_attention, q, k, v), device="cpu") / 2**20)
for n, mb in zip(Ns, naive_mb):
    print(f"N = {n:5d}: naive peak {mb:7.1f} MB")

# %% [markdown] slideshow={"slide_type": "-"}
# If memory grows like $N^2$, doubling $N$ multiplies it by 4. The ratio between neighbours
# says so; the check fails if memory were growing linearly (ratio 2).

# %% slideshow={"slide_type": "-"}
growth = [b / a for a, b in zip(naive_mb, naive_mb[1:])]
print("memory ratio per doubling of N:", [round(g, 1) for g in growth])
assert all(3.5 < g < 4.5 for g in growth[1:])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Chunking the queries is exact
#
# Row $i$ of the output needs only query $q_i$ and *all* keys and values:
#
# $$o_i = \sum_{j=1}^{N_k} \frac{e^{s_{ij}}}{\sum_{j'} e^{s_{ij'}}}\, v_j .$$
#
# So we can process a few query rows at a time and hold only a (chunk, $N_k$) block of
# scores. Nothing about the softmax changes, so the answer is exactly the same.

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(300)
for chunk in (37, 128, 300):
    assert same(E.chunked_queries(q, k, v, chunk), reference(q, k, v))
    assert same(E.chunked_queries(q, k, v, chunk, causal=True), reference(q, k, v, causal=True))
print("chunked_queries == SDPA for chunk sizes 37, 128, 300, causal and not")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Chunking the keys naively is wrong
#
# The tempting mirror image (a few *keys* at a time, softmax inside each chunk, outputs
# added up) is wrong. Each chunk's weights sum to 1 on their own, so with $C$ chunks every
# query's weights sum to $C$, and a chunk of weak keys counts as much as a chunk of strong
# ones. `chunked_keys_wrong` does exactly that, on purpose:

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(256)
for chunk in (256, 128, 64):
    err = (E.chunked_keys_wrong(q, k, v, chunk) - reference(q, k, v)).abs().max().item()
    print(f"{256 // chunk} chunk(s) of {chunk:3d} keys: largest error {err:.3f}")
    assert (err < 1e-5) if chunk == 256 else (err > 0.1)

# %% [markdown] slideshow={"slide_type": "-"}
# With one chunk it is the real thing; with more, the error is the size of the values
# themselves. The missing piece is a softmax that can be computed a piece at a time.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The online softmax
#
# A softmax needs the maximum (for stability) and the sum of exponentials, which seems to
# require two passes over the scores. One pass is enough if we keep a running maximum
# $m_j$ and a running sum $\ell_j$ *measured against that maximum*, starting from
# $m_0 = -\infty$, $\ell_0 = 0$:
#
# $$m_j = \max(m_{j-1},\, x_j), \qquad
#   \ell_j = \ell_{j-1}\, e^{m_{j-1} - m_j} + e^{x_j - m_j}.$$
#
# When the maximum grows, everything summed so far was relative to the old maximum, and the
# factor $e^{m_{j-1} - m_j} \le 1$ rescales it. At the end
# $\ell_N = \sum_j e^{x_j - m_N}$, so $\operatorname{softmax}(x)_i = e^{x_i - m_N} / \ell_N$.
#
# A hand-checkable trace on $x = (1, 3, 2)$:

# %% slideshow={"slide_type": "-"}
x = torch.tensor([1.0, 3.0, 2.0])
m, ell = torch.tensor(float("-inf")), torch.tensor(0.0)
for j, x_j in enumerate(x, start=1):
    m_new = torch.maximum(m, x_j)
    ell = ell * torch.exp(m - m_new) + torch.exp(x_j - m_new)
    m = m_new
    print(f"j={j}: x_j={x_j.item():.0f}  m_j={m.item():.0f}  l_j={ell.item():.4f}")
online = torch.exp(x - m) / ell
print("online softmax:", online.numpy().round(4))
assert same(online, torch.softmax(x, dim=0), atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# By hand: at $j=2$ the maximum jumps from 1 to 3, so $\ell_1 = 1$ is rescaled to $e^{-2}$
# and $e^0 = 1$ is added: $\ell_2 = 1.1353$. Then $\ell_3 = \ell_2 + e^{-1} = 1.5032$.
# The library's `attnlib.efficient.online_softmax` must give the same answer as
# `torch.softmax`, even for scores that would overflow `exp` directly:

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
scores = torch.randn(4, 100) * 50 + 1000  # huge scores: exp(1000) overflows float32
assert same(E.online_softmax(scores), torch.softmax(scores, dim=-1), atol=1e-6)
print("online_softmax == torch.softmax on scores up to", round(scores.max().item()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From a softmax to an output
#
# Attention needs $\sum_j p_{ij} v_j$, not the weights themselves. The same rescaling works
# for a running, unnormalised output $a_j$: the old part is scaled by $e^{m_{j-1}-m_j}$, the
# new value enters with weight $e^{x_j - m_j}$, and one division at the end normalises:
#
# $$a_j = a_{j-1}\, e^{m_{j-1} - m_j} + e^{x_j - m_j}\, v_j, \qquad o = a_N / \ell_N .$$
#
# Nothing forces $x_j$ to be one score: a whole *block* of keys can enter at once (take the
# block's maximum and sum its exponentials). That is `chunked_keys`, now exact:

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(300)
for chunk in (37, 128, 300):
    assert same(E.chunked_keys(q, k, v, chunk), reference(q, k, v))
    assert same(E.chunked_keys(q, k, v, chunk, causal=True), reference(q, k, v, causal=True))
print("chunked_keys (online softmax) == SDPA for chunk sizes 37, 128, 300, causal and not")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## A tiled forward pass, FlashAttention style
#
# Combine both ideas: an outer loop over blocks of queries (exact, as shown), and an inner
# loop that streams blocks of keys through the online softmax. Only a
# (`block_q`, `block_k`) tile of scores exists at any time, so memory is
# $O(N D + \text{block}_q \cdot \text{block}_k)$ instead of $O(N^2)$. FlashAttention does
# exactly this in fast on-chip memory; here it is in plain PyTorch, one tile at a time.

# %% slideshow={"slide_type": "-"}
def tiled_attention(q, k, v, block_q=64, block_k=64, causal=False):
    """Exact attention, one (block_q, block_k) tile of scores at a time.

    Every tensor it creates takes the device and dtype of q, so it runs wherever q is."""
    n_q, n_k, scale = q.shape[-2], k.shape[-2], 1 / math.sqrt(q.shape[-1])
    like_q = {"device": q.device, "dtype": q.dtype}
    out = q.new_empty(*q.shape[:-1], v.shape[-1])  # (B, H, N_q, D)
    for i0 in range(0, n_q, block_q):
        q_tile = q[..., i0:i0 + block_q, :] * scale  # (B, H, bq, D)
        m = torch.full((*q_tile.shape[:-1], 1), float("-inf"), **like_q)  # running max (B, H, bq, 1)
        ell = torch.zeros_like(m)  # running sum of exp(s - m)                    (B, H, bq, 1)
        acc = torch.zeros_like(out[..., i0:i0 + block_q, :])  # running output  (B, H, bq, D)
        for j0 in range(0, n_k, block_k):
            if causal and j0 >= i0 + q_tile.shape[-2]:
                break  # this tile and every later one lie above the diagonal
            s = q_tile @ k[..., j0:j0 + block_k, :].transpose(-2, -1)  # (B, H, bq, bk)
            if causal:
                rows = torch.arange(i0, i0 + s.shape[-2], device=q.device)[:, None]  # (bq, 1)
                cols = torch.arange(j0, j0 + s.shape[-1], device=q.device)[None, :]  # (1, bk)
                s = s.masked_fill(cols > rows, float("-inf"))
            m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))
            p = torch.exp(s - m_new)  # this tile's unnormalised weights
            rescale = torch.exp(m - m_new)  # shrinks what was summed against the old max
            ell = rescale * ell + p.sum(dim=-1, keepdim=True)
            acc = rescale * acc + p @ v[..., j0:j0 + block_k, :]
            m = m_new
        out[..., i0:i0 + block_q, :] = acc / ell
    return out


# %% [markdown] slideshow={"slide_type": "-"}
# The check: our loop against `attnlib.efficient.flash_attention` and against PyTorch's
# `F.scaled_dot_product_attention`, with lengths that are not multiples of the block sizes,
# non-square blocks, several heads, causal and not.

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(300, heads=2)
for block_q, block_k in [(64, 64), (32, 100), (300, 50)]:
    for causal in (False, True):
        ours = tiled_attention(q, k, v, block_q, block_k, causal)
        assert same(ours, E.flash_attention(q, k, v, block_q, block_k, causal))
        assert same(ours, reference(q, k, v, causal))
q, k, v = random_qkv(200, n_k=333)  # cross-attention: N_q != N_k
assert same(tiled_attention(q, k, v, 64, 64), reference(q, k, v))
print("tiled_attention == attnlib flash_attention == SDPA (3 tilings x causal/not, and N_q != N_k)")

# %% [markdown] slideshow={"slide_type": "-"}
# The loop creates its running maximum, sums and index ranges with the device and dtype of
# the inputs, so the same code runs on a GPU and in any precision. Two checks that need no
# GPU: in float64 it agrees with SDPA to $10^{-12}$ (a running sum kept in float32 would
# miss that by far), and it runs on PyTorch's `meta` device, which has shapes but no data:
# any tensor created on the CPU by mistake would meet a meta tensor there and raise.

# %% slideshow={"slide_type": "-"}
q64, k64, v64 = (t.double() for t in random_qkv(300, heads=2))
for causal in (False, True):
    assert same(tiled_attention(q64, k64, v64, 64, 64, causal), reference(q64, k64, v64, causal),
                atol=1e-12)
q_meta = torch.empty(1, 2, 300, 64, device="meta")  # (B, H, N, D): shapes only
for causal in (False, True):
    out_meta = tiled_attention(q_meta, q_meta, q_meta, 64, 64, causal)
    assert out_meta.device.type == "meta" and out_meta.shape == q_meta.shape
print("float64: equal to SDPA within 1e-12; meta device: runs, output", tuple(out_meta.shape))

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    q, k, v = (t.cuda() for t in random_qkv(300, heads=2))
    for causal in (False, True):
        assert same(tiled_attention(q, k, v, 64, 64, causal).cpu(), reference(q, k, v, causal).cpu(),
                    atol=1e-4)
    print("on the GPU: tiled_attention == SDPA, causal and not")
else:
    print("No GPU: the CUDA run of tiled_attention is skipped.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The proof: memory linear in $N$
#
# Same inputs, same answer, and now the memory. At $N = 2048$, $D = 64$ the tiled loop
# (blocks of 256) must hold at most 10% of what the naive version holds:

# %% slideshow={"slide_type": "-"}
n, block = 2048, 256
q, k, v = random_qkv(n)
naive_peak = bench.peak_memory(partial(E.naive_attention, q, k, v), device="cpu") / 2**20
tiled_peak = bench.peak_memory(partial(tiled_attention, q, k, v, block, block), device="cpu") / 2**20
print(f"N = {n}: naive {naive_peak:.1f} MB, tiled {tiled_peak:.1f} MB "
      f"({100 * tiled_peak / naive_peak:.1f}% of naive)")
assert tiled_peak <= 0.10 * naive_peak

# %% [markdown] slideshow={"slide_type": "-"}
# Over $N$: the tiled loop holds the output ($N \times D$, linear in $N$) plus a fixed
# number of $b \times b$ tiles, so its peak grows *at most* twofold when $N$ doubles (less
# while the fixed tiles dominate), while the naive one quadruples. On log-log axes the
# naive curve has slope 2, the tiled one at most 1:

# %% slideshow={"slide_type": "-"}
tiled_mb = []
for n in Ns:
    q, k, v = random_qkv(n)
    tiled_mb.append(bench.peak_memory(partial(tiled_attention, q, k, v, block, block), device="cpu") / 2**20)
tiled_growth = [b / a for a, b in zip(tiled_mb, tiled_mb[1:])]
for n, mb in zip(Ns, tiled_mb):
    print(f"N = {n:5d}: tiled peak {mb:5.2f} MB")
print("tiled memory ratio per doubling of N:", [round(g, 1) for g in tiled_growth])
assert all(g <= 2.2 for g in tiled_growth)
viz.line_plot(Ns, {"naive (builds N x N)": naive_mb, "tiled, blocks of 256": tiled_mb},
              title="Peak memory of one head, D = 64", xlabel="sequence length N",
              ylabel="peak memory (MB)", logx=True, logy=True)

# %% [markdown] slideshow={"slide_type": "-"}
# At $N = 8192$ the gap is far wider (the naive version needs about 0.75 GB for one head).
# Measuring it takes a while on a CPU, so it runs only with `ATTN_BIG=1`; the output
# depends on that setting.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if BIG:
    q, k, v = random_qkv(8192)
    big_naive = bench.peak_memory(partial(E.naive_attention, q, k, v), device="cpu") / 2**20
    big_tiled = bench.peak_memory(partial(tiled_attention, q, k, v, block, block), device="cpu") / 2**20
    print(f"N = 8192: naive {big_naive:.1f} MB, tiled {big_tiled:.1f} MB "
          f"({100 * big_tiled / big_naive:.2f}% of naive)")
    assert big_tiled <= 0.02 * big_naive
else:
    print("N = 8192 skipped: run with ATTN_BIG=1 to measure it")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which tiles are computed
#
# With $T = \lceil N / b \rceil$ blocks each way there are $T^2$ tiles. A causal mask hides
# every key after its query, so tiles entirely above the diagonal are skipped, the $T$
# tiles on the diagonal are computed with a mask, and the rest are computed in full:
# $T(T+1)/2$ tiles in all, about half the work. A sliding window skips even more. The
# function below labels each (query-block, key-block) tile: 1 computed in full, 0.5
# computed with a mask, 0 skipped.

# %% slideshow={"slide_type": "-"}
def tile_map(n, block, method="full", window=0):
    """(T, T) tensor: 1 = tile computed in full, 0.5 = computed with a mask, 0 = skipped."""
    starts = torch.arange(0, n, block)
    ends = torch.clamp(starts + block, max=n) - 1
    q0, q1, k0, k1 = starts[:, None], ends[:, None], starts[None, :], ends[None, :]
    if method == "full":
        return torch.ones(len(starts), len(starts))
    if method == "causal":
        keep_any, keep_all = k0 <= q1, k1 <= q0  # some / every (query, key) pair has j <= i
    elif method == "sliding window":
        keep_any = (k0 - q1 <= window) & (q0 - k1 <= window)  # some pair within the window
        keep_all = (k1 - q0 <= window) & (q1 - k0 <= window)  # every pair within it
    else:
        raise ValueError(f"unknown method {method!r}")
    return keep_all.float() + 0.5 * (keep_any & ~keep_all).float()


tiles = tile_map(2048, 256, "causal")
T = tiles.shape[0]
print(f"T = {T}: {int((tiles > 0).sum())} of {T * T} tiles computed, {int((tiles == 0.5).sum())} with a mask")
assert (tiles > 0).sum() == T * (T + 1) // 2

# %% [markdown] slideshow={"slide_type": "-"}
# Our loop really visits that many tiles: counting the inner-loop iterations of
# `tiled_attention` by wrapping `torch.exp` (called twice per tile) gives the same number.

# %% slideshow={"slide_type": "-"}
calls = 0
real_exp = torch.exp


def counting_exp(t):
    global calls
    calls += 1
    return real_exp(t)


q, k, v = random_qkv(512)
torch.exp = counting_exp
try:
    tiled_attention(q, k, v, 64, 64, causal=True)
finally:
    torch.exp = real_exp
visited = calls // 2
print(f"causal, N = 512, blocks of 64: {visited} tiles visited")
assert visited == int((tile_map(512, 64, "causal") > 0).sum()) == 8 * 9 // 2

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sliding-window attention
#
# Changing the model: query $i$ may only see keys with $|i - j| \le w$. Each block of $b$
# queries then needs only $b + 2w$ keys, so memory and time are $O(N w)$. It is exact
# *for that mask*: it equals full attention with `attnlib.masks.window` applied.

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(300)
for w in (0, 5, 40, 400):
    keep = masks.window(300, w)  # (N, N), True = may attend
    masked = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    assert same(E.sliding_window_attention(q, k, v, w, block_size=64), masked)
print("sliding_window_attention == SDPA with masks.window, for w = 0, 5, 40, 400")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Linear attention
#
# Softmax attention weighs key $j$ by $e^{q_i \cdot k_j}$. Linear attention replaces that
# with a product of features, $\phi(q_i)^\top \phi(k_j)$ with $\phi(x) = \operatorname{elu}(x) + 1 > 0$.
# Then the sum over keys can be done *once* for all queries:
#
# $$o_i = \frac{\sum_j \phi(q_i)^\top \phi(k_j)\, v_j^\top}{\sum_j \phi(q_i)^\top \phi(k_j)}
#       = \frac{\phi(q_i)^\top \big(\sum_j \phi(k_j) v_j^\top\big)}{\phi(q_i)^\top \sum_j \phi(k_j)} .$$
#
# The bracket is a $D \times D$ matrix, so the cost is $O(N D^2)$ instead of $O(N^2 D)$. The
# two sides of that equation are the linear form and the quadratic form of one model:

# %% slideshow={"slide_type": "-"}
q, k, v = random_qkv(300)
assert same(E.linear_attention(q, k, v), E.linear_attention_quadratic(q, k, v), atol=1e-5)
print("linear form == quadratic form (non-causal)")

# %% [markdown] slideshow={"slide_type": "-"}
# With a causal mask the sums run over $j \le i$ only, so they become a running state, as
# in a recurrent network:
#
# $$S_i = S_{i-1} + \phi(k_i)\, v_i^\top, \qquad z_i = z_{i-1} + \phi(k_i), \qquad
#   o_i = \frac{\phi(q_i)^\top S_i}{\phi(q_i)^\top z_i}.$$
#
# The state $(S_i, z_i)$ has a fixed size whatever $N$ is. It equals the masked quadratic form:

# %% slideshow={"slide_type": "-"}
assert same(E.linear_attention_causal(q, k, v), E.linear_attention_quadratic(q, k, v, causal=True))
print("causal recurrence == masked quadratic form")

# %% [markdown] slideshow={"slide_type": "-"}
# It is a different model, not a faster way to compute softmax attention: its outputs
# differ from the reference by about the size of the values.

# %% slideshow={"slide_type": "-"}
gap = (E.linear_attention(q, k, v) - reference(q, k, v)).abs().max().item()
print(f"largest difference from softmax attention: {gap:.2f}")
assert gap > 0.1

# %% [markdown] slideshow={"slide_type": "slide"}
# ## PyTorch's own kernels
#
# `F.scaled_dot_product_attention` (SDPA) picks among several backends: `math` (plain
# PyTorch, like our naive version), `flash` (the tiled algorithm above, fused into one
# kernel), `efficient` (memory-efficient attention, same idea) and `cudnn`. Which ones run
# depends on the device, dtype and shapes. `available_backends` lists the ones that run
# here; every one of them must agree with our reference.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
device = timing.default_device()
backends = E.available_backends(device)
print(f"SDPA backends that run on {timing.describe_device(device)}: {backends}")
q, k, v = (t.to(device) for t in random_qkv(300, heads=2))
for name in backends:
    for causal in (False, True):
        got = E.sdpa_backend(q, k, v, name, causal=causal)
        assert same(got.cpu(), E.naive_attention(q, k, v, causal=causal).cpu(), atol=1e-4), name
    print(f"  {name:9s} == naive_attention, causal and not")

# %% [markdown] slideshow={"slide_type": "-"}
# **FlexAttention** takes the mask as a small Python function `mask_mod(b, h, q_idx, kv_idx)`
# (`E.causal_mod()`, `E.sliding_window_mod(window)`) and turns it into a block mask that
# skips empty tiles, exactly the tile map above. `E.flex_block_mask` builds that block mask
# once per (mask_mod, N_q, N_k, device) and caches it; with no mask_mod it is full attention.
# Without `torch.compile` it runs an unfused reference (good for checking, not for speed).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if E.flex_attention_available("cpu"):
    q, k, v = random_qkv(256, heads=2)
    assert same(E.flex_attention(q, k, v, E.causal_mod()), reference(q, k, v, causal=True))
    keep = masks.window(256, 16)
    assert same(E.flex_attention(q, k, v, E.sliding_window_mod(16)),
                F.scaled_dot_product_attention(q, k, v, attn_mask=keep))
    assert same(E.flex_attention(q, k, v), reference(q, k, v))
    cached = E.flex_block_mask(E.sliding_window_mod(16), 256, 256, q.device)
    assert cached is E.flex_block_mask(E.sliding_window_mod(16), 256, 256, q.device)
    print("FlexAttention causal_mod() == SDPA causal; sliding_window_mod(16) == SDPA with "
          "masks.window(256, 16); no mask == SDPA; the block mask is built once and reused")
else:
    print(f"FlexAttention does not run with torch {torch.__version__} here: skipped")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: the tiles
#
# Pick a method, a length $N$ and a block size. The heatmap shows which (query-block,
# key-block) tiles a tiled kernel computes: yellow in full, green with a mask, dark not at
# all. The readout gives the fraction of work done and the scores held at once. The
# window slider appears with the sliding window, the only method it changes.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W
from IPython.display import display

from attnlib.widgets import Explorer, Panels, show


def draw_tiles(method, n, block, window):
    tiles = tile_map(n, block, method, window)
    T = tiles.shape[0]
    labels = [str(start) for start in range(0, n, block)]  # each block's first position
    fig = Panels(tiles, labels, labels, title=f"{method}: N={n}, blocks of {block}",
                 xlabel="key block (start)", ylabel="query block (start)", annotate=False,
                 colorbar_label="1 full, 0.5 with a mask, 0 skipped")
    done = int((tiles > 0).sum())
    readout = (f"<b>{done} of {T * T} tiles</b> computed ({100 * done / T**2:.0f}% of the work), "
               f"{int((tiles == 0.5).sum())} with a mask; scores held at once: "
               f"{block * min(block, n):,} floats instead of {n * n:,}")
    return fig, readout


explorer = Explorer("tiles", {
    "method": W.Dropdown(options=("full", "causal", "sliding window"), value="causal",
                         description="method"),
    "n": W.IntSlider(value=1024, min=128, max=2048, step=128, description="N",
                     continuous_update=False),
    "block": W.SelectionSlider(options=(64, 128, 256, 512), value=128, description="block",
                               continuous_update=False),
    "window": W.IntSlider(value=256, min=0, max=1024, step=32, description="window w",
                          continuous_update=False),
}, draw_tiles, adjust=lambda name, c: show(c["window"], c["method"].value == "sliding window"))
display(explorer)

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
explorer.set(method="sliding window")
print(f"redraw took {1000 * explorer.last_redraw_s:.0f} ms")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device: when does linear attention pay?
#
# Softmax attention's two matrix products, $QK^\top$ and $PV$, are $2 N^2 D$ multiply-adds
# per head, that is $4 N^2 D$ floating-point operations (FLOPs: a multiply and an add
# each). Linear attention's two products, $\phi(K)^\top V$ and $\phi(Q)$ times that
# $D \times D$ matrix, are $4 N D^2$ FLOPs, plus $2ND$ for the normaliser
# $\phi(q_i)^\top \sum_j \phi(k_j)$. PyTorch's `FlopCounterMode` counts the FLOPs of
# every matrix product a call makes; the counts are exact integers, the same on any device:

# %% slideshow={"slide_type": "-"}
from torch.utils.flop_counter import FlopCounterMode


def matmul_flops(fn, *args):
    """FLOPs of the matrix products fn(*args) makes, counted by PyTorch."""
    with FlopCounterMode(display=False) as counter:
        fn(*args)
    return counter.get_total_flops()


d = 64
for n in (64, 256, 1024):
    q, k, v = random_qkv(n, d)
    soft, lin = matmul_flops(E.naive_attention, q, k, v), matmul_flops(E.linear_attention, q, k, v)
    assert soft == 4 * n * n * d and lin == 4 * n * d * d + 2 * n * d
    print(f"N = {n:4d}: softmax {soft:>11,} FLOPs = 4 N^2 D, linear {lin:>10,} = 4 N D^2 + 2 N D")

# %% [markdown] slideshow={"slide_type": "-"}
# The ratio is $N / D$, so on FLOPs alone linear attention wins once $N > D = 64$; where
# it wins in *time* depends on the kernels and the machine. We time both over powers of
# two (4 heads, $D = 64$; `attnlib.timing` warms up and takes the median) and report the
# first $N$ from which linear attention stays faster. Timings vary, so this cell's output
# is not compared.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
cross_Ns = [2**p for p in range(6, 14 if BIG else 12)]
times = {"softmax (naive)": [], "softmax (SDPA)": [], "linear (elu + 1)": []}
for n in cross_Ns:
    q, k, v = random_qkv(n, heads=4)
    for label, fn in [("softmax (naive)", E.naive_attention),
                      ("softmax (SDPA)", F.scaled_dot_product_attention),
                      ("linear (elu + 1)", E.linear_attention)]:
        times[label].append(timing.time_fn(fn, q, k, v, device="cpu", min_run_time=0.03).median_s * 1e3)


def crossover(fast, slow):
    """The smallest N from which fast[i] < slow[i] at every larger N too, as text."""
    for i in range(len(cross_Ns)):
        if all(f < s for f, s in zip(fast[i:], slow[i:])):
            return f"from N = {cross_Ns[i]}"
    return f"nowhere up to N = {cross_Ns[-1]}"


for other in ("softmax (naive)", "softmax (SDPA)"):
    print(f"linear attention beats {other} {crossover(times['linear (elu + 1)'], times[other])}")
viz.line_plot(cross_Ns, times, title="Time per call, 4 heads, D = 64 (CPU)",
              xlabel="sequence length N", ylabel="median time (ms)", logx=True, logy=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Is the tiled loop slower? It depends on $N$
#
# The tiled loop was built for memory, and it launches many small operations from Python,
# so one might expect it to be slower than the naive version everywhere. The series'
# committed CPU results say otherwise. `results/cpu-2-threads/` was written by `make bench`
# on a 2-core CPU (one batch, 8 heads, $D = 64$, float32; each row gives the median and
# the IQR of at least 5 readings, and `environment.md` beside it says how busy the machine
# was). Its `flash` rows are `attnlib.efficient.flash_attention`, proven equal to our loop
# above, with blocks of 64.
# A stored file, so this output is the same on every machine:

# %% slideshow={"slide_type": "-"}
import inspect

import pandas as pd

results = pd.read_csv("../results/cpu-2-threads/results.csv")
ok = results[results.status == "ok"]
ms = ok.pivot(index="N", columns="impl", values="median_ms")  # (N, implementation)
iqr = ok.pivot(index="N", columns="impl", values="iqr_ms")  # the spread of the readings
mb = ok.pivot(index="N", columns="impl", values="peak_mb")
table = pd.DataFrame({"naive ms": ms["naive"], "naive IQR": iqr["naive"],
                      "flash ms": ms["flash"], "flash IQR": iqr["flash"],
                      "naive / flash": ms["naive"] / ms["flash"],
                      "naive MB": mb["naive"], "flash MB": mb["flash"]})
print(table.round(1).to_string())
# Faster beyond the noise: the two medians differ by more than the two IQRs added up.
clearly_faster = ms.index[ms["naive"] - ms["flash"] > iqr["naive"] + iqr["flash"]].tolist()
print("N where the tiled loop (flash) was faster than naive, beyond the spread:", clearly_faster)
flash_blocks = inspect.signature(E.flash_attention).parameters
assert bench.IMPLEMENTATIONS["flash"] is E.flash_attention  # the rows are the library's loop,
assert flash_blocks["block_q"].default == flash_blocks["block_k"].default == 64  # blocks of 64
assert [n for n in clearly_faster if n >= 1024] == [1024, 2048, 4096]
assert mb.loc[4096, "flash"] < 10 and mb.loc[4096, "naive"] > 1500

# %% [markdown] slideshow={"slide_type": "-"}
# From $N = 1024$ on the tiled loop was faster than the naive version, by more than the
# two spreads (IQRs) added up, while holding under 10 MB where the naive version held over
# 1500 MB. Below $N = 1024$ compare each gap with the IQRs beside it: at small sizes the
# fixed per-call costs of the Python loop, and the machine's other work, weigh most, and a
# run on a busy machine can order them either way. The usual reason the tiled loop wins
# at large $N$ is memory traffic: the naive version writes and reads $N \times N$
# matrices far larger than the CPU's caches, while a $64 \times 64$ tile stays in them.
# Fused kernels (SDPA's `flash` backend) keep their tiles on chip and drop the Python loop
# as well.
#
# One panel per $N$, each with its own time axis, puts the implementations side by side
# at every size (seaborn's `catplot` draws the facets):

# %% slideshow={"slide_type": "-"}
import matplotlib.pyplot as plt
import seaborn as sns

shown = ["naive", "attnlib_core", "chunked_keys", "flash", "sdpa_math", "sdpa_flash"]
facets = sns.catplot(data=results[results.impl.isin(shown)], x="median_ms", y="impl",
                     col="N", kind="bar", order=shown, sharex=False, height=2.6, aspect=0.75,
                     color="#3b75af")
facets.set_titles("N = {col_name}")
facets.set_axis_labels("median time (ms)", "implementation")
facets.figure.suptitle("Time per call by implementation, one panel per N "
                       "(committed results, CPU, 2 threads, H = 8, D = 64)")
facets.figure.subplots_adjust(top=0.8)  # room for the title above the panel titles
plt.close(facets.figure)  # shown once, as the cell's value
facets.figure

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Attention's time is $O(N_q N_k D)$; its memory is $O(N_q N_k)$ only if the score
#   matrix is built in full. Measured: the naive peak quadruples when $N$ doubles.
# - Chunking queries is exact. Chunking keys needs the **online softmax**: a running max
#   $m$, a running sum $\ell$ and a running output, rescaled by $e^{m_{\text{old}} - m_{\text{new}}}$.
# - Tiling both (FlashAttention style) is exact, skips tiles above a causal diagonal, and
#   holds memory linear in $N$: under 10% of the naive peak at $N = 2048$.
# - Sliding windows and linear attention change the model to cut the *time* too; linear
#   attention has an exact recurrent form for the causal case.
# - SDPA and FlexAttention are PyTorch's fused versions of these ideas.
#
# ## Exercises
#
# Worked solutions are in `solutions/17_efficient_attention.py`: try first.
#
# **Exercise 1.** Write `online_step(m, ell, x_j)` that folds one new score `x_j` into the
# running maximum `m` and running sum `ell` ($\ell$) and returns `(m_new, ell_new)`. All three are
# tensors of the same shape; `m` starts at $-\infty$ and `ell` at 0.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb17


def online_step(m, ell, x_j):
    raise NotImplementedError


ok = nb17.check_online_step(online_step)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `causal_tiles(n, block)`: how many (query-block, key-block) tiles a
# causal tiled kernel computes for $N$ = `n` and square blocks of `block` (the last block
# may be shorter).

# %% slideshow={"slide_type": "-"}
def causal_tiles(n, block):
    raise NotImplementedError


ok = nb17.check_causal_tiles(causal_tiles)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Two workers each ran the online softmax over half of the keys, giving
# states `(m1, l1, a1)` and `(m2, l2, a2)` (max, sum, unnormalised output). Write
# `merge(m1, l1, a1, m2, l2, a2)` returning the state for all the keys. (This is how
# split-key "flash decoding" combines partial results.)

# %% slideshow={"slide_type": "-"}
def merge(m1, l1, a1, m2, l2, a2):
    raise NotImplementedError


ok = nb17.check_merge_softmax_states(merge)
