"""Transformer blocks built from attnlib's MultiHeadAttention, batch-first.

Each block equals PyTorch's nn.TransformerEncoderLayer / nn.TransformerDecoderLayer
given the same weights (`from_torch`), in both the post-norm layout of the original
paper (norm_first=False) and the pre-norm layout most models use now (norm_first=True):

    post-norm:  x = norm(x + sublayer(x))
    pre-norm:   x = x + sublayer(norm(x))

A ViT block is a pre-norm EncoderBlock with activation="gelu"; no separate class needed.

Masks follow MultiHeadAttention and all of attnlib: `mask` is a keep mask (True = may
attend) or an additive float mask; a key mask is (B, N_k) bool with True = a real token
that may be attended, as attnlib.masks.padding(lengths, N_k) returns. PyTorch's layers
take the opposite (True = blocked, True = padding): attnlib.masks converts.
After each forward the blocks keep their attention weights, detached, for plotting:
EncoderBlock.last_weights, DecoderBlock.last_self_weights and .last_cross_weights.

Notation: B batch, N (N_q, N_k) sequence lengths, E model width, H heads.
"""

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .multihead import MultiHeadAttention

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class FeedForward(nn.Module):
    """Position-wise feed-forward network: linear2(dropout(act(linear1(x)))). (B, N, E)"""

    def __init__(self, embed_dim, ff_dim, dropout=0.0, activation="relu", *, bias=True):
        super().__init__()
        validate.positive_int("embed_dim", embed_dim)
        validate.positive_int("ff_dim", ff_dim)
        validate.probability("dropout", dropout)
        validate.one_of("activation", activation, tuple(ACTIVATIONS))
        self.activation = activation
        self.linear1 = nn.Linear(embed_dim, ff_dim, bias=bias)  # E -> ff_dim
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ff_dim, embed_dim, bias=bias)  # ff_dim -> E

    def forward(self, x):
        """x (..., E) -> (..., E)"""
        act = ACTIVATIONS[self.activation]
        return self.linear2(self.dropout(act(self.linear1(x))))


class EncoderBlock(nn.Module):
    """Self-attention then feed-forward, each with a residual connection and LayerNorm.

    forward(x, mask, key_mask) -> x (B, N, E); the attention weights
    (B, H, N, N) of the latest forward are kept in `self.last_weights`.
    """

    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.0, norm_first=False,
                 activation="relu", layer_norm_eps=1e-5, *, bias=True):
        super().__init__()  # MultiHeadAttention and FeedForward check the sizes
        self.embed_dim, self.num_heads, self.norm_first = embed_dim, num_heads, norm_first
        self.self_attn = MultiHeadAttention(embed_dim, num_heads, bias=bias, dropout=dropout)
        self.ff = FeedForward(embed_dim, ff_dim, dropout, activation, bias=bias)
        self.norm1 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.last_weights = None

    def forward(self, x, mask=None, key_mask=None, *, key_padding_mask=None):
        """x (B, N, E); mask keep/additive (N, N), (B, N, N) or (B, H, N, N);
        key_mask (B, N) bool, True = real token, e.g. attnlib.masks.padding(lengths, N).
        Returns (B, N, E)."""
        if key_padding_mask is not None:
            raise validate.padding_keyword("key_padding_mask", "key_mask")
        validate.sequence("x", x, self.embed_dim)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), mask, key_mask)
            x = x + self.dropout2(self.ff(self.norm2(x)))
        else:
            x = self.norm1(x + self._self_attention(x, mask, key_mask))
            x = self.norm2(x + self.dropout2(self.ff(x)))
        return x

    def _self_attention(self, x, mask, key_mask):
        out, weights = self.self_attn(x, mask=mask, key_mask=key_mask)
        self.last_weights = weights.detach()  # (B, H, N, N)
        return self.dropout1(out)

    @classmethod
    def from_torch(cls, layer):
        """Copy an nn.TransformerEncoderLayer (batch_first and norm_first either way).

        Our block is always batch-first: give it x of shape (B, N, E) even when the
        layer has batch_first=False, a keep mask where the layer takes a block mask
        (attnlib.masks.from_mha_attn_mask converts) and a key_mask (True = real token)
        where it takes src_key_padding_mask (masks.from_mha_key_padding_mask converts).
        """
        if not isinstance(layer, nn.TransformerEncoderLayer):
            raise TypeError(f"layer must be an nn.TransformerEncoderLayer, got {type(layer).__name__}")
        ours = cls(**_layer_config(layer))
        ours.to(device=layer.linear1.weight.device, dtype=layer.linear1.weight.dtype)
        ours.self_attn = MultiHeadAttention.from_torch(layer.self_attn)
        _copy_ff_and_norms(ours, layer, ["norm1", "norm2"])
        return ours.train(layer.training)


class DecoderBlock(nn.Module):
    """Masked self-attention, cross-attention over `memory`, then feed-forward, each
    with a residual connection and LayerNorm.

    The attention weights of the latest forward are kept in `self.last_self_weights`
    (B, H, N, N) and `self.last_cross_weights` (B, H, N, N_mem).
    """

    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.0, norm_first=False,
                 activation="relu", layer_norm_eps=1e-5, *, bias=True):
        super().__init__()  # MultiHeadAttention and FeedForward check the sizes
        self.embed_dim, self.num_heads, self.norm_first = embed_dim, num_heads, norm_first
        self.self_attn = MultiHeadAttention(embed_dim, num_heads, bias=bias, dropout=dropout)
        self.cross_attn = MultiHeadAttention(embed_dim, num_heads, bias=bias, dropout=dropout)
        self.ff = FeedForward(embed_dim, ff_dim, dropout, activation, bias=bias)
        self.norm1 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.norm3 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.last_self_weights = None
        self.last_cross_weights = None

    def forward(self, x, memory, self_mask=None, memory_mask=None, self_key_mask=None,
                memory_key_mask=None, *, self_key_padding_mask=None,
                memory_key_padding_mask=None):
        """x (B, N, E), memory (B, N_mem, E) -> (B, N, E).

        self_mask: keep/additive (N, N), e.g. attnlib.masks.causal(N); memory_mask:
        keep/additive (N, N_mem); self_key_mask (B, N) and memory_key_mask (B, N_mem):
        bool, True = real token, e.g. attnlib.masks.padding(lengths, N).
        """
        if self_key_padding_mask is not None:
            raise validate.padding_keyword("self_key_padding_mask", "self_key_mask")
        if memory_key_padding_mask is not None:
            raise validate.padding_keyword("memory_key_padding_mask", "memory_key_mask")
        validate.sequence("x", x, self.embed_dim)
        validate.sequence("memory", memory, self.embed_dim)
        if memory.shape[0] != x.shape[0]:
            raise ValueError(
                "memory must have the same batch size B as x: got x of shape "
                f"{tuple(x.shape)} and memory of shape {tuple(memory.shape)}"
            )
        (B, N, _), N_mem, H = x.shape, memory.shape[1], self.num_heads
        validate.multihead_mask("self_mask", self_mask, B, H, N, N, key_name="self_key_mask")
        validate.multihead_mask("memory_mask", memory_mask, B, H, N, N_mem,
                                key_name="memory_key_mask")
        validate.key_mask("self_key_mask", self_key_mask, B, N)
        validate.key_mask("memory_key_mask", memory_key_mask, B, N_mem)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), self_mask, self_key_mask)
            x = x + self._cross_attention(self.norm2(x), memory, memory_mask, memory_key_mask)
            x = x + self.dropout3(self.ff(self.norm3(x)))
        else:
            x = self.norm1(x + self._self_attention(x, self_mask, self_key_mask))
            x = self.norm2(x + self._cross_attention(x, memory, memory_mask, memory_key_mask))
            x = self.norm3(x + self.dropout3(self.ff(x)))
        return x

    def _self_attention(self, x, mask, key_mask):
        out, weights = self.self_attn(x, mask=mask, key_mask=key_mask)
        self.last_self_weights = weights.detach()  # (B, H, N, N)
        return self.dropout1(out)

    def _cross_attention(self, x, memory, mask, key_mask):
        out, weights = self.cross_attn(x, memory, memory, mask=mask, key_mask=key_mask)
        self.last_cross_weights = weights.detach()  # (B, H, N, N_mem)
        return self.dropout2(out)

    @classmethod
    def from_torch(cls, layer):
        """Copy an nn.TransformerDecoderLayer (batch_first and norm_first either way).

        As for EncoderBlock.from_torch: inputs are always (B, N, E) here, masks are keep
        masks where the layer takes block masks, and key masks are True = real token
        where the layer's *_key_padding_mask is True = padding.
        """
        if not isinstance(layer, nn.TransformerDecoderLayer):
            raise TypeError(f"layer must be an nn.TransformerDecoderLayer, got {type(layer).__name__}")
        ours = cls(**_layer_config(layer))
        ours.to(device=layer.linear1.weight.device, dtype=layer.linear1.weight.dtype)
        ours.self_attn = MultiHeadAttention.from_torch(layer.self_attn)
        ours.cross_attn = MultiHeadAttention.from_torch(layer.multihead_attn)
        _copy_ff_and_norms(ours, layer, ["norm1", "norm2", "norm3"])
        return ours.train(layer.training)


# ---------------------------------------------------------------- from PyTorch


def _activation_name(fn):
    """'relu' or 'gelu' for the activations PyTorch's layers accept; error otherwise."""
    if fn is F.relu or isinstance(fn, nn.ReLU):
        return "relu"
    if fn is F.gelu or (isinstance(fn, nn.GELU) and fn.approximate == "none"):
        return "gelu"
    raise ValueError(f"unsupported activation {fn!r}: only relu and exact gelu are supported")


def _layer_config(layer):
    """The arguments that build our block with the shape of a PyTorch Transformer layer."""
    return dict(
        embed_dim=layer.self_attn.embed_dim, num_heads=layer.self_attn.num_heads,
        ff_dim=layer.linear1.out_features, dropout=layer.dropout.p, norm_first=layer.norm_first,
        activation=_activation_name(layer.activation), layer_norm_eps=layer.norm1.eps,
        bias=layer.linear1.bias is not None,
    )


def _copy_ff_and_norms(ours, layer, norm_names):
    """Copy linear1, linear2 and the LayerNorms from a PyTorch layer into `ours`."""
    for name in norm_names:
        if not getattr(layer, name).elementwise_affine:
            raise ValueError(f"layer.{name} has no affine weights; this is not supported")
    with torch.no_grad():
        pairs = [(ours.ff.linear1, layer.linear1), (ours.ff.linear2, layer.linear2)]
        pairs += [(getattr(ours, name), getattr(layer, name)) for name in norm_names]
        for mine, theirs in pairs:
            mine.weight.copy_(theirs.weight)
            if theirs.bias is not None:
                mine.bias.copy_(theirs.bias)
