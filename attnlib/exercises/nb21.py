"""Exercise checks for notebook 21 (pruning heads)."""

import torch

from .harness import attempt, describe, difference, report


def check_gate_heads(gate_heads):
    """gate_heads(merged (B, N, H*D), gates (H,), num_heads) -> (B, N, H*D): head h's D
    columns multiplied by gates[h]."""
    name = "gate_heads"
    g = torch.Generator().manual_seed(21)
    for B, N, H, D in ((2, 3, 4, 2), (1, 5, 2, 3), (3, 2, 3, 4)):
        merged = torch.randn(B, N, H * D, generator=g)
        gates = (torch.rand(H, generator=g) > 0.5).float()
        gates[0] = 0.5  # a gate between 0 and 1 too
        ok, got = attempt(name, gate_heads, merged.clone(), gates.clone(), H)
        if not ok:
            return False
        expected = (merged.view(B, N, H, D) * gates[:, None]).view(B, N, H * D)
        problem = difference(got, expected, atol=1e-6)
        if problem:
            return report(name, False, f"B={B}, N={N}, H={H}, D={D}, gates {gates.tolist()}: {problem}")
    return report(name, True)


def check_slice_head_weights(slice_head_weights):
    """slice_head_weights(w_in (H*D, E), b_in (H*D,), w_out (E, H*D), keep, head_dim) ->
    (w_in rows of the kept heads, their b_in entries, w_out columns of the kept heads)."""
    name = "slice_head_weights"
    g = torch.Generator().manual_seed(22)
    for H, D, E, keep in ((4, 2, 8, [0, 2]), (3, 3, 9, [2]), (4, 4, 16, [1, 2, 3])):
        w_in, b_in = torch.randn(H * D, E, generator=g), torch.randn(H * D, generator=g)
        w_out = torch.randn(E, H * D, generator=g)
        ok, got = attempt(name, slice_head_weights, w_in.clone(), b_in.clone(), w_out.clone(), list(keep), D)
        if not ok:
            return False
        if not (isinstance(got, (tuple, list)) and len(got) == 3):
            return report(name, False, f"returned {describe(got)}, expected three tensors (w_in, b_in, w_out)")
        rows = torch.cat([torch.arange(h * D, (h + 1) * D) for h in keep])
        for part, g_part, e_part in (("w_in", got[0], w_in[rows]), ("b_in", got[1], b_in[rows]),
                                     ("w_out", got[2], w_out[:, rows])):
            problem = difference(g_part, e_part, atol=0)
            if problem:
                return report(name, False, f"H={H}, D={D}, keep {keep}, {part}: {problem}")
    return report(name, True)


def check_ablation_drops(ablation_drops):
    """ablation_drops(score, num_layers, num_heads) -> (L, H) tensor: score(all gates 1)
    minus score(gates 1 except a 0 at (l, h)), where score takes gates (L, H)."""
    name = "ablation_drops"
    g = torch.Generator().manual_seed(23)
    for L, H in ((2, 4), (3, 2), (1, 3)):
        value = torch.rand(L, H, generator=g)  # what each head is worth in this made-up score
        pair = torch.rand(L, H, generator=g)  # and an interaction, so that order matters

        def score(gates, L=L, H=H, value=value, pair=pair):
            if not (isinstance(gates, torch.Tensor) and gates.shape == (L, H)):
                raise ValueError(f"score takes gates of shape ({L}, {H}), got {describe(gates)}")
            return float((value * gates).sum() + 0.1 * (pair * gates).prod())

        ok, got = attempt(name, ablation_drops, score, L, H)
        if not ok:
            return False
        full = score(torch.ones(L, H))
        expected = torch.zeros(L, H)
        for layer in range(L):
            for head in range(H):
                gates = torch.ones(L, H)
                gates[layer, head] = 0.0
                expected[layer, head] = full - score(gates)
        problem = difference(got, expected, atol=1e-5)
        if problem:
            return report(name, False, f"L={L}, H={H}: {problem}")
    return report(name, True)
