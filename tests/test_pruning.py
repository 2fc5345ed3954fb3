"""attnlib.pruning: gates switch heads off exactly, pruned layers equal masked ones and
nn.MultiheadAttention, magnitude pruning zeroes the smallest weights, bad input is named."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from attnlib import masks
from attnlib import pruning as pr
from attnlib.models import TinyEncoder
from attnlib.multihead import MultiHeadAttention


def tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    return TinyEncoder(vocab=5, n=6, embed_dim=16, num_heads=4, num_layers=2, ff_dim=32, **kwargs).eval()


def digits(B=7, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 5, (B, 6), generator=g)
    return x, x.sort(-1).values


def test_a_gate_removes_exactly_the_heads_term():
    model = tiny()
    attn = model.blocks[1].self_attn
    h = torch.randn(3, 6, 16)  # random inputs: a numerical check
    with torch.no_grad():
        q, k, v = (attn.split_heads(p(h)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))
        o = torch.softmax(q @ k.transpose(-2, -1) / attn.head_dim**0.5, -1) @ v  # (B, H, N, D)
        D = attn.head_dim
        terms = [o[:, i] @ attn.out_proj.weight[:, i * D:(i + 1) * D].T for i in range(4)]
        gates = torch.ones(2, 4)
        gates[1, 2] = 0.0
        with pr.head_gates(model, gates):
            gated = attn(h)[0]
        expected = terms[0] + terms[1] + terms[3] + attn.out_proj.bias
        assert torch.allclose(gated, expected, atol=1e-5)
        assert torch.allclose(attn(h)[0], sum(terms) + attn.out_proj.bias, atol=1e-5)  # hook removed


def test_per_example_gates_match_shared_gates():
    model = tiny()
    x, _ = digits()
    shared = torch.ones(2, 4)
    shared[0, 1] = 0.0
    per_example = torch.ones(7, 2, 4)
    per_example[3:, 0, 1] = 0.0  # examples 3.. use the shared gates, 0..2 all heads
    with torch.no_grad():
        a = pr.gated_logits(model, x, per_example)
        assert torch.allclose(a[3:], pr.gated_logits(model, x, shared)[3:], atol=1e-6)
        assert torch.allclose(a[:3], model(x)[0][:3], atol=1e-6)


def test_gate_gradients_are_per_example_absolute_values():
    model = tiny()
    x, target = digits(B=4)
    expected = torch.zeros(2, 4)
    for b in range(4):
        g = torch.ones(2, 4, requires_grad=True)
        loss = F.cross_entropy(pr.gated_logits(model, x[b:b + 1], g)[0], target[b])
        expected += torch.autograd.grad(loss, g)[0].abs() / 4
    assert torch.allclose(pr.gate_gradients(model, x, target), expected, atol=1e-6)


def test_gate_gradient_is_inner_product_with_out_proj_gradient():
    model = tiny()
    x, target = digits()
    g = torch.ones(2, 4, requires_grad=True)
    F.cross_entropy(pr.gated_logits(model, x, g).flatten(0, 1), target.flatten()).backward()
    for layer, block in enumerate(model.blocks):
        w = block.self_attn.out_proj.weight
        inner = (w * w.grad).view(16, 4, 4).sum((0, 2))  # (H,): columns grouped by head
        assert torch.allclose(g.grad[layer], inner, atol=1e-6)


@pytest.mark.parametrize("keep", [[0, 2], [3], [1, 2, 3]])
def test_pruned_layer_equals_masked_layer_with_masks(keep):
    torch.manual_seed(0)
    attn = MultiHeadAttention(16, 4).double().eval()
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    causal, key_mask = masks.causal(5), masks.padding([5, 3, 1], 5)
    small = pr.prune_heads(attn, keep)
    assert small.q_proj.weight.shape == (4 * len(keep), 16) and small.out_proj.weight.shape == (16, 4 * len(keep))
    model_like = nn.Module()
    model_like.blocks = [nn.Module()]
    model_like.blocks[0].self_attn, model_like.blocks[0].num_heads = attn, 4
    gates = torch.zeros(1, 4, dtype=torch.float64)
    gates[0, keep] = 1.0
    with torch.no_grad(), pr.head_gates(model_like, gates):
        masked = attn(x, mask=causal, key_mask=key_mask)[0]
    with torch.no_grad():
        out, weights = small(x, mask=causal, key_mask=key_mask)
        fast = small(x, mask=causal, key_mask=key_mask, need_weights=False)[0]
    assert torch.allclose(out, masked, atol=1e-12) and torch.allclose(fast, masked, atol=1e-12)
    assert weights.shape == (3, 4, 5, 5) and (weights[:, [h for h in range(4) if h not in keep]] == 0).all()


def test_all_heads_kept_equals_nn_multihead_attention():
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(16, 4, batch_first=True).double().eval()
    ours = pr.prune_heads(MultiHeadAttention.from_torch(theirs), range(4))
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(ours(x)[0], theirs(x, x, x, need_weights=False)[0], atol=1e-12)


def test_pruned_model_equals_masked_model_and_counts_parameters():
    model = tiny()
    x, _ = digits()
    gates = torch.ones(2, 4)
    gates[0, 1] = gates[1, 0] = gates[1, 3] = 0.0
    small = pr.prune_model_heads(model, pr.keep_from_gates(gates))
    with torch.no_grad():
        assert torch.allclose(small(x)[0], pr.gated_logits(model, x, gates), atol=1e-5)
    per_head = pr.head_parameters(model.blocks[0].self_attn)
    assert per_head == 4 * 4 * 16 + 3 * 4
    assert pr.count_parameters(model) - pr.count_parameters(small) == 3 * per_head
    assert pr.count_parameters(model) == pr.count_parameters(tiny())  # the original is untouched


def test_magnitude_prune_zeroes_the_smallest_weights():
    model = tiny()
    count = 300
    pruned = pr.magnitude_prune(model, count)
    before = torch.cat([w.detach().flatten() for w in pr.attention_weights(model)])
    after = torch.cat([w.detach().flatten() for w in pr.attention_weights(pruned)])
    zeroed = (after == 0) & (before != 0)
    assert zeroed.sum() == count
    assert before[zeroed].abs().max() <= before[~zeroed].abs().min()
    assert torch.equal(after[~zeroed], before[~zeroed])
    with pytest.raises(ValueError, match="count"):
        pr.magnitude_prune(model, before.numel() + 1)


def test_orders_and_removable_heads():
    importance = torch.tensor([[0.3, 0.1], [0.0, 0.2]])
    assert pr.order(importance, "least") == [(1, 0), (0, 1), (1, 1), (0, 0)]
    assert pr.order(importance, "most") == [(0, 0), (1, 1), (0, 1), (1, 0)]
    assert sorted(pr.order(importance, "random", seed=3)) == sorted(pr.order(importance, "least"))
    assert pr.order(importance, "random", seed=3) == pr.order(importance, "random", seed=3)
    with pytest.raises(ValueError, match="how"):
        pr.order(importance, "biggest")
    assert pr.heads_removable([1.0, 0.995, 0.992, 0.98, 0.999]) == 2
    assert pr.heads_removable([1.0, 0.9, 1.0]) == 0


def test_removal_curve_ends_with_every_head_off():
    model = tiny()
    x, target = digits()
    pairs = pr.order(torch.rand(2, 4, generator=torch.Generator().manual_seed(0)), "least")
    curve = pr.removal_curve(model, x, target, pairs)
    assert len(curve) == 9
    assert curve[0] == pr.scores(model, x, target)[1]
    assert curve[-1] == pr.scores(model, x, target, torch.zeros(2, 4))[1]


def test_bad_input_is_named():
    model = tiny()
    x, _ = digits()
    with pytest.raises(ValueError, match=r"gates must be .*\(2, 4\)"):
        pr.gated_logits(model, x, torch.ones(4, 2))
    attn = model.blocks[0].self_attn
    for keep in ([], [4], [-1]):
        with pytest.raises(ValueError, match="keep"):
            pr.prune_heads(attn, keep)
    with pytest.raises(ValueError, match="keep"):
        pr.prune_model_heads(model, [[0]])
    with pytest.raises(TypeError, match="blocks"):
        pr.ablation_importance(nn.Linear(2, 2), x, x)
    small = pr.prune_model_heads(model, [[0, 1], [0, 1, 2]])
    with pytest.raises(ValueError, match="same number of heads"):
        pr.gated_logits(small, x, torch.ones(2, 2))
    with pytest.raises(NotImplementedError):
        pr.prune_heads(attn, [0, 1]).to_torch()


def test_gates_explorer_redraws():
    model = tiny()
    x, target = digits()
    explorer = pr.gates_explorer(model, x, target, example=[3, 1, 4, 1, 0, 2])
    explorer.set(l0h1=False, l1h3=False)
    assert explorer.error is None and "off: L0 H1, L1 H3" in explorer.readout.value
    assert "6 of 8 heads on" in explorer.figure._suptitle.get_text()
