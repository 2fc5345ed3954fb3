"""The KV cache, and a tiny decoder-only model that generates with and without it.

A decoder generates one token at a time. Without a cache each new token reruns the model
over the whole sequence so far; with one, each layer keeps the keys and values it has
already computed and only the new token's are computed and appended.

    KVCache(B, G, max_len, D)         keys and values of every token so far, up to max_len
    RollingKVCache(B, G, window, D)   only the last `window` tokens: a ring buffer whose
                                      tensors never grow (sliding-window attention)

Both have update(k_new, v_new) -> (k, v, positions): store the new keys and values, and
return every key and value the new queries may need, with each key's position (the
attention layer builds its mask from the positions; attnlib.gqa.position_mask).

TinyDecoder is a pre-norm decoder-only transformer built from attnlib pieces: token
embeddings, layers of attnlib.gqa.GroupedQueryAttention (RoPE, optionally grouped KV heads
or a window) and attnlib.blocks.FeedForward, and a read-out. generate() decodes greedily,
cached or not; train_copier trains it with attnlib.train.fit on the copy task.

Notation: B batch, H query heads, G key/value heads, N length, D head width, E model width.
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .blocks import FeedForward
from .gqa import GroupedQueryAttention
from .train import fit, one_thread_deterministic

# ---------------------------------------------------------------- the caches


def _check_new(name, t, B, G, D):
    validate.floating_tensor(name, t)
    validate.ndim(name, t, 4, "(B, G, N, D)")
    if (t.shape[0], t.shape[1], t.shape[3]) != (B, G, D):
        raise ValueError(f"{name} must have shape (B, G, N, D) = ({B}, {G}, N, {D}), "
                         f"got {tuple(t.shape)}")


class KVCache:
    """Keys and values of every token so far, in tensors allocated once for max_len tokens.

    k, v (B, G, max_len, D); the first `length` positions are filled.
    """

    def __init__(self, batch, kv_heads, max_len, head_dim, *, dtype=torch.float32, device=None):
        for name, value in (("batch", batch), ("kv_heads", kv_heads), ("max_len", max_len),
                            ("head_dim", head_dim)):
            validate.positive_int(name, value)
        self.max_len = max_len
        self.k = torch.zeros(batch, kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros_like(self.k)  # (B, G, max_len, D)
        self.length = 0

    def update(self, k_new, v_new):
        """Append k_new, v_new (B, G, N, D). Returns keys and values of all tokens so far,
        (B, G, length, D) each, and their positions 0..length-1."""
        B, G, _, D = self.k.shape
        _check_new("k_new", k_new, B, G, D)
        _check_new("v_new", v_new, B, G, D)
        n = k_new.shape[2]
        if self.length + n > self.max_len:
            raise ValueError(f"KVCache overflow: k_new adds {n} tokens to the {self.length} "
                             f"cached, more than max_len={self.max_len}; make the cache larger")
        self.k[:, :, self.length:self.length + n] = k_new
        self.v[:, :, self.length:self.length + n] = v_new
        self.length += n
        positions = torch.arange(self.length, device=self.k.device)  # (length,)
        return self.k[:, :, :self.length], self.v[:, :, :self.length], positions

    def nbytes(self):
        """Bytes held by the cache's tensors (allocated for max_len tokens)."""
        return self.k.nbytes + self.v.nbytes


class RollingKVCache:
    """The last `window` tokens' keys and values in a ring buffer of fixed size.

    Token p lives in slot p % window; k, v (B, G, window, D) and the slots' positions
    (window,), -1 for a slot not yet filled. The tensors never grow.
    """

    def __init__(self, batch, kv_heads, window, head_dim, *, dtype=torch.float32, device=None):
        for name, value in (("batch", batch), ("kv_heads", kv_heads), ("window", window),
                            ("head_dim", head_dim)):
            validate.positive_int(name, value)
        self.window = window
        self.k = torch.zeros(batch, kv_heads, window, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros_like(self.k)  # (B, G, W, D)
        self.positions = torch.full((window,), -1, dtype=torch.long, device=device)  # (W,)
        self.length = 0  # tokens seen so far (not all still held)

    def update(self, k_new, v_new):
        """Store k_new, v_new (B, G, N, D). Returns the keys the N new queries may need:
        the slots held before this call followed by the N new keys, (B, G, W + N, D), and
        their positions (W + N,). Afterwards only the last W tokens are kept."""
        B, G, W, D = self.k.shape
        _check_new("k_new", k_new, B, G, D)
        _check_new("v_new", v_new, B, G, D)
        n = k_new.shape[2]
        new_pos = torch.arange(self.length, self.length + n, device=self.k.device)  # (N,)
        k = torch.cat([self.k, k_new], dim=2)  # (B, G, W + N, D)
        v = torch.cat([self.v, v_new], dim=2)
        positions = torch.cat([self.positions, new_pos])  # (W + N,)
        keep = slice(max(0, n - W), n)  # the new tokens that stay: at most the last W
        slots = new_pos[keep] % W
        self.k[:, :, slots] = k_new[:, :, keep]
        self.v[:, :, slots] = v_new[:, :, keep]
        self.positions[slots] = new_pos[keep]
        self.length += n
        return k, v, positions

    def nbytes(self):
        """Bytes held by the cache's tensors: the same for any length."""
        return self.k.nbytes + self.v.nbytes + self.positions.nbytes


# ---------------------------------------------------------------- a tiny decoder


class DecoderLayer(nn.Module):
    """Pre-norm: x + attn(LN(x)), then x + ff(LN(x)). (B, N, E)"""

    def __init__(self, embed_dim, num_heads, num_kv_heads, ff_dim, window=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dim)
        self.attn = GroupedQueryAttention(embed_dim, num_heads, num_kv_heads, window=window)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.ff = FeedForward(embed_dim, ff_dim)

    def forward(self, x, cache=None):
        x = x + self.attn(self.norm1(x), cache)  # (B, N, E)
        return x + self.ff(self.norm2(x))


class TinyDecoder(nn.Module):
    """A decoder-only language model: embeddings, layers, LayerNorm, read-out.

    windows: one entry per layer, None (global: sees every earlier token) or W (local:
    the last W tokens). forward(ids, caches=None) -> logits (B, N, V).
    """

    def __init__(self, vocab, embed_dim=32, num_heads=4, num_kv_heads=None, num_layers=2,
                 ff_dim=64, windows=None):
        super().__init__()
        validate.positive_int("vocab", vocab)
        validate.positive_int("num_layers", num_layers)
        windows = [None] * num_layers if windows is None else list(windows)
        if len(windows) != num_layers:
            raise ValueError(f"windows needs one entry per layer ({num_layers}), got {windows}")
        self.embed = nn.Embedding(vocab, embed_dim)
        self.layers = nn.ModuleList(DecoderLayer(embed_dim, num_heads, num_kv_heads, ff_dim, w)
                                    for w in windows)
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab)

    def new_caches(self, batch, max_len):
        """One cache per layer: a KVCache of max_len tokens, or a RollingKVCache of W for a
        windowed layer."""
        caches = []
        for layer in self.layers:
            a = layer.attn
            dtype = a.q_proj.weight.dtype
            if a.window is None:
                caches.append(KVCache(batch, a.num_kv_heads, max_len, a.head_dim, dtype=dtype))
            else:
                caches.append(RollingKVCache(batch, a.num_kv_heads, a.window, a.head_dim,
                                             dtype=dtype))
        return caches

    def forward(self, ids, caches=None):
        """ids (B, N) -> logits (B, N, V). With caches, ids are the tokens that follow the
        cached ones."""
        validate.tensor("ids", ids)
        validate.ndim("ids", ids, 2, "(B, N)")
        if caches is not None and len(caches) != len(self.layers):
            raise ValueError(f"caches needs one cache per layer ({len(self.layers)}), "
                             f"got {len(caches)}")
        x = self.embed(ids)  # (B, N, E)
        for i, layer in enumerate(self.layers):
            x = layer(x, None if caches is None else caches[i])
        return self.head(self.norm(x))  # (B, N, V)


@torch.no_grad()
def generate(model, prompt, steps, use_cache=True):
    """Greedy decoding of `steps` tokens after prompt (B, N_p).

    Returns (ids (B, N_p + steps), logits (B, steps, V) of each chosen token, seconds per
    step (list of `steps`)). use_cache=False reruns the model on the whole sequence for
    every token; use_cache=True runs the prompt once, then one token per step. Runs on
    one CPU thread (attnlib.train.one_thread_deterministic): for tensors this small a
    second thread only waits, and the result is the same on any machine.
    """
    validate.tensor("prompt", prompt)
    validate.ndim("prompt", prompt, 2, "(B, N_p)")
    validate.positive_int("steps", steps)
    ids, all_logits, seconds = prompt, [], []
    caches = model.new_caches(prompt.shape[0], prompt.shape[1] + steps) if use_cache else None
    new = prompt  # the tokens the model has not seen yet
    with one_thread_deterministic():
        for _ in range(steps):
            start = time.perf_counter()
            logits = model(new, caches) if use_cache else model(ids)  # (B, n, V)
            last = logits[:, -1]  # (B, V)
            token = last.argmax(-1, keepdim=True)  # (B, 1)
            seconds.append(time.perf_counter() - start)
            ids = torch.cat([ids, token], dim=1)
            new = token
            all_logits.append(last)
    return ids, torch.stack(all_logits, dim=1), seconds


# ---------------------------------------------------------------- the copy task

SEP = 10
"""The separator token of the copy task (digits are 0-9)."""


def copy_task(batch, n=8, generator=None):
    """Sequences `d_1 .. d_n SEP d_1 .. d_n` of random digits: (B, 2n + 1).

    A language model trained on them must, after SEP, repeat the digits in order: each
    output looks back n + 1 positions, which only attention can do.
    """
    validate.positive_int("batch", batch)
    validate.positive_int("n", n)
    digits = torch.randint(0, 10, (batch, n), generator=generator)
    sep = torch.full((batch, 1), SEP)
    return torch.cat([digits, sep, digits], dim=1)


def copy_loss(model, seqs, n=8):
    """Next-token cross-entropy on the copied half (the targets after SEP)."""
    logits = model(seqs[:, :-1])  # (B, 2n, V)
    return F.cross_entropy(logits[:, n:].reshape(-1, logits.shape[-1]), seqs[:, n + 1:].reshape(-1))


def train_copier(num_kv_heads=4, seed=0, steps=80, n=8, progress=True, **kwargs):
    """A TinyDecoder (E 32, H 4, 2 layers) trained on copy_task with attnlib.train.fit.
    Returns (model in eval mode, losses)."""
    torch.manual_seed(seed)
    model = TinyDecoder(11, num_kv_heads=num_kv_heads, **kwargs)
    return fit(model, lambda g: copy_task(64, n, g), lambda m, s: copy_loss(m, s, n), steps,
               lr=1e-2, seed=seed, progress=progress)


@torch.no_grad()
def copy_accuracy(model, batch=500, n=8, seed=1):
    """Greedy generation after `digits SEP` on held-out sequences: (fraction of digits
    right, fraction of whole copies right)."""
    seqs = copy_task(batch, n, torch.Generator().manual_seed(seed))
    ids, _, _ = generate(model, seqs[:, :n + 1], n)
    right = ids[:, n + 1:] == seqs[:, n + 1:]  # (B, n)
    return right.float().mean().item(), right.all(-1).float().mean().item()
