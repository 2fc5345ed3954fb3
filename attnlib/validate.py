"""Input validation in one place: every attnlib module checks its arguments with these.

Each function raises a TypeError (wrong kind of thing) or a ValueError (right kind, wrong
size) whose message names the argument and says what it got. They return nothing.

Masks follow attnlib's one convention: True = may attend (see attnlib.masks).

Notation: B batch, H heads, N sequence length (N_q queries, N_k keys), D head width,
E model width.
"""

import torch

KEY_MASK_MEANING = "True = a real token that may be attended, as attnlib.masks.padding returns"


# ---------------------------------------------------------------- numbers and names


def positive_int(name, value, minimum=1):
    """An int (not a bool) of at least `minimum`; minimum=0 also allows zero."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def greater_than(name, value, bound):
    """A number (int or float, not a bool) strictly greater than `bound`."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > bound:
        raise ValueError(f"{name} must be a number greater than {bound}, got {value!r}")


def probability(name, value):
    """A dropout probability: a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def one_of(name, value, choices):
    """One of a few allowed values, e.g. an activation's name."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")


def heads(embed_dim, num_heads):
    """Positive embed_dim and num_heads, with embed_dim divisible by num_heads (D = E // H)."""
    positive_int("embed_dim", embed_dim)
    positive_int("num_heads", num_heads)
    if embed_dim % num_heads != 0:
        raise ValueError(
            f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim}, "
            f"num_heads={num_heads} (remainder {embed_dim % num_heads})"
        )


# ---------------------------------------------------------------- tensors


def tensor(name, t):
    """A torch.Tensor, not a list or an array."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")


def bool_tensor(name, t, meaning=None):
    """A boolean tensor; `meaning` (e.g. "True = may attend") goes into the message."""
    if not isinstance(t, torch.Tensor) or t.dtype != torch.bool:
        got = t.dtype if isinstance(t, torch.Tensor) else type(t).__name__
        what = f"a boolean tensor ({meaning})" if meaning else "a boolean tensor"
        raise TypeError(f"{name} must be {what}, got {got}")


def floating_tensor(name, t, min_dims=0, shape=""):
    """A floating-point tensor with at least `min_dims` dimensions, named by `shape`."""
    tensor(name, t)
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    if t.dim() < min_dims:
        raise ValueError(
            f"{name} must have at least {min_dims} dimensions {shape}, got shape {tuple(t.shape)}"
        )


def ndim(name, t, n, shape):
    """Exactly n dimensions, named by `shape` (e.g. "(B, N_k)")."""
    if t.dim() != n:
        raise ValueError(f"{name} must have {n} dimensions {shape}, got shape {tuple(t.shape)}")


def last_dim(name, t, size, shape):
    """The last dimension has `size` entries; `shape` names them all, e.g. "(..., N, 8)"."""
    if t.dim() == 0 or t.shape[-1] != size:
        raise ValueError(f"{name} must have shape {shape}, got shape {tuple(t.shape)}")


def sequence(name, x, width):
    """A batch-first sequence: floating, (B, N, width) with N >= 1."""
    floating_tensor(name, x)
    if x.dim() != 3 or x.shape[-1] != width:
        raise ValueError(
            f"{name} must have shape (B, N, {width}) (batch first), got shape {tuple(x.shape)}"
        )
    if x.shape[1] == 0:
        raise ValueError(f"{name} is an empty sequence (N = 0): shape {tuple(x.shape)}")


def same_length(what, q, k):
    """N_q == N_k, for methods that only do self-attention."""
    if q.shape[-2] != k.shape[-2]:
        raise ValueError(f"{what} needs N_q == N_k, got N_q={q.shape[-2]}, N_k={k.shape[-2]}")


# ---------------------------------------------------------------- attention inputs


def qkv(q, k, v):
    """q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v): one dtype and device, leading
    dimensions that broadcast, no empty sequence."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        floating_tensor(name, t, 2, "(..., N, D)")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k, v must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if not (q.device == k.device == v.device):
        raise ValueError(f"q, k, v must be on one device, got {q.device}, {k.device}, {v.device}")
    q_shape, k_shape, v_shape = tuple(q.shape), tuple(k.shape), tuple(v.shape)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            "the last dimension (D) of q and k must match: "
            f"q has shape {q_shape}, k has shape {k_shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            "k and v must have the same sequence length N_k: "
            f"k has shape {k_shape}, v has shape {v_shape}"
        )
    if q.shape[-2] == 0 or k.shape[-2] == 0:
        raise ValueError(
            f"empty sequence: q has shape {q_shape}, k has shape {k_shape} "
            "(N_q and N_k must be at least 1)"
        )
    if q.shape[-1] == 0:
        raise ValueError(f"q and k have an empty feature dimension D: q has shape {q_shape}")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "the leading (batch) dimensions of q, k, v do not match or broadcast: "
            f"q {q_shape}, k {k_shape}, v {v_shape}"
        ) from None


def multihead_qkv(query, key, value, embed_dim, kdim, vdim):
    """Batch-first query (B, N_q, E), key (B, N_k, kdim), value (B, N_k, vdim)."""
    sequence("query", query, embed_dim)
    sequence("key", key, kdim)
    sequence("value", value, vdim)
    if not query.shape[0] == key.shape[0] == value.shape[0]:
        raise ValueError(
            "query, key and value must have the same batch size B: got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if key.shape[1] != value.shape[1]:
        raise ValueError(
            "key and value must have the same sequence length N_k: got shapes "
            f"{tuple(key.shape)}, {tuple(value.shape)}"
        )


# ---------------------------------------------------------------- masks


def keep_or_additive(name, mask):
    """A mask in one of attnlib's two forms: boolean keep (True = may attend) or additive float."""
    tensor(name, mask)
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(
            f"{name} must be boolean (True = may attend) or floating (added to the scores), "
            f"got dtype {mask.dtype}"
        )


def mask(mask, scores_shape, name="mask"):
    """A keep or additive mask that broadcasts to the scores' shape (..., N_q, N_k)."""
    keep_or_additive(name, mask)
    scores_shape = tuple(scores_shape)
    try:
        fits = torch.broadcast_shapes(mask.shape, scores_shape) == scores_shape
    except RuntimeError:
        fits = False
    if fits:
        return
    hint = ""
    if mask.dim() == 2 and len(scores_shape) >= 3 and mask.shape == (scores_shape[0], scores_shape[-1]):
        hint = (
            " A (B, N_k) key mask such as attnlib.masks.padding(lengths, N_k) needs "
            "mask[:, None, :] for scores (B, N_q, N_k), mask[:, None, None, :] for (B, H, N_q, N_k)."
        )
    raise ValueError(
        f"{name} of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
        f"{scores_shape} (..., N_q, N_k).{hint}"
    )


def multihead_mask(name, mask, B, H, N_q, N_k, key_name="key_mask"):
    """None, or a keep/additive mask of shape (N_q, N_k), (B, N_q, N_k) or (B, H, N_q, N_k)
    where B and H may be 1. key_name: the argument where a (B, N_k) mask belongs."""
    if mask is None:
        return
    keep_or_additive(name, mask)
    shape = tuple(mask.shape)
    fits = shape[-2:] == (N_q, N_k) and (
        mask.dim() == 2
        or (mask.dim() == 3 and shape[0] in (1, B))
        or (mask.dim() == 4 and shape[0] in (1, B) and shape[1] in (1, H))
    )
    if fits:
        return
    hint = ""
    if mask.dim() >= 2 and shape[0] == B and shape[-1] == N_k and set(shape[1:-1]) <= {1}:
        hint = (
            " A (B, N_k) mask of real tokens, such as attnlib.masks.padding(lengths, N_k), "
            f"goes in {key_name}."
        )
    raise ValueError(
        f"{name} of shape {shape} does not fit: {name} must have shape (N_q, N_k) = "
        f"{(N_q, N_k)}, (B, N_q, N_k) = {(B, N_q, N_k)} or (B, H, N_q, N_k) = "
        f"{(B, H, N_q, N_k)}, where B and H may be 1.{hint}"
    )


def key_mask(name, key_mask, B, N_k):
    """None, or a (B, N_k) boolean mask with True = a real token that may be attended."""
    if key_mask is None:
        return
    bool_tensor(name, key_mask, KEY_MASK_MEANING)
    if tuple(key_mask.shape) != (B, N_k):
        raise ValueError(
            f"{name} must have shape (B, N_k) = {(B, N_k)}, got {tuple(key_mask.shape)}"
        )


def padding_keyword(old, new):
    """The TypeError for a PyTorch-style padding keyword that attnlib does not take."""
    return TypeError(
        f"{old} is not an attnlib argument: attnlib uses {new}, a (B, N) bool mask with "
        f"{KEY_MASK_MEANING}. A PyTorch-style mask with True = padding converts with "
        f"attnlib.masks.from_mha_key_padding_mask({old})."
    )
