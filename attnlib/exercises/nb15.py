"""Exercise checks for notebook 15 (graph attention)."""

import torch

from .. import graphs
from .harness import attempt, difference, has_nonfinite, report


def random_graph(n, g):
    """A random undirected adjacency (N, N) with self-loops and one isolated-but-self node."""
    adj = torch.rand(n, n, generator=g) < 0.3
    adj = adj | adj.T | torch.eye(n, dtype=torch.bool)
    adj[0, 1:] = adj[1:, 0] = False  # node 0 only sees itself
    return adj


def check_neighbour_softmax(neighbour_softmax):
    """neighbour_softmax(scores (H, N, N), adj (N, N) bool) -> weights: 0 off the edges,
    rows summing to 1 over the neighbours."""
    name = "neighbour_softmax"
    g = torch.Generator().manual_seed(15)
    for H, N in ((1, 5), (3, 8), (2, 1)):
        scores, adj = torch.randn(H, N, N, generator=g) * 4, random_graph(N, g)
        ok, got = attempt(name, neighbour_softmax, scores.clone(), adj.clone())
        if not ok:
            return False
        expected = torch.softmax(scores.masked_fill(~adj, float("-inf")), dim=-1)
        if has_nonfinite(got):
            return report(name, False, f"H={H}, N={N}: NaN or inf in the weights")
        problem = difference(got, expected, atol=1e-5)
        if problem:
            hint = " (weights off the edges must be exactly 0: mask before the softmax)"
            return report(name, False, f"H={H}, N={N}: {problem}{hint}")
    return report(name, True)


def check_edge_softmax(edge_softmax):
    """edge_softmax(scores (H, E), dst (E,), num_nodes) -> weights (H, E) summing to 1 over
    the edges into each node; stable for large scores."""
    name = "edge_softmax"
    g = torch.Generator().manual_seed(16)
    for H, N, scale in ((1, 6, 1.0), (2, 9, 3.0), (2, 7, 500.0)):
        adj = random_graph(N, g)
        src, dst = graphs.adj_to_edges(adj)
        scores = torch.randn(H, len(dst), generator=g, dtype=torch.float64) * scale
        ok, got = attempt(name, edge_softmax, scores.clone(), dst.clone(), N)
        if not ok:
            return False
        dense = torch.full((H, N, N), float("-inf"), dtype=torch.float64)
        dense[:, dst, src] = scores
        expected = torch.softmax(dense, dim=-1)[:, dst, src]
        if has_nonfinite(got):
            return report(name, False, f"scores up to {scale:g}: NaN or inf (subtract each "
                                       "destination's maximum score before exp)")
        problem = difference(got, expected, atol=1e-6)
        if problem:
            return report(name, False, f"H={H}, N={N}, {len(dst)} edges: {problem}")
    return report(name, True)


def check_gat_scores(gat_scores):
    """gat_scores(wh (H, N, D), a_dst (H, D), a_src (H, D)) -> LeakyReLU(a_dst.Wh_i +
    a_src.Wh_j), slope 0.2, shape (H, N, N)."""
    name = "gat_scores"
    g = torch.Generator().manual_seed(17)
    for H, N, D in ((1, 4, 2), (3, 6, 5), (2, 1, 3)):
        wh = torch.randn(H, N, D, generator=g)
        a_dst, a_src = torch.randn(H, D, generator=g), torch.randn(H, D, generator=g)
        ok, got = attempt(name, gat_scores, wh.clone(), a_dst.clone(), a_src.clone())
        if not ok:
            return False
        dst, src = graphs.node_scores(wh, a_dst, a_src)
        expected = torch.nn.functional.leaky_relu(dst[:, :, None] + src[:, None, :], 0.2)
        problem = difference(got, expected, atol=1e-5)
        if problem:
            swapped = torch.nn.functional.leaky_relu(dst[:, None, :] + src[:, :, None], 0.2)
            hint = (" (rows are the attending node i: a_dst goes with i, a_src with j)"
                    if difference(got, swapped, atol=1e-5) is None else "")
            return report(name, False, f"H={H}, N={N}, D={D}: {problem}{hint}")
    return report(name, True)
