"""Scaled dot-product attention: the one formula the whole series builds on.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(D) + M) V

Shapes: q (..., N_q, D), k (..., N_k, D), v (..., N_k, D_v); the leading dimensions
("...", usually (B,) or (B, H)) must broadcast against each other.
"""

import math

import torch
import torch.nn.functional as F

from . import validate


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
    mask: boolean with True = may attend (attnlib's one convention, also PyTorch SDPA's),
    or floating and added to the scores; broadcastable to (..., N_q, N_k). A (B, N_k) key
    mask such as attnlib.masks.padding(lengths, N_k) broadcasts as mask[:, None, :].
    Returns (output (..., N_q, D_v), weights (..., N_q, N_k)). A query that may attend to
    nothing gets zero weights and a zero output, never NaN.
    """
    validate.qkv(q, k, v)
    validate.probability("dropout_p", dropout_p)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])

    scores = (q * scale) @ k.transpose(-2, -1)  # (..., N_q, N_k); scaling q is cheaper than scaling the scores
    if mask is not None:
        validate.mask(mask, scores.shape)
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
