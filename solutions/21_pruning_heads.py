"""Worked solutions for notebook 21. Try the exercises first."""

import torch


def gate_heads(merged, gates, num_heads):
    B, N, E = merged.shape
    heads = merged.view(B, N, num_heads, E // num_heads)  # (B, N, H, D): one slice per head
    return (heads * gates[:, None]).view(B, N, E)  # gates (H, 1) broadcast over D


def slice_head_weights(w_in, b_in, w_out, keep, head_dim):
    # Head h owns rows h*D..(h+1)*D-1 of a q/k/v projection and the same columns of out_proj.
    rows = torch.cat([torch.arange(h * head_dim, (h + 1) * head_dim) for h in keep])
    return w_in[rows], b_in[rows], w_out[:, rows]


def ablation_drops(score, num_layers, num_heads):
    full = score(torch.ones(num_layers, num_heads))
    drops = torch.zeros(num_layers, num_heads)
    for layer in range(num_layers):
        for head in range(num_heads):
            gates = torch.ones(num_layers, num_heads)
            gates[layer, head] = 0.0  # this head off, every other head on
            drops[layer, head] = full - score(gates)
    return drops


CHECKS = {
    "check_gate_heads": gate_heads,
    "check_slice_head_weights": slice_head_weights,
    "check_ablation_drops": ablation_drops,
}
