"""Exercise checks for notebook 17 (efficient attention)."""

import torch

from .harness import as_number, as_tensor, attempt, describe, difference, report


def _tensors(got, count, names):
    """(float32 tensors, None) if got is a tuple of `count` tensors, else (None, the problem)."""
    if not isinstance(got, (tuple, list)) or len(got) != count:
        return None, f"returned {describe(got)}, expected the {'tuple' if count > 2 else 'pair'} ({names})"
    parts = [as_tensor(t) for t in got]
    for label, part, raw in zip(names.split(", "), parts, got):
        if part is None:
            return None, f"{label} is {describe(raw)}, expected a tensor"
    return [p.to(torch.float32) for p in parts], None


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
        pair, problem = _tensors(got, 2, "m_new, ell_new")
        if problem:
            return report(name, False, f"at step {j + 1}: {problem}")
        m, ell = pair
        if m.shape != x[:, j].shape or ell.shape != x[:, j].shape:
            return report(name, False, f"at step {j + 1}: shapes {tuple(m.shape)} and {tuple(ell.shape)}, "
                                       f"expected {tuple(x[:, j].shape)} like m, ell and x_j")
        if not torch.isfinite(ell).all():
            return report(name, False, f"ell became {ell.tolist()} at step {j + 1}: measure exp() against m_new")
    if not torch.equal(m, x.max(dim=1).values):
        return report(name, False, "after the last step m is not the maximum score")
    problem = difference(torch.exp(x - m[:, None]) / ell[:, None], torch.softmax(x, dim=1), atol=1e-5)
    if problem:
        return report(name, False, f"softmax from your final m and ell: {problem}")
    return report(name, True)


def check_causal_tiles(causal_tiles):
    """causal_tiles(n, block) -> number of (query-block, key-block) tiles a causal kernel computes."""
    name = "causal_tiles"
    for n, block in ((1, 1), (7, 7), (100, 10), (1000, 64), (63, 64), (65, 64), (4096, 128)):
        ok, got = attempt(name, causal_tiles, n, block)
        if not ok:
            return False
        count = as_number(got)
        if count is None:
            return report(name, False, f"returned {describe(got)} for n={n}, block={block}, expected a number")
        t = -(-n // block)  # ceil(n / block) blocks each way
        if count != t * (t + 1) // 2:
            hint = " (the last block may be shorter: round the block count up)" if n % block else ""
            return report(name, False, f"got {got} for n={n}, block={block}; expected {t * (t + 1) // 2}{hint}")
    return report(name, True)


def _softmax_state(x, v):
    """(max m (N_q, 1), sum l (N_q, 1), unnormalised output a (N_q, D)) over the keys of x."""
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
        ok, got = attempt(name, merge, *(t.clone() for t in (*one, *two)))
        if not ok:
            return False
        full = _softmax_state(x, v)
        triple, problem = _tensors(got, 3, "m, l, a")
        if problem:
            return report(name, False, f"scores shifted by {shift:+.0f}: {problem}")
        m, ell, a = triple
        if not torch.isfinite(a).all() or not torch.isfinite(ell).all():
            return report(name, False, f"non-finite result with scores shifted by {shift}: rescale by exp(m_i - m)")
        for label, mine, want in (("m", m, full[0]), ("l", ell, full[1]), ("a", a, full[2])):
            if mine.shape != want.shape:
                return report(name, False, f"{label} has shape {tuple(mine.shape)}, expected {tuple(want.shape)} "
                                           f"with scores shifted by {shift:+.0f}")
            diff = (mine - want).abs().max().item()
            if not diff <= 1e-4 * max(1.0, want.abs().max().item()):
                return report(name, False, f"{label} off by {diff:.3g} with scores shifted by {shift:+.0f}")
    return report(name, True)
