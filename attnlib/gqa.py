"""Grouped-query attention (GQA), and what the KV cache of real models costs.

In multi-head attention (MHA) every query head has its own key and value head. In GQA
the H query heads are split into G groups, and the heads of a group share one key and
one value head: G = H is MHA, G = 1 is multi-query attention (MQA). Only the G key and
value heads are cached, so the cache shrinks by H / G.

GroupedQueryAttention(E, H, G) projects x to H query heads and G key/value heads,
optionally rotates queries and keys with RoPE (attnlib.positional.apply_rope), and lets
query head h use key/value head h // (H / G) (`repeat_kv`, a repeat_interleave, as
F.scaled_dot_product_attention(..., enable_gqa=True) does). Which query may see which key
is decided from positions alone (`position_mask`): causal, and within a window of W keys
when `window` is set. A cache (attnlib.kvcache) passed to forward stores the new keys and
values and hands back every key the queries may need, with the keys' positions.

kv_cache_bytes gives the closed form 2 * layers * kv_heads * head_dim * tokens * bytes;
CONFIGS holds the published shapes of real models, each with its source.

Notation: B batch, H query heads, G key/value heads (groups), N (N_q, N_k) lengths,
D head width, E model width.
"""

import torch
from torch import nn

from . import validate
from .core import scaled_dot_product_attention
from .positional import apply_rope

# ---------------------------------------------------------------- sharing heads


def repeat_kv(k, num_heads):
    """(B, G, N, D) -> (B, H, N, D): query head h gets key/value head h // (H / G).

    Each of the G heads is repeated H / G times in place (repeat_interleave), so heads
    0..H/G-1 share head 0, the next H/G share head 1, and so on.
    """
    validate.floating_tensor("k", k)
    validate.ndim("k", k, 4, "(B, G, N, D)")
    validate.positive_int("num_heads", num_heads)
    G = k.shape[1]
    if num_heads % G != 0:
        raise ValueError(f"num_heads={num_heads} must be a multiple of the {G} key/value heads "
                         f"of k, shape {tuple(k.shape)}")
    return k.repeat_interleave(num_heads // G, dim=1)  # (B, H, N, D)


def position_mask(q_pos, k_pos, window=None):
    """Keep mask (N_q, N_k) from positions: key j is visible to query i when
    0 <= k_pos[j] <= q_pos[i] and, with a window of W keys, q_pos[i] - k_pos[j] < W.

    A negative key position marks an empty cache slot (never visible). With k_pos = q_pos
    = arange(N) this is masks.causal(N), and with a window it is
    masks.causal(N) & masks.window(N, W - 1) (tested).
    """
    if window is not None:
        validate.positive_int("window", window)
    q_pos, k_pos = q_pos[:, None], k_pos[None, :]  # (N_q, 1), (1, N_k)
    keep = (k_pos >= 0) & (k_pos <= q_pos)  # (N_q, N_k)
    if window is not None:
        keep = keep & (q_pos - k_pos < window)
    return keep


# ---------------------------------------------------------------- the attention layer


class GroupedQueryAttention(nn.Module):
    """H query heads sharing G key/value heads; G = H is MHA, G = 1 is MQA.

    forward(x, cache=None) -> (B, N, E). Causal self-attention; `window` (W keys) makes it
    local. With rope=True queries and keys are rotated by their absolute positions before
    keys are cached, so cached keys never need to be rotated again. The weights of the
    latest forward, (B, H, N, N_k), are kept in `self.last_weights`.
    """

    def __init__(self, embed_dim, num_heads, num_kv_heads=None, *, window=None, rope=True,
                 bias=False):
        super().__init__()
        validate.heads(embed_dim, num_heads)
        num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        validate.positive_int("num_kv_heads", num_kv_heads)
        if num_heads % num_kv_heads != 0:
            raise ValueError(f"num_heads must be a multiple of num_kv_heads, got num_heads="
                             f"{num_heads}, num_kv_heads={num_kv_heads}")
        if window is not None:
            validate.positive_int("window", window)
        self.embed_dim, self.num_heads, self.num_kv_heads = embed_dim, num_heads, num_kv_heads
        self.head_dim = embed_dim // num_heads
        self.window, self.rope = window, rope
        self.last_weights = None
        kv_dim = num_kv_heads * self.head_dim  # G * D
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)  # E -> H * D
        self.k_proj = nn.Linear(embed_dim, kv_dim, bias=bias)  # E -> G * D
        self.v_proj = nn.Linear(embed_dim, kv_dim, bias=bias)  # E -> G * D
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)  # H * D -> E

    def split(self, x, heads):
        """(B, N, heads * D) -> (B, heads, N, D)"""
        B, N, _ = x.shape
        return x.view(B, N, heads, self.head_dim).transpose(1, 2)

    def forward(self, x, cache=None):
        """x (B, N, E): N new tokens. Without a cache they sit at positions 0..N-1; with
        one, right after the cache's tokens. Returns (B, N, E)."""
        validate.sequence("x", x, self.embed_dim)
        B, N, _ = x.shape
        start = 0 if cache is None else cache.length
        q_pos = torch.arange(start, start + N, device=x.device)  # (N,)
        q = self.split(self.q_proj(x), self.num_heads)  # (B, H, N, D)
        k = self.split(self.k_proj(x), self.num_kv_heads)  # (B, G, N, D)
        v = self.split(self.v_proj(x), self.num_kv_heads)  # (B, G, N, D)
        if self.rope:
            q, k = apply_rope(q, q_pos), apply_rope(k, q_pos)
        if cache is None:
            k_pos = q_pos
        else:
            k, v, k_pos = cache.update(k, v)  # (B, G, N_k, D) twice, (N_k,)
        keep = position_mask(q_pos, k_pos, self.window)  # (N, N_k)
        k, v = repeat_kv(k, self.num_heads), repeat_kv(v, self.num_heads)  # (B, H, N_k, D)
        out, self.last_weights = scaled_dot_product_attention(q, k, v, keep)  # (B, H, N, D), (B, H, N, N_k)
        out = out.transpose(1, 2).reshape(B, N, self.embed_dim)  # (B, N, H * D)
        return self.out_proj(out)  # (B, N, E)

    @classmethod
    def from_mha(cls, mha, num_kv_heads=None):
        """From an attnlib MultiHeadAttention, without RoPE: num_kv_heads=None copies it
        exactly (G = H); a smaller G keeps the first G key/value heads' weights."""
        H, D, E = mha.num_heads, mha.head_dim, mha.embed_dim
        G = H if num_kv_heads is None else num_kv_heads
        bias = mha.q_proj.bias is not None
        ours = cls(E, H, G, rope=False, bias=bias).to(mha.q_proj.weight.dtype)
        with torch.no_grad():
            ours.q_proj.load_state_dict(mha.q_proj.state_dict())
            ours.out_proj.load_state_dict(mha.out_proj.state_dict())
            ours.k_proj.weight.copy_(mha.k_proj.weight[: G * D])
            ours.v_proj.weight.copy_(mha.v_proj.weight[: G * D])
            if bias:
                ours.k_proj.bias.copy_(mha.k_proj.bias[: G * D])
                ours.v_proj.bias.copy_(mha.v_proj.bias[: G * D])
        return ours


# ---------------------------------------------------------------- KV-cache memory


def kv_cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per_element=2, batch=1):
    """Bytes of a KV cache: keys and values (2) for every layer, KV head, channel and token.

    2 * layers * kv_heads * head_dim * tokens * bytes_per_element * batch
    (bytes_per_element 2 for float16 / bfloat16).
    """
    for name, value in (("layers", layers), ("kv_heads", kv_heads), ("head_dim", head_dim),
                        ("bytes_per_element", bytes_per_element), ("batch", batch)):
        validate.positive_int(name, value)
    validate.positive_int("tokens", tokens, minimum=0)
    return 2 * layers * kv_heads * head_dim * tokens * bytes_per_element * batch


CONFIGS = {
    "Llama-3-8B": dict(
        layers=32, heads=32, kv_heads=8, head_dim=128,
        source="meta-llama/Meta-Llama-3-8B config.json: num_hidden_layers 32, "
               "num_attention_heads 32, num_key_value_heads 8, hidden_size 4096 (D = 4096 / 32)"),
    "Llama-3-70B": dict(
        layers=80, heads=64, kv_heads=8, head_dim=128,
        source="meta-llama/Meta-Llama-3-70B config.json: num_hidden_layers 80, "
               "num_attention_heads 64, num_key_value_heads 8, hidden_size 8192 (D = 8192 / 64)"),
    "Qwen3-8B": dict(
        layers=36, heads=32, kv_heads=8, head_dim=128,
        source="Qwen/Qwen3-8B config.json: num_hidden_layers 36, num_attention_heads 32, "
               "num_key_value_heads 8, head_dim 128"),
    "Mistral-7B-v0.1": dict(
        layers=32, heads=32, kv_heads=8, head_dim=128, window=4096,
        source="mistralai/Mistral-7B-v0.1 config.json: num_hidden_layers 32, "
               "num_attention_heads 32, num_key_value_heads 8, hidden_size 4096, "
               "sliding_window 4096"),
    "Falcon-7B": dict(
        layers=32, heads=71, kv_heads=1, head_dim=64,
        source="tiiuae/falcon-7b config.json: num_hidden_layers 32, num_attention_heads 71, "
               "multi_query true (one KV head), hidden_size 4544 (D = 4544 / 71)"),
    "DeepSeek-V2": dict(
        layers=60, heads=128, kv_heads=128, head_dim=128, latent_dim=512, rope_dim=64,
        source="deepseek-ai/DeepSeek-V2 config.json: num_hidden_layers 60, "
               "num_attention_heads 128, kv_lora_rank 512, qk_rope_head_dim 64, "
               "qk_nope_head_dim 128, v_head_dim 128 (MLA: the cache holds 512 + 64 per token "
               "and layer)"),
}
"""Published shapes of real models: layers, query heads, KV heads, head width D, and where
set the sliding window or MLA's latent and rope widths; `source` names the file."""
