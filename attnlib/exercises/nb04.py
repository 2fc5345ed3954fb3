"""Exercise checks for notebook 04 (cross-attention)."""

import torch
from torch import nn

from ..multihead import MultiHeadAttention
from .harness import as_bool, attempt, close, close_pair, describe, private_rng, report
from .nb03 import qkv_reference


def check_cross_attention(cross_attention):
    """cross_attention(x_q (N_q, E_q), x_kv (N_k, E_kv), w_q (E_q, D), w_k, w_v (E_kv, D))
    -> (output (N_q, D), weights (N_q, N_k))."""
    name = "cross_attention"
    g = torch.Generator().manual_seed(5)
    x_q = torch.randn(3, 6, generator=g, dtype=torch.float64)
    x_kv = torch.randn(8, 10, generator=g, dtype=torch.float64)
    w_q = torch.randn(6, 4, generator=g, dtype=torch.float64)
    w_k, w_v = (torch.randn(10, 4, generator=g, dtype=torch.float64) for _ in range(2))
    args = (x_q, x_kv, w_q, w_k, w_v)
    ok, got = attempt(name, cross_attention, *(a.clone() for a in args))
    if not ok:
        return False
    return close_pair(name, got, qkv_reference(*args))


def check_leak_detector(leaks_across_batch):
    """leaks_across_batch(f, x (B, N, E)) -> True if f's output for one batch element
    depends on another element's input."""
    name = "leaks_across_batch"
    with private_rng(6):  # the modules' initial weights come from the global RNG
        ours = MultiHeadAttention(8, 2).eval()
        seq_first = nn.MultiheadAttention(8, 2).eval()
        batch_first = nn.MultiheadAttention(8, 2, batch_first=True).eval()
        x = torch.randn(4, 5, 8)
    cases = {
        "attnlib MultiHeadAttention": (lambda x: ours(x)[0], False),
        "nn.MultiheadAttention(batch_first=True)": (lambda x: batch_first(x, x, x)[0], False),
        "nn.MultiheadAttention() fed (B, N, E)": (lambda x: seq_first(x, x, x)[0], True),
        "batch-mean centring": (lambda x: x - x.mean(0), True),
        "a per-token function": (lambda x: torch.tanh(2 * x), False),
    }
    for case, (f, leaks) in cases.items():
        with torch.no_grad():
            ok, got = attempt(name, leaks_across_batch, f, x.clone())
        if not ok:
            return False
        said = as_bool(got)
        if said is None:
            return report(name, False, f"returned {describe(got)} for {case}, expected True or False")
        if said != leaks:
            return report(name, False, f"said {said} for {case}, which "
                          + ("leaks" if leaks else "does not leak"))
    return report(name, True, f"right on all {len(cases)} modules")


def check_seq_first_call(self_attend):
    """self_attend(m, x (B, N, E)) -> (B, N, E): self-attention by a batch_first=False
    nn.MultiheadAttention m, called correctly on batch-first x."""
    name = "seq_first_call"
    with private_rng(7):  # the module's initial weights come from the global RNG
        m = nn.MultiheadAttention(8, 2).eval()
        x = torch.randn(3, 6, 8)
    with torch.no_grad():
        s = x.transpose(0, 1)  # (N, B, E)
        expected = m(s, s, s)[0].transpose(0, 1)  # (B, N, E)
        ok, got = attempt(name, self_attend, m, x.clone())
    if not ok:
        return False
    return close(name, got, expected, atol=1e-5)
