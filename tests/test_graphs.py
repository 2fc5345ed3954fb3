"""Graph attention: the dense and edge-list forms agree, attention stays on the edges,
PyTorch's SDPA computes the same layer, and bad graphs are refused by name."""

import pytest
import torch
import torch.nn.functional as F

from attnlib import graphs


def random_graph(n, seed, isolated=False):
    g = torch.Generator().manual_seed(seed)
    adj = torch.rand(n, n, generator=g) < 0.25
    adj = graphs.with_self_loops(adj | adj.T)
    if isolated:  # a node with no edge at all, not even to itself
        adj[0, :] = adj[:, 0] = False
    return adj


@pytest.mark.parametrize("n, heads", [(1, 1), (7, 2), (20, 4)])
def test_weights_live_on_edges_and_sum_to_one(n, heads):
    adj = random_graph(n, n)
    layer = graphs.GATLayer(5, 3, num_heads=heads)
    _, w = layer(torch.randn(n, 5), adj)
    assert w.shape == (heads, n, n)
    assert (w[:, ~adj] == 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(heads, n))


@pytest.mark.parametrize("uniform", [False, True])
def test_dense_and_edge_list_forms_are_equal_with_gradients(uniform):
    adj = random_graph(15, 1, isolated=True)
    edges = graphs.adj_to_edges(adj)
    assert torch.equal(graphs.edges_to_adj(edges, 15), adj)
    x = torch.randn(15, 6, dtype=torch.float64, requires_grad=True)
    layer = graphs.GATLayer(6, 4, num_heads=3, uniform=uniform).double()
    dense, dense_w = layer(x, adj=adj)
    sparse, edge_w = layer(x, edges=edges)
    assert not dense.isnan().any() and not sparse.isnan().any()
    assert torch.allclose(dense, sparse)
    assert torch.allclose(dense_w[:, edges[1], edges[0]], edge_w)
    assert (dense[0] == 0).all()  # the isolated node gets zeros, never NaN
    g_dense = torch.autograd.grad(dense.square().sum(), x)[0]
    g_sparse = torch.autograd.grad(layer(x, edges=edges)[0].square().sum(), x)[0]
    assert torch.allclose(g_dense, g_sparse)


def test_equals_sdpa_with_the_scores_as_an_additive_mask():
    adj = random_graph(9, 3)
    wh, a_dst, a_src = torch.randn(2, 9, 4), torch.randn(2, 4), torch.randn(2, 4)
    out, _ = graphs.dense_attention(wh, a_dst, a_src, adj)
    dst, src = graphs.node_scores(wh, a_dst, a_src)
    scores = F.leaky_relu(dst[:, :, None] + src[:, None, :], 0.2).masked_fill(~adj, float("-inf"))
    zeros = torch.zeros(2, 9, 1)
    assert torch.allclose(out, F.scaled_dot_product_attention(zeros, zeros, wh, attn_mask=scores),
                          atol=1e-6)


def test_uniform_is_the_neighbour_mean_and_heads_concat_or_average():
    adj = random_graph(8, 4)
    wh = torch.randn(1, 8, 3)
    out, _ = graphs.dense_attention(wh, torch.randn(1, 3), torch.randn(1, 3), adj, uniform=True)
    assert torch.allclose(out[0], (adj.float() / adj.sum(1, keepdim=True)) @ wh[0], atol=1e-6)
    layer = graphs.GATLayer(5, 2, num_heads=3)
    x = torch.randn(8, 5)
    joined = layer(x, adj)[0]
    layer.concat = False
    assert torch.allclose(layer(x, adj)[0], joined.unflatten(1, (3, 2)).mean(1), atol=1e-6)


def test_bad_graphs_are_refused_by_name():
    layer = graphs.GATLayer(4, 2)
    x = torch.randn(5, 4)
    with pytest.raises(ValueError, match=r"adj must be a bool tensor of shape \(5, 5\).*\(4, 4\)"):
        layer(x, torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="adj must be a bool"):
        layer(x, torch.ones(5, 5))
    with pytest.raises(ValueError, match="exactly one of adj"):
        layer(x)
    with pytest.raises(ValueError, match=r"edges must be a long tensor of shape \(2, E\)"):
        layer(x, edges=torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="outside 0..4"):
        layer(x, edges=torch.tensor([[0, 5], [1, 1]]))
    with pytest.raises(ValueError, match=r"x must be \(N, F\).*\(1, 5, 4\)"):
        layer(x[None], torch.ones(5, 5, dtype=torch.bool))


def test_graphs_are_what_their_docstrings_say():
    features, clubs, adj = graphs.karate_club()
    assert features.shape == (34, 34) and clubs.bincount().tolist() == [17, 17]
    assert adj.sum().item() == 2 * 78 + 34 and torch.equal(adj, adj.T)
    feats, labels, graph, informative = graphs.distractor_graph(seed=0)
    clean = labels >= 0
    assert feats.shape == (600, 5) and clean.sum() == 300 and torch.equal(graph, graph.T)
    assert (feats[~clean, 0] == 1).all() and (feats[clean, 0] == 0).all()
    assert (graph[clean][:, ~clean].sum(1) == 15).all()  # every clean node: 15 distractors
    same = labels[:, None] == labels[None, :]
    assert (informative <= (same & graph)).all()  # clean-to-clean links join one class
    assert torch.equal(graphs.distractor_graph(seed=0)[2], graph)  # seeded: the same graph
    train = graphs.split_nodes(clubs, per_class=2, seed=1)
    assert train.sum() == 4 and clubs[train].bincount().tolist() == [2, 2]
