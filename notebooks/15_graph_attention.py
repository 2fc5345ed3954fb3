# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   series:
#     summary: Build a graph attention layer with an adjacency mask and as an edge list,
#       prove the two equal, and measure when attention beats plain neighbour averaging.
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/attnlib/attention-series/blob/main/notebooks/15_graph_attention.ipynb)

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
# # 15 · Graph attention: attention along edges
#
# Self-attention lets every token look at every other token. On a graph, a node should
# only look at its neighbours. A graph attention network (GAT) does exactly that: the
# graph's adjacency matrix is the attention mask.
#
# **In this notebook you will:**
# - build a graph attention layer step by step: a score on every edge, a softmax over each
#   node's neighbours, heads concatenated or averaged; first with an adjacency matrix,
#   then with an edge list, and prove the two equal;
# - compare it honestly with plain neighbour averaging, on a small real graph and on a
#   graph built so that choosing neighbours matters;
# - watch a trained layer's attention drawn on the graph.

# %% slideshow={"slide_type": "-"}
import torch
import torch.nn.functional as F

from attnlib import graphs

_ = torch.manual_seed(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A graph is a set with a mask
#
# Take four nodes joined in a path, $0 - 1 - 2 - 3$, each also joined to itself. Written
# as a boolean matrix, `adj[i, j]` is `True` when node $i$ may look at node $j$. This is
# the same kind of mask notebook 06 used for causal attention, only now the graph decides
# which entries are `True`.

# %% slideshow={"slide_type": "-"}
path = torch.tensor([[0, 1], [1, 2], [2, 3]])
adj = torch.eye(4, dtype=torch.bool)
adj[path[:, 0], path[:, 1]] = adj[path[:, 1], path[:, 0]] = True
print(adj.int())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The maths
#
# Each node $i$ has features $h_i$. A shared matrix $W$ projects them, and a vector
# $a = [a_{\text{dst}} ; a_{\text{src}}]$ scores every edge $j \to i$:
#
# $$e_{ij} = \operatorname{LeakyReLU}\big(a^\top [W h_i \,\|\, W h_j]\big)
#   = \operatorname{LeakyReLU}\big(a_{\text{dst}}^\top W h_i + a_{\text{src}}^\top W h_j\big).$$
#
# The softmax runs over the neighbours $\mathcal{N}(i)$ of $i$ (itself included), and the
# new features are the weighted sum of the neighbours' projected features:
#
# $$\alpha_{ij} = \frac{\exp e_{ij}}{\sum_{k \in \mathcal{N}(i)} \exp e_{ik}}, \qquad
#   h_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, W h_j .$$
#
# Two differences from dot-product attention: the score is a sum of a term for $i$ and a
# term for $j$ passed through a LeakyReLU (slope $0.2$ for negative inputs), not $q_i \cdot
# k_j$; and the values are the projected features $W h_j$ themselves.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The build, step by step
#
# Four nodes with two features each, $W$ the identity, and small whole-number vectors
# $a_{\text{dst}}, a_{\text{src}}$, so that every score can be checked by hand. We keep one
# head, so tensors carry a leading head axis of size 1: shapes $(H, N, D)$.

# %% slideshow={"slide_type": "-"}
h = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])  # (N, D)
W = torch.eye(2)
a_dst, a_src = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 2.0]])  # (H, D)
wh = (h @ W.T)[None]  # (H, N, D) = (1, 4, 2)

dst = (wh * a_dst[:, None]).sum(-1)  # (H, N): a_dst . W h_i
src = (wh * a_src[:, None]).sum(-1)  # (H, N): a_src . W h_j
print("a_dst . Wh_i:", dst[0].tolist())
print("a_src . Wh_j:", src[0].tolist())

# %% [markdown] slideshow={"slide_type": "-"}
# Every pair's score is the sum of a row term and a column term; the LeakyReLU multiplies
# the negative ones by $0.2$ (here none is negative). By hand, $e_{10} = 0 + 0 = 0$,
# $e_{12} = 0 + 2 = 2$, $e_{21} = 1 + 2 = 3$.

# %% slideshow={"slide_type": "-"}
scores = F.leaky_relu(dst[:, :, None] + src[:, None, :], 0.2)  # (H, N, N)
print(scores[0])
assert scores[0, 1, 0] == 0 and scores[0, 1, 2] == 2 and scores[0, 2, 1] == 3

# %% [markdown] slideshow={"slide_type": "-"}
# Now the mask: a non-edge gets the score $-\infty$, so its weight is exactly 0, and each
# row's weights sum to 1 over the node's neighbours.

# %% slideshow={"slide_type": "-"}
weights = torch.softmax(scores.masked_fill(~adj, float("-inf")), dim=-1)  # (H, N, N)
out = weights @ wh  # (H, N, D)
print(weights[0].round(decimals=3))
print("weight 0 on every non-edge:", bool((weights[:, ~adj] == 0).all()))
print("rows sum to 1:", torch.allclose(weights.sum(-1), torch.ones(1, 4)))

# %% [markdown] slideshow={"slide_type": "-"}
# Node 1 has neighbours 0, 1 and 2 with scores $0, 2, 2$, so by hand its weights are
# $e^0 / (e^0 + 2e^2)$ for node 0 and $e^2 / (e^0 + 2e^2)$ for each of the others:

# %% slideshow={"slide_type": "-"}
e = torch.tensor(2.0).exp()
by_hand = torch.tensor([1 / (1 + 2 * e), e / (1 + 2 * e), e / (1 + 2 * e), 0.0])
print("row 1 equals the hand calculation:", torch.allclose(weights[0, 1], by_hand))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Check against attnlib and PyTorch
#
# `attnlib.graphs.dense_attention` is the same computation. PyTorch has no GAT layer, but
# its `F.scaled_dot_product_attention` takes a float `attn_mask` that it adds to the scores
# $q \cdot k$. Give it queries and keys of zeros, so that $q \cdot k = 0$, and the GAT
# scores (with $-\infty$ on non-edges) as the mask: what is left is
# $\operatorname{softmax}(e)\,V$, the GAT layer.

# %% slideshow={"slide_type": "-"}
ours, ours_w = graphs.dense_attention(wh, a_dst, a_src, adj)
zeros = torch.zeros(1, 4, 1)
torch_out = F.scaled_dot_product_attention(zeros, zeros, wh,
                                           attn_mask=scores.masked_fill(~adj, float("-inf")))
print("build == attnlib:", torch.allclose(out, ours) and torch.allclose(weights, ours_w))
print("build == PyTorch SDPA:", torch.allclose(out, torch_out, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "-"}
# With every score set to 0 the softmax is uniform over the neighbours, and the layer
# becomes plain neighbour averaging: the sum of the neighbours' features divided by the
# node's degree. That is the comparison we will train against.

# %% slideshow={"slide_type": "-"}
uniform_out, _ = graphs.dense_attention(wh, a_dst, a_src, adj, uniform=True)
mean_of_neighbours = (adj.float() / adj.sum(1, keepdim=True)) @ wh[0]
print("uniform weights == mean of neighbours:", torch.allclose(uniform_out[0], mean_of_neighbours))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Several heads: concatenate, then average
#
# With $H$ heads, each has its own $W$ and $a$, and the layer runs them side by side. A
# hidden layer concatenates the heads' outputs, $(N, H \cdot D)$; the output layer averages
# them, $(N, D)$, so that its width stays the number of classes. `GATLayer` holds the $H$
# projections as one matrix of shape $(H \cdot D, F)$.

# %% slideshow={"slide_type": "-"}
x = torch.randn(4, 3)  # random node features, only to check shapes and sums
layer = graphs.GATLayer(3, 2, num_heads=5, concat=True)
joined, w = layer(x, adj)
print("concatenated:", tuple(joined.shape), " weights:", tuple(w.shape))
layer.concat = False
averaged, _ = layer(x, adj)
print("averaged:", tuple(averaged.shape))
print("the average is the mean of the concatenated heads:",
      torch.allclose(averaged, joined.unflatten(1, (5, 2)).mean(1), atol=1e-6))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The edge-list form
#
# The dense form scores all $N^2$ pairs and throws most away: a real graph has far fewer
# edges than pairs. The edge-list form keeps the $E$ edges as a $(2, E)$ tensor (row 0 the
# source $j$, row 1 the destination $i$) and scores only those. The softmax then runs over
# groups of edges that share a destination: subtract each group's maximum, exponentiate,
# divide by the group's sum (`scatter_reduce` and `index_add` do the grouping).
#
# Zachary's karate club, a 34-member club that split in two (networkx ships it), shows the
# gap.

# %% slideshow={"slide_type": "-"}
features, clubs, karate = graphs.karate_club()
edges = graphs.adj_to_edges(karate)
print(f"{karate.shape[0]} nodes: {karate.numel()} pairs, {edges.shape[1]} edges (self-loops included)")

layer = graphs.GATLayer(34, 4, num_heads=2)
dense_out, dense_w = layer(features, adj=karate)
edge_out, edge_w = layer(features, edges=edges)
scattered = torch.zeros_like(dense_w)
scattered[:, edges[1], edges[0]] = edge_w
print("same outputs:", torch.allclose(dense_out, edge_out, atol=1e-6))
print("same weights:", torch.allclose(dense_w, scattered, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The karate club: attention or averaging?
#
# The task: from the club that 2 members of each side joined, predict the side of the
# other 30. Each node's features are only its identity (a one-hot vector), so everything
# the model knows comes through the edges. We train a two-layer GAT (4 heads of width 8,
# concatenated, then one averaged output layer) and the same network with uniform weights.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
labelled = graphs.split_nodes(clubs, per_class=2, seed=0)
gat, _ = graphs.train_gat(features, clubs, karate, labelled, seed=0)
uniform, _ = graphs.train_gat(features, clubs, karate, labelled, uniform=True, seed=0)
acc_gat = graphs.accuracy(gat, features, clubs, karate, ~labelled)
acc_uniform = graphs.accuracy(uniform, features, clubs, karate, ~labelled)
print(f"held-out accuracy: GAT {acc_gat:.3f}, uniform weights {acc_uniform:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Both are good; which one wins changes with the seed (`tests/test_learned_claims_15.py`
# retrains both on five seeds). So all this graph supports is: attention works about as
# well as averaging here. The check below is what holds on every seed.

# %% slideshow={"slide_type": "-"}
assert acc_gat >= 0.75 and acc_uniform >= 0.75
print("both models place at least 75% of the held-out members: True")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A graph where choosing matters
#
# Averaging fails when most neighbours mislead. We build such a graph: 300 **clean** nodes
# in 4 classes, each with a weak, noisy signal of its own class and links to 3 clean nodes
# of the same class; and 300 **distractors**, each marked by a flag feature and carrying a
# strong signal of a random class. Every clean node also links to 15 distractors. Half of
# the clean nodes are labelled for training; the other half are held out.

# %% slideshow={"slide_type": "-"}
feats, labels, graph, informative = graphs.distractor_graph(seed=0)
clean = labels >= 0
links = graph[clean].sum().item()
useful = informative[clean].sum().item()
print(f"{graph.shape[0]} nodes, {graph.sum().item()} directed links")
print(f"links of clean nodes: {links}, of which to clean nodes (self included): {useful} "
      f"= {useful / links:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The same two networks as before, trained on this graph:

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
train_nodes = graphs.split_nodes(labels, share=0.5, seed=0)
test_nodes = clean & ~train_nodes
gat2, _ = graphs.train_gat(feats, labels, graph, train_nodes, steps=250, seed=0)
uniform2, _ = graphs.train_gat(feats, labels, graph, train_nodes, uniform=True, steps=250, seed=0)
acc_gat2 = graphs.accuracy(gat2, feats, labels, graph, test_nodes)
acc_uniform2 = graphs.accuracy(uniform2, feats, labels, graph, test_nodes)
share = graphs.informative_share(gat2, feats, graph, informative, test_nodes)
print(f"held-out accuracy: GAT {acc_gat2:.3f}, uniform weights {acc_uniform2:.3f}")
print(f"output layer's attention on links to clean nodes: {share:.3f}")

# %% [markdown] slideshow={"slide_type": "-"}
# The claims, as bounds that hold on all five seeds of the test: the GAT beats the same
# network with uniform weights by at least 0.15, and its output layer puts at least 0.7 of
# each held-out node's attention on clean neighbours, which hold about a third of the links
# (the share printed above).

# %% slideshow={"slide_type": "-"}
assert acc_gat2 >= 0.8 and acc_gat2 - acc_uniform2 >= 0.15
assert share >= 0.7 and useful / links < 0.35
print("GAT beats uniform weights by >= 0.15: True")
print("attention on clean neighbours >= 0.7: True")

# %% [markdown] slideshow={"slide_type": "-"}
# What this shows: in the same architecture, learned weights beat equal weights when most
# neighbours mislead. It does not show that attention is necessary: another design (for
# example, one that drops flagged nodes) could do as well.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explorer: attention on the graph
#
# The karate club with the trained networks from above. Pick a node: the edges into it are
# drawn with width and colour by the weight it gives each neighbour. Choose the layer and,
# in the first layer, the head. With uniform weights every edge into a node has the same
# weight, one over its degree.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
import ipywidgets as W

from attnlib.widgets import Explorer, show

positions = graphs.layout(karate)
picture = graphs.AttentionPicture(karate, clubs, positions, class_names=("Mr. Hi", "Officer"))
karate_weights = {name: model(features, karate)[1] for name, model in
                  (("GAT", gat), ("uniform", uniform))}


def draw_karate(model, layer, head, node):
    w = karate_weights[model][layer - 1][head if layer == 1 else 0]  # (N, N)
    title = f"{model}, layer {layer}" + (f", head {head}" if layer == 1 else "")
    top = w[node].topk(3)
    readout = ", ".join(f"{j}: {v:.2f}" for v, j in zip(top.values.tolist(), top.indices.tolist()))
    return picture.show(w, node, title=title), f"node {node} attends most to {readout}"


def head_only_in_layer_1(name, controls):
    show(controls["head"], controls["layer"].value == 1)


graph_explorer = Explorer("graph", {
    "model": W.Dropdown(options=("GAT", "uniform"), value="GAT", description="model"),
    "layer": W.Dropdown(options=(1, 2), value=1, description="layer"),
    "head": W.IntSlider(value=0, min=0, max=3, description="head", continuous_update=False),
    "node": W.IntSlider(value=0, min=0, max=33, description="node", continuous_update=False),
}, draw_karate, adjust=head_only_in_layer_1)
graph_explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost on your device
#
# One forward pass of the trained distractor network, dense against edge list. The dense
# form scores $N^2 = 360{,}000$ pairs, the edge list only the links above.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
from attnlib import timing

graph_edges = graphs.adj_to_edges(graph)
with torch.no_grad():
    print(f"dense ({graph.numel()} pairs)       {timing.time_fn(lambda: gat2(feats, adj=graph))}")
    print(f"edge list ({graph_edges.shape[1]} edges) "
          f"{timing.time_fn(lambda: gat2(feats, edges=graph_edges))}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A graph attention layer is attention with the adjacency matrix as its mask: weight 0
#   on every non-edge, weights summing to 1 over each node's neighbours.
# - Its score is $\operatorname{LeakyReLU}(a_{\text{dst}}^\top W h_i + a_{\text{src}}^\top
#   W h_j)$; PyTorch's SDPA computes the same layer when given these scores as an additive
#   mask.
# - The dense form and the edge-list form give the same numbers; the edge list stores
#   $E$ scores instead of $N^2$.
# - On the karate club, attention and plain averaging do about equally well. On a graph
#   where most neighbours mislead, the learned weights beat equal weights by a wide margin
#   and put most of their weight on the informative neighbours.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Worked solutions are in `solutions/15_graph_attention.py`: try first.
#
# **Exercise 1.** Write the neighbour softmax: `neighbour_softmax(scores, adj)` takes
# scores $(H, N, N)$ and a boolean adjacency $(N, N)$, and returns weights that are 0 off
# the edges and sum to 1 over each node's neighbours.

# %% slideshow={"slide_type": "-"}
from attnlib.exercises import nb15


def neighbour_softmax(scores, adj):
    raise NotImplementedError


ok = nb15.check_neighbour_softmax(neighbour_softmax)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 2.** The same softmax on an edge list: `edge_softmax(scores, dst, num_nodes)`
# takes one score per edge $(H, E)$ and each edge's destination node $(E,)$, and returns
# weights $(H, E)$ that sum to 1 over the edges into each node. Subtract each group's
# maximum first, so that large scores do not overflow.

# %% slideshow={"slide_type": "-"}
def edge_softmax(scores, dst, num_nodes):
    raise NotImplementedError


ok = nb15.check_edge_softmax(edge_softmax)


# %% [markdown] slideshow={"slide_type": "-"}
# **Exercise 3.** Write the GAT scores: `gat_scores(wh, a_dst, a_src)` takes projected
# features $(H, N, D)$ and the two halves of $a$, $(H, D)$ each, and returns
# $e_{ij} = \operatorname{LeakyReLU}(a_{\text{dst}} \cdot W h_i + a_{\text{src}} \cdot W h_j)$
# of shape $(H, N, N)$, with slope $0.2$.

# %% slideshow={"slide_type": "-"}
def gat_scores(wh, a_dst, a_src):
    raise NotImplementedError


ok = nb15.check_gat_scores(gat_scores)
