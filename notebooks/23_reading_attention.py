# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Read trained models five ways (raw maps, rollout, flow, occlusion, gradient
#       x input); induction heads found, rollout misled by its own residual, and a raw
#       map that points at a token the output does not use.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/23_reading_attention.ipynb)

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
# # 23 · Reading attention
#
# An attention map says where a head *looks*. It is tempting to read it as what the model
# *used*. This notebook reads two small trained models in five ways and checks every
# reading against the model itself: replace a token and see whether the output moves.
#
# **In this notebook you will:**
# - compute entropy per head, attention rollout and attention flow (Abnar & Zuidema, 2020)
#   from scratch, check them on cases small enough to do by hand, and check the attention
#   layer against `nn.MultiheadAttention` and `F.scaled_dot_product_attention`;
# - find the induction head of a 2-layer model trained on repeated sequences, by its map
#   alone;
# - compare raw maps, rollout, flow, occlusion and gradient $\times$ input on a task with a
#   known answer, where rollout misleads, and on a model edited on purpose (a planted
#   attention sink) so that the raw map misleads.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Intuition: who did the looking?
#
# Three tokens, two layers, maps chosen by hand. In layer 1, token 2 copies token 1. In
# layer 2, token 0 copies token 2. The last layer's map says that token 0 reads token 2;
# but what token 2 holds by then came from token 1.

# %% slideshow={"slide_type": "-"}
import torch

from attnlib import attribution as at

A1 = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])  # layer 1: token 2 reads token 1
A2 = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # layer 2: token 0 reads token 2
toy = torch.stack([A1, A2])  # (L, N, N)
print("last layer, row of token 0:", A2[0].tolist())
print("both layers multiplied, A2 @ A1, row of token 0:", (A2 @ A1)[0].tolist())

# %% [markdown] slideshow={"slide_type": "-"}
# Multiplying the maps follows the mixing through both layers: token 0 ends up holding
# token 1. Real transformers also add each layer's input back (the residual), so a token
# never hands over all of itself. Rollout and flow are two ways of following the mixing
# with the residual included.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths
#
# Layer $l$, head $h$ has the map $A^{(l,h)} \in \mathbb{R}^{N \times N}$, rows summing to
# 1. **Entropy** of row $i$, $H_i = -\sum_j A_{ij} \ln A_{ij}$ (with $0 \ln 0 = 0$), is 0
# when the head looks at one token and $\ln N$ when it looks everywhere alike.
#
# **Rollout** averages the heads, mixes in the residual and renormalises the rows,
#
# $$\tilde A^{(l)} = \tfrac12 \bar A^{(l)} + \tfrac12 I, \qquad
#   \bar A^{(l)} = \tfrac1H \sum_h A^{(l,h)}, \qquad
#   R = \tilde A^{(L)} \tilde A^{(L-1)} \cdots \tilde A^{(1)},$$
#
# and reads $R_{ij}$ as the share of output $i$ that comes from input token $j$.
#
# **Flow** treats the same $\tilde A^{(l)}$ as a layered graph: node $(l, j)$ is token $j$
# before layer $l$, and the edge $(l{+}1, i) \to (l, j)$ has capacity $\tilde A^{(l+1)}_{ij}$.
# Flow$_{ij}$ is the maximum flow from output $(L, i)$ to input $(0, j)$: no longer a sum
# over paths of products, but what the narrowest cuts let through.
#
# Both read the maps only. Two methods ask the model instead. **Occlusion** replaces input
# token $j$ by another token and measures how far the output distribution at $i$ moves,
# $\mathrm{TV}(p, p') = \tfrac12 \sum_v |p_v - p'_v|$. **Gradient $\times$ input** is
# $\big|\tfrac{\partial z}{\partial x_j} \cdot x_j\big|$, the first-order share of the
# predicted logit $z$ carried by token $j$'s embedding $x_j$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build, step by step
#
# **1. Rollout by hand** on the toy maps. With $\tilde A = \tfrac12 A + \tfrac12 I$, row 0
# of $\tilde A^{(2)}$ is $(\tfrac12, 0, \tfrac12)$ and row 2 of $\tilde A^{(1)}$ is
# $(0, \tfrac12, \tfrac12)$, so row 0 of $R$ is $\tfrac12 (1, 0, 0) + \tfrac12 (0, \tfrac12,
# \tfrac12) = (\tfrac12, \tfrac14, \tfrac14)$.

# %% slideshow={"slide_type": "-"}
eye = torch.eye(3)
R_hand = (0.5 * A2 + 0.5 * eye) @ (0.5 * A1 + 0.5 * eye)  # (N, N): the rows already sum to 1
print("rollout, row 0:", R_hand[0].tolist())
print("== attnlib.attribution.rollout:", torch.equal(at.rollout(toy), R_hand))
assert torch.equal(R_hand[0], torch.tensor([0.5, 0.25, 0.25])) and torch.equal(at.rollout(toy), R_hand)

# %% [markdown] slideshow={"slide_type": "-"}
# The residual keeps half of token 0 in token 0: rollout gives the token the output is read
# at a share of its own, whatever the maps say. Without the residual, rollout is the plain
# product of the maps:

# %% slideshow={"slide_type": "-"}
print("rollout without the residual, row 0:", at.rollout(toy, residual=False)[0].tolist())
assert torch.equal(at.rollout(toy, residual=False), A2 @ A1)

# %% [markdown] slideshow={"slide_type": "-"}
# **2. Flow by hand.** From output token 0, two edges of capacity $\tfrac12$ leave: to
# token 0 and to token 2 after layer 1. Token 0 passes all it gets to input token 0; token
# 2 splits into input tokens 1 and 2 with capacity $\tfrac12$ each. So each input token can
# receive at most $\tfrac12$: the flows are $(\tfrac12, \tfrac12, \tfrac12)$. They are not
# shares (they sum to more than 1): each is computed on its own.

# %% slideshow={"slide_type": "-"}
graph = at.flow_graph(toy)
print("edges out of output token 0:", {str(v): c["capacity"] for v, c in graph[(2, 0)].items()})
toy_flow = at.flow(toy, 0)
print("flow from output token 0:", toy_flow.tolist())
assert toy_flow.tolist() == [0.5, 0.5, 0.5]

# %% [markdown] slideshow={"slide_type": "-"}
# **3. Closed forms.** Layers that only pass each token to itself ($A = I$) roll out to
# $I$, and flow from output $i$ reaches input $i$ only, with capacity 1. With one layer and
# no residual there is one edge per path and the flow is the map itself.

# %% slideshow={"slide_type": "-"}
identity = torch.eye(4).expand(3, 2, 4, 4)  # (L, H, N, N): 3 layers of 2 heads that keep each token
one_layer = torch.tensor([[[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.0, 0.5, 0.5]]])  # (1, N, N)
print("rollout of identity layers == I:", torch.equal(at.rollout(identity), torch.eye(4)))
print("flow of identity layers == I:", torch.equal(at.flow_matrix(identity), torch.eye(4, dtype=torch.float64)))
print("one layer, no residual: flow == the map:",
      torch.allclose(at.flow_matrix(one_layer, residual=False).float(), one_layer[0]))
assert torch.equal(at.rollout(identity), torch.eye(4))
assert torch.equal(at.flow_matrix(identity), torch.eye(4, dtype=torch.float64))
assert torch.allclose(at.flow_matrix(one_layer, residual=False).float(), one_layer[0])

# %% [markdown] slideshow={"slide_type": "-"}
# **4. Entropy per head** comes from `attnlib.analysis.entropy` (notebook 02): 0 for a row
# on one token, $\ln N$ for a uniform row. `entropy_per_head` averages it over rows (and
# examples) for every layer and head.

# %% slideshow={"slide_type": "-"}
import math

from attnlib.analysis import entropy

two_heads = torch.stack([torch.eye(4), torch.full((4, 4), 0.25)])[None, None]  # (B=1, L=1, H=2, N, N)
print("entropy per head (one-hot rows, uniform rows):", at.entropy_per_head(two_heads).tolist())
print("ln 4 =", round(math.log(4), 6))
assert torch.equal(at.entropy_per_head(two_heads), entropy(two_heads).mean(dim=(0, -1)))
assert torch.allclose(at.entropy_per_head(two_heads), torch.tensor([[0.0, math.log(4)]]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check: the attention layer == attnlib == PyTorch
#
# The models below are `at.Reader`s: token and position embeddings, two pre-LayerNorm
# attention layers with residuals, a read-out. Each layer runs `at.attend`, attention written
# out from the weights of an `attnlib.MultiHeadAttention`. On random inputs (a fresh
# causal model), it equals that module, `nn.MultiheadAttention` with the copied weights, and
# `F.scaled_dot_product_attention` with `is_causal=True`.

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

torch.manual_seed(0)
fresh = at.Reader(24, 16, dim=32, heads=2, causal=True).eval()
attn = fresh.attns[0]
x = torch.randn(3, 16, 32)  # (B, N, E): random inputs
causal = torch.ones(16, 16, dtype=torch.bool).tril()  # True = may attend
with torch.no_grad():
    out, w = at.attend(attn, x, causal)  # (B, N, E), (B, H, N, N)
    lib_out, lib_w = attn(x, mask=causal)
    ref_out, ref_w = attn.to_torch()(x, x, x, attn_mask=~causal, average_attn_weights=False)
    q, k, v = (attn.split_heads(p(x)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))  # (B, H, N, D)
    sdpa = attn.out_proj(attn.merge_heads(F.scaled_dot_product_attention(q, k, v, is_causal=True)))
checks = {"== attnlib MultiHeadAttention": torch.allclose(out, lib_out, atol=1e-6) and torch.allclose(w, lib_w, atol=1e-6),
          "== nn.MultiheadAttention": torch.allclose(out, ref_out, atol=1e-5) and torch.allclose(w, ref_w, atol=1e-6),
          "== F.scaled_dot_product_attention": torch.allclose(out, sdpa, atol=1e-5),
          "no weight above the diagonal": bool((w.triu(1) == 0).all())}
for name, ok in checks.items():
    print(f"{name}: {ok}")
assert all(checks.values())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Induction heads on repeated sequences
#
# `at.induction_task` writes a random sequence of distinct tokens, repeats a segment of
# 3 to 6 of them at a random offset, and asks for the next token at every position of the
# repeat. Position alone cannot solve it: the segment moves and changes length. The
# **copy source** is the position after the token's previous occurrence; it holds the
# answer.

# %% slideshow={"slide_type": "-"}
ids, targets, source = at.induction_task(2, torch.Generator().manual_seed(5))
for row in range(2):
    print("ids   ", ids[row].tolist())
    print("source", source[row].tolist())
b, q = (source >= 0).nonzero(as_tuple=True)
print("the copy source holds the next token:", torch.equal(ids[b, source[b, q]], ids[b, q + 1]))

# %% [markdown] slideshow={"slide_type": "-"}
# A causal Reader with one head per layer learns it in a few seconds (`at.train_induction`,
# seed 0). One layer could not do it: in layer 0 a key holds only its own token and
# position, but the copy source is defined by the token *before* it. A first layer must
# move information between positions; a second can then find the token whose predecessor
# matches the current one.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
induction, _ = at.train_induction(seed=0)
found = at.induction_scores(induction)
print(f"held-out accuracy on the repeat: {found['accuracy']:.3f}")
print("mean weight on the copy source, per layer and head:",
      [[round(v, 3) for v in row] for row in found["copy weight"].tolist()])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Proof: one head finds the copy source
#
# On held-out sequences, the best head puts more than 0.9 of its weight on the copy source,
# averaged over the positions of the repeat, and the model predicts more than 95% of those
# tokens (bounds that hold on seeds 0-4: `tests/test_learned_claims_23.py`).

# %% slideshow={"slide_type": "-"}
copy = found["copy weight"]  # (L, H)
best = divmod(copy.argmax().item(), copy.shape[1])
print("the best head is in layer", best[0])
print("best head's weight on the copy source > 0.9:", copy.max().item() > 0.9)
print("accuracy on the repeat > 0.95:", found["accuracy"] > 0.95)
assert copy.max().item() > 0.9 and found["accuracy"] > 0.95 and best[0] == 1

# %% [markdown] slideshow={"slide_type": "-"}
# The induction head is also the sharpest: on the queries of the repeat its rows have low
# entropy, far below $\ln N$ of a uniform row.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
held_ids, _, held_source = at.induction_task(200, torch.Generator().manual_seed(1))
with torch.no_grad():
    held_maps = induction(held_ids)[1]  # (B, L, H, N, N)
repeat = held_source >= 0  # (B, N)
head_entropy = entropy(held_maps).permute(0, 3, 1, 2)[repeat].mean(0)  # (L, H): over repeat queries
print("entropy per head on the repeat (nats):", [[round(v, 3) for v in row] for row in head_entropy.tolist()])
print(f"ln N for N = 16: {math.log(16):.3f}")

# %% slideshow={"slide_type": "-"}
print("the induction head's entropy on the repeat < 0.5 nats:", head_entropy[best].item() < 0.5)
assert head_entropy[best].item() < 0.5

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The answer after a marker: raw map against rollout
#
# `at.marker_task`: `[CLS]`, then 11 random tokens, one of them the marker `M`; the label
# is the token after the marker, read from the output at `[CLS]`. A bidirectional Reader
# (two layers of two heads) learns it (`at.train_marker`, seed 0).

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
marker_model, _ = at.train_marker(seed=0)
m_ids, m_answer, m_pos = at.marker_task(200, torch.Generator().manual_seed(1))
with torch.no_grad():
    m_accuracy = (marker_model(m_ids)[0][:, 0].argmax(-1) == m_answer).float().mean().item()
occluded = at.occlusion(marker_model, m_ids)[:, 0]  # (B, N): [CLS]'s row
reading = at.marker_reading(marker_model, m_ids, m_pos, occluded=occluded)
print(f"held-out accuracy: {m_accuracy:.3f}")
for name, share in reading.items():
    print(f"{name:>13}: mean share of the answer token {share.mean():.3f} "
          f"(min {share.min():.3f}, over {len(share)} sequences)")

# %% [markdown] slideshow={"slide_type": "-"}
# Here the raw last-layer map of `[CLS]` is right: it puts more than 0.9 of its weight
# on the answer. Occlusion agrees: replacing the answer moves the output almost entirely
# (so does replacing the marker: without it there is no answer). Rollout gives the
# answer less than 0.35: its identity term keeps a large share on `[CLS]` itself, whose
# input is the same in every sequence and cannot tell the answer. That share is at least
# $(\tfrac12)^L = \tfrac14$ whatever the maps: each layer's diagonal is at least
# $\tfrac12$. Here rollout is the reading that misleads.

# %% slideshow={"slide_type": "-"}
rows = torch.arange(len(m_ids))
rolled = torch.stack([at.rollout(m)[0] for m in marker_model(m_ids)[1].detach()])  # (B, N): [CLS]'s row
claims = {"accuracy > 0.98": m_accuracy > 0.98,
          "raw share of the answer > 0.9": reading["raw"].mean().item() > 0.9,
          "rollout share of the answer < 0.35": reading["rollout"].mean().item() < 0.35,
          "rollout keeps at least (1/2)^L = 0.25 on [CLS]": bool((rolled[:, 0] >= 0.25 - 1e-6).all()),
          "occluding the answer: mean TV > 0.9": occluded[rows, m_pos].mean().item() > 0.9,
          "occlusion's top token is the answer or the marker": bool(
              ((occluded.argmax(-1) == m_pos) | (occluded.argmax(-1) == m_pos - 1)).float().mean() > 0.9)}
for claim, ok in claims.items():
    print(f"{claim}: {ok}")
assert all(claims.values())

# %% [markdown] slideshow={"slide_type": "-"}
# One held-out sequence, `[CLS]`'s row read five ways (each row scaled to sum to 1; raw is
# the last layer, heads averaged). Raw and occlusion light up the answer (occlusion the
# marker too); rollout and flow spread the row, and rollout keeps at least a quarter of it
# on `[CLS]`.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import viz


def token_labels(seq):
    return ["CLS" if t == at.CLS else "M" if t == at.MARKER else str(t) for t in seq.tolist()]


marker_readings = [at.reading_maps(marker_model, m_ids[k]) for k in range(2)]
first = marker_readings[0]
rows_five = torch.stack([first["raw"][-1, :, 0].mean(0),
                         *(at.shares(first[name][0]) for name in at.METHODS[1:])])  # (5, N)
viz.heatmap(rows_five, token_labels(m_ids[0]), list(at.METHODS), annotate=False, size=(7.0, 3.2),
            title=f"[CLS]'s row, five readings (answer at position {m_pos[0].item()})",
            xlabel="input token", ylabel="method", colorbar_label="share")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A raw map that misleads, on purpose
#
# Now we edit the trained marker model and plant an **attention sink**: in layer 0,
# `[CLS]`'s query gets $+20$ on its score for one filler token (a token that is neither
# the marker nor the answer), and that token's value is set to zero. Read alone, the layer-0
# map of `[CLS]` now says that `[CLS]` takes nearly all of its input from that token.

# %% slideshow={"slide_type": "-"}
sink = at.filler_position(m_pos)  # (B,)
with torch.no_grad():
    s_logits, s_maps = marker_model(m_ids, sink=sink)
sink_weight = s_maps[:, 0, :, 0][rows, :, sink]  # (B, H): layer 0, [CLS]'s row, at the sink
print("layer 0, [CLS]'s row: weight on the sink above 0.99 in every head and sequence:",
      bool((sink_weight > 0.99).all()))
assert (sink_weight > 0.99).all()

# %% [markdown] slideshow={"slide_type": "-"}
# Occlusion asks the edited model: replacing the sink token barely moves the output,
# while replacing the answer still moves it almost entirely. The edited model is still
# right: what `[CLS]` took in layer 0 was not needed.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
s_occluded = at.occlusion(marker_model, m_ids, sink=sink)[:, 0]  # (B, N)
s_accuracy = (s_logits[:, 0].argmax(-1) == m_answer).float().mean().item()
print(f"edited model: accuracy {s_accuracy:.3f}, mean weight on the sink {sink_weight.mean():.4f}")
print(f"occluding the sink moves the output by TV {s_occluded[rows, sink].mean():.4f} "
      f"(max {s_occluded[rows, sink].max():.4f}); occluding the answer by "
      f"{s_occluded[rows, m_pos].mean():.3f}")

# %% slideshow={"slide_type": "-"}
misled = {"edited model accuracy > 0.98": s_accuracy > 0.98,
          "occluding the sink: mean TV < 0.01": s_occluded[rows, sink].mean().item() < 0.01,
          "and below 0.1 in every sequence": s_occluded[rows, sink].max().item() < 0.1,
          "occluding the answer: mean TV > 0.9": s_occluded[rows, m_pos].mean().item() > 0.9}
for claim, ok in misled.items():
    print(f"{claim}: {ok}")
assert all(misled.values())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: read the maps
#
# Two held-out sequences of each task, read five ways; rows are output positions, columns
# input tokens. `raw` shows one layer and head; `rollout` and `flow` follow both layers;
# `occlusion` and `grad x input` ask the model (the marker model is trained only at `[CLS]`,
# row 0; the induction model at every position of the repeat). Flow is computed in advance:
# it is the slow one.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
cases = {}
for k in range(2):
    labels = [str(t) for t in held_ids[k].tolist()]
    cases[f"induction {k}"] = (labels, at.reading_maps(induction, held_ids[k]), "induction model, causal")
    cases[f"marker {k}"] = (token_labels(m_ids[k]), marker_readings[k], "marker model, read at [CLS]")
at.reading_explorer(cases)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# For one marker sequence ($N = 12$, $L = 2$), on one CPU thread: the raw maps come with
# the forward pass; rollout adds $L$ small matrix products; flow solves $N$ maximum-flow
# problems per output row; occlusion runs one forward per token and replacement; gradient
# $\times$ input one backward per output row.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "-"}
from attnlib import timing
from attnlib.train import one_thread_deterministic

one = m_ids[:1]  # (1, N)
with torch.no_grad():
    one_maps = marker_model(one)[1][0]  # (L, H, N, N)
costs = {"raw (a forward)": lambda: marker_model(one),
         "rollout": lambda: at.rollout(one_maps),
         "flow, row of [CLS]": lambda: at.flow(one_maps, 0),
         "occlusion, all rows": lambda: at.occlusion(marker_model, one),
         "grad x input, row of [CLS]": lambda: at.grad_x_input(marker_model, one, 0)}
with one_thread_deterministic():  # tensors this small run fastest on one thread
    for name, fn in costs.items():
        print(f"{name:<28} {timing.time_fn(fn, device='cpu', min_run_time=0.05)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Entropy per head, rollout and flow read the maps only; occlusion and gradient
#   $\times$ input ask the model. Rollout and flow match hand computations; the attention
#   layer equals `nn.MultiheadAttention` and `F.scaled_dot_product_attention`.
# - On repeated sequences one head, in the second layer, puts more than 0.9 of its weight
#   on the copy source: an induction head, found from its map, and the sharpest head.
# - When the answer is the token after a marker, the raw last-layer map puts more than 0.9
#   on the answer and occlusion agrees; rollout puts less than 0.35 there, because its
#   residual term keeps mass on `[CLS]`.
# - A map shows weights, not what the values carry: with a planted sink, `[CLS]` puts more
#   than 0.99 of its layer-0 weight on a token whose value is zero, and replacing that
#   token moves the output by a total variation below 0.01 on average (below 0.1 in every
#   sequence).
#
# ## Exercises
#
# Worked solutions are in `solutions/23_reading_attention.py`: try first.
#
# **Exercise 1.** Write `rollout_with_residual(maps)`: maps $(L, H, N, N)$ -> $(N, N)$.
# Average the heads, mix in the identity ($\tfrac12 A + \tfrac12 I$), renormalise the rows
# and multiply the layers, the last on the left.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb23


def rollout_with_residual(maps):
    raise NotImplementedError


ok = nb23.check_rollout_with_residual(rollout_with_residual)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Write `head_entropy(maps)`: maps $(B, L, H, N, N)$ -> $(L, H)$, the mean
# row entropy of each head in nats. Causal maps have weights of exactly 0: count
# $0 \ln 0$ as 0.

# %% slideshow={"slide_type": "-"}
def head_entropy(maps):
    raise NotImplementedError


ok = nb23.check_head_entropy(head_entropy)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write `occlusion_tv(base, occluded)`: the output distributions base
# $(B, V)$ and occluded $(N, B, V)$ (row $j$: token $j$ replaced) -> the occlusion scores
# $(B, N)$, the total variation $\tfrac12 \sum_v |p_v - p'_v|$.

# %% slideshow={"slide_type": "-"}
def occlusion_tv(base, occluded):
    raise NotImplementedError


ok = nb23.check_occlusion_tv(occlusion_tv)
