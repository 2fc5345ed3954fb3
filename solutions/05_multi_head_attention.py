"""Worked solutions for notebook 05. Try the exercises first."""

import math

import torch


def split_heads(x, num_heads):
    B, N, E = x.shape
    D = E // num_heads
    # Split the feature axis into (H, D) first, so head h owns features h*D:(h+1)*D,
    # then bring H next to B so that every head is a batch of its own.
    return x.view(B, N, num_heads, D).transpose(1, 2)  # (B, N, H, D) -> (B, H, N, D)


def mha_einsum(x, W_q, W_k, W_v, W_o, num_heads):
    B, N, E = x.shape
    H, D = num_heads, E // num_heads
    # nn.Linear computes x @ W.T, so row e of W is output feature e; rows h*D:(h+1)*D
    # are head h's projection: view W as (H, D, E).
    q = torch.einsum("bne,hde->bhnd", x, W_q.view(H, D, E))  # (B, H, N, D)
    k = torch.einsum("bne,hde->bhnd", x, W_k.view(H, D, E))
    v = torch.einsum("bne,hde->bhnd", x, W_v.view(H, D, E))
    scores = torch.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(D)  # (B, H, N, N), per head
    weights = torch.softmax(scores, dim=-1)
    heads = torch.einsum("bhij,bhjd->bhid", weights, v)  # (B, H, N, D)
    # The output projection reads column block h of W_o for head h and sums over heads.
    return torch.einsum("bhnd,fhd->bnf", heads, W_o.view(E, H, D))  # (B, N, E)


def attention_flops(B, N, E, H):
    # A (m, k) @ (k, n) product costs 2*m*k*n FLOPs. H does not appear: the heads split
    # the same work into H pieces of width D = E / H.
    projections = 4 * 2 * B * N * E * E  # q, k, v and the output projection
    scores = 2 * B * N * N * E  # H heads of (N, D) @ (D, N)
    weighted_sum = 2 * B * N * N * E  # H heads of (N, N) @ (N, D)
    return projections + scores + weighted_sum


CHECKS = {
    "check_split_heads": split_heads,
    "check_mha_einsum": mha_einsum,
    "check_attention_flops": attention_flops,
}
