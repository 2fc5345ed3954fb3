"""Scaled dot-product attention: the one formula the whole series builds on.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(D) + M) V

Shapes: q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v); the leading dimensions
("...", usually (B,) or (B, H)) must broadcast against each other.
"""

import math

import torch
import torch.nn.functional as F


def _shape(t):
    return tuple(t.shape)


def check_qkv(q, k, v):
    """Raise a clear error if q, k, v cannot go into attention together."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
        if t.dim() < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., N, D), got shape {_shape(t)}"
            )
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k, v must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            "the last dimension (D) of q and k must match: "
            f"q has shape {_shape(q)}, k has shape {_shape(k)}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            "k and v must have the same sequence length N_k: "
            f"k has shape {_shape(k)}, v has shape {_shape(v)}"
        )
    if q.shape[-2] == 0 or k.shape[-2] == 0:
        raise ValueError(
            f"empty sequence: q has shape {_shape(q)}, k has shape {_shape(k)} "
            "(N_q and N_k must be at least 1)"
        )
    if q.shape[-1] == 0:
        raise ValueError(f"q and k have an empty feature dimension D: q has shape {_shape(q)}")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "the leading (batch) dimensions of q, k, v do not match or broadcast: "
            f"q {_shape(q)}, k {_shape(k)}, v {_shape(v)}"
        ) from None


def check_mask(mask, scores_shape):
    """Raise a clear error unless `mask` is bool/float and broadcasts to `scores_shape`."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(
            "mask must be boolean (True = may attend) or floating (added to the scores), "
            f"got dtype {mask.dtype}"
        )
    scores_shape = tuple(scores_shape)
    try:
        fits = torch.broadcast_shapes(mask.shape, scores_shape) == scores_shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"mask of shape {_shape(mask)} does not broadcast to the scores' shape "
            f"{scores_shape} (..., N_q, N_k)"
        )


def masked_softmax(scores, dim=-1):
    """Softmax that returns all zeros, not NaN, for a row whose scores are all -inf.

    torch.softmax of such a row is 0/0 = NaN. We give those rows finite scores (0), take
    the softmax, then zero them: no NaN in the output, nor in the gradient.
    """
    empty = torch.isneginf(scores).all(dim=dim, keepdim=True)  # (..., N_q, 1)
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=dim)
    return weights.masked_fill(empty, 0.0)


def scaled_dot_product_attention(q, k, v, mask=None, *, scale=None, dropout_p=0.0):
    """Attention that returns its weights as well as its output.

    q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v).
    mask: boolean with True = may attend (PyTorch SDPA's convention), or floating and
    added to the scores; broadcastable to (..., N_q, N_k).
    Returns (output (..., N_q, D_v), weights (..., N_q, N_k)). A query that may attend to
    nothing gets zero weights and a zero output, never NaN.
    """
    check_qkv(q, k, v)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p}")
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])

    scores = (q * scale) @ k.transpose(-2, -1)  # (..., N_q, N_k); scaling q is cheaper than scaling the scores
    if mask is not None:
        check_mask(mask, scores.shape)
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.to(scores.dtype)

    # Only a mask can empty a row, so without one the plain softmax is safe (and faster).
    weights = torch.softmax(scores, dim=-1) if mask is None else masked_softmax(scores)
    # weights (..., N_q, N_k): each row sums to 1, or to 0 if the mask left it nothing
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights  # (..., N_q, D_v), (..., N_q, N_k)
