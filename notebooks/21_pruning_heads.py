# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Switch heads off one at a time to rank them, remove them in three orders,
#       compare magnitude pruning, then cut the heads out of the projections for real.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/21_pruning_heads.ipynb)

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
# # 21 · Pruning heads
#
# A trained multi-head model often does not need all its heads: some can be switched off
# at almost no cost, while others carry the task. Finding which is which, and then
# removing the spare ones so that the model really gets smaller, is **head pruning**.
#
# **In this notebook you will:**
# - gate each head of a trained 2-layer, 4-head sorter, rank the heads by what switching
#   one off costs (ablation), and see why the gradient proxy of Michel et al. (2019) is
#   close to zero on a model trained to near-zero loss;
# - remove heads one by one, least important first, most important first and at random,
#   and compare with magnitude pruning of the same number of weights;
# - cut the chosen heads out of the q/k/v and output projections, and prove that the
#   smaller model computes exactly what the masked one did.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A head is one term of a sum
#
# A multi-head layer computes each head's output $o_h \in \mathbb{R}^{N \times D}$,
# places the $H$ outputs side by side and projects them with $W_o \in \mathbb{R}^{E \times HD}$.
# Split $W_o$ into the $D$ columns each head owns, $W_o = [W_o^{(1)} \cdots W_o^{(H)}]$: the
# projection is a sum with one term per head,
#
# $$\operatorname{MHA}(x) = \sum_{h=1}^{H} o_h\, W_o^{(h)\top} + b_o, \qquad
#   o_h = \operatorname{softmax}\!\Big(\frac{x W_q^{(h)\top} (x W_k^{(h)\top})^\top}{\sqrt D}\Big)\, x W_v^{(h)\top}.$$
#
# Give each head a **gate** $g_h$ and multiply its term by it:
# $\sum_h g_h\, o_h W_o^{(h)\top} + b_o$. With every $g_h = 1$ nothing changes; $g_h = 0$
# switches head $h$ off. A head that is off needs neither its rows of $W_q, W_k, W_v$
# (the $D$ rows that make $o_h$) nor its columns of $W_o$, so it can be cut out of all four
# matrices.
#
# **Importance by ablation** is the loss (or accuracy) lost when one head alone is off,
#
# $$I_h^{\text{abl}} = \mathcal{L}(g = \mathbf{1} - e_h) - \mathcal{L}(g = \mathbf{1}),$$
#
# which costs one evaluation per head. Michel et al. (2019) proposed a cheaper proxy, one
# backward pass for all heads: the mean over examples $x$ of the gradient's size,
#
# $$I_h^{\text{grad}} = \mathbb{E}_x \left| \frac{\partial \mathcal{L}(x)}{\partial g_h} \right|_{g = \mathbf{1}}.$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The model: a 2-layer, 4-head sorter
#
# `attnlib.pruning.train_sorter` trains an `attnlib.models.TinyEncoder` (token embeddings,
# learned positions, two post-norm `EncoderBlock`s of $H = 4$ heads, $E = 64$, $D = 16$, a
# linear read-out) with `attnlib.train.fit` to sort 8 digits from 0-3
# (`attnlib.data.sort_task`): 400 seeded steps of Adam. It is scored on 500 held-out
# sequences.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import torch

from attnlib import pruning as pr

model, losses = pr.train_sorter(seed=0)
x, target = pr.held_out()  # (B, N) = (500, 8) digits and their sorted order
full_loss, full_acc = pr.scores(model, x, target)
print(f"training loss {losses[0]:.2f} -> {losses[-1]:.4f}")
print(f"held-out: loss {full_loss:.4f}, accuracy {full_acc:.4f} of the digits")

# %% [markdown] slideshow={"slide_type": "-"}
# On every seed we tried (`tests/test_learned_claims_21.py` retrains seeds 0-4), more than
# 99% of the held-out digits are right.

# %% slideshow={"slide_type": "-"}
print(f"held-out accuracy above 0.99: {full_acc > 0.99}")
assert full_acc > 0.99
E, H, D = model.blocks[0].embed_dim, model.blocks[0].num_heads, model.blocks[0].self_attn.head_dim
L = len(model.blocks)
print(f"L = {L} layers, H = {H} heads, E = {E}, D = {D}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build: gating one head, step by step
#
# We take the first layer's attention on the embedded held-out sequences.
#
# **1. The heads' outputs.** Project, split into $H$ heads of width $D$, attend.

# %% slideshow={"slide_type": "-"}
attn = model.blocks[0].self_attn
with torch.no_grad():
    h0 = model.pos(model.tok(x[:50]))  # (B, N, E): the layer's input, 50 held-out sequences
    q, k, v = (attn.split_heads(p(h0)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))  # (B, H, N, D)
    weights = torch.softmax(q @ k.transpose(-2, -1) / D**0.5, dim=-1)  # (B, H, N, N)
    o = weights @ v  # (B, H, N, D): one output per head
print("q, k, v", tuple(q.shape), "| head outputs o", tuple(o.shape))

# %% [markdown] slideshow={"slide_type": "-"}
# **2. The projection is a sum over heads.** Head $h$ owns columns $hD, \dots, (h+1)D - 1$
# of $W_o$. The sum of the four terms plus the bias equals the layer's output.

# %% slideshow={"slide_type": "-"}
W_o, b_o = attn.out_proj.weight.detach(), attn.out_proj.bias.detach()  # (E, H*D), (E,)
terms = [o[:, h] @ W_o[:, h * D:(h + 1) * D].T for h in range(H)]  # H terms of (B, N, E)
with torch.no_grad():
    layer_out = attn(h0)[0]  # (B, N, E)
print("sum of the head terms + b_o == the layer's output:",
      torch.allclose(sum(terms) + b_o, layer_out, atol=1e-5))
assert torch.allclose(sum(terms) + b_o, layer_out, atol=1e-5)

# %% [markdown] slideshow={"slide_type": "-"}
# **3. A gate per head.** Multiplying head $h$'s $D$ columns of the merged outputs by
# $g_h$ before $W_o$ multiplies its term by $g_h$. With $g = (1, 0, 1, 1)$ the output is
# the sum without head 1's term.

# %% slideshow={"slide_type": "-"}
gates = torch.tensor([1.0, 0.0, 1.0, 1.0])  # (H,): head 1 off
merged = attn.merge_heads(o * gates[None, :, None, None])  # (B, N, H*D)
gated_out = attn.out_proj(merged).detach()  # (B, N, E)
without_1 = terms[0] + terms[2] + terms[3] + b_o
print("head 1 gated off == the sum without its term:", torch.allclose(gated_out, without_1, atol=1e-5))
assert torch.allclose(gated_out, without_1, atol=1e-5)

# %% [markdown] slideshow={"slide_type": "-"}
# **4. Gates on a whole model.** `pruning.head_gates(model, gates)` applies gates of
# shape $(L, H)$ to every layer, without touching the model's code: a hook multiplies the
# input of each `out_proj`, exactly as in step 3. Inside it, the first layer gives the
# output we just computed.

# %% slideshow={"slide_type": "-"}
model_gates = torch.ones(L, H)
model_gates[0] = gates  # layer 0: head 1 off; layer 1: all on
with pr.head_gates(model, model_gates), torch.no_grad():
    hooked = attn(h0)[0]
print("head_gates == step 3:", torch.allclose(hooked, gated_out, atol=1e-5))
assert torch.allclose(hooked, gated_out, atol=1e-5)
with torch.no_grad():
    print("after the block the hook is gone:", torch.allclose(attn(h0)[0], layer_out))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checked against PyTorch
#
# The model's attention is attnlib's `MultiHeadAttention`; `to_torch()` copies its
# weights into an `nn.MultiheadAttention`. On the same hidden states, in float64, the two
# agree, and so do all gates at 1 and the ungated layer.

# %% slideshow={"slide_type": "-"}
import copy

attn64 = copy.deepcopy(attn).double()
torch_attn = attn64.to_torch().eval()
h64 = h0.double()
with torch.no_grad():
    ours = attn64(h64)[0]
    theirs = torch_attn(h64, h64, h64, need_weights=False)[0]
    with pr.head_gates(model, torch.ones(L, H)):
        ones = attn(h0)[0]
diff = (ours - theirs).abs().max().item()
print(f"max |ours - nn.MultiheadAttention| < 1e-12: {diff < 1e-12}")
print("all gates 1 == no gates:", torch.equal(ones, layer_out))
assert diff < 1e-12 and torch.equal(ones, layer_out)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Importance by ablation
#
# Switch each of the 8 heads off alone and measure, on the held-out sequences, how much
# the loss rises and the accuracy falls (`pruning.ablation_importance`).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import viz

loss_up, acc_drop = pr.ablation_importance(model, x, target)  # (L, H) each
for layer in range(L):
    print(f"layer {layer}: loss +", loss_up[layer].numpy().round(3),
          "| accuracy -", acc_drop[layer].numpy().round(3))
viz.heatmap(loss_up, [f"head {h}" for h in range(H)], [f"layer {i}" for i in range(L)],
            title="Loss increase with one head off (seed 0)", xlabel="head", ylabel="layer",
            vmax=None, colorbar_label="loss increase")

# %% [markdown] slideshow={"slide_type": "-"}
# The heads are far from equal. On every seed, the most important head alone raises the
# loss by more than 0.2 and costs more than 5 points of accuracy, while others cost
# almost nothing.

# %% slideshow={"slide_type": "-"}
print(f"largest loss increase above 0.2: {loss_up.max().item() > 0.2}")
print(f"the most important head alone costs more than 5 points: {acc_drop.max().item() > 0.05}")
assert loss_up.max() > 0.2 and acc_drop.max() > 0.05

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The gradient proxy, and why it fails here
#
# The proxy needs $\partial \mathcal{L}/\partial g_h$ at $g = \mathbf{1}$. Write $m$ for
# the merged head outputs and $y = W_o (g \odot m) + b_o$. Then
#
# $$\frac{\partial \mathcal{L}}{\partial g_h} = \sum_{\text{positions}} \sum_{d \in h} m_d
#   \big(W_o^\top \tfrac{\partial \mathcal{L}}{\partial y}\big)_d
#   = \big\langle W_o^{(h)},\ \tfrac{\partial \mathcal{L}}{\partial W_o^{(h)}} \big\rangle_F ,$$
#
# the inner product of head $h$'s columns of $W_o$ with the gradient of the loss on those
# same columns. Training drives that gradient towards zero, so on a trained model the
# gate gradient is close to zero *whatever the head is worth*. First the identity, on the
# held-out loss:

# %% slideshow={"slide_type": "-"}
import torch.nn.functional as F

g = torch.ones(L, H, requires_grad=True)
with torch.enable_grad():
    model.zero_grad()
    logits = pr.gated_logits(model, x, g)  # (B, N, V)
    loss = F.cross_entropy(logits.flatten(0, 1), target.flatten())
    loss.backward()
identity = torch.stack([
    torch.stack([(b.self_attn.out_proj.weight * b.self_attn.out_proj.weight.grad)[:, h * D:(h + 1) * D].sum()
                 for h in range(H)]) for b in model.blocks])  # (L, H)
print("dL/dg_h == <W_o^(h), dL/dW_o^(h)> for all 8 heads:", torch.allclose(g.grad, identity, atol=1e-6))
assert torch.allclose(g.grad, identity, atol=1e-6)
model.zero_grad()

# %% [markdown] slideshow={"slide_type": "-"}
# To first order, switching head $h$ off ($\Delta g_h = -1$) changes the loss by
# $-\partial \mathcal{L}/\partial g_h$. On the trained model that predicts almost nothing:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
print("dL/dg per head:\n", g.grad.numpy().round(5))
print(f"largest |dL/dg|: {g.grad.abs().max().item():.5f}; "
      f"largest real loss increase: {loss_up.max().item():.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# On every seed, every $|\partial \mathcal{L}/\partial g_h|$ is below 0.01 while the most
# important head's real loss increase is above 0.2: the first-order estimate misses by a
# factor of more than 20.

# %% slideshow={"slide_type": "-"}
print(f"every |dL/dg| below 0.01: {g.grad.abs().max().item() < 0.01}")
assert g.grad.abs().max() < 0.01 and loss_up.max() > 0.2

# %% [markdown] slideshow={"slide_type": "-"}
# Michel et al.'s proxy takes the absolute value per example before averaging, so it is
# not zero: it measures how much single examples' gradients scatter around that near-zero
# mean. `pruning.gate_gradients` gets all per-example gradients from one backward pass,
# with a separate gate per example $(B, L, H)$. Its values and its ranking against
# ablation, by Spearman rank correlation:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from scipy.stats import spearmanr

proxy = pr.gate_gradients(model, x, target)  # (L, H)
print("proxy E|dL_x/dg| per head:\n", proxy.numpy().round(4))
rho = spearmanr(proxy.flatten(), loss_up.flatten())[0]
print(f"Spearman rank correlation with the ablation ranking (seed 0): {rho:.2f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Its values are no estimate of what removing a head costs: on every seed the largest is
# below 0.01, while the real loss increases reach above 0.2. Its *ranking* can still
# agree with ablation, and how well depends on the model and the seed
# (`tests/test_learned_claims_21.py` prints the correlation for seeds 0-4; it is not a
# claim this notebook makes). Only ablation measures the cost itself, so the rest of the
# notebook ranks heads by ablation.

# %% slideshow={"slide_type": "-"}
print(f"largest proxy value below 0.01: {proxy.max().item() < 0.01}")
assert proxy.max() < 0.01 and loss_up.max() > 0.2

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Removing heads in three orders
#
# Remove heads one at a time, keeping the ones already removed off, in three orders: least
# important first (by the ablation loss increase), most important first, and a seeded
# random order. `pruning.removal_curve` gives the held-out accuracy after each removal.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
orders = {how: pr.order(loss_up, how, seed=0) for how in ("least", "most", "random")}
curves = {f"{how} important first" if how != "random" else "random order":
          pr.removal_curve(model, x, target, pairs) for how, pairs in orders.items()}
print("least important first:", [f"L{layer}H{head}" for layer, head in orders["least"]])
for name, curve in curves.items():
    print(f"{name:24}", [round(a, 3) for a in curve])
print("mean gap least-first - most-first:",
      round(sum(a - b for a, b in zip(*list(curves.values())[:2])) / (L * H + 1), 3))
viz.line_plot(range(L * H + 1), curves, title="Held-out accuracy as heads are removed (seed 0)",
              xlabel="heads removed", ylabel="accuracy (digits)")

# %% [markdown] slideshow={"slide_type": "-"}
# The order matters. On every seed: at least 2 heads come off least-first before the
# accuracy falls by one point, while most-first the first head already costs more than 5
# points; averaged over the curve, least-first stays above most-first (by more than 0.03
# on every seed; the cell above prints seed 0's gap). Single-head ablation ranks each head
# with all the others on, so it cannot see heads that stand in for each other: the
# curves' middle parts show it.

# %% slideshow={"slide_type": "-"}
least, most = curves["least important first"], curves["most important first"]
gap = sum(a - b for a, b in zip(least, most)) / len(least)
removable = pr.heads_removable(least)  # heads off before a 1-point loss
print(f"at least 2 heads removable at < 1 point (least first): {removable >= 2}")
print(f"most first: the first head costs more than 5 points: {most[0] - most[1] > 0.05}")
print(f"mean gap least-first - most-first above 0.03: {gap > 0.03}")
assert removable >= 2 and most[0] - most[1] > 0.05 and gap > 0.03

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Magnitude pruning at the same budget
#
# Magnitude pruning ignores heads: it sets the smallest weights to zero, wherever they
# are. One head holds $4DE$ weights (its rows of $W_q, W_k, W_v$ and its columns of
# $W_o$). For $k = 0, \dots, 8$ we zero the $4DEk$ smallest-magnitude weights of the
# attention projections of both layers together (`pruning.magnitude_prune`) and measure.

# %% slideshow={"slide_type": "-"}
per_head = 4 * D * E
print(f"weights per head: 4 D E = {per_head}; all attention weights: "
      f"{sum(w.numel() for w in pr.attention_weights(model))} = {L * H} x {per_head}")
assert sum(w.numel() for w in pr.attention_weights(model)) == L * H * per_head
pruned_2 = pr.magnitude_prune(model, 2 * per_head)
zeros = sum((w == 0).sum().item() for w in pr.attention_weights(pruned_2))
print(f"budget of 2 heads: {zeros} weights are zero, matrices keep their shapes:",
      [tuple(w.shape) for w in pr.attention_weights(pruned_2)[:4]])

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
magnitude = [pr.scores(pr.magnitude_prune(model, k * per_head), x, target)[1] for k in range(L * H + 1)]
print("magnitude pruning:", [round(a, 3) for a in magnitude])
viz.line_plot(range(L * H + 1), {"heads, least important first": least, "magnitude, same budget": magnitude},
              title="Heads or single weights, same number removed (seed 0)",
              xlabel="weights removed (in heads' worth: 4DE each)", ylabel="accuracy (digits)")

# %% [markdown] slideshow={"slide_type": "-"}
# At the budget of 2 heads, magnitude pruning also costs less than one point on every seed.
# But its zeros are scattered over full-size matrices: without sparse kernels the model
# is exactly as large and as slow as before. Removing whole heads shrinks the matrices.

# %% slideshow={"slide_type": "-"}
print(f"magnitude pruning, 2 heads' worth of weights, loses < 1 point: {full_acc - magnitude[2] < 0.01}")
assert full_acc - magnitude[2] < 0.01

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Heads removed for real
#
# `pruning.prune_heads(attn, keep)` builds a `PrunedAttention` holding only the heads
# `keep`: their $D$ rows of each of $W_q, W_k, W_v$ (and biases) and their $D$ columns of
# $W_o$, copied. Its projections map $E \to H'D$ and back. `prune_model_heads` does it in
# every layer of a copy of the model. We remove the 2 least important heads.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
off = orders["least"][:2]
gates_2 = torch.ones(L, H)
for pair in off:
    gates_2[pair] = 0.0
keep = pr.keep_from_gates(gates_2)
small = pr.prune_model_heads(model, keep)
print("removed:", [f"layer {layer}, head {head}" for layer, head in off], "| kept:", keep)
for i, block in enumerate(small.blocks):
    print(f"layer {i}: q_proj {tuple(block.self_attn.q_proj.weight.shape)}, "
          f"out_proj {tuple(block.self_attn.out_proj.weight.shape)}")

# %% [markdown] slideshow={"slide_type": "-"}
# Each removed head takes $4DE + 3D$ parameters with it (weights and the three biases).
# The smaller model computes exactly what the masked model computes, on every held-out
# sequence; so its accuracy is the least-first curve's at 2 heads, less than a point
# below the full model's.

# %% slideshow={"slide_type": "-"}
full_params, small_params = pr.count_parameters(model), pr.count_parameters(small)
print(f"parameters: {full_params} -> {small_params}, "
      f"removed {full_params - small_params} = 2 x (4DE + 3D) = {2 * (4 * D * E + 3 * D)}")
assert full_params - small_params == 2 * pr.head_parameters(attn)
with torch.no_grad():
    masked_logits = pr.gated_logits(model, x, gates_2)
    small_logits = small(x)[0]
print("pruned model == masked model:", torch.allclose(small_logits, masked_logits, atol=1e-5))
assert torch.allclose(small_logits, masked_logits, atol=1e-5)
small_acc = pr.scores(small, x, target)[1]
print(f"accuracy lost: less than 1 point: {full_acc - small_acc < 0.01}")
assert full_acc - small_acc < 0.01

# %% [markdown] slideshow={"slide_type": "-"}
# A `PrunedAttention` that keeps every head is the original layer, and so equals
# `nn.MultiheadAttention` with the original weights (checked in float64):

# %% slideshow={"slide_type": "-"}
all_kept = pr.prune_heads(attn64, range(H))
with torch.no_grad():
    diff = (all_kept(h64)[0] - theirs).abs().max().item()
print(f"all heads kept: max |PrunedAttention - nn.MultiheadAttention| < 1e-12: {diff < 1e-12}")
assert diff < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore: switch heads off
#
# Untick heads to switch them off. The readout gives the accuracy on 100 held-out
# sequences and the model's output on one sequence; the panels show every head's
# attention on that sequence (rows: output positions, labelled with the right answer).
# A head that is off is drawn blank; switching off a first-layer head changes the second
# layer's maps too.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
explorer = pr.gates_explorer(model, x[:100], target[:100], example=[3, 1, 2, 1, 0, 2, 2, 3])
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# The full model against the one with 2 heads cut out, and against one with the 4 least
# important heads cut out, on 128 random sequences of digits (random inputs, for timing
# only). The feed-forward layers and the read-out do not shrink, so expect the time to
# fall by less than the share of heads removed, if it falls visibly at all at this size.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing
from attnlib.train import one_thread_deterministic

gates_4 = torch.ones(L, H)
for pair in orders["least"][:4]:
    gates_4[pair] = 0.0
variants = {"all 8 heads": model, "6 heads": small,
            "4 heads": pr.prune_model_heads(model, pr.keep_from_gates(gates_4))}
device = timing.default_device()
x_time = torch.randint(0, pr.VOCAB, (128, pr.N), generator=torch.Generator().manual_seed(0))
with one_thread_deterministic():  # for tensors this small, one CPU thread is the fastest
    for name, m in variants.items():
        m = copy.deepcopy(m).to(device)
        print(f"{name:12} {pr.count_parameters(m):6d} parameters  "
              f"{timing.time_fn(m, x_time.to(device), min_run_time=0.1)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A head is one term of the output projection's sum, so a gate $g_h$ on its output
#   switches it off exactly, and an off head's rows of $W_q, W_k, W_v$ and columns of
#   $W_o$ can be cut out: the smaller layer computes what the masked one did.
# - Ablation ranks heads by their real cost. The gradient of the loss with respect to a
#   gate is the inner product of that head's $W_o$ columns with their gradient, which
#   training drives towards zero: on this trained model it predicts almost none of the
#   real loss increase.
# - Removing the least important heads first, at least 2 of the 8 heads come off for less
#   than one point of accuracy; removing the most important first, the first one costs
#   more than 5 points.
# - Magnitude pruning of the same number of weights also keeps the accuracy at small
#   budgets, but leaves the matrices their full size.
#
# ## Exercises
#
# Worked solutions are in `solutions/21_pruning_heads.py`: try first.
#
# **Exercise 1.** Write the gate: `gate_heads(merged, gates, num_heads)` takes the merged
# head outputs $(B, N, HD)$ and gates $(H,)$ and returns $(B, N, HD)$ with head $h$'s $D$
# columns multiplied by `gates[h]`.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb21


def gate_heads(merged, gates, num_heads):
    raise NotImplementedError


ok = nb21.check_gate_heads(gate_heads)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** Cut heads out of the projections: `slice_head_weights(w_in, b_in,
# w_out, keep, head_dim)` takes a q/k/v weight $(HD, E)$ and bias $(HD,)$ and an output
# weight $(E, HD)$, and returns the kept heads' rows of `w_in`, entries of `b_in` and
# columns of `w_out`, in the order of `keep`.

# %% slideshow={"slide_type": "-"}
def slice_head_weights(w_in, b_in, w_out, keep, head_dim):
    raise NotImplementedError


ok = nb21.check_slice_head_weights(slice_head_weights)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write the ablation loop: `ablation_drops(score, num_layers, num_heads)`
# where `score(gates)` takes gates $(L, H)$ and returns a number (e.g. accuracy). Return
# the $(L, H)$ tensor of `score(all ones) - score(ones with a 0 at (l, h))`.

# %% slideshow={"slide_type": "-"}
def ablation_drops(score, num_layers, num_heads):
    raise NotImplementedError


ok = nb21.check_ablation_drops(ablation_drops)
