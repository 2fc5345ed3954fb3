"""Exercise checks for notebook 16 (attention for decisions)."""

import torch

from .. import agents
from .harness import attempt, difference, report


def check_good_moves(good_moves):
    """good_moves(gap (B, 2) rows, columns) -> (B, 4) bool over (up, down, left, right)."""
    name = "good_moves"
    gap = torch.tensor([[r, c] for r in range(-3, 4) for c in range(-3, 4)])  # (49, 2)
    ok, got = attempt(name, good_moves, gap.clone())
    if not ok:
        return False
    expected = (agents.STEP[None] * gap[:, None]).sum(-1) > 0
    answer = got.long() if isinstance(got, torch.Tensor) and got.dtype == torch.bool else got
    problem = difference(answer, expected.long(), atol=0)
    if problem:
        return report(name, False, f"over every offset from -3 to 3: {problem} "
                                   "(row 0 is the top: 'up' lowers the row)")
    return report(name, True)


def check_agent_rows(agent_rows):
    """agent_rows(h (B, K, W), agent (B,)) -> h[b, agent[b]] for every b, shape (B, W)."""
    name = "agent_rows"
    g = torch.Generator().manual_seed(16)
    for B, K, W in ((4, 8, 3), (1, 5, 2), (6, 3, 4)):
        h, agent = torch.randn(B, K, W, generator=g), torch.randint(K, (B,), generator=g)
        ok, got = attempt(name, agent_rows, h.clone(), agent.clone())
        if not ok:
            return False
        problem = difference(got, h[torch.arange(B), agent], atol=0)
        if problem:
            return report(name, False, f"B={B}, K={K}, W={W}: {problem} (one row per world)")
    return report(name, True)


def check_shuffle_world(shuffle_world):
    """shuffle_world(x (B, K, F), agent (B,), perm (K,)) -> (x[:, perm], the agent's new index)."""
    name = "shuffle_world"
    g = torch.Generator().manual_seed(17)
    for B, K in ((3, 8), (1, 4), (5, 6)):
        x, agent = torch.randn(B, K, 2, generator=g), torch.randint(K, (B,), generator=g)
        perm = torch.randperm(K, generator=g)
        ok, got = attempt(name, shuffle_world, x.clone(), agent.clone(), perm.clone())
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return report(name, False, "return two things: the features and the agent's index")
        expected_agent = perm.argsort()[agent]  # where each agent went
        problem = difference(got[0], x[:, perm], atol=0)
        if problem:
            return report(name, False, f"features, B={B}, K={K}: {problem}")
        problem = difference(got[1], expected_agent, atol=0)
        if problem:
            return report(name, False, f"agent index, B={B}, K={K}: {problem} (the new index "
                                       "i is where perm[i] equals the old index)")
    return report(name, True)
