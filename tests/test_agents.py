"""The grid world and the entity-attention policy: worlds are what the docstring says, the
attention step is PyTorch's, and the policy ignores the order of the entities."""

import torch
import torch.nn.functional as F

from attnlib import agents


def test_worlds_have_one_goal_of_the_agents_colour_on_distinct_cells():
    colours, cells, agent, goal = agents.world(500, generator=torch.Generator().manual_seed(0))
    rows = torch.arange(500)
    assert colours.shape == (500, 8) and cells.shape == (500, 8, 2)
    assert (agent != goal).all()
    assert torch.equal(colours[rows, agent], colours[rows, goal])
    same = colours == colours[rows, agent][:, None]
    assert (same.sum(1) == 2).all()  # only the agent and the goal have that colour
    flat = cells[..., 0] * agents.GRID + cells[..., 1]
    assert all(len(set(f.tolist())) == 8 for f in flat)
    assert (agent.bincount(minlength=8) > 30).all()  # shuffled: the agent sits anywhere


def test_good_moves_bring_the_agent_closer():
    colours, cells, agent, goal = agents.world(300, generator=torch.Generator().manual_seed(1))
    good = agents.good_moves(cells, agent, goal)
    rows = torch.arange(300)
    for m in range(4):
        after = cells[rows, agent] + agents.STEP[m]
        closer = ((cells[rows, goal] - after).abs().sum(-1)
                  < (cells[rows, goal] - cells[rows, agent]).abs().sum(-1))
        assert torch.equal(good[:, m], closer)
    assert (good.sum(1) >= 1).all() and (good.sum(1) <= 2).all()


def test_attention_step_is_sdpa_and_order_does_not_matter():
    torch.manual_seed(0)
    policy = agents.EntityAttention()
    x, agent, _, _ = agents.task(16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        logits, weights = policy(x, agent)
        h, rows = policy.encode(x), torch.arange(16)
        q = policy.q(x[rows, agent])[:, None]
        o = F.scaled_dot_product_attention(q, policy.k(x), policy.v(h))
        assert torch.allclose(policy.head(torch.cat([h[rows, agent], o[:, 0]], -1)), logits,
                              atol=1e-6)
        perm = torch.randperm(8, generator=torch.Generator().manual_seed(3))
        again, again_w = policy(x[:, perm], perm.argsort()[agent])
    assert torch.allclose(weights.sum(-1), torch.ones(16))
    assert torch.allclose(logits, again, atol=1e-6)
    assert torch.allclose(weights[:, perm], again_w, atol=1e-6)


def test_policies_are_about_the_same_size_and_the_loss_prefers_good_moves():
    sizes = {name: sum(p.numel() for p in kind().parameters())
             for name, kind in agents.POLICIES.items()}
    assert max(sizes.values()) < 2.5 * min(sizes.values())
    x, agent, good, goal = agents.task(8, generator=torch.Generator().manual_seed(4))

    class Oracle(torch.nn.Module):  # puts all its probability on the good moves
        def forward(self, x, agent):
            return torch.where(good, 20.0, -20.0), None

    assert agents.move_loss(Oracle(), (x, agent, good, goal)) < 1e-6
    policy = agents.EntityAttention()
    assert agents.move_loss(policy, (x, agent, good, goal)) > 0.1
