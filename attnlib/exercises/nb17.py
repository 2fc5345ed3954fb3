"""Exercise checks for notebook 17 (efficient attention)."""

import torch

from .harness import attempt, close, report


def check_online_step(online_step):
    """online_step(m, ell, x_j) -> (m_new, ell_new): one step of the online softmax."""
    name = "online_step"
    g = torch.Generator().manual_seed(17)
    x = torch.randn(5, 40, generator=g) * 3
    x[1] += 500.0  # exp(500) overflows: the running max must keep the sum finite
    x[2, 25] = 60.0  # a late jump of the maximum: the old sum must be rescaled
    m = torch.full((5,), float("-inf"))
    ell = torch.zeros(5)
    for j in range(x.shape[1]):
        ok, got = attempt(name, online_step, m.clone(), ell.clone(), x[:, j].clone())
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return report(name, False, "return the pair (m_new, l_new)")
        m, ell = (torch.as_tensor(t, dtype=torch.float32) for t in got)
        if not torch.isfinite(ell).all():
            return report(name, False, f"ell became {ell.tolist()} at step {j + 1}: measure exp() against m_new")
    if not torch.equal(m, x.max(dim=1).values):
        return report(name, False, "after the last step m is not the maximum score")
    return close(name, torch.exp(x - m[:, None]) / ell[:, None], torch.softmax(x, dim=1), atol=1e-5)


def check_causal_tiles(causal_tiles):
    """causal_tiles(n, block) -> number of (query-block, key-block) tiles a causal kernel computes."""
    name = "causal_tiles"
    for n, block in ((1, 1), (7, 7), (100, 10), (1000, 64), (63, 64), (65, 64), (4096, 128)):
        ok, got = attempt(name, causal_tiles, n, block)
        if not ok:
            return False
        t = -(-n // block)  # ceil(n / block) blocks each way
        if got != t * (t + 1) // 2:
            hint = " (the last block may be shorter: round the block count up)" if n % block else ""
            return report(name, False, f"got {got} for n={n}, block={block}; expected {t * (t + 1) // 2}{hint}")
    return report(name, True)


def _softmax_state(x, v):
    m = x.max(dim=-1, keepdim=True).values  # (N_q, 1)
    p = torch.exp(x - m)  # (N_q, N_k)
    return m, p.sum(dim=-1, keepdim=True), p @ v


def check_merge_softmax_states(merge):
    """merge(m1, l1, a1, m2, l2, a2) -> (m, l, a) of the online softmax over both key sets."""
    name = "merge"
    g = torch.Generator().manual_seed(1717)
    for shift in (0.0, 300.0, -300.0):  # second half far larger / smaller: exp must not overflow
        x = torch.randn(6, 30, generator=g) * 2  # scores (N_q, N_k)
        x[:, 12:] += shift
        v = torch.randn(30, 5, generator=g)  # values (N_k, D)
        one, two = _softmax_state(x[:, :12], v[:12]), _softmax_state(x[:, 12:], v[12:])
        ok, got = attempt(name, merge, *one, *two)
        if not ok:
            return False
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return report(name, False, "return the triple (m, l, a)")
        m, ell, a = (torch.as_tensor(t, dtype=torch.float32) for t in got)
        full_m, full_l, full_a = _softmax_state(x, v)
        if not torch.isfinite(a).all() or not torch.isfinite(ell).all():
            return report(name, False, f"non-finite result with scores shifted by {shift}: rescale by exp(m_i - m)")
        for label, mine, want in (("m", m, full_m), ("l", ell, full_l), ("a", a, full_a)):
            if mine.shape != want.shape:
                return report(name, False, f"{label} has shape {tuple(mine.shape)}, expected {tuple(want.shape)}")
            diff = (mine - want).abs().max().item()
            if not diff <= 1e-4 * max(1.0, want.abs().max().item()):
                return report(name, False, f"{label} off by {diff:.3g} with scores shifted by {shift:+.0f}")
    return report(name, True)
