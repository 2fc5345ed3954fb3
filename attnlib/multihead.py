"""Multi-head attention, batch-first, equal to nn.MultiheadAttention with copied weights.

Masks follow attnlib's one convention, True = may attend: `mask` (N_q, N_k) says which
query may attend to which key, `key_mask` (B, N_k) says which keys are real tokens (True)
and which are padding (False). nn.MultiheadAttention's attn_mask and key_padding_mask mean
the opposite (True = blocked, True = padding); attnlib.masks.to_mha_attn_mask,
to_mha_key_padding_mask and their from_mha_* partners convert.

Notation: B batch, N_q / N_k sequence lengths, E model width, H heads, D = E // H.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .core import scaled_dot_product_attention


class MultiHeadAttention(nn.Module):
    """H heads of scaled dot-product attention over learned projections of width E."""

    def __init__(self, embed_dim, num_heads, *, kdim=None, vdim=None, bias=True, dropout=0.0):
        super().__init__()
        validate.heads(embed_dim, num_heads)
        for name, dim in (("kdim", kdim), ("vdim", vdim)):
            if dim is not None:
                validate.positive_int(name, dim)
        validate.probability("dropout", dropout)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(self.kdim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(self.vdim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def split_heads(self, x):
        """(B, N, E) -> (B, H, N, D)"""
        B, N, _ = x.shape
        return x.view(B, N, self.num_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x):
        """(B, H, N, D) -> (B, N, E)"""
        B, _, N, _ = x.shape
        return x.transpose(1, 2).reshape(B, N, self.embed_dim)

    def attend(self, q, k, v, mask=None, dropout_p=0.0):
        """The readable path's attention: q (B, H, N_q, D), k and v (B, H, N_k, D).

        attnlib.core.scaled_dot_product_attention, except at inference (no autograd, no mask,
        no dropout), where the same maths lets the softmax overwrite the scores: one
        (B, H, N_q, N_k) tensor is allocated instead of two, as nn.MultiheadAttention does.
        Returns (output (B, H, N_q, D), weights (B, H, N_q, N_k)).
        """
        if mask is not None or dropout_p > 0.0 or torch.is_grad_enabled():
            return scaled_dot_product_attention(q, k, v, mask, dropout_p=dropout_p)
        scores = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-2, -1)  # (B, H, N_q, N_k)
        weights = torch.softmax(scores, dim=-1, out=scores)  # in place: the scores are not needed again
        return weights @ v, weights  # (B, H, N_q, D), (B, H, N_q, N_k)

    def forward(self, query, key=None, value=None, mask=None, key_mask=None, *,
                need_weights=True, key_padding_mask=None):
        """query (B, N_q, E); key (B, N_k, kdim), value (B, N_k, vdim), default: self-attention.

        mask: who may attend to whom; a keep mask (bool, True = may attend) or an additive
        float mask, of shape (N_q, N_k), (B, N_q, N_k) or (B, H, N_q, N_k), where B and H
        may be 1.
        key_mask: (B, N_k) bool, True = a real token that may be attended, False = padding;
        exactly what attnlib.masks.padding(lengths, N_k) returns.
        need_weights: True (the default) runs the readable path, attnlib's own attention,
        and returns the weights. False runs the fast path, F.scaled_dot_product_attention,
        which computes the same output without building the weights (tested equal).
        Returns (output (B, N_q, E), weights (B, H, N_q, N_k), or None when need_weights is
        False). A query that may attend to nothing gets zero weights and a zero output.
        """
        if key_padding_mask is not None:
            raise validate.padding_keyword("key_padding_mask", "key_mask")
        key = query if key is None else key
        value = key if value is None else value
        validate.multihead_qkv(query, key, value, self.embed_dim, self.kdim, self.vdim)
        B, N_q, _ = query.shape
        N_k = key.shape[1]
        validate.multihead_mask("mask", mask, B, self.num_heads, N_q, N_k)
        validate.key_mask("key_mask", key_mask, B, N_k)

        q = self.split_heads(self.q_proj(query))  # (B, H, N_q, D)
        k = self.split_heads(self.k_proj(key))  # (B, H, N_k, D)
        v = self.split_heads(self.v_proj(value))  # (B, H, N_k, D)

        if mask is not None and mask.dim() == 3:
            mask = mask[:, None]  # (B, 1, N_q, N_k): the same mask for every head
        if key_mask is not None:
            keep = key_mask[:, None, None, :]  # (B, 1, 1, N_k)
            if mask is None:
                mask = keep
            elif mask.dtype == torch.bool:
                mask = mask & keep
            else:
                mask = mask.masked_fill(~keep, float("-inf"))

        p = self.dropout if self.training else 0.0
        if need_weights:  # the readable path
            out, weights = self.attend(q, k, v, mask, dropout_p=p)
        else:  # the fast path: PyTorch's fused kernels, no (B, H, N_q, N_k) weights kept
            out, weights = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p), None
            if mask is not None:  # our promise for empty rows, whatever kernel PyTorch picks
                keep = mask if mask.dtype == torch.bool else mask > float("-inf")
                out = out.masked_fill(~keep.any(dim=-1, keepdim=True), 0.0)  # (B, H, N_q, D)
        return self.out_proj(self.merge_heads(out)), weights  # (B, N_q, E), (B, H, N_q, N_k)

    # ------------------------------------------------------------ to and from PyTorch

    @classmethod
    def from_torch(cls, m):
        """Build one from an nn.MultiheadAttention, copying its weights (either batch_first)."""
        if m.bias_k is not None or m.add_zero_attn:
            raise ValueError("add_bias_kv and add_zero_attn are not supported")
        bias = m.out_proj.bias is not None
        ours = cls(m.embed_dim, m.num_heads, kdim=m.kdim, vdim=m.vdim, bias=bias, dropout=m.dropout)
        # Match device and dtype before copying, so float64 weights stay exact.
        ours = ours.to(device=m.out_proj.weight.device, dtype=m.out_proj.weight.dtype)
        E = m.embed_dim
        with torch.no_grad():
            if m._qkv_same_embed_dim:
                wq, wk, wv = m.in_proj_weight.split(E)
            else:
                wq, wk, wv = m.q_proj_weight, m.k_proj_weight, m.v_proj_weight
            for proj, w in ((ours.q_proj, wq), (ours.k_proj, wk), (ours.v_proj, wv)):
                proj.weight.copy_(w)
            ours.out_proj.weight.copy_(m.out_proj.weight)
            if bias:
                bq, bk, bv = m.in_proj_bias.split(E)
                for proj, b in ((ours.q_proj, bq), (ours.k_proj, bk), (ours.v_proj, bv)):
                    proj.bias.copy_(b)
                ours.out_proj.bias.copy_(m.out_proj.bias)
        return ours.train(m.training)

    def to_torch(self):
        """An nn.MultiheadAttention (batch_first=True) with the same weights."""
        bias = self.out_proj.bias is not None
        m = nn.MultiheadAttention(
            self.embed_dim, self.num_heads, dropout=self.dropout, bias=bias,
            kdim=self.kdim, vdim=self.vdim, batch_first=True,
        ).to(device=self.out_proj.weight.device, dtype=self.out_proj.weight.dtype)
        with torch.no_grad():
            if m._qkv_same_embed_dim:
                m.in_proj_weight.copy_(
                    torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
                )
            else:
                m.q_proj_weight.copy_(self.q_proj.weight)
                m.k_proj_weight.copy_(self.k_proj.weight)
                m.v_proj_weight.copy_(self.v_proj.weight)
            m.out_proj.weight.copy_(self.out_proj.weight)
            if bias:
                m.in_proj_bias.copy_(torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]))
                m.out_proj.bias.copy_(self.out_proj.bias)
        return m
