"""Position information for attention: attention itself does not know word order.

Four ways to put order back in, one section each:

- absolute, added to the input: `sinusoidal` (fixed) and `LearnedPositionalEmbedding`;
- rotary (RoPE), applied to q and k: `apply_rope`, `rope_angles`;
- ALiBi, a bias added to the scores: `alibi_slopes`, `alibi_bias`;
- relative position scores (Shaw et al., 2018): `RelativePositionScores`,
  `relative_position_index`.

Notation: B batch, H heads, N sequence length (N_q queries, N_k keys), D head width,
E model width.
"""

import math

import torch
from torch import nn

from . import validate

# ---------------------------------------------------------------- absolute positions


def sinusoidal(n, dim, base=10000.0, *, dtype=torch.float32, device=None):
    """Fixed sinusoidal positional encoding (Vaswani et al., 2017). (N, dim)

        PE[p, 2i]     = sin(p / base^(2i / dim))
        PE[p, 2i + 1] = cos(p / base^(2i / dim))

    For an odd `dim` the last column is a sine with no cosine partner: there are
    ceil(dim / 2) sine columns and floor(dim / 2) cosine columns.
    For an even `dim`, PE[p] . PE[p + k] = sum_i cos(k / base^(2i / dim)) depends only on k.
    """
    validate.positive_int("n", n)
    validate.positive_int("dim", dim)
    validate.greater_than("base", base, 1)
    position = torch.arange(n, dtype=torch.float64)  # (N,)
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)  # (ceil(dim / 2),): 0, 2, 4, ...
    angles = position[:, None] / base ** (two_i / dim)  # (N, ceil(dim / 2))
    pe = torch.empty(n, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)  # ceil(dim / 2) columns
    pe[:, 1::2] = torch.cos(angles[:, : dim // 2])  # floor(dim / 2) columns
    return pe.to(device=device, dtype=dtype)


class LearnedPositionalEmbedding(nn.Module):
    """A learned table of position vectors, added to the input: x + table[:N].

    As in BERT and GPT-2; it cannot go past the `max_len` positions it was trained on.
    """

    def __init__(self, max_len, dim):
        super().__init__()
        validate.positive_int("max_len", max_len)
        validate.positive_int("dim", dim)
        self.max_len, self.dim = max_len, dim
        self.table = nn.Parameter(torch.empty(max_len, dim))  # (max_len, E)
        nn.init.normal_(self.table, std=0.02)

    def forward(self, x):
        """x (B, N, E) -> x + table[:N], (B, N, E)"""
        validate.sequence("x", x, self.dim)
        n = x.shape[1]
        if n > self.max_len:
            raise ValueError(
                f"sequence length N={n} is longer than max_len={self.max_len} "
                f"(x has shape {tuple(x.shape)})"
            )
        return x + self.table[:n]  # (B, N, E) + (N, E)

    def extra_repr(self):
        return f"max_len={self.max_len}, dim={self.dim}"


# ---------------------------------------------------------------- rotary (RoPE)


def rope_angles(positions, dim, base=10000.0):
    """Rotation angles for RoPE: angles[..., n, i] = positions[..., n] * base^(-2i / dim).

    positions (..., N) int or float; returns (..., N, dim // 2), in float64 if positions
    is float64, else float32.
    """
    validate.positive_int("dim", dim)
    validate.greater_than("base", base, 1)
    if dim % 2 != 0:
        raise ValueError(f"dim must be even for RoPE, got dim={dim}")
    positions = torch.as_tensor(positions)
    if positions.dtype == torch.bool or positions.is_complex():
        raise TypeError(f"positions must be an int or float tensor, got {positions.dtype}")
    dtype = torch.float64 if positions.dtype == torch.float64 else torch.float32
    i = torch.arange(dim // 2, dtype=dtype, device=positions.device)  # (D/2,)
    inv_freq = base ** (-2.0 * i / dim)  # (D/2,): 1, ..., about 1/base
    return positions.to(dtype)[..., None] * inv_freq  # (..., N, D/2)


def apply_rope(x, positions=None, base=10000.0):
    """Rotary position embedding (Su et al., 2021), "rotate-half" convention. (..., N, D)

    Dimension i is paired with dimension i + D/2 (as in GPT-NeoX and LLaMA in Hugging
    Face; the original paper pairs neighbours 2i and 2i + 1 instead). Each pair at
    position p is rotated by the angle p * theta_i, theta_i = base^(-2i / D):

        y[i]       = x[i] cos(p theta_i) - x[i + D/2] sin(p theta_i)
        y[i + D/2] = x[i] sin(p theta_i) + x[i + D/2] cos(p theta_i)

    Rotations keep norms, and rope(q, m) . rope(k, n) depends only on q, k and m - n.
    x (..., N, D) with D even; positions: default arange(N), or an int/float tensor of
    shape (N,) or broadcastable to x.shape[:-1] = (..., N).
    """
    validate.floating_tensor("x", x, 2, "(..., N, D)")
    n, d = x.shape[-2], x.shape[-1]
    if d % 2 != 0:
        raise ValueError(
            f"RoPE needs an even last dimension D, got D={d} (x has shape {tuple(x.shape)})"
        )
    if positions is None:
        positions = torch.arange(n, device=x.device)  # (N,)
    positions = torch.as_tensor(positions, device=x.device)
    try:
        fits = torch.broadcast_shapes(positions.shape, x.shape[:-1]) == x.shape[:-1]
    except RuntimeError:
        fits = False
    if positions.dim() == 0 or not fits:
        raise ValueError(
            f"positions of shape {tuple(positions.shape)} must be (N,) = ({n},) or "
            f"broadcastable to x.shape[:-1] = {tuple(x.shape[:-1])}"
        )

    if x.dtype == torch.float64:
        positions = positions.to(torch.float64)  # so the angles are float64 too
    angles = rope_angles(positions, d, base)  # (..., N, D/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]  # (..., N, D/2) each
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)  # (..., N, D)


# ---------------------------------------------------------------- ALiBi


def alibi_slopes(num_heads, *, dtype=torch.float32, device=None):
    """Per-head ALiBi slopes (Press et al., 2022). (H,)

    For H a power of two: the geometric sequence 2^(-8/H), 2^(-16/H), ..., 2^(-8);
    8 heads give 1/2, 1/4, ..., 1/256. Otherwise, with P the largest power of two
    below H: the P slopes for P heads, then every other slope of the 2P-head
    sequence (the 1st, 3rd, 5th, ...) until there are H.
    """
    validate.positive_int("num_heads", num_heads)
    return torch.tensor(_slopes(num_heads), dtype=dtype, device=device)


def _slopes(h):
    def power_of_two(p):
        start = 2.0 ** (-8.0 / p)
        return [start ** (k + 1) for k in range(p)]

    if h & (h - 1) == 0:  # h is a power of two
        return power_of_two(h)
    p = 2 ** math.floor(math.log2(h))
    return power_of_two(p) + _slopes(2 * p)[0::2][: h - p]


def alibi_bias(num_heads, n_q, n_k=None, *, dtype=torch.float32, device=None):
    """ALiBi's additive score bias: bias[h, i, j] = -slope_h * |i - j|. (H, N_q, N_k)

    Query i sits at position i and key j at position j (top-left aligned, like
    attnlib.masks.causal). Under a causal mask only j <= i is used, where this is the
    paper's -slope_h * (i - j). Add it to the scores (e.g. as a float mask). For a query
    block at the end of a longer key sequence (decoding with a cache) take
    `alibi_bias(H, n_k)[:, -n_q:]`.
    """
    n_k = n_q if n_k is None else n_k
    validate.positive_int("num_heads", num_heads)
    validate.positive_int("n_q", n_q)
    validate.positive_int("n_k", n_k)
    slopes = alibi_slopes(num_heads, dtype=torch.float64)  # (H,)
    i = torch.arange(n_q, dtype=torch.float64)[:, None]  # (N_q, 1)
    j = torch.arange(n_k, dtype=torch.float64)[None, :]  # (1, N_k)
    distance = (i - j).abs()  # (N_q, N_k)
    bias = -slopes[:, None, None] * distance  # (H, N_q, N_k)
    return bias.to(device=device, dtype=dtype)


# ---------------------------------------------------------------- relative (Shaw et al.)


def relative_position_index(n_q, n_k, max_distance, *, device=None):
    """index[i, j] = clip(j - i, -k, k) + k, with k = max_distance. (N_q, N_k) long

    Row i, column j names which of the 2k + 1 learned vectors a_ij query i uses for
    key j: distances further than k apart share the vector at the edge.
    """
    validate.positive_int("n_q", n_q)
    validate.positive_int("n_k", n_k)
    validate.positive_int("max_distance", max_distance, minimum=0)
    i = torch.arange(n_q, device=device)[:, None]  # (N_q, 1)
    j = torch.arange(n_k, device=device)[None, :]  # (1, N_k)
    return (j - i).clamp(-max_distance, max_distance) + max_distance  # (N_q, N_k)


class RelativePositionScores(nn.Module):
    """Learned relative-position scores (Shaw et al., 2018, eq. 5, the key part).

        s[i, j] = q_i . a_ij,   a_ij = w[clip(j - i, -k, k)],   k = max_distance

    with 2k + 1 learned vectors w[-k..k] of width D. Shaw et al. add s to q_i . k_j
    before scaling by 1/sqrt(D), so pass `scores / sqrt(D)` as a float mask to
    attnlib's scaled_dot_product_attention, which adds its mask after scaling.
    """

    def __init__(self, max_distance, head_dim):
        super().__init__()
        validate.positive_int("max_distance", max_distance, minimum=0)
        validate.positive_int("head_dim", head_dim)
        self.max_distance, self.head_dim = max_distance, head_dim
        self.table = nn.Embedding(2 * max_distance + 1, head_dim)  # row r: w[r - k], (2k+1, D)

    def forward(self, q, n_k):
        """q (..., N_q, D), n_k int -> scores (..., N_q, N_k)"""
        validate.floating_tensor("q", q, 2, "(..., N_q, D)")
        validate.last_dim("q", q, self.head_dim, f"(..., N_q, {self.head_dim})")
        validate.positive_int("n_k", n_k)
        n_q = q.shape[-2]
        index = relative_position_index(n_q, n_k, self.max_distance, device=q.device)
        # q_i . w_r for every query i and every distance r, then pick r = index[i, j].
        per_distance = q @ self.table.weight.to(q.dtype).T  # (..., N_q, 2k+1)
        index = index.expand(*per_distance.shape[:-1], n_k)  # (..., N_q, N_k)
        return per_distance.gather(-1, index)  # (..., N_q, N_k)

    def extra_repr(self):
        return f"max_distance={self.max_distance}, head_dim={self.head_dim}"
