# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Attention at inference - the KV cache (decoding equal with and without
#       it), GQA and MQA, MLA's absorbed form, sliding windows with a rolling cache,
#       and the cache memory of real models.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/20_attention_at_inference.ipynb)

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
# # 20 · Attention at inference
#
# A trained decoder writes one token at a time, and every new token attends to all the
# tokens before it. Done naively, each step recomputes the whole sequence. This notebook
# builds what real models do instead, and measures what each choice costs and saves.
#
# **In this notebook you will:**
# - build a **KV cache**, prove that cached decoding gives the same tokens and logits as
#   uncached decoding, and measure the time per new token with and without it;
# - share key/value heads (**MQA, GQA**) and compress them (**MLA**, with its "absorbed"
#   form and decoupled RoPE), each proven equal to its reference, and compute the cache
#   memory of real models (Llama 3, Qwen3, Mistral, Falcon, DeepSeek-V2);
# - attend over a **sliding window** with a rolling cache whose size never grows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Decoding one token at a time
#
# A decoder-only model generates greedily: run the model on the tokens so far, take the
# most likely next token, append it, repeat. In a causal layer, the output at position $t$
# depends only on positions $\le t$, so adding a token changes nothing at the earlier
# positions: their keys and values $k_j = x_j W_K$, $v_j = x_j W_V$ are the same at every
# step. At step $t$, the only new work is the new token's query, key and value, and its
# attention over the $t$ keys so far:
#
# $$o_t = \sum_{j \le t} \operatorname{softmax}_j\!\Big(\frac{q_t \cdot k_j}{\sqrt{D}}\Big)\, v_j .$$
#
# A **KV cache** keeps $k_1..k_{t-1}$ and $v_1..v_{t-1}$ for every layer and appends
# $k_t, v_t$. Without it, step $t$ pushes all $t$ tokens through every layer again: the
# work per token grows with $t$, and a whole generation of $T$ tokens costs
# $O(T^2)$ token passes instead of $O(T)$ (the attention over the cache still reads $t$
# keys per step in both cases).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A tiny decoder that copies
#
# To see generated text that means something, we train a small decoder on the **copy
# task**: 8 random digits, a separator `|`, then the same 8 digits. After `|`, each digit
# must be read 9 positions back, which only attention can do. `attnlib.kvcache.TinyDecoder`
# is pre-norm transformer layers built from attnlib's pieces: `gqa.GroupedQueryAttention`
# (causal, with RoPE from `attnlib.positional.apply_rope`; here with as many key/value
# heads as query heads, i.e. plain multi-head attention, proven equal to
# `MultiHeadAttention` below) and `blocks.FeedForward`. $E = 32$, $H = 4$, 2 layers,
# trained by `attnlib.train.fit` for 80 steps (a few seconds).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import torch

from attnlib import kvcache

copier, losses = kvcache.train_copier(num_kv_heads=4, seed=0, steps=80)
digits_right, copies_right = kvcache.copy_accuracy(copier)  # 500 held-out sequences
print(f"loss {losses[0]:.2f} -> {losses[-1]:.4f}; held-out: {digits_right:.4f} of digits, "
      f"{copies_right:.3f} of whole copies right")

# %% [markdown] slideshow={"slide_type": "-"}
# On every seed we tried (`tests/test_learned_claims_20.py`), more than 98% of held-out
# digits and more than 95% of whole copies come out right. One prompt, decoded:

# %% slideshow={"slide_type": "-"}
assert digits_right > 0.98 and copies_right > 0.95
SHOW = "0123456789|"
prompt = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6, kvcache.SEP]])  # (B, N_p) = (1, 9)
ids, _, _ = kvcache.generate(copier, prompt, steps=8)
print("prompt:", "".join(SHOW[i] for i in prompt[0]), " generated:",
      "".join(SHOW[i] for i in ids[0, 9:]))
assert ids[0, 9:].tolist() == [3, 1, 4, 1, 5, 9, 2, 6]

# %% [markdown] slideshow={"slide_type": "-"}
# **What the copier attends to.** Its last layer, on the 16 tokens that produce that copy
# (the prompt and the first 7 copied digits): rows are query positions, columns keys,
# both labelled with their tokens. A row predicts the *next* token.

# %% slideshow={"slide_type": "-"}
from attnlib import viz

seq = ids[:, :16]  # (1, 16): 3 1 4 1 5 9 2 6 | 3 1 4 1 5 9 2
with torch.no_grad():
    copier(seq)
labels = [SHOW[i] for i in seq[0]]
viz.heads_grid(copier.layers[-1].attn.last_weights[0], labels, labels, ncols=4, panel=2.4,
               head_titles=[f"layer 1, head {h}" for h in range(4)],
               title="Trained copier, last layer: every head on '31415926|3141592'")

# %% [markdown] slideshow={"slide_type": "-"}
# From `|` on, the weight sits on a diagonal 8 keys back: the query at position $8 + i$
# looks at key $i$, the digit it must write next. Measured on 200 held-out sequences, the
# mean weight each last-layer head puts on that digit:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
held_out = kvcache.copy_task(200, generator=torch.Generator().manual_seed(3))  # (200, 17)
with torch.no_grad():
    copier(held_out[:, :-1])
w = copier.layers[-1].attn.last_weights  # (B, H, 16, 16)
i = torch.arange(8)
on_source = w[:, :, 8 + i, i].mean((0, 2))  # (H,): query 8 + i -> key i
print("mean weight on the digit to copy, per head:", on_source.numpy().round(3))

# %% [markdown] slideshow={"slide_type": "-"}
# On every seed of 5, every head of the last layer puts more than 0.8 on it (asserted):

# %% slideshow={"slide_type": "-"}
print("every last-layer head above 0.8:", bool((on_source > 0.8).all()))
assert (on_source > 0.8).all()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The KV cache
#
# `kvcache.KVCache(B, G, max_len, D)` allocates its key and value tensors once, for
# `max_len` tokens, and fills them left to right; `update(k_new, v_new)` writes the new
# tokens' keys and values and returns everything filled so far, with the keys' positions
# (the attention layer builds its causal mask from positions). Three tokens, then one:

# %% slideshow={"slide_type": "-"}
g = torch.Generator().manual_seed(0)
cache = kvcache.KVCache(1, 2, 6, 4)  # B = 1, G = 2 key/value heads, room for 6 tokens, D = 4
k3, v3 = torch.randn(1, 2, 3, 4, generator=g), torch.randn(1, 2, 3, 4, generator=g)  # random stand-ins
k, v, positions = cache.update(k3, v3)
print("after 3 tokens:", tuple(k.shape), positions.tolist())
k, v, positions = cache.update(k3[:, :, :1], v3[:, :, :1])
print("after 4 tokens:", tuple(k.shape), positions.tolist(), "| tensors held:", tuple(cache.k.shape))

# %% [markdown] slideshow={"slide_type": "-"}
# A cache that is full says so, naming the argument and the sizes:

# %% slideshow={"slide_type": "-"}
try:
    cache.update(k3, v3)
except ValueError as err:
    print(err)

# %% [markdown] slideshow={"slide_type": "-"}
# **Cached decoding equals uncached decoding.** `kvcache.generate(model, prompt, steps,
# use_cache)` decodes greedily. With the cache it runs the prompt once, then one token per
# step; without it, it reruns the model on the whole sequence every step. 64 held-out
# prompts, 40 tokens each (past the 8 the model was trained to copy: whatever it writes,
# both ways must write the same): the tokens must be identical and the logits equal up to
# float32 rounding (within $10^{-4}$).

# %% slideshow={"slide_type": "-"}
prompts = kvcache.copy_task(64, generator=torch.Generator().manual_seed(5))[:, :9]  # (64, 9)
ids_c, logits_c, _ = kvcache.generate(copier, prompts, 40, use_cache=True)
ids_u, logits_u, _ = kvcache.generate(copier, prompts, 40, use_cache=False)
print("tokens identical:", torch.equal(ids_c, ids_u), tuple(ids_c.shape))
print("logits allclose (atol 1e-4):", torch.allclose(logits_c, logits_u, atol=1e-4, rtol=0),
      tuple(logits_c.shape))
assert torch.equal(ids_c, ids_u)
assert torch.allclose(logits_c, logits_u, atol=1e-4, rtol=0)

# %% [markdown] slideshow={"slide_type": "-"}
# And both equal one plain forward pass over the finished sequence: the logits the decoder
# produced for each generated token are the ones the full model gives at that position.

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    full_logits = copier(ids_c[:, :-1])[:, 8:]  # positions 8..47 predict tokens 9..48
print("cached decode == one forward pass:", torch.allclose(logits_c, full_logits, atol=1e-4, rtol=0))
assert torch.allclose(logits_c, full_logits, atol=1e-4, rtol=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the cache saves, measured
#
# One generation of 400 tokens after a 9-token prompt, timing every step (`generate`
# returns the seconds of each). Without the cache a step reruns the model on all the
# tokens so far, so its cost grows with the position; with the cache it runs one token
# (the first cached step also runs the prompt). Timings depend on the machine and on what
# else it is doing, so these outputs are not compared.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib.train import one_thread_deterministic

STEPS = 400
with one_thread_deterministic():
    kvcache.generate(copier, prompt, 20, use_cache=False)  # warm-up
    _, _, sec_cached = kvcache.generate(copier, prompt, STEPS, use_cache=True)
    _, _, sec_uncached = kvcache.generate(copier, prompt, STEPS, use_cache=False)
positions = torch.arange(9, 9 + STEPS)  # the position of each new token's query


def per_token_ms(seconds, at, half=5):
    """Median milliseconds of the steps around step index `at` (robust to one slow step)."""
    return 1e3 * torch.tensor(seconds[max(0, at - half):at + half + 1]).median().item()


print("position   cached (ms/token)   uncached (ms/token)")
for at in (10, 50, 100, 200, 390):
    print(f"{9 + at:8d}   {per_token_ms(sec_cached, at):17.3f}   {per_token_ms(sec_uncached, at):19.3f}")

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
smooth = {name: [per_token_ms(s, i) for i in range(STEPS)]
          for name, s in (("with the KV cache", sec_cached), ("without (rerun everything)", sec_uncached))}
viz.line_plot(positions.tolist(), smooth, title="Time per new token (tiny decoder, CPU, 1 thread)",
              xlabel="position of the new token", ylabel="ms per token (median of 11 steps)")

# %% [markdown] slideshow={"slide_type": "-"}
# Total decode time for the first $T$ tokens of the same runs:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
decode_totals = {}
for T in (50, 100, 200, 400):
    cached, uncached = sum(sec_cached[:T]), sum(sec_uncached[:T])
    decode_totals[T] = (cached, uncached)
    print(f"T = {T:3d}: cached {1e3 * cached:7.1f} ms, uncached {1e3 * uncached:7.1f} ms "
          f"({uncached / cached:.1f}x)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Grouped-query attention: fewer key/value heads
#
# The cache holds a key and a value per layer, head, channel and token:
# $2 \cdot L \cdot H \cdot D \cdot N$ numbers. **Multi-query attention** (MQA, Shazeer 2019)
# keeps one key/value head shared by all $H$ query heads; **grouped-query attention** (GQA,
# Ainslie et al. 2023) keeps $G$, each shared by a group of $H/G$ query heads. Query head
# $h$ uses key/value head $g(h) = \lfloor h / (H/G) \rfloor$:
#
# $$o_h = \operatorname{softmax}\!\Big(\frac{Q_h K_{g(h)}^\top}{\sqrt{D}}\Big) V_{g(h)},
#   \qquad K_g = X W_{K,g},\; V_g = X W_{V,g},\; g = 0..G-1 .$$
#
# $G = H$ is ordinary multi-head attention (MHA), $G = 1$ is MQA, and the cache shrinks by
# $H / G$. `gqa.repeat_kv` hands each query head its key/value head by repeating each of
# the $G$ heads $H/G$ times in place (`repeat_interleave`). With $H = 6$, $G = 2$, which
# key/value head does each query head read?

# %% slideshow={"slide_type": "-"}
from attnlib import gqa

k_heads = torch.arange(2.0).view(1, 2, 1, 1)  # (B, G, N, D) = (1, 2, 1, 1): head g holds g
shared = gqa.repeat_kv(k_heads, num_heads=6)  # (B, H, N, D)
print("query heads 0..5 read key/value heads:", shared.flatten().int().tolist())
assert shared.flatten().tolist() == [0, 0, 0, 1, 1, 1]

# %% [markdown] slideshow={"slide_type": "-"}
# **Checked against PyTorch.** With $G = H$ and weights copied from an attnlib
# `MultiHeadAttention` (RoPE off, causal mask), the layer equals it and PyTorch's
# `nn.MultiheadAttention`. With $G < H$, PyTorch's `F.scaled_dot_product_attention(...,
# enable_gqa=True)` is the reference: it shares heads the same way. Float64, random
# inputs (a numerical check).

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

from attnlib import masks
from attnlib.multihead import MultiHeadAttention

torch.manual_seed(0)
E, H, N = 32, 4, 7
x64 = torch.randn(2, N, E, dtype=torch.float64)  # (B, N, E) random inputs
mha = MultiHeadAttention(E, H).double()
as_gqa = gqa.GroupedQueryAttention.from_mha(mha)  # G = H, weights copied
torch_mha = mha.to_torch()
with torch.no_grad():
    ours = as_gqa(x64)  # causal self-attention
    theirs = torch_mha(x64, x64, x64, attn_mask=masks.to_mha_attn_mask(masks.causal(N)))[0]
    attnlib_mha = mha(x64, mask=masks.causal(N))[0]
print("G = H equals MultiHeadAttention:", torch.allclose(ours, attnlib_mha, atol=1e-12),
      "| equals nn.MultiheadAttention:", torch.allclose(ours, theirs, atol=1e-12))
assert torch.allclose(ours, attnlib_mha, atol=1e-12) and torch.allclose(ours, theirs, atol=1e-12)


def sdpa_gqa(layer, x):
    """The same layer through PyTorch: F.scaled_dot_product_attention(enable_gqa=True)."""
    B, N, _ = x.shape
    q = layer.split(layer.q_proj(x), layer.num_heads)  # (B, H, N, D)
    k = layer.split(layer.k_proj(x), layer.num_kv_heads)  # (B, G, N, D)
    v = layer.split(layer.v_proj(x), layer.num_kv_heads)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)  # (B, H, N, D)
    return layer.out_proj(out.transpose(1, 2).reshape(B, N, -1))


for G in (4, 2, 1):
    layer = gqa.GroupedQueryAttention(E, H, G, rope=False).double()
    with torch.no_grad():
        diff = (layer(x64) - sdpa_gqa(layer, x64)).abs().max().item()
    print(f"G = {G}: max |ours - SDPA(enable_gqa=True)| < 1e-12: {diff < 1e-12}")
    assert diff < 1e-12

# %% [markdown] slideshow={"slide_type": "-"}
# **$G = 1$ is MQA.** Written directly, MQA computes one key and one value per token,
# $(B, N, D)$, and lets every head's queries attend to them by broadcasting. The $G = 1$
# layer gives the same output.

# %% slideshow={"slide_type": "-"}
mqa = gqa.GroupedQueryAttention(E, H, 1, rope=False).double()
with torch.no_grad():
    q = mqa.split(mqa.q_proj(x64), H)  # (B, H, N, D)
    k1, v1 = mqa.k_proj(x64), mqa.v_proj(x64)  # (B, N, D): one key and value per token
    scores = q @ k1[:, None].transpose(-2, -1) / (E // H) ** 0.5  # (B, H, N, N), broadcast over H
    w = scores.masked_fill(~masks.causal(N), float("-inf")).softmax(-1)
    mqa_direct = mqa.out_proj((w @ v1[:, None]).transpose(1, 2).reshape(2, N, E))
    print("G = 1 equals MQA written directly:", torch.allclose(mqa(x64), mqa_direct, atol=1e-12))
    assert torch.allclose(mqa(x64), mqa_direct, atol=1e-12)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## KV-cache memory of real models
#
# Per sequence, a cache of $N$ tokens in a model of $L$ layers holds
#
# $$\text{bytes} = 2 \cdot L \cdot G \cdot D \cdot N \cdot b$$
#
# ($b = 2$ bytes for bfloat16). `gqa.kv_cache_bytes` is that closed form; first, it must
# be what a real cache allocates: three `KVCache`s (one per layer) in bfloat16.

# %% slideshow={"slide_type": "-"}
L_small, G_small, D_small, N_small = 3, 2, 16, 100
caches = [kvcache.KVCache(1, G_small, N_small, D_small, dtype=torch.bfloat16) for _ in range(L_small)]
allocated = sum(c.nbytes() for c in caches)
formula = gqa.kv_cache_bytes(L_small, G_small, D_small, N_small, bytes_per_element=2)
print(f"allocated {allocated} bytes, 2 * L * G * D * N * 2 = {formula}")
assert allocated == formula == 2 * L_small * G_small * D_small * N_small * 2

# %% [markdown] slideshow={"slide_type": "-"}
# `gqa.CONFIGS` holds the published shapes of real models, each with the `config.json` it
# comes from. For each, the cache of one sequence as the model was published, and what
# the same model would need with MHA ($G = H$) or MQA ($G = 1$), at 8k and 128k tokens.
# (GiB = $2^{30}$ bytes; MLA and sliding windows, which shrink it differently, come later.)

# %% slideshow={"slide_type": "-"}
import pandas as pd

GIB = 2**30
for name, cfg in gqa.CONFIGS.items():
    print(f"{name:16s} {cfg['source']}")
rows = []
for name, cfg in gqa.CONFIGS.items():
    for tokens in (8192, 131072):
        size = {label: gqa.kv_cache_bytes(cfg["layers"], G, cfg["head_dim"], tokens)
                for label, G in (("MHA", cfg["heads"]), ("as published", cfg["kv_heads"]), ("MQA", 1))}
        assert size["MHA"] == 2 * cfg["layers"] * cfg["heads"] * cfg["head_dim"] * tokens * 2
        rows.append({"model": name, "tokens": tokens, "G / H": f"{cfg['kv_heads']} / {cfg['heads']}",
                     **{f"{k} (GiB)": round(v / GIB, 3) for k, v in size.items()}})
table = pd.DataFrame(rows).set_index(["model", "tokens"])
table

# %% [markdown] slideshow={"slide_type": "-"}
# Llama-3-8B and Qwen3-8B (8 key/value heads for 32 query heads) keep a quarter of the MHA
# cache: 1 GiB rather than 4 at 8k tokens, 16 GiB rather than 64 at 128k, for a model whose
# bfloat16 weights are about 16 GB. DeepSeek-V2 is listed with its 128 heads of $D = 128$
# as if it used MHA; what it really caches comes in the MLA section.

# %% slideshow={"slide_type": "-"}
llama = table.loc["Llama-3-8B"]
assert llama.loc[8192, "as published (GiB)"] == 1.0 and llama.loc[8192, "MHA (GiB)"] == 4.0
assert llama.loc[131072, "as published (GiB)"] == 16.0 and llama.loc[131072, "MHA (GiB)"] == 64.0
print("Llama-3-8B: 1 GiB (GQA) vs 4 GiB (MHA) at 8k tokens; 16 vs 64 GiB at 128k")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The quality cost, on the copy task
#
# Fewer key/value heads means fewer distinct things the heads can look up. We train the
# same decoder with $G = 2$ (GQA) and $G = 1$ (MQA) as with $G = 4$ (MHA) above, same seed
# and steps, and score each on the held-out copies.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
copiers = {4: copier}
scores = {4: (digits_right, copies_right)}
for G in (2, 1):
    copiers[G], _ = kvcache.train_copier(num_kv_heads=G, seed=0, steps=80)
    scores[G] = kvcache.copy_accuracy(copiers[G])
for G, (d, c) in scores.items():
    name = {4: "MHA", 2: "GQA", 1: "MQA"}[G]
    print(f"G = {G} ({name}): {d:.4f} of digits, {c:.3f} of whole copies; "
          f"cache per token {2 * 2 * G * 8 * 4} bytes (2 layers, float32)")

# %% [markdown] slideshow={"slide_type": "-"}
# On this task sharing heads costs nothing we can measure: on every seed of 5, each of the
# three keeps more than 98% of digits and 95% of whole copies right (asserted below). The
# task needs one lookup per position, well within one key/value head; this says nothing
# about the small losses that GQA and MQA papers report on language models.

# %% slideshow={"slide_type": "-"}
for G, (d, c) in scores.items():
    assert d > 0.98 and c > 0.95, G
print("G = 4, 2, 1: each above 0.98 of digits and 0.95 of whole copies")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Multi-head latent attention
#
# DeepSeek-V2's **MLA** shrinks the cache a different way: each token is compressed to one
# latent $c_j = x_j W_{DKV}$ of width $r \ll 2HD$, and every head's key and value are
# up-projections of it, $k_{j,h} = c_j W_{UK,h}$, $v_{j,h} = c_j W_{UV,h}$. Only $c_j$ is
# cached. Computed naively, each step up-projects every cached latent for every head. But
#
# $$q_h \cdot k_{j,h} = q_h \cdot (c_j W_{UK,h}) = (q_h W_{UK,h}^\top) \cdot c_j ,$$
#
# so $W_{UK,h}$ can be **absorbed** into the query projection, and likewise $W_{UV,h}$ into
# the output projection: attention then runs over the latents themselves, as if they were
# one key/value head shared by all heads (MQA with width $r$).
#
# **RoPE does not survive the absorption.** With rotations $R_m$ (query at position $m$)
# and $R_n$ (key at $n$), $(R_m q_h) \cdot (R_n W_{UK,h}^\top c_j) = q_h^\top R_{n-m}
# W_{UK,h}^\top c_j$: a rotation that depends on the distance sits between $q_h$ and
# $W_{UK,h}$, so no single matrix can be folded in. DeepSeek-V2 *decouples* position: a
# small extra query part $q^R_h$ (width $R$) per head and one rotary key
# $k^R_j = \operatorname{RoPE}(x_j W_{KR})$ shared by all heads, cached beside $c_j$:
#
# $$\text{score}_{h}(i, j) = \frac{q_{i,h} \cdot k_{j,h} + q^R_{i,h} \cdot k^R_j}{\sqrt{D + R}} .$$
#
# The cache holds $r + R$ numbers per token and layer. `mla.MultiHeadLatentAttention`
# computes both forms (`absorbed=False/True`), with the rotary part from
# `attnlib.positional.apply_rope` kept out of the folding.

# %% slideshow={"slide_type": "-"}
from attnlib import mla

torch.manual_seed(0)
latent_layer = mla.MultiHeadLatentAttention(E, num_heads=4, head_dim=8, latent_dim=6, rope_dim=4).double()
with torch.no_grad():
    naive = latent_layer(x64)  # (B, N, E): up-project keys and values for every head
    absorbed = latent_layer(x64, absorbed=True)  # attend over the latents directly
    w_q_lat, w_out_lat = latent_layer.absorbed_weights()
print("folded query projection", tuple(w_q_lat.shape), "(H, E, r); folded output", tuple(w_out_lat.shape), "(H, r, E)")
print("absorbed == naive (with the decoupled RoPE part):", torch.allclose(naive, absorbed, atol=1e-12))
assert torch.allclose(naive, absorbed, atol=1e-12)

# %% [markdown] slideshow={"slide_type": "-"}
# Decoding token by token with a `LatentCache` (latents and rotary keys only), in the
# absorbed form, gives the naive full-sequence output at every position:

# %% slideshow={"slide_type": "-"}
latent_cache = latent_layer.new_cache(batch=2, max_len=N)
with torch.no_grad():
    steps = [latent_layer(x64[:, i:i + 1], latent_cache, absorbed=True) for i in range(N)]
print("cached absorbed decode == naive:", torch.allclose(torch.cat(steps, 1), naive, atol=1e-12))
print("cache tensors:", tuple(latent_cache.c.shape), "latents and", tuple(latent_cache.k_rope.shape), "rotary keys")
assert torch.allclose(torch.cat(steps, 1), naive, atol=1e-12)

# %% [markdown] slideshow={"slide_type": "-"}
# **Why the rotary key is separate (a negative control).** Rotate the up-projected key
# instead, as a plain RoPE model would, and try the folding anyway: the folded score
# $(q W_{UK}^\top) \cdot c$ no longer equals the rotated one once the query and key
# positions differ, while without rotation they agree.

# %% slideshow={"slide_type": "-"}
from attnlib.positional import apply_rope

g = torch.Generator().manual_seed(1)
q_h = torch.randn(1, 8, dtype=torch.float64, generator=g)  # one head's query (D = 8)
c_j = torch.randn(1, 6, dtype=torch.float64, generator=g)  # one latent (r = 6)
w_uk = torch.randn(6, 8, dtype=torch.float64, generator=g)  # W_UK,h: r -> D
folded = (q_h @ w_uk.T) @ c_j.T  # what absorption computes
plain = q_h @ (c_j @ w_uk).T
rotated = apply_rope(q_h, torch.tensor([7])) @ apply_rope(c_j @ w_uk, torch.tensor([2])).T
print("no rotation: folded == plain score:", torch.allclose(folded, plain, atol=1e-12))
print("RoPE on the up-projected key: folded == rotated score:", torch.allclose(folded, rotated, atol=1e-6))
assert torch.allclose(folded, plain, atol=1e-12) and not torch.allclose(folded, rotated, atol=1e-6)

# %% [markdown] slideshow={"slide_type": "-"}
# **What DeepSeek-V2 caches.** With its published shape ($L = 60$, $H = 128$, $D = 128$,
# $r = 512$, $R = 64$), the cache per token and layer is $512 + 64 = 576$ numbers, against
# $2 \cdot 128 \cdot 128 = 32768$ for MHA with the same heads and $2 \cdot 8 \cdot 128 =
# 2048$ for GQA with 8 key/value heads: 57 times smaller than MHA, and under a third of
# 8-group GQA.

# %% slideshow={"slide_type": "-"}
ds = gqa.CONFIGS["DeepSeek-V2"]
for tokens in (8192, 131072):
    latent = mla.latent_cache_bytes(ds["layers"], ds["latent_dim"], ds["rope_dim"], tokens)
    mha_bytes = gqa.kv_cache_bytes(ds["layers"], ds["heads"], ds["head_dim"], tokens)
    gqa8 = gqa.kv_cache_bytes(ds["layers"], 8, ds["head_dim"], tokens)
    assert latent == ds["layers"] * 576 * tokens * 2
    print(f"DeepSeek-V2 shape, {tokens:6d} tokens: MLA {latent / GIB:6.2f} GiB | "
          f"GQA (G = 8) {gqa8 / GIB:6.2f} GiB | MHA {mha_bytes / GIB:7.2f} GiB | "
          f"MHA / MLA = {mha_bytes / latent:.1f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sliding windows with a rolling cache
#
# With a **sliding window** of $W$ keys, query $i$ attends only to keys
# $i - W + 1, \dots, i$. Then only the last $W$ keys and values are ever needed again, and
# the cache can be a ring buffer of $W$ slots: token $p$ goes to slot $p \bmod W$,
# overwriting token $p - W$. First, the exact semantics of `attnlib.masks.window(n, size)`:
# it is *symmetric*, $|i - j| \le \text{size}$, so $W$ causal keys are
# `masks.causal(n) & masks.window(n, W - 1)`. The attention layers build their masks from
# positions (`gqa.position_mask`), which must give exactly that:

# %% slideshow={"slide_type": "-"}
W, N_LONG = 4, 12
sym = masks.window(6, 1)
print("masks.window(6, 1) row 2:", sym[2].int().tolist(), "(keys 1, 2, 3: both sides)")
pos = torch.arange(N_LONG)
window_mask = masks.causal(N_LONG) & masks.window(N_LONG, W - 1)
assert torch.equal(gqa.position_mask(pos, pos, window=W), window_mask)
assert window_mask.sum(-1).max().item() == W
print(f"position_mask(window={W}) == causal & window(N, {W - 1}); at most {W} keys per query")

# %% [markdown] slideshow={"slide_type": "-"}
# **The rolling cache equals full attention under the mask, at every position.** A
# windowed GQA layer ($G = 2$) decodes 12 random inputs one token at a time through a
# `RollingKVCache` of $W = 4$ slots; each step's output must equal that position's row of
# the full-sequence layer under the window mask, and the cache's tensors must keep their
# size.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
local = gqa.GroupedQueryAttention(E, H, 2, window=W).double()
x_long = torch.randn(2, N_LONG, E, dtype=torch.float64)  # random inputs: a numerical check
ring = kvcache.RollingKVCache(2, 2, W, E // H, dtype=torch.float64)
sizes = set()
with torch.no_grad():
    full = local(x_long)  # (B, N, E): full attention under position_mask = causal & window
    for i in range(N_LONG):
        step = local(x_long[:, i:i + 1], ring)  # (B, 1, E)
        assert torch.allclose(step[:, 0], full[:, i], atol=1e-12), i
        sizes.add((tuple(ring.k.shape), tuple(ring.v.shape), ring.nbytes()))
print(f"rolling-cache decode == masked full attention at all {N_LONG} positions")
print("cache tensor sizes seen over the 12 steps:", sizes)
assert len(sizes) == 1
print("slots now hold positions", ring.positions.tolist())

# %% [markdown] slideshow={"slide_type": "-"}
# **Local and global layers.** Models such as Gemma 2 alternate windowed layers with
# global ones: the windowed layers keep a constant cache, the global ones a growing one,
# and information can still travel from any token to any later one through the global
# layers. `TinyDecoder(windows=[W, None])` does this with a window of 4 in its first layer.
# We show the mechanism only, on an **untrained** model (random weights): cached greedy
# decoding equals uncached, and after 60 tokens the local layer's cache still holds 4
# tokens while the global layer's holds all of them.

# %% slideshow={"slide_type": "-"}
torch.manual_seed(0)
mixed = kvcache.TinyDecoder(11, windows=[W, None]).eval()
ids_c, logits_c, _ = kvcache.generate(mixed, prompt, 51, use_cache=True)
ids_u, logits_u, _ = kvcache.generate(mixed, prompt, 51, use_cache=False)
assert torch.equal(ids_c, ids_u) and torch.allclose(logits_c, logits_u, atol=1e-4, rtol=0)
layer_caches = mixed.new_caches(1, 60)
with torch.no_grad():
    mixed(ids_c[:, :60], layer_caches)
for name, c in zip(("local (W = 4)", "global"), layer_caches):
    held = (c.positions >= 0).sum().item() if hasattr(c, "positions") else c.length
    print(f"{name:14s} cache: {type(c).__name__}, tensors {tuple(c.k.shape)}, tokens held {held}")
print("mixed model: cached decode == uncached (tokens equal, logits allclose)")

# %% [markdown] slideshow={"slide_type": "-"}
# Mistral-7B-v0.1 was published with a sliding window of 4096 in every layer: its cache
# stops growing at 4096 tokens, 0.5 GiB per sequence, whatever the length. (Attention
# *sinks*, a few first tokens always kept beside the window, are left out of this
# notebook.)

# %% slideshow={"slide_type": "-"}
mistral = gqa.CONFIGS["Mistral-7B-v0.1"]
for tokens in (8192, 131072):
    held = min(tokens, mistral["window"])
    size = gqa.kv_cache_bytes(mistral["layers"], mistral["kv_heads"], mistral["head_dim"], held)
    print(f"Mistral-7B-v0.1 at {tokens:6d} tokens: rolling cache {size / GIB:.2f} GiB")
    assert size == 2**29

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Decode time per design, measured
#
# One attention layer decoding one token against a context of 4096 cached tokens,
# $E = 512$, $H = 8$, $D = 64$, for each design: MHA ($G = 8$), GQA ($G = 2$), MQA
# ($G = 1$), MLA in absorbed form ($r = 128$, $R = 32$) and a window of 512 ($G = 2$).
# The caches are filled with random stand-ins (timing needs no trained weights) and
# rewound before each call, so every call does the same work. CPU, one thread, median of
# several readings with `attnlib.timing`; not compared, it depends on the machine.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

CTX, E_BIG, H_BIG, D_BIG = 4096, 512, 8, 64
torch.manual_seed(0)
x_tok = torch.randn(1, 1, E_BIG)  # (B, 1, E): the new token's input


def gqa_step(G, window=None):
    """One decode step of a GQA layer with CTX cached tokens (random stand-ins)."""
    layer = gqa.GroupedQueryAttention(E_BIG, H_BIG, G, window=window).eval()
    if window is None:
        cache = kvcache.KVCache(1, G, CTX + 1, D_BIG)
    else:
        cache = kvcache.RollingKVCache(1, G, window, D_BIG)
    cache.update(torch.randn(1, G, CTX, D_BIG), torch.randn(1, G, CTX, D_BIG))

    def step():
        if window is None:
            cache.length = CTX  # rewind: the same work on every call
        return layer(x_tok, cache)
    return step


def mla_step():
    """One absorbed-form decode step of an MLA layer with CTX cached latents."""
    layer = mla.MultiHeadLatentAttention(E_BIG, H_BIG, D_BIG, latent_dim=128, rope_dim=32).eval()
    cache = layer.new_cache(1, CTX + 1)
    cache.update(torch.randn(1, CTX, 128), torch.randn(1, CTX, 32))

    def step():
        cache.length = CTX
        return layer(x_tok, cache, absorbed=True)
    return step


designs = {"MHA (G=8)": gqa_step(8), "GQA (G=2)": gqa_step(2), "MQA (G=1)": gqa_step(1),
           "MLA (r=128)": mla_step(), "window 512 (G=2)": gqa_step(2, window=512)}
decode_ms = {}
with one_thread_deterministic():
    for name, step in designs.items():
        t = timing.time_fn(step, device="cpu", min_run_time=0.05)
        decode_ms[name] = t.median_s * 1e3
        print(f"{name:17s} {t}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: KV-cache memory per design
#
# Pick a real model; its layers and head width stay fixed, and the sliders start at its
# published heads, key/value groups, latent rank and window. Move the context length,
# the query heads $H$, the groups $G$, MLA's latent rank $r$ (with the model's rotary
# width, 64 where it has none) or the window $W$: the bars are the cache of one sequence
# in bfloat16 for each design (log scale). The right panel shows the per-token decode
# times measured in the section above on this machine.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W_
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from attnlib.widgets import Backdrop, Explorer

DESIGNS = ["MHA", "GQA", "MQA", "MLA", "window"]
CONTEXTS = [1024 * 2**i for i in range(8)]  # 1k .. 128k
fig = Figure(figsize=(9.5, 3.8), layout="constrained")
ax_mem, ax_time = fig.subplots(1, 2, width_ratios=[1.4, 1])
bars = ax_mem.bar(DESIGNS, [1.0] * 5, color=["#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"])
ax_mem.set(yscale="log", ylim=(1e-4, 3e3), ylabel="KV cache (GiB, log scale)", xlabel="design")
labels = [ax_mem.text(i, 1.0, "", ha="center", va="bottom", fontsize=8) for i in range(5)]
mem_title = ax_mem.set_title(" ")
ax_time.barh(list(decode_ms), list(decode_ms.values()), color="#bbbbbb")
ax_time.invert_yaxis()
ax_time.set(title=f"Measured: 1 token, {CTX} cached", xlabel="ms per token (CPU, 1 thread)")
backdrop = Backdrop(fig, [*bars, *labels, mem_title])


def cache_sizes(model, tokens, heads, groups, latent, window):
    """Bytes per design for one sequence in bfloat16."""
    cfg = gqa.CONFIGS[model]
    L, D, R = cfg["layers"], cfg["head_dim"], cfg.get("rope_dim", 64)
    return {"MHA": gqa.kv_cache_bytes(L, heads, D, tokens),
            "GQA": gqa.kv_cache_bytes(L, groups, D, tokens),
            "MQA": gqa.kv_cache_bytes(L, 1, D, tokens),
            "MLA": mla.latent_cache_bytes(L, latent, R, tokens),
            "window": gqa.kv_cache_bytes(L, groups, D, min(tokens, window))}


def draw_memory(model, tokens, heads, groups, latent, window):
    sizes = cache_sizes(model, tokens, heads, groups, latent, window)
    for bar, label, size in zip(bars, labels, sizes.values()):
        bar.set_height(size / GIB)
        label.set_position((bar.get_x() + bar.get_width() / 2, size / GIB))
        label.set_text(f"{size / GIB:.3g}")
    cfg = gqa.CONFIGS[model]
    mem_title.set_text(f"{model}: L={cfg['layers']}, D={cfg['head_dim']}, {tokens // 1024}k tokens")
    readout = (f"<b>{model}</b>, {tokens:,} tokens: MHA {sizes['MHA'] / GIB:.2f} GiB, "
               f"GQA (G={groups}) {sizes['GQA'] / GIB:.2f}, MQA {sizes['MQA'] / GIB:.3f}, "
               f"MLA (r={latent}) {sizes['MLA'] / GIB:.3f}, window {window} "
               f"{sizes['window'] / GIB:.3f} GiB")
    return backdrop, readout


def adjust(name, controls):
    if name in (None, "model"):
        cfg = gqa.CONFIGS[controls["model"].value]
        controls["groups"].max = 128  # room for the new model's groups before they are set
        controls["heads"].value = cfg["heads"]
        controls["groups"].value = cfg["kv_heads"]
        controls["latent"].value = cfg.get("latent_dim", 512)
        controls["window"].value = cfg.get("window", 4096)
    controls["groups"].max = controls["heads"].value


def int_slider(description, value, lo, hi, step=1):
    return W_.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                        continuous_update=False)


memory_explorer = Explorer("kv-memory", {
    "model": W_.Dropdown(options=list(gqa.CONFIGS), value="Llama-3-8B", description="model"),
    "tokens": W_.SelectionSlider(options=CONTEXTS, value=8192, description="context",
                                 continuous_update=False),
    "heads": int_slider("heads H", 32, 1, 128),
    "groups": int_slider("groups G", 8, 1, 128),
    "latent": int_slider("latent r", 512, 64, 1024, 64),
    "window": W_.SelectionSlider(options=[256 * 2**i for i in range(8)], value=4096,
                                 description="window W", continuous_update=False),
}, draw_memory, adjust=adjust)
display(memory_explorer)

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
times_ms = []
for model in gqa.CONFIGS:
    memory_explorer.set(model=model, tokens=131072)
    times_ms.append(1e3 * memory_explorer.last_redraw_s)
print(f"redraw: median {np.median(times_ms):.0f} ms over {len(times_ms)} changes")
assert memory_explorer.error is None

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# On a GPU, the same one-token step for MHA, GQA and MQA at a context of 32768 (timed
# with CUDA events by `attnlib.timing`); on a CPU this cell says so and skips.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    print(timing.describe_device("cuda"))
    x_gpu = x_tok.cuda()
    for name, G in (("MHA (G=8)", 8), ("GQA (G=2)", 2), ("MQA (G=1)", 1)):
        layer = gqa.GroupedQueryAttention(E_BIG, H_BIG, G).cuda().eval()
        cache = kvcache.KVCache(1, G, 8 * CTX + 1, D_BIG, device="cuda")
        cache.update(torch.randn(1, G, 8 * CTX, D_BIG, device="cuda"),
                     torch.randn(1, G, 8 * CTX, D_BIG, device="cuda"))

        def step(layer=layer, cache=cache):
            cache.length = 8 * CTX  # rewind
            return layer(x_gpu, cache)
        print(f"{name:10s} context {8 * CTX}: {timing.time_fn(step, device='cuda')}")
else:
    print("No GPU: the GPU decode timings are skipped (the CPU ones are above).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - In a causal model, earlier tokens' keys and values never change, so a **KV cache**
#   keeps them: cached greedy decoding gave the same tokens and logits as rerunning the
#   model, and one full forward pass. In the measured run the time per token grew with the
#   position without the cache, and stayed nearly flat with it. The trained copier's last
#   layer reads, from `|` on, the digit 8 keys back: every head above 0.8 on every seed.
# - The cache holds $2 L G D N$ numbers per sequence. **GQA** ($G$ key/value heads shared
#   by groups of query heads) equals MHA at $G = H$ and MQA at $G = 1$, matches PyTorch's
#   `enable_gqa=True`, and cuts the cache by $H/G$ (a quarter for Llama-3-8B and Qwen3-8B);
#   on the copy task all three reached the same bound on every seed.
# - **MLA** caches a latent of width $r$ plus one shared rotary key of width $R$; its
#   absorbed form, attending over the latents directly, equals the naive one, and the
#   rotary part must stay out of the folding. DeepSeek-V2's cache is 57 times smaller
#   than MHA with its heads.
# - A **sliding window** of $W$ keys needs only a ring buffer of $W$ slots: the rolling
#   cache equalled full attention under `causal & window(N, W - 1)` at every position,
#   with tensors that never grew.
#
# ## Exercises
#
# Worked solutions are in `solutions/20_attention_at_inference.py`: try first.
#
# **Exercise 1.** Write the cache update: `append_kv(k_cache, v_cache, length, k_new,
# v_new)` writes the $N$ new keys and values $(B, G, N, D)$ into slots
# `length .. length + N - 1` of the preallocated caches $(B, G, N_{max}, D)$ (in place) and
# returns the filled parts, $(B, G, \text{length} + N, D)$ each.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb20


def append_kv(k_cache, v_cache, length, k_new, v_new):
    raise NotImplementedError


ok = nb20.check_append_kv(append_kv)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Share key/value heads: `share_kv_heads(k, num_heads)` turns $(B, G, N, D)$
# into $(B, H, N, D)$ so that query head $h$ gets key/value head $\lfloor h / (H/G) \rfloor$.

# %% slideshow={"slide_type": "-"}
def share_kv_heads(k, num_heads):
    raise NotImplementedError


ok = nb20.check_share_kv_heads(share_kv_heads)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** `cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per_element)`: the
# bytes of one sequence's KV cache. How many GiB does Qwen3-8B need at 32k tokens?

# %% slideshow={"slide_type": "-"}
def cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per_element):
    raise NotImplementedError


ok = nb20.check_cache_bytes(cache_bytes)
