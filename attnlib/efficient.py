"""Efficient attention built from scratch, one idea per function.

Every exact method here returns the same numbers as
F.scaled_dot_product_attention(q, k, v, is_causal=causal); the tests check it.

Notation: B batch, H heads, N_q queries, N_k keys, D head width (D_v for values).
    q (B, H, N_q, D), k (B, H, N_k, D), v (B, H, N_k, D_v)
Any leading dimensions work where (B, H) is written, as long as they broadcast.
"causal" means top-left aligned, like SDPA's is_causal: query i sees keys 0..i.

The ladder, from most memory to least:
    naive_attention          builds the whole (N_q, N_k) score matrix
    chunked_queries          a few query rows at a time: memory (chunk, N_k)
    chunked_keys_wrong       a few keys at a time, softmax per chunk: WRONG on purpose
    chunked_keys             a few keys at a time with an online softmax: exact
    flash_attention          tiles of queries x tiles of keys: memory (block_q, block_k)
Then approximations that change the maths: sliding_window_attention, linear_attention.
Then PyTorch's own kernels: sdpa_backend, flex_attention (masks as causal_mod,
sliding_window_mod; flex_block_mask builds each block mask once).
"""

import functools
import math
import warnings

import torch
import torch.nn.functional as F

from . import validate
from .core import masked_softmax

# ---------------------------------------------------------------- small helpers


def _scale(q):
    return 1.0 / math.sqrt(q.shape[-1])


def _out_shape(q, k, v):
    """The shape of the attention output: (B, H, N_q, D_v) after broadcasting."""
    lead = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    return (*lead, q.shape[-2], v.shape[-1])


def _causal_keep(q_start, q_end, k_start, k_end, device):
    """Keep mask for the tile rows q_start..q_end-1, columns k_start..k_end-1. (bq, bk)"""
    rows = torch.arange(q_start, q_end, device=device)
    cols = torch.arange(k_start, k_end, device=device)
    return cols[None, :] <= rows[:, None]


# ---------------------------------------------------------------- the reference


def naive_attention(q, k, v, causal=False):
    """softmax(q k^T / sqrt(D)) v, materialising the full (N_q, N_k) matrix."""
    validate.qkv(q, k, v)
    scores = (q @ k.transpose(-2, -1)) * _scale(q)  # (B, H, N_q, N_k)
    if causal:
        keep = _causal_keep(0, q.shape[-2], 0, k.shape[-2], q.device)  # (N_q, N_k)
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = masked_softmax(scores)  # (B, H, N_q, N_k)
    return weights @ v  # (B, H, N_q, D_v)


# ---------------------------------------------------------------- chunk over queries


def chunked_queries(q, k, v, chunk_size, causal=False):
    """Exact attention, `chunk_size` query rows at a time: memory O(chunk_size x N_k).

    Softmax runs along each row, and each row sees every key, so rows are independent.
    """
    validate.qkv(q, k, v)
    validate.positive_int("chunk_size", chunk_size)
    n_q, n_k = q.shape[-2], k.shape[-2]
    scale = _scale(q)
    out = q.new_empty(_out_shape(q, k, v))  # (B, H, N_q, D_v)
    for start in range(0, n_q, chunk_size):
        end = min(start + chunk_size, n_q)
        scores = (q[..., start:end, :] @ k.transpose(-2, -1)) * scale  # (B, H, c, N_k)
        if causal:
            keep = _causal_keep(start, end, 0, n_k, q.device)  # (c, N_k)
            scores = scores.masked_fill(~keep, float("-inf"))
        out[..., start:end, :] = masked_softmax(scores) @ v  # (B, H, c, D_v)
    return out


# ---------------------------------------------------------------- chunk over keys


def chunked_keys_wrong(q, k, v, chunk_size):
    """WRONG on purpose: a softmax inside each key chunk, and the chunk outputs summed.

    Each chunk's weights sum to 1, so with C chunks the weights sum to C, and a chunk
    of weak keys counts as much as a chunk of strong ones. Exact only when C == 1.
    """
    validate.qkv(q, k, v)
    validate.positive_int("chunk_size", chunk_size)
    scale = _scale(q)
    out = torch.zeros(_out_shape(q, k, v), dtype=q.dtype, device=q.device)
    for start in range(0, k.shape[-2], chunk_size):
        end = start + chunk_size
        scores = (q @ k[..., start:end, :].transpose(-2, -1)) * scale  # (B, H, N_q, c)
        out = out + torch.softmax(scores, dim=-1) @ v[..., start:end, :]  # (B, H, N_q, D_v)
    return out


def _online_update(m, denom, acc, scores, v_block):
    """Fold one block of scores into the running softmax state. Returns (m, denom, acc).

    m     (..., N_q, 1)  running max of the scores seen so far
    denom (..., N_q, 1)  running denominator: sum of exp(score - m)
    acc   (..., N_q, D_v) running numerator: sum of exp(score - m) * v
    scores (..., N_q, c) this block's scores (-inf where masked); v_block (..., c, D_v)

    When the max grows from m to m_new, everything summed so far was measured against
    the old max, so it is rescaled by exp(m - m_new) <= 1 before the new block is added.
    """
    m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))  # (..., N_q, 1)
    # A row that has seen only -inf so far would give exp(-inf - -inf) = NaN: use 0.
    m_safe = torch.where(torch.isfinite(m_new), m_new, torch.zeros_like(m_new))
    alpha = torch.exp(m - m_safe)  # (..., N_q, 1) rescales the old state
    p = torch.exp(scores - m_safe)  # (..., N_q, c) unnormalised weights
    denom = alpha * denom + p.sum(dim=-1, keepdim=True)
    acc = alpha * acc + p @ v_block  # (..., N_q, D_v)
    return m_new, denom, acc


def _finish(denom, acc):
    """acc / denom, with a zero output (not NaN) for a row that saw no key."""
    return acc / torch.where(denom == 0, torch.ones_like(denom), denom)


def chunked_keys(q, k, v, chunk_size, causal=False):
    """Exact attention, `chunk_size` keys at a time, with an online softmax.

    Keeps a running max m, denominator denom and numerator acc per query row; memory
    O(N_q x chunk_size) for the scores.
    """
    validate.qkv(q, k, v)
    validate.positive_int("chunk_size", chunk_size)
    n_q, n_k = q.shape[-2], k.shape[-2]
    scale = _scale(q)
    out_shape = _out_shape(q, k, v)  # (B, H, N_q, D_v)
    m = torch.full((*out_shape[:-1], 1), float("-inf"), dtype=q.dtype, device=q.device)
    denom = torch.zeros((*out_shape[:-1], 1), dtype=q.dtype, device=q.device)
    acc = torch.zeros(out_shape, dtype=q.dtype, device=q.device)
    for start in range(0, n_k, chunk_size):
        if causal and start > n_q - 1:
            break  # no query sees keys this late
        end = min(start + chunk_size, n_k)
        scores = (q @ k[..., start:end, :].transpose(-2, -1)) * scale  # (B, H, N_q, c)
        if causal:
            keep = _causal_keep(0, n_q, start, end, q.device)  # (N_q, c)
            scores = scores.masked_fill(~keep, float("-inf"))
        m, denom, acc = _online_update(m, denom, acc, scores, v[..., start:end, :])
    return _finish(denom, acc)


def online_softmax(x):
    """Softmax over the last dimension, one element at a time (x 1-D or (..., N)).

    The streaming recurrence, for j = 1..N:
        m_j = max(m_{j-1}, x_j)
        d_j = d_{j-1} * exp(m_{j-1} - m_j) + exp(x_j - m_j)
    then softmax(x)_i = exp(x_i - m_N) / d_N. One pass gives the max and the sum.
    """
    validate.floating_tensor("x", x, 1, "(..., N)")
    if x.shape[-1] == 0:
        raise ValueError(f"x must have a non-empty last dimension N, got shape {tuple(x.shape)}")
    m = torch.full(x.shape[:-1], float("-inf"), dtype=x.dtype, device=x.device)  # (...,)
    d = torch.zeros(x.shape[:-1], dtype=x.dtype, device=x.device)  # (...,)
    for j in range(x.shape[-1]):
        x_j = x[..., j]
        m_new = torch.maximum(m, x_j)
        m_safe = torch.where(torch.isfinite(m_new), m_new, torch.zeros_like(m_new))
        d = d * torch.exp(m - m_safe) + torch.exp(x_j - m_safe)
        m = m_new
    m_safe = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    return torch.exp(x - m_safe[..., None]) / d[..., None]


# ---------------------------------------------------------------- FlashAttention style


def flash_attention(q, k, v, block_q=64, block_k=64, causal=False):
    """Tiled exact attention in the FlashAttention style (forward only, plain PyTorch).

    The outer loop takes block_q queries; the inner loop streams block_k keys through
    the online softmax. Only (block_q, block_k) scores exist at any time, so memory
    grows linearly in N. With causal=True, tiles entirely above the diagonal are skipped.
    """
    validate.qkv(q, k, v)
    validate.positive_int("block_q", block_q)
    validate.positive_int("block_k", block_k)
    n_q, n_k = q.shape[-2], k.shape[-2]
    scale = _scale(q)
    out_shape = _out_shape(q, k, v)  # (B, H, N_q, D_v)
    out = q.new_empty(out_shape)
    for q_start in range(0, n_q, block_q):
        q_end = min(q_start + block_q, n_q)
        q_tile = q[..., q_start:q_end, :] * scale  # (B, H, bq, D)
        rows = (*out_shape[:-2], q_end - q_start)
        m = torch.full((*rows, 1), float("-inf"), dtype=q.dtype, device=q.device)  # (B, H, bq, 1)
        denom = torch.zeros((*rows, 1), dtype=q.dtype, device=q.device)  # (B, H, bq, 1)
        acc = torch.zeros((*rows, out_shape[-1]), dtype=q.dtype, device=q.device)  # (B, H, bq, D_v)
        for k_start in range(0, n_k, block_k):
            if causal and k_start > q_end - 1:
                break  # this tile and all later ones lie above the diagonal
            k_end = min(k_start + block_k, n_k)
            scores = q_tile @ k[..., k_start:k_end, :].transpose(-2, -1)  # (B, H, bq, bk)
            if causal and k_end - 1 > q_start:  # the tile crosses the diagonal
                keep = _causal_keep(q_start, q_end, k_start, k_end, q.device)  # (bq, bk)
                scores = scores.masked_fill(~keep, float("-inf"))
            m, denom, acc = _online_update(m, denom, acc, scores, v[..., k_start:k_end, :])
        out[..., q_start:q_end, :] = _finish(denom, acc)
    return out


# ---------------------------------------------------------------- sliding window


def sliding_window_attention(q, k, v, window, block_size=64):
    """Query i attends keys j with |i - j| <= window (masks.window's convention).

    Needs N_q == N_k. Works block by block: queries s..e-1 can only see keys
    s-window..e-1+window, so each block builds a (block_size, block_size + 2 * window)
    tile of scores. Memory O(N x window), never N x N.
    """
    validate.qkv(q, k, v)
    validate.positive_int("window", window, minimum=0)
    validate.positive_int("block_size", block_size)
    validate.same_length("sliding_window_attention", q, k)
    n = q.shape[-2]
    scale = _scale(q)
    out = q.new_empty(_out_shape(q, k, v))  # (B, H, N, D_v)
    for start in range(0, n, block_size):
        end = min(start + block_size, n)
        k_start, k_end = max(0, start - window), min(n, end + window)  # the band's keys
        scores = (q[..., start:end, :] @ k[..., k_start:k_end, :].transpose(-2, -1)) * scale
        rows = torch.arange(start, end, device=q.device)[:, None]  # (b, 1) query positions
        cols = torch.arange(k_start, k_end, device=q.device)[None, :]  # (1, c) key positions
        scores = scores.masked_fill((rows - cols).abs() > window, float("-inf"))  # (B, H, b, c)
        out[..., start:end, :] = masked_softmax(scores) @ v[..., k_start:k_end, :]
    return out


# ---------------------------------------------------------------- linear attention


def elu_feature_map(x):
    """phi(x) = elu(x) + 1: positive, so phi(q) . phi(k) can stand in for exp(q . k)."""
    return F.elu(x) + 1


def linear_attention(q, k, v):
    """Non-causal linear attention: phi(q) (phi(k)^T v) / (phi(q) . sum_j phi(k_j)).

    Cost O(N D D_v) instead of O(N^2 D): the (D, D_v) summary phi(k)^T v is shared by
    every query. Not equal to softmax attention: it is a different model.
    """
    validate.qkv(q, k, v)
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)  # (B, H, N_q, D), (B, H, N_k, D)
    kv = phi_k.transpose(-2, -1) @ v  # (B, H, D, D_v)
    z = phi_k.sum(dim=-2)  # (B, H, D)
    numerator = phi_q @ kv  # (B, H, N_q, D_v)
    denominator = phi_q @ z.unsqueeze(-1)  # (B, H, N_q, 1)
    return numerator / denominator


def linear_attention_causal(q, k, v):
    """Causal linear attention as a recurrence over positions (an RNN with state S, z).

        S_i = S_{i-1} + phi(k_i)^T v_i      (D, D_v)
        z_i = z_{i-1} + phi(k_i)            (D,)
        out_i = phi(q_i) S_i / (phi(q_i) . z_i)
    Needs N_q == N_k. Memory O(D x D_v) for the state, whatever N is.
    """
    validate.qkv(q, k, v)
    validate.same_length("linear_attention_causal", q, k)
    n = q.shape[-2]
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)
    out_shape = _out_shape(q, k, v)  # (B, H, N, D_v)
    lead = out_shape[:-2]
    S = torch.zeros((*lead, q.shape[-1], v.shape[-1]), dtype=q.dtype, device=q.device)  # (B, H, D, D_v)
    z = torch.zeros((*lead, q.shape[-1]), dtype=q.dtype, device=q.device)  # (B, H, D)
    out = q.new_empty(out_shape)
    for i in range(n):
        k_i, v_i, q_i = phi_k[..., i, :], v[..., i, :], phi_q[..., i, :]  # (B, H, D) each
        S = S + k_i.unsqueeze(-1) * v_i.unsqueeze(-2)  # outer product (B, H, D, D_v)
        z = z + k_i
        numerator = (q_i.unsqueeze(-2) @ S).squeeze(-2)  # (B, H, D_v)
        denominator = (q_i * z).sum(dim=-1, keepdim=True)  # (B, H, 1)
        out[..., i, :] = numerator / denominator
    return out


def linear_attention_quadratic(q, k, v, causal=False):
    """The same model written quadratically: A = phi(q) phi(k)^T, masked, row-normalised.

    Builds the (N_q, N_k) matrix on purpose: it is the check for the two linear forms.
    """
    validate.qkv(q, k, v)
    A = elu_feature_map(q) @ elu_feature_map(k).transpose(-2, -1)  # (B, H, N_q, N_k)
    if causal:
        A = A * _causal_keep(0, q.shape[-2], 0, k.shape[-2], q.device)
    return (A @ v) / A.sum(dim=-1, keepdim=True)  # (B, H, N_q, D_v)


# ---------------------------------------------------------------- PyTorch's SDPA kernels


def _sdpa_backends():
    from torch.nn.attention import SDPBackend

    return {
        "math": SDPBackend.MATH,
        "efficient": SDPBackend.EFFICIENT_ATTENTION,
        "flash": SDPBackend.FLASH_ATTENTION,
        "cudnn": SDPBackend.CUDNN_ATTENTION,
    }


SDPA_BACKENDS = ("math", "efficient", "flash", "cudnn")


def sdpa_backend(q, k, v, backend, causal=False):
    """F.scaled_dot_product_attention forced onto one backend: math, efficient, flash, cudnn.

    Raises RuntimeError naming the backend, device and dtype when it cannot run here.
    """
    from torch.nn.attention import sdpa_kernel

    validate.one_of("backend", backend, SDPA_BACKENDS)
    validate.qkv(q, k, v)
    try:
        with warnings.catch_warnings():
            # PyTorch warns with each reason before raising; the error below says it all.
            warnings.simplefilter("ignore", UserWarning)
            with sdpa_kernel(_sdpa_backends()[backend]):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    except RuntimeError as err:
        raise RuntimeError(
            f"SDPA backend {backend!r} cannot run on device {q.device} with dtype "
            f"{q.dtype} and shape {tuple(q.shape)}: {err}"
        ) from err


def available_backends(device="cpu", dtype=torch.float32):
    """The SDPA backends that really run a tiny call on `device` with `dtype`."""
    q = torch.randn(1, 1, 8, 16, device=device).to(dtype)  # (B, H, N, D)
    names = []
    for name in SDPA_BACKENDS:
        try:
            sdpa_backend(q, q, q, name)
        except RuntimeError:
            continue
        names.append(name)
    return names


# ---------------------------------------------------------------- FlexAttention


_flex_available = {}  # device type -> bool, filled by flex_attention_available
_flex_compiled = None


# mask_mod factories, in attention-gym's style: mod(b, h, q_idx, kv_idx) -> True = keep.
# Each is cached, so the same arguments give the same function and flex_block_mask's
# cache hits.


@functools.cache
def causal_mod():
    """Query i sees keys 0..i (like SDPA's is_causal, masks.causal)."""

    def causal(b, h, q_idx, kv_idx):
        return q_idx >= kv_idx

    return causal


@functools.cache
def sliding_window_mod(window):
    """Query i sees keys j with |i - j| <= window (masks.window, sliding_window_attention)."""
    validate.positive_int("window", window, minimum=0)

    def sliding_window(b, h, q_idx, kv_idx):
        return (q_idx - kv_idx).abs() <= window

    return sliding_window


@functools.lru_cache(maxsize=64)
def flex_block_mask(mask_mod, n_q, n_k, device):
    """The BlockMask of mask_mod for (N_q, N_k) on `device` (e.g. q.device); built once, cached.

    create_block_mask evaluates mask_mod on every (q_idx, kv_idx) pair: build the block
    mask before timing, not inside the timed call.
    """
    if isinstance(mask_mod, str) or not callable(mask_mod):
        raise TypeError(
            f"mask_mod must be a function mod(b, h, q_idx, kv_idx) or None, got {mask_mod!r}; "
            f"use efficient.causal_mod() or efficient.sliding_window_mod(window)"
        )
    try:
        from torch.nn.attention.flex_attention import create_block_mask

        return create_block_mask(mask_mod, B=None, H=None, Q_LEN=n_q, KV_LEN=n_k, device=device)
    except Exception as err:
        raise RuntimeError(
            f"FlexAttention cannot build a block mask on device {device} "
            f"(torch {torch.__version__}): {err}"
        ) from err


def flex_attention(q, k, v, mask_mod=None, block_mask=None, compile=False):
    """FlexAttention. q (B, H, N_q, D), k (B, H, N_k, D), v (B, H, N_k, D_v).

    mask_mod: None (full attention, no mask) or a mod from causal_mod() or
    sliding_window_mod(window); its block mask comes from flex_block_mask's cache.
    block_mask: a BlockMask built beforehand (instead of mask_mod). compile=False runs
    PyTorch's eager, unfused reference (it builds the scores, fine for checking, not for
    speed); compile=True wraps it in torch.compile (a fused kernel; the first call compiles).
    """
    validate.qkv(q, k, v)
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        raise ValueError(
            f"flex_attention needs 4-D (B, H, N, D) inputs, got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )
    if mask_mod is not None:
        if block_mask is not None:
            raise ValueError("give flex_attention a mask_mod or a block_mask, not both")
        block_mask = flex_block_mask(mask_mod, q.shape[-2], k.shape[-2], q.device)  # cached
    try:
        from torch.nn.attention.flex_attention import flex_attention as _flex
    except ImportError as err:
        raise RuntimeError(f"FlexAttention is not in torch {torch.__version__}") from err
    global _flex_compiled
    try:
        if compile:
            if _flex_compiled is None:
                _flex_compiled = torch.compile(_flex)
            return _flex_compiled(q, k, v, block_mask=block_mask)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*flex_attention called without torch.compile")
            return _flex(q, k, v, block_mask=block_mask)
    except Exception as err:
        raise RuntimeError(
            f"FlexAttention cannot run on device {q.device} with dtype {q.dtype} "
            f"(torch {torch.__version__}, compile={compile}): {err}"
        ) from err


def flex_attention_available(device="cpu"):
    """True if flex_attention (eager) runs a tiny causal call on `device`; cached."""
    device_type = torch.device(device).type
    if device_type not in _flex_available:
        q = torch.randn(1, 1, 16, 16, device=device)  # (B, H, N, D)
        try:
            flex_attention(q, q, q, causal_mod())
            _flex_available[device_type] = True
        except RuntimeError:
            _flex_available[device_type] = False
    return _flex_available[device_type]
