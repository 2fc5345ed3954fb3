"""Graph attention (notebook 15): a GAT layer in dense and edge-list form, and two graphs.

In a graph attention layer (Velickovic et al., 2018) node i attends over its neighbours
j only, with a score built from the two nodes' projected features W h:

    e_ij     = LeakyReLU(a_dst . W h_i + a_src . W h_j)
    alpha_ij = softmax of e_ij over the neighbours j of i (i itself included)
    h_i'     = sum_j alpha_ij W h_j

Two forms give the same numbers: `dense_attention` scores every pair and masks the
non-edges with an adjacency matrix (N, N); `edge_attention` scores only the E edges of an
edge list (2, E), so its memory grows with E instead of N^2. Shapes: H heads, N nodes,
D features per head, E edges. adj[i, j] is True when i may attend to j.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .core import masked_softmax
from .train import fit

NEGATIVE_SLOPE = 0.2
"""LeakyReLU's slope for negative scores, as in the GAT paper."""


def check_graph(num_nodes, adj=None, edges=None):
    """Exactly one of adj (N, N) bool or edges (2, E) long, matching num_nodes."""
    if (adj is None) == (edges is None):
        raise ValueError("give exactly one of adj (N, N) or edges (2, E)")
    if adj is not None:
        if adj.dtype != torch.bool or adj.shape != (num_nodes, num_nodes):
            raise ValueError(f"adj must be a bool tensor of shape ({num_nodes}, {num_nodes}) "
                             f"for {num_nodes} nodes, got {tuple(adj.shape)} {adj.dtype}")
    else:
        if edges.dtype != torch.long or edges.dim() != 2 or edges.shape[0] != 2:
            raise ValueError(f"edges must be a long tensor of shape (2, E), "
                             f"got {tuple(edges.shape)} {edges.dtype}")
        if edges.numel() and (edges.min() < 0 or edges.max() >= num_nodes):
            raise ValueError(f"edges name nodes outside 0..{num_nodes - 1}")


def node_scores(wh, a_dst, a_src):
    """The two halves of every score: (H, N) for each node as the one attending (dst) and
    as the one attended to (src). wh (H, N, D), a_dst and a_src (H, D)."""
    return (wh * a_dst[:, None]).sum(-1), (wh * a_src[:, None]).sum(-1)


def dense_attention(wh, a_dst, a_src, adj, uniform=False):
    """out (H, N, D) and weights (H, N, N); weights are exactly 0 off the edges.

    uniform=True sets every score to 0: each node then averages its neighbours equally.
    """
    dst, src = node_scores(wh, a_dst, a_src)  # (H, N) each
    scores = F.leaky_relu(dst[:, :, None] + src[:, None, :], NEGATIVE_SLOPE)  # (H, N, N)
    if uniform:
        scores = torch.zeros_like(scores)
    weights = masked_softmax(scores.masked_fill(~adj, float("-inf")))  # (H, N, N) over neighbours
    return weights @ wh, weights


def edge_attention(wh, a_dst, a_src, edges, uniform=False):
    """out (H, N, D) and weights (H, E), one per edge; equal to dense_attention.

    edges[0] is the source j (attended to), edges[1] the destination i (attending). The
    softmax runs over the edges that share a destination: subtract that group's maximum,
    exponentiate, divide by the group's sum. A node with no edge in gets zeros.
    """
    src_node, dst_node = edges  # (E,) each
    num_heads, num_nodes, _ = wh.shape
    dst, src = node_scores(wh, a_dst, a_src)  # (H, N) each
    scores = F.leaky_relu(dst[:, dst_node] + src[:, src_node], NEGATIVE_SLOPE)  # (H, E)
    if uniform:
        scores = torch.zeros_like(scores)
    group_max = torch.full((num_heads, num_nodes), float("-inf"), dtype=scores.dtype)
    group_max = group_max.scatter_reduce(1, dst_node.expand_as(scores), scores, "amax")
    exp = (scores - group_max[:, dst_node]).exp()  # (H, E)
    group_sum = torch.zeros(num_heads, num_nodes, dtype=scores.dtype).index_add(1, dst_node, exp)
    weights = exp / group_sum[:, dst_node]  # (H, E)
    messages = weights[..., None] * wh[:, src_node]  # (H, E, D)
    out = torch.zeros_like(wh).index_add(1, dst_node, messages)  # (H, N, D)
    return out, weights


def edges_to_adj(edges, num_nodes):
    """Edge list (2, E) -> adjacency (N, N) bool with adj[dst, src] = True."""
    adj = torch.zeros(num_nodes, num_nodes, dtype=torch.bool)
    adj[edges[1], edges[0]] = True
    return adj


def adj_to_edges(adj):
    """Adjacency (N, N) bool -> edge list (2, E): row 0 sources, row 1 destinations."""
    dst, src = adj.nonzero(as_tuple=True)
    return torch.stack([src, dst])


class GATLayer(nn.Module):
    """One graph attention layer with H heads of width D.

    concat=True joins the heads' outputs (N, H*D), as hidden layers do; concat=False
    averages them (N, D), as the output layer does. uniform=True replaces attention by
    equal weights over the neighbours and keeps everything else.
    """

    def __init__(self, in_dim, out_dim, num_heads=1, concat=True, uniform=False):
        super().__init__()
        self.num_heads, self.out_dim, self.concat, self.uniform = num_heads, out_dim, concat, uniform
        self.proj = nn.Linear(in_dim, num_heads * out_dim, bias=False)
        self.a_dst = nn.Parameter(torch.randn(num_heads, out_dim) * out_dim**-0.5)
        self.a_src = nn.Parameter(torch.randn(num_heads, out_dim) * out_dim**-0.5)

    def forward(self, x, adj=None, edges=None):
        """x (N, F) -> (out, weights): weights (H, N, N) with adj, (H, E) with edges."""
        if x.dim() != 2:
            raise ValueError(f"x must be (N, F) node features, got shape {tuple(x.shape)}")
        check_graph(x.shape[0], adj, edges)
        wh = self.proj(x).unflatten(-1, (self.num_heads, self.out_dim)).transpose(0, 1)  # (H, N, D)
        if adj is not None:
            out, weights = dense_attention(wh, self.a_dst, self.a_src, adj, self.uniform)
        else:
            out, weights = edge_attention(wh, self.a_dst, self.a_src, edges, self.uniform)
        if self.concat:
            return out.transpose(0, 1).flatten(1), weights  # (N, H*D)
        return out.mean(0), weights  # (N, D)


class GAT(nn.Module):
    """Two GAT layers: H heads concatenated, ELU, then one averaged output layer."""

    def __init__(self, in_dim, hidden, classes, num_heads=4, uniform=False, dropout=0.0):
        super().__init__()
        self.layer1 = GATLayer(in_dim, hidden, num_heads, concat=True, uniform=uniform)
        self.layer2 = GATLayer(num_heads * hidden, classes, 1, concat=False, uniform=uniform)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, adj=None, edges=None):
        """x (N, F) -> logits (N, classes) and the two layers' weights."""
        h, w1 = self.layer1(self.dropout(x), adj, edges)
        logits, w2 = self.layer2(self.dropout(F.elu(h)), adj, edges)
        return logits, (w1, w2)


# ---------------------------------------------------------------- graphs


def with_self_loops(adj):
    """adj (N, N) with every node also its own neighbour."""
    return adj | torch.eye(adj.shape[0], dtype=torch.bool)


def karate_club():
    """Zachary's karate club (networkx ships it): features (34, 34) one-hot node ids,
    labels (34,) the club each member joined (0 'Mr. Hi', 1 'Officer'), adj (34, 34) with
    self-loops."""
    import networkx as nx

    graph = nx.karate_club_graph()
    n = graph.number_of_nodes()
    labels = torch.tensor([int(graph.nodes[i]["club"] != "Mr. Hi") for i in range(n)])
    adj = torch.zeros(n, n, dtype=torch.bool)
    for i, j in graph.edges():
        adj[i, j] = adj[j, i] = True
    return torch.eye(n), labels, with_self_loops(adj)


def distractor_graph(n_clean=300, n_distractors=300, classes=4, same_class=3, to_distractors=15,
                     signal=0.75, distractor_signal=3.0, seed=0):
    """A graph where a node must choose whom to listen to.

    Clean nodes carry a weak signal of their class; each links to `same_class` clean nodes
    of its class and to `to_distractors` distractor nodes. A distractor carries a strong
    signal of a random class and a flag feature that marks it. Averaging all neighbours is
    drowned by the distractors; attention can learn to follow the flag away from them.
    Returns features (N, 1 + classes), labels (N,) (-1 for distractors), adj (N, N) with
    self-loops, and informative (N, N) bool: the clean-to-clean links (self-loops
    included) of clean nodes.
    """
    gen = torch.Generator().manual_seed(seed)
    n = n_clean + n_distractors
    labels = torch.cat([torch.randint(classes, (n_clean,), generator=gen),
                        torch.full((n_distractors,), -1)])
    fake = torch.randint(classes, (n_distractors,), generator=gen)
    features = torch.zeros(n, 1 + classes)
    features[:n_clean, 1:] = signal * F.one_hot(labels[:n_clean], classes)
    features[:n_clean, 1:] += torch.randn(n_clean, classes, generator=gen)
    features[n_clean:, 0] = 1.0
    features[n_clean:, 1:] = distractor_signal * F.one_hot(fake, classes)
    adj = torch.zeros(n, n, dtype=torch.bool)
    for i in range(n_clean):
        peers = (labels[:n_clean] == labels[i]).nonzero().flatten()
        peers = peers[peers != i]
        pick = peers[torch.randperm(len(peers), generator=gen)[:same_class]]
        distractors = n_clean + torch.randperm(n_distractors, generator=gen)[:to_distractors]
        for j in torch.cat([pick, distractors]):
            adj[i, j] = adj[j, i] = True
    adj = with_self_loops(adj)
    clean = labels >= 0
    informative = adj & clean[:, None] & clean[None, :]
    return features, labels, adj, informative


def split_nodes(labels, per_class=None, share=None, seed=0):
    """A boolean train mask over labelled nodes: `per_class` nodes of each class, or a
    `share` of all labelled nodes, drawn with `seed`. The rest of the labelled nodes test."""
    gen = torch.Generator().manual_seed(seed)
    train = torch.zeros(len(labels), dtype=torch.bool)
    if per_class is not None:
        for c in labels[labels >= 0].unique():
            nodes = (labels == c).nonzero().flatten()
            train[nodes[torch.randperm(len(nodes), generator=gen)[:per_class]]] = True
    else:
        nodes = (labels >= 0).nonzero().flatten()
        train[nodes[torch.randperm(len(nodes), generator=gen)[:int(share * len(nodes))]]] = True
    return train


def train_gat(features, labels, adj, train_mask, hidden=8, num_heads=4, uniform=False,
              steps=200, lr=1e-2, dropout=0.0, seed=0, progress=True):
    """A GAT (or its uniform-weights twin) trained on the labels of train_mask; (model, losses)."""
    torch.manual_seed(seed)
    model = GAT(features.shape[1], hidden, int(labels.max()) + 1, num_heads, uniform, dropout)

    edges = adj_to_edges(adj)  # the edge-list form: same numbers, less work on sparse graphs

    def loss_fn(model, batch):
        logits, _ = model(features, edges=edges)
        return F.cross_entropy(logits[train_mask], labels[train_mask])

    return fit(model, lambda gen: None, loss_fn, steps, lr, seed, progress)


@torch.no_grad()
def accuracy(model, features, labels, adj, mask):
    """Fraction of the nodes in mask whose label the model predicts."""
    logits, _ = model(features, adj)
    return (logits.argmax(-1)[mask] == labels[mask]).float().mean().item()


@torch.no_grad()
def informative_share(model, features, adj, informative, nodes):
    """Mean share of the output layer's attention that `nodes` give to informative links."""
    _, (_, w2) = model(features, adj)
    return (w2[0] * informative).sum(-1)[nodes].mean().item()


# ---------------------------------------------------------------- pictures


def layout(adj, seed=0):
    """Node positions (N, 2) for drawing: networkx's spring layout, fixed by `seed`."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(adj.shape[0]))
    graph.add_edges_from((i, j) for i, j in adj.nonzero().tolist() if i < j)
    spots = nx.spring_layout(graph, seed=seed)
    return torch.tensor([list(spots[i]) for i in range(adj.shape[0])], dtype=torch.float32)


class AttentionPicture:
    """The graph drawn once; `show(weights, node, title)` puts one node's attention on it.

    weights (N, N): weights[i, j] is what node i gives node j. Every link is a thin grey
    line and nodes are coloured by label; the links into `node` get width and colour by
    their weight, `node` is ringed and it and its neighbours are numbered. show() returns
    an attnlib.widgets.Backdrop: an explorer repaints only what changed; `.fig` is the
    whole Figure.
    """

    def __init__(self, adj, labels, positions, class_names=None):
        from matplotlib.collections import LineCollection
        from matplotlib.colors import Normalize
        from matplotlib.figure import Figure

        from .widgets import Backdrop

        self.adj, self.p = adj, positions.numpy()
        fig = Figure(figsize=(6.4, 4.6))
        ax = fig.add_subplot()
        p = self.p
        pairs = [(i, j) for i, j in adj.nonzero().tolist() if i < j]
        ax.add_collection(LineCollection([(p[i], p[j]) for i, j in pairs], colors="0.85",
                                         linewidths=0.8, zorder=1))
        self.lines = LineCollection([], cmap="viridis", norm=Normalize(0, 1), zorder=2)
        ax.add_collection(self.lines)
        fig.colorbar(self.lines, ax=ax, label="weight the ringed node gives a neighbour")
        names = class_names or [str(c) for c in range(int(labels.max()) + 1)]
        for c, colour in zip(range(len(names)), ("#e07b39", "#3a7dbf", "#59a14f", "#b07aa1")):
            keep = (labels == c).numpy()
            ax.scatter(p[keep, 0], p[keep, 1], s=90, c=colour, edgecolors="white", zorder=3,
                       label=names[c])
        self.ring = ax.scatter([p[0, 0]], [p[0, 1]], s=320, facecolors="none",
                               edgecolors="black", linewidths=2, zorder=4)
        self.numbers = [ax.annotate(str(i), p[i], xytext=(6, 6), textcoords="offset points",
                                    fontsize=8, zorder=5) for i in range(len(p))]
        ax.set_xlabel("spring layout: only the links carry meaning")
        ax.set_xticks([])
        ax.set_yticks([])
        fig.legend(loc="upper right", fontsize=8, ncol=len(names), frameon=False)
        fig.subplots_adjust(top=0.86)
        self.title = ax.set_title(" ", loc="left", fontsize=10)
        self.fig = fig
        self.backdrop = Backdrop(fig, [self.lines, self.ring, self.title, *self.numbers])

    def show(self, weights, node, *, title):
        p = self.p
        neighbours = [j for j in self.adj[node].nonzero().flatten().tolist() if j != node]
        w = weights[node, neighbours]
        self.lines.set_segments([(p[node], p[j]) for j in neighbours])
        self.lines.set_linewidths((1 + 12 * w).tolist())
        self.lines.set_array(w.numpy())
        self.ring.set_offsets([p[node]])
        shown = {node, *neighbours}
        for i, number in enumerate(self.numbers):
            number.set_visible(i in shown)
        self.title.set_text(f"{title}: node {node} (self weight {weights[node, node]:.2f})")
        return self.backdrop


def attention_figure(adj, weights, node, labels, positions, *, title, class_names=None):
    """A Figure of the graph with the attention of `node` on the links into it (see
    AttentionPicture, which an explorer should keep and reuse)."""
    picture = AttentionPicture(adj, labels, positions, class_names)
    picture.show(weights, node, title=title)
    return picture.fig
