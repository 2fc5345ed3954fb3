"""Attention masks, and the one convention all of attnlib uses for them.

attnlib's convention, for every mask argument of its classes and functions: True = may
attend. A *keep* mask (N_q, N_k) is True where query i may attend to key j (like
F.scaled_dot_product_attention's attn_mask); a *key mask* (B, N_k) is True for a real
token and False for padding (what `padding` returns; MultiHeadAttention's `key_mask`).
A mask may also be *additive*: a float tensor added to the scores, 0 where allowed and
-inf where not.

PyTorch's nn.MultiheadAttention and nn.Transformer* layers use the opposite, a *block*
convention: `attn_mask` is True where attention is forbidden and `key_padding_mask` is
True for padding. That convention lives only in the converters below
(to_mha_attn_mask, from_mha_attn_mask, to_mha_key_padding_mask, from_mha_key_padding_mask,
to_sdpa_mask) and in from_torch / to_torch, which copy weights.

Every mask here is a keep mask of shape (N_q, N_k) unless its docstring says otherwise.
"""

import torch

from . import validate

# ---------------------------------------------------------------- mask builders


def causal(n_q, n_k=None, *, device=None):
    """Query i may attend to keys 0..i (top-left aligned, like SDPA's is_causal). (N_q, N_k)"""
    n_k = n_q if n_k is None else n_k
    validate.positive_int("n_q", n_q)
    validate.positive_int("n_k", n_k)
    return torch.ones(n_q, n_k, dtype=torch.bool, device=device).tril()


def padding(lengths, max_len, *, device=None):
    """True for real tokens, False for padding: a key mask. (B, max_len)

    Give it to MultiHeadAttention and the blocks as `key_mask`. As a mask for
    core.scaled_dot_product_attention with scores of shape (B, N_q, N_k) use
    `padding(...)[:, None, :]`; for (B, H, N_q, N_k) use `padding(...)[:, None, None, :]`.
    """
    lengths = torch.as_tensor(lengths, device=device)
    validate.positive_int("max_len", max_len)
    if lengths.dim() != 1 or lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
        raise TypeError(
            f"lengths must be a 1-D sequence of ints, got {lengths.dtype} of shape "
            f"{tuple(lengths.shape)}"
        )
    if (lengths < 0).any() or (lengths > max_len).any():
        raise ValueError(f"lengths must lie in [0, max_len={max_len}], got {lengths.tolist()}")
    positions = torch.arange(max_len, device=lengths.device)  # (N,)
    return positions[None, :] < lengths[:, None]  # (B, N)


def window(n, size, *, device=None):
    """Local attention: query i may attend to keys j with |i - j| <= size. (N, N)"""
    validate.positive_int("n", n)
    validate.positive_int("size", size, minimum=0)
    i = torch.arange(n, device=device)
    return (i[:, None] - i[None, :]).abs() <= size


def prefix(n, prefix_len, *, device=None):
    """Prefix-LM mask: every query sees the first `prefix_len` tokens; the rest is causal. (N, N)"""
    validate.positive_int("n", n)
    validate.positive_int("prefix_len", prefix_len, minimum=0)
    if prefix_len > n:
        raise ValueError(f"prefix_len must be at most n={n}, got {prefix_len}")
    keep = causal(n, device=device)
    keep[:, :prefix_len] = True
    return keep


def combine(*masks):
    """Combine masks of one convention: keep masks by AND, additive masks by sum."""
    if not masks:
        raise ValueError("combine needs at least one mask")
    for i, m in enumerate(masks):
        validate.keep_or_additive(f"masks[{i}]", m)
    if all(m.dtype == torch.bool for m in masks):
        out = masks[0]
        for m in masks[1:]:
            out = out & m
        return out
    if all(m.is_floating_point() for m in masks):
        out = masks[0]
        for m in masks[1:]:
            out = out + m
        return out
    raise TypeError(
        "combine needs masks of one convention (all boolean keep or all additive float), "
        f"got dtypes {[m.dtype for m in masks]}"
    )


# ---------------------------------------------------------------- conventions


def keep_to_block(keep):
    """Keep mask (True = may attend) -> block mask (True = forbidden)."""
    validate.bool_tensor("keep", keep)
    return ~keep


def block_to_keep(block):
    """Block mask (True = forbidden) -> keep mask (True = may attend)."""
    validate.bool_tensor("block", block)
    return ~block


def keep_to_additive(keep, dtype=torch.float32):
    """Keep mask -> additive mask: 0.0 where kept, -inf where blocked."""
    validate.bool_tensor("keep", keep)
    zeros = torch.zeros(keep.shape, dtype=dtype, device=keep.device)
    return zeros.masked_fill(~keep, float("-inf"))


def additive_to_keep(additive):
    """Additive mask -> keep mask: True wherever the bias is not -inf."""
    validate.floating_tensor("additive", additive)
    return additive > float("-inf")


def to_mha_attn_mask(keep):
    """attnlib keep mask (True = may attend) -> PyTorch's `attn_mask` (True = blocked).

    For nn.MultiheadAttention and the nn.Transformer* layers (src_mask, tgt_mask, ...).
    """
    return keep_to_block(keep)


def from_mha_attn_mask(attn_mask):
    """PyTorch's `attn_mask` (bool True = blocked, or additive) -> attnlib mask."""
    validate.keep_or_additive("attn_mask", attn_mask)
    if attn_mask.dtype == torch.bool:
        return block_to_keep(attn_mask)
    return attn_mask  # additive masks mean the same thing in both libraries


def to_mha_key_padding_mask(key_mask):
    """attnlib key_mask (B, N_k), True = real token -> PyTorch's key_padding_mask, True = padding.

    For nn.MultiheadAttention's key_padding_mask and the nn.Transformer* layers'
    src_key_padding_mask, tgt_key_padding_mask and memory_key_padding_mask.
    """
    validate.bool_tensor("key_mask", key_mask, validate.KEY_MASK_MEANING)
    validate.ndim("key_mask", key_mask, 2, "(B, N_k)")
    return ~key_mask


def from_mha_key_padding_mask(key_padding_mask):
    """PyTorch's key_padding_mask (B, N_k), True = padding -> attnlib key_mask, True = real token."""
    validate.bool_tensor("key_padding_mask", key_padding_mask, "True = padding")
    validate.ndim("key_padding_mask", key_padding_mask, 2, "(B, N_k)")
    return ~key_padding_mask


def to_sdpa_mask(keep):
    """attnlib keep mask -> F.scaled_dot_product_attention's attn_mask (the same: True keeps)."""
    validate.bool_tensor("keep", keep)
    return keep


def fully_masked_rows(mask):
    """True for each query row that may attend to nothing. (..., N_q)"""
    validate.keep_or_additive("mask", mask)
    keep = mask if mask.dtype == torch.bool else additive_to_keep(mask)
    return ~keep.any(dim=-1)


# ---------------------------------------------------------------- by name (explorers)


def by_name(kind, n, size=1):
    """The keep mask called `kind` for a sequence of n tokens, or None for 'none'.

    size means: window -> neighbours on each side; prefix -> prefix length;
    padding -> number of real tokens (keys from there on are padding).
    """
    validate.one_of("mask kind", kind, ("none", "causal", "padding", "window", "prefix"))
    if kind == "none":
        return None
    if kind == "causal":
        return causal(n)
    if kind == "window":
        return window(n, size)
    if kind == "prefix":
        return prefix(n, min(size, n))
    # kind == "padding": the same keys for every query
    return padding([min(max(size, 1), n)], n)[0].expand(n, n)  # (N, N)


def describe(kind, size=1):
    """One line saying what by_name(kind, n, size) allows."""
    return {
        "none": "no mask: every query sees every key",
        "causal": "causal: query i sees keys j <= i",
        "window": f"window: query i sees keys with |i - j| <= {size}",
        "prefix": f"prefix: the first {size} tokens are seen by all, the rest is causal",
        "padding": f"padding: only the first {max(size, 1)} tokens are real keys",
    }[kind]


def draw(mask, x_labels=None, y_labels=None, *, title="Mask (yellow = may attend)"):
    """Draw any 2-D mask (keep or additive) as a picture: a matplotlib Figure."""
    from .viz import draw_mask  # imported here so that masks does not need matplotlib

    return draw_mask(mask, x_labels, y_labels, title=title)
