"""Multi-head latent attention (MLA, DeepSeek-V2): cache a small latent, not keys and values.

Each token is compressed to a latent c = x W_dkv of width r (latent_dim). Every head's
key and value are up-projections of it, k_h = c W_uk,h and v_h = c W_uv,h, so the cache
only needs c: r numbers per token and layer instead of 2 H D.

RoPE does not fit this: a rotation that depends on the key's position, applied to
c W_uk,h, would sit between the query and W_uk,h. So DeepSeek-V2 *decouples* it: each
head also has a small rotary query part q_r,h (width R, rope_dim), and one rotary key
k_r = rope(x W_kr), shared by all heads, is cached beside c. A head's score is

    (q_h . k_h + q_r,h . k_r) / sqrt(D + R).

Two ways to compute the same thing:
- naive: up-project the cached latents to keys and values for every head, then attend;
- absorbed: fold W_uk,h into the query projection (q_h . c W_uk,h = (q_h W_uk,h^T) . c)
  and W_uv,h into the output projection, then attend over the latents themselves: one
  shared key (c, k_r) of width r + R and one shared value c of width r for every head.
The rotary part is kept out of the folding. Both forms are tested equal.

(DeepSeek-V2 also compresses the queries and normalises the latent; both are left out here.)

Notation: B batch, H heads, N (N_q, N_k) lengths, D head width, R rotary width,
r latent width, E model width.
"""

import math

import torch
from torch import nn

from . import validate
from .core import scaled_dot_product_attention
from .gqa import position_mask
from .positional import apply_rope


class LatentCache:
    """The latents c (B, max_len, r) and shared rotary keys k_r (B, max_len, R) so far."""

    def __init__(self, batch, max_len, latent_dim, rope_dim, *, dtype=torch.float32, device=None):
        for name, value in (("batch", batch), ("max_len", max_len), ("latent_dim", latent_dim),
                            ("rope_dim", rope_dim)):
            validate.positive_int(name, value)
        self.max_len = max_len
        self.c = torch.zeros(batch, max_len, latent_dim, dtype=dtype, device=device)
        self.k_rope = torch.zeros(batch, max_len, rope_dim, dtype=dtype, device=device)
        self.length = 0

    def update(self, c_new, k_rope_new):
        """Append c_new (B, N, r) and k_rope_new (B, N, R). Returns all latents (B, length, r),
        rotary keys (B, length, R) and their positions (length,)."""
        B, _, r = self.c.shape
        R = self.k_rope.shape[-1]
        for name, t, width in (("c_new", c_new, r), ("k_rope_new", k_rope_new, R)):
            validate.floating_tensor(name, t, 3, "(B, N, width)")
            if t.dim() != 3 or t.shape[0] != B or t.shape[2] != width:
                raise ValueError(f"{name} must have shape (B, N, {width}) with B={B}, "
                                 f"got {tuple(t.shape)}")
        n = c_new.shape[1]
        if self.length + n > self.max_len:
            raise ValueError(f"LatentCache overflow: c_new adds {n} tokens to the {self.length} "
                             f"cached, more than max_len={self.max_len}; make the cache larger")
        self.c[:, self.length:self.length + n] = c_new
        self.k_rope[:, self.length:self.length + n] = k_rope_new
        self.length += n
        positions = torch.arange(self.length, device=self.c.device)
        return self.c[:, :self.length], self.k_rope[:, :self.length], positions

    def nbytes(self):
        return self.c.nbytes + self.k_rope.nbytes


class MultiHeadLatentAttention(nn.Module):
    """Causal self-attention whose keys and values come from a shared latent of width r.

    forward(x, cache=None, absorbed=False) -> (B, N, E); absorbed=True computes the same
    output by attending over the latents directly (see the module docstring).
    """

    def __init__(self, embed_dim, num_heads, head_dim, latent_dim, rope_dim):
        super().__init__()
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads),
                            ("head_dim", head_dim), ("latent_dim", latent_dim),
                            ("rope_dim", rope_dim)):
            validate.positive_int(name, value)
        if rope_dim % 2:
            raise ValueError(f"rope_dim must be even for RoPE, got {rope_dim}")
        H, D, r, R = num_heads, head_dim, latent_dim, rope_dim
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, H, D
        self.latent_dim, self.rope_dim = r, R
        self.q_proj = nn.Linear(embed_dim, H * D, bias=False)  # E -> H D
        self.q_rope = nn.Linear(embed_dim, H * R, bias=False)  # E -> H R
        self.kv_down = nn.Linear(embed_dim, r, bias=False)  # E -> r: the cached latent
        self.k_rope = nn.Linear(embed_dim, R, bias=False)  # E -> R: the cached rotary key
        self.k_up = nn.Linear(r, H * D, bias=False)  # r -> H D
        self.v_up = nn.Linear(r, H * D, bias=False)  # r -> H D
        self.out_proj = nn.Linear(H * D, embed_dim, bias=False)  # H D -> E

    def split(self, x, width):
        """(B, N, H * width) -> (B, H, N, width)"""
        B, N, _ = x.shape
        return x.view(B, N, self.num_heads, width).transpose(1, 2)

    def absorbed_weights(self):
        """W_q_lat (H, E, r) = W_q,h^T W_uk,h: x -> the query against the latent;
        W_out_lat (H, r, E) = W_uv,h^T W_o,h^T: a head's latent mix -> model width."""
        H, D, r, E = self.num_heads, self.head_dim, self.latent_dim, self.embed_dim
        w_q = self.q_proj.weight.view(H, D, E)  # (H, D, E)
        w_uk = self.k_up.weight.view(H, D, r)  # (H, D, r)
        w_uv = self.v_up.weight.view(H, D, r)  # (H, D, r)
        w_o = self.out_proj.weight.view(E, H, D).transpose(0, 1)  # (H, E, D)
        return w_q.transpose(1, 2) @ w_uk, w_uv.transpose(1, 2) @ w_o.transpose(1, 2)

    def forward(self, x, cache=None, absorbed=False):
        """x (B, N, E): N new tokens after the cache's (positions 0..N-1 without one)."""
        validate.sequence("x", x, self.embed_dim)
        B, N, _ = x.shape
        start = 0 if cache is None else cache.length
        pos = torch.arange(start, start + N, device=x.device)  # (N,)
        c = self.kv_down(x)  # (B, N, r)
        k_r = apply_rope(self.k_rope(x), pos)  # (B, N, R): one rotary key for all heads
        q_r = apply_rope(self.split(self.q_rope(x), self.rope_dim), pos)  # (B, H, N, R)
        if cache is None:
            k_pos = pos
        else:
            c, k_r, k_pos = cache.update(c, k_r)  # (B, N_k, r), (B, N_k, R), (N_k,)
        keep = position_mask(pos, k_pos)  # (N, N_k) causal
        scale = 1.0 / math.sqrt(self.head_dim + self.rope_dim)
        if absorbed:
            w_q_lat, w_out_lat = self.absorbed_weights()
            q_lat = torch.einsum("bne,her->bhnr", x, w_q_lat)  # (B, H, N, r)
            q = torch.cat([q_lat, q_r], dim=-1)  # (B, H, N, r + R)
            k = torch.cat([c, k_r], dim=-1)[:, None]  # (B, 1, N_k, r + R): shared by heads
            mixed, _ = scaled_dot_product_attention(q, k, c[:, None], keep, scale=scale)
            return torch.einsum("bhnr,hre->bne", mixed, w_out_lat)  # (B, N, E)
        H, R = self.num_heads, self.rope_dim
        q = torch.cat([self.split(self.q_proj(x), self.head_dim), q_r], dim=-1)  # (B, H, N, D + R)
        k = self.split(self.k_up(c), self.head_dim)  # (B, H, N_k, D)
        k = torch.cat([k, k_r[:, None].expand(B, H, -1, R)], dim=-1)  # (B, H, N_k, D + R)
        v = self.split(self.v_up(c), self.head_dim)  # (B, H, N_k, D)
        out, _ = scaled_dot_product_attention(q, k, v, keep, scale=scale)  # (B, H, N, D)
        out = out.transpose(1, 2).reshape(B, N, H * self.head_dim)  # (B, N, H D)
        return self.out_proj(out)  # (B, N, E)

    def new_cache(self, batch, max_len):
        w = self.kv_down.weight
        return LatentCache(batch, max_len, self.latent_dim, self.rope_dim, dtype=w.dtype,
                           device=w.device)


def latent_cache_bytes(layers, latent_dim, rope_dim, tokens, bytes_per_element=2, batch=1):
    """Bytes of an MLA cache: a latent of width r and a rotary key of width R per token and
    layer, layers * (r + R) * tokens * bytes_per_element * batch."""
    for name, value in (("layers", layers), ("latent_dim", latent_dim), ("rope_dim", rope_dim),
                        ("bytes_per_element", bytes_per_element), ("batch", batch)):
        validate.positive_int(name, value)
    validate.positive_int("tokens", tokens, minimum=0)
    return layers * (latent_dim + rope_dim) * tokens * bytes_per_element * batch
