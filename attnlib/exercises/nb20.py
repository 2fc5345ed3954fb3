"""Exercise checks for notebook 20 (attention at inference)."""

import torch

from ..gqa import kv_cache_bytes
from .harness import as_number, attempt, describe, difference, report


def check_append_kv(append_kv):
    """append_kv(k_cache, v_cache, length, k_new, v_new) writes the N new keys and values
    into slots length..length+N-1 of the preallocated caches (B, G, max_len, D) and returns
    the filled part (B, G, length + N, D) of each."""
    name = "append_kv"
    g = torch.Generator().manual_seed(2020)
    B, G, max_len, D = 2, 3, 12, 4
    k_cache = torch.zeros(B, G, max_len, D)
    v_cache = torch.zeros(B, G, max_len, D)
    k_all, v_all = torch.randn(B, G, 9, D, generator=g), torch.randn(B, G, 9, D, generator=g)
    length = 0
    for n in (4, 1, 1, 3):  # a prompt of 4, then single tokens, then a chunk
        k_new, v_new = k_all[:, :, length:length + n], v_all[:, :, length:length + n]
        ok, got = attempt(name, append_kv, k_cache, v_cache, length, k_new.clone(), v_new.clone())
        if not ok:
            return False
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return report(name, False, f"returned {describe(got)}, expected a pair (k, v)")
        length += n
        for part, mine, want in (("k", got[0], k_all[:, :, :length]), ("v", got[1], v_all[:, :, :length])):
            problem = difference(mine, want, atol=1e-6)
            if problem:
                return report(name, False, f"after {length} tokens, {part}: {problem}")
        if not torch.equal(k_cache[:, :, :length], k_all[:, :, :length]):
            return report(name, False, "the cache tensor itself was not updated: write the new keys "
                                       "into k_cache[:, :, length:length + N] (in place)")
    return report(name, True)


def check_share_kv_heads(share_kv_heads):
    """share_kv_heads(k, num_heads): (B, G, N, D) -> (B, H, N, D), query head h using
    key/value head h // (H / G), as F.scaled_dot_product_attention(enable_gqa=True)."""
    name = "share_kv_heads"
    g = torch.Generator().manual_seed(2021)
    for G, H in ((2, 6), (1, 4), (4, 4), (3, 12)):
        k = torch.randn(2, G, 5, 3, generator=g)
        ok, got = attempt(name, share_kv_heads, k.clone(), H)
        if not ok:
            return False
        want = k.repeat_interleave(H // G, dim=1)
        problem = difference(got, want, atol=0.0)
        if problem:
            if G > 1 and H > G and difference(got, k.repeat(1, H // G, 1, 1), atol=0.0) is None:
                problem = ("heads in the wrong order: query heads 0..H/G-1 share KV head 0 "
                           "(repeat each KV head in place: repeat_interleave, not repeat)")
            return report(name, False, f"G={G}, H={H}: {problem}")
    return report(name, True)


def check_cache_bytes(cache_bytes):
    """cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per_element) -> the KV cache's bytes."""
    name = "cache_bytes"
    for args in ((32, 8, 128, 8192, 2), (80, 8, 128, 131072, 2), (2, 1, 16, 10, 4)):
        ok, got = attempt(name, cache_bytes, *args)
        if not ok:
            return False
        want = kv_cache_bytes(*args)
        n = as_number(got)
        if n is None:
            return report(name, False, f"returned {describe(got)}, expected a number")
        if n != want:
            hint = " (keys AND values: a factor 2)" if n * 2 == want else ""
            return report(name, False, f"layers, kv_heads, head_dim, tokens, bytes = {args}: "
                                       f"got {n}, expected {want}{hint}")
    return report(name, True)
