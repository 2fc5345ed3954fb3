"""attnlib.attribution: the from-scratch layer equals PyTorch's, rollout and flow on cases
checked by hand, occlusion and gradient x input on a model where the answer is known."""

import pytest
import torch
import torch.nn.functional as F

from attnlib import attribution as at
from attnlib.analysis import entropy


def small_reader(causal, seed=0):
    torch.manual_seed(seed)
    return at.Reader(12, 8, dim=16, heads=2, causal=causal).eval()


def test_tasks_shapes_and_meaning():
    ids, targets, source = at.induction_task(32, torch.Generator().manual_seed(0))
    assert ids.shape == targets.shape == source.shape == (32, 16)
    b, q = (source >= 0).nonzero(as_tuple=True)
    assert len(b) > 0
    # the copy source follows the previous occurrence of the current token...
    assert torch.equal(ids[b, source[b, q] - 1], ids[b, q])
    # ...and holds the target, the next token
    assert torch.equal(ids[b, source[b, q]], targets[b, q]) and torch.equal(ids[b, q + 1], targets[b, q])
    assert ((targets == -100) == (source == -1)).all()

    ids, answer, pos = at.marker_task(32, torch.Generator().manual_seed(0))
    rows = torch.arange(32)
    assert (ids[:, 0] == at.CLS).all() and (ids[rows, pos - 1] == at.MARKER).all()
    assert torch.equal(ids[rows, pos], answer) and ((ids == at.MARKER).sum(1) == 1).all()


@pytest.mark.parametrize("causal", [False, True])
def test_attend_equals_library_torch_and_sdpa(causal):
    model = small_reader(causal)
    attn = model.attns[0]
    x = torch.randn(3, 8, 16, generator=torch.Generator().manual_seed(1))  # random inputs
    mask = torch.ones(8, 8, dtype=torch.bool).tril() if causal else None
    with torch.no_grad():
        out, w = at.attend(attn, x, mask)
        lib_out, lib_w = attn(x, mask=mask)
        ref_out, ref_w = attn.to_torch()(x, x, x, attn_mask=(~mask if causal else None),
                                         average_attn_weights=False)
        q, k, v = (attn.split_heads(p(x)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))
        sdpa = attn.out_proj(attn.merge_heads(F.scaled_dot_product_attention(q, k, v, is_causal=causal)))
    assert torch.allclose(out, lib_out, atol=1e-6) and torch.allclose(w, lib_w, atol=1e-6)
    assert torch.allclose(out, ref_out, atol=1e-5) and torch.allclose(w, ref_w, atol=1e-6)
    assert torch.allclose(out, sdpa, atol=1e-5)
    if causal:
        assert (w.triu(1) == 0).all()


def test_a_planted_sink_takes_position_0s_layer_0_weight_and_passes_nothing():
    model = small_reader(False)
    ids = torch.randint(at.FIRST, 12, (2, 8), generator=torch.Generator().manual_seed(2))
    sink = torch.tensor([3, 7])
    with torch.no_grad():
        logits, maps = model(ids)
        s_logits, s_maps = model(ids, sink=sink)
        attn, x = model.attns[0], model.norms[0](model.embed(ids) + model.pos.weight[:8])
        v = attn.split_heads(attn.v_proj(x))  # (B, H, N, D)
        v[[0, 1], :, [3, 7]] = 0.0
        expected = attn.out_proj(attn.merge_heads(s_maps[:, 0] @ v))
    assert (s_maps[[0, 1], 0, :, 0, [3, 7]] > 0.99).all()  # position 0 looks at the sink
    assert torch.equal(s_maps[:, 0, :, 1:], maps[:, 0, :, 1:])  # other rows of layer 0 unchanged
    assert torch.allclose(at.attend(attn, x, sink=sink)[0], expected, atol=1e-6)
    assert not torch.allclose(logits, s_logits)
    with pytest.raises(ValueError, match="sink"):
        model(ids, sink=torch.tensor([3]))


def test_rollout_closed_forms():
    eye = torch.eye(5).expand(3, 2, 5, 5)  # 3 layers, 2 heads, every token attends to itself
    assert torch.equal(at.rollout(eye), torch.eye(5))
    uniform = torch.full((2, 4, 4), 0.25)
    assert torch.allclose(at.rollout(uniform, residual=False), uniform[0])
    a = torch.tensor([[[1.0, 0.0], [0.5, 0.5]]])  # one layer: rollout = 0.5 A + 0.5 I
    assert torch.allclose(at.rollout(a), 0.5 * a[0] + 0.5 * torch.eye(2))
    # two layers, hand-multiplied
    a0 = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    a1 = torch.tensor([[0.5, 0.5], [0.0, 1.0]])
    assert torch.allclose(at.rollout(torch.stack([a0, a1]), residual=False),
                          torch.tensor([[0.75, 0.25], [0.5, 0.5]]))
    # rows stay distributions
    maps = torch.rand(3, 2, 6, 6, generator=torch.Generator().manual_seed(0)).softmax(-1)
    assert torch.allclose(at.rollout(maps).sum(-1), torch.ones(6), atol=1e-6)


def test_flow_closed_forms():
    a0 = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    a1 = torch.tensor([[0.5, 0.5], [0.0, 1.0]])
    maps = torch.stack([a0, a1])
    # to input 0: 0.5 through token 0 and 0.5 through token 1; to input 1: only via token 1, 0.5
    assert torch.allclose(at.flow(maps, 0, residual=False), torch.tensor([1.0, 0.5], dtype=torch.float64))
    assert torch.allclose(at.flow(maps, 1, residual=False), torch.tensor([0.5, 0.5], dtype=torch.float64))
    one = torch.rand(1, 5, 5, generator=torch.Generator().manual_seed(1)).softmax(-1)
    for i in range(5):  # one layer: one edge per path, the flow is the map itself
        assert torch.allclose(at.flow(one, i, residual=False).float(), one[0, i], atol=1e-6)
    assert torch.allclose(at.flow(torch.eye(4)[None].expand(2, 4, 4), 2),
                          torch.eye(4, dtype=torch.float64)[2])
    with pytest.raises(ValueError, match="query"):
        at.flow(maps, 2)


def test_bad_maps_and_ids_are_named():
    with pytest.raises(ValueError, match="maps"):
        at.rollout(torch.ones(4, 4))
    with pytest.raises(ValueError, match="ids"):
        small_reader(False)(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="ids"):
        small_reader(False)(torch.full((2, 4), 99))


def test_entropy_per_head_reuses_analysis():
    maps = torch.rand(2, 3, 2, 5, 5, generator=torch.Generator().manual_seed(0)).softmax(-1)
    assert torch.allclose(at.entropy_per_head(maps), entropy(maps).mean(dim=(0, -1)))
    one_hot = torch.eye(5).expand(1, 1, 1, 5, 5)
    assert at.entropy_per_head(one_hot).item() == 0.0


class ReadsToken2(torch.nn.Module):
    """Output at every position = a linear map of token 2's embedding: only token 2 matters."""

    vocab = 12

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Embedding(12, 6)
        self.read = torch.nn.Linear(6, 12)

    def forward(self, ids=None, *, embeds=None, sink=None):
        embeds = self.embed(ids) if embeds is None else embeds  # (B, N, E)
        logits = self.read(embeds[:, 2:3]).expand(-1, embeds.shape[1], -1)  # (B, N, V)
        return logits, None


def test_occlusion_and_grad_x_input_find_the_one_token_read():
    model = ReadsToken2()
    ids = torch.randint(at.FIRST, 12, (4, 8), generator=torch.Generator().manual_seed(3))
    occ = at.occlusion(model, ids)[:, 0]
    assert occ.shape == (4, 8) and (occ[:, 2] > 0).all()
    assert (occ[:, [0, 1, 3, 4, 5, 6, 7]] == 0).all()
    gxi = at.grad_x_input(model, ids, 0)
    assert gxi.shape == (4, 8) and (gxi[:, 2] > 0).all()
    assert (gxi[:, [0, 1, 3, 4, 5, 6, 7]] == 0).all()
    assert torch.allclose(at.shares(occ).sum(-1), torch.ones(4))
