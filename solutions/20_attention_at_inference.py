"""Worked solutions for notebook 20. Try the exercises first."""


def append_kv(k_cache, v_cache, length, k_new, v_new):
    # The caches were allocated once for max_len tokens; the N new tokens go into the next
    # N slots, in place, and attention then reads everything filled so far.
    n = k_new.shape[2]
    k_cache[:, :, length:length + n] = k_new  # (B, G, N, D) into slots length..length+N-1
    v_cache[:, :, length:length + n] = v_new
    return k_cache[:, :, :length + n], v_cache[:, :, :length + n]  # (B, G, length + N, D)


def share_kv_heads(k, num_heads):
    # H / G query heads per KV head, each KV head repeated in place: heads 0..H/G-1 use
    # KV head 0, the next H/G use KV head 1, ... (repeat would interleave them instead).
    return k.repeat_interleave(num_heads // k.shape[1], dim=1)  # (B, H, N, D)


def cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per_element):
    # A key and a value (2) per layer, KV head, channel and token.
    return 2 * layers * kv_heads * head_dim * tokens * bytes_per_element


CHECKS = {
    "check_append_kv": append_kv,
    "check_share_kv_heads": share_kv_heads,
    "check_cache_bytes": cache_bytes,
}
