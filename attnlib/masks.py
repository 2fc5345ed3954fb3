"""Attention masks and the three conventions people write them in.

attnlib (like F.scaled_dot_product_attention) uses a *keep* mask: a boolean tensor that
is True where a query may attend to a key. Two other conventions are common:

- *block*: boolean, True where attention is forbidden. nn.MultiheadAttention's
  `attn_mask` and `key_padding_mask` use it (for key_padding_mask, True = padding).
- *additive*: a float tensor added to the scores, 0 where allowed and -inf where not.

Every mask here is a keep mask of shape (N_q, N_k) unless its docstring says otherwise.
"""

import torch


def _check_length(name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _check_bool(name, mask):
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"{name} must be a boolean tensor, got {got}")


# ---------------------------------------------------------------- mask builders


def causal(n_q, n_k=None, *, device=None):
    """Query i may attend to keys 0..i (top-left aligned, like SDPA's is_causal). (N_q, N_k)"""
    n_k = n_q if n_k is None else n_k
    _check_length("n_q", n_q)
    _check_length("n_k", n_k)
    return torch.ones(n_q, n_k, dtype=torch.bool, device=device).tril()


def padding(lengths, max_len, *, device=None):
    """True for real tokens, False for padding. (B, max_len)

    As a key mask for scores of shape (B, N_q, N_k) use `padding(...)[:, None, :]`;
    for (B, H, N_q, N_k) use `padding(...)[:, None, None, :]`.
    """
    lengths = torch.as_tensor(lengths, device=device)
    _check_length("max_len", max_len)
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
    _check_length("n", n)
    _check_length("size", size, minimum=0)
    i = torch.arange(n, device=device)
    return (i[:, None] - i[None, :]).abs() <= size


def prefix(n, prefix_len, *, device=None):
    """Prefix-LM mask: every query sees the first `prefix_len` tokens; the rest is causal. (N, N)"""
    _check_length("n", n)
    _check_length("prefix_len", prefix_len, minimum=0)
    if prefix_len > n:
        raise ValueError(f"prefix_len must be at most n={n}, got {prefix_len}")
    keep = causal(n, device=device)
    keep[:, :prefix_len] = True
    return keep


def combine(*masks):
    """Combine masks of one convention: keep masks by AND, additive masks by sum."""
    if not masks:
        raise ValueError("combine needs at least one mask")
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
    _check_bool("keep", keep)
    return ~keep


def block_to_keep(block):
    """Block mask (True = forbidden) -> keep mask (True = may attend)."""
    _check_bool("block", block)
    return ~block


def keep_to_additive(keep, dtype=torch.float32):
    """Keep mask -> additive mask: 0.0 where kept, -inf where blocked."""
    _check_bool("keep", keep)
    zeros = torch.zeros(keep.shape, dtype=dtype, device=keep.device)
    return zeros.masked_fill(~keep, float("-inf"))


def additive_to_keep(additive):
    """Additive mask -> keep mask: True wherever the bias is not -inf."""
    if not isinstance(additive, torch.Tensor) or not additive.is_floating_point():
        raise TypeError("additive must be a floating-point tensor")
    return additive > float("-inf")


def to_mha_attn_mask(keep):
    """attnlib keep mask -> nn.MultiheadAttention's `attn_mask` (True = blocked)."""
    return keep_to_block(keep)


def from_mha_attn_mask(attn_mask):
    """nn.MultiheadAttention's `attn_mask` (bool True = blocked, or additive) -> attnlib mask."""
    if attn_mask.dtype == torch.bool:
        return block_to_keep(attn_mask)
    return attn_mask  # additive masks mean the same thing in both libraries


def to_mha_key_padding_mask(token_keep):
    """(B, N) True = real token -> nn.MultiheadAttention's key_padding_mask (True = padding)."""
    return keep_to_block(token_keep)


def from_mha_key_padding_mask(key_padding_mask):
    """nn.MultiheadAttention's key_padding_mask (True = padding) -> (B, N) True = real token."""
    return block_to_keep(key_padding_mask)


def to_sdpa_mask(keep):
    """attnlib keep mask -> F.scaled_dot_product_attention's attn_mask (the same: True keeps)."""
    _check_bool("keep", keep)
    return keep


def fully_masked_rows(mask):
    """True for each query row that may attend to nothing. (..., N_q)"""
    keep = mask if mask.dtype == torch.bool else additive_to_keep(mask)
    return ~keep.any(dim=-1)


# ---------------------------------------------------------------- by name (explorers)


def by_name(kind, n, size=1):
    """The keep mask called `kind` for a sequence of n tokens, or None for 'none'.

    size means: window -> neighbours on each side; prefix -> prefix length;
    padding -> number of real tokens (keys from there on are padding).
    """
    if kind == "none":
        return None
    if kind == "causal":
        return causal(n)
    if kind == "window":
        return window(n, size)
    if kind == "prefix":
        return prefix(n, min(size, n))
    if kind == "padding":
        return padding([min(max(size, 1), n)], n)[0].expand(n, n)  # (N, N): same keys for every query
    raise ValueError(f"mask kind must be one of none, causal, padding, window, prefix; got {kind!r}")


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
