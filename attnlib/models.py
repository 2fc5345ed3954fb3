"""Tiny models the notebooks train in seconds (attnlib.train trains them).

OneHeadAttention (notebooks 03, 04) -> VerbFinder (03), Matcher (04);
MultiHeadAttention -> NeighbourModel (05); EncoderBlocks -> TinyEncoder (08).
"""

import torch
from torch import nn

from .blocks import EncoderBlock
from .multihead import MultiHeadAttention
from .positional import LearnedPositionalEmbedding


class OneHeadAttention(nn.Module):
    """One head, no output projection: queries from x_q, keys and values from x_kv.

    forward(x_q (B, N_q, E), x_kv (B, N_k, E) = x_q) -> output (B, N_q, D), weights
    (B, N_q, N_k). With one argument it is self-attention (notebook 03), with two
    cross-attention (notebook 04): the same layer.
    """

    def __init__(self, embed_dim, head_dim):
        super().__init__()
        self.W_q = nn.Linear(embed_dim, head_dim)
        self.W_k = nn.Linear(embed_dim, head_dim)
        self.W_v = nn.Linear(embed_dim, head_dim)

    def forward(self, x_q, x_kv=None):
        x_kv = x_q if x_kv is None else x_kv
        q = self.W_q(x_q)  # (B, N_q, D)
        k, v = self.W_k(x_kv), self.W_v(x_kv)  # (B, N_k, D)
        scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5  # (B, N_q, N_k)
        weights = torch.softmax(scores, dim=-1)  # (B, N_q, N_k), rows sum to 1
        return weights @ v, weights  # (B, N_q, D), (B, N_q, N_k)


class VerbFinder(nn.Module):
    """Notebook 03: self-attention over word vectors, then a linear read-out per word.

    x (B, N, E) -> logits (B, N, kinds), weights (B, N, N). The read-out sees only the
    attention output y_i = sum_j A_ij v_j (see data.verb_task).
    """

    def __init__(self, embed_dim=32, kinds=3):
        super().__init__()
        self.attn = OneHeadAttention(embed_dim, embed_dim)
        self.readout = nn.Linear(embed_dim, kinds)

    def forward(self, x):
        y, weights = self.attn(x)  # (B, N, D), (B, N, N)
        return self.readout(y), weights  # (B, N, kinds), (B, N, N)


class Matcher(nn.Module):
    """Notebook 04: cross-attention, then a read-out scored against every word vector.

    x_q (B, N_q, E), x_c (B, N_k, E) -> logits (B, N_q, V), weights (B, N_q, N_k), with
    logits_i = (W_o y_i + b_o) . vectors^T: one score per vocabulary word (data.match_task).
    vectors: the embedding table (V, E), fixed.
    """

    def __init__(self, vectors):
        super().__init__()
        embed_dim = vectors.shape[1]
        self.attn = OneHeadAttention(embed_dim, embed_dim)
        self.readout = nn.Linear(embed_dim, embed_dim)
        self.register_buffer("vectors", vectors.clone(), persistent=False)  # (V, E)

    def forward(self, x_q, x_c):
        y, weights = self.attn(x_q, x_c)  # (B, N_q, D), (B, N_q, N_k)
        return self.readout(y) @ self.vectors.T, weights  # (B, N_q, V), (B, N_q, N_k)


class NeighbourModel(nn.Module):
    """Notebook 05: one multi-head attention layer reading a token's two neighbours.

    Token + learned position embeddings -> MultiHeadAttention -> two linear read-outs,
    one predicting the previous token, one the next (see data.neighbour_task).
    """

    def __init__(self, vocab=10, n=8, embed_dim=32, num_heads=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, embed_dim)
        self.pos = nn.Parameter(torch.randn(n, embed_dim) * 0.5)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.prev_head = nn.Linear(embed_dim, vocab)
        self.next_head = nn.Linear(embed_dim, vocab)

    def forward(self, x):
        """x (B, N) -> prev logits (B, N, V), next logits (B, N, V), weights (B, H, N, N)."""
        h = self.tok(x) + self.pos[: x.shape[1]]  # (B, N, E)
        out, weights = self.attn(h)  # (B, N, E), (B, H, N, N)
        return self.prev_head(out), self.next_head(out), weights


class TinyEncoder(nn.Module):
    """Notebook 08: a small stack of attnlib EncoderBlocks that labels every position.

    Token embedding + learned positions -> num_layers EncoderBlocks -> a linear read-out
    giving V logits at each position (e.g. the digit that belongs there once sorted).
    """

    def __init__(self, vocab=10, n=8, embed_dim=32, num_heads=2, num_layers=2, ff_dim=64,
                 norm_first=False):
        super().__init__()
        self.tok = nn.Embedding(vocab, embed_dim)
        self.pos = LearnedPositionalEmbedding(n, embed_dim)
        self.blocks = nn.ModuleList(
            EncoderBlock(embed_dim, num_heads, ff_dim, norm_first=norm_first)
            for _ in range(num_layers)
        )
        self.readout = nn.Linear(embed_dim, vocab)

    def forward(self, x):
        """x (B, N) token ids -> logits (B, N, V), weights (B, L, H, N, N)."""
        h = self.pos(self.tok(x))  # (B, N, E)
        for block in self.blocks:
            h = block(h)  # (B, N, E)
        weights = torch.stack([block.last_weights for block in self.blocks], dim=1)
        return self.readout(h), weights


@torch.no_grad()
def stack_weights(encoder, decoder, src, tgt):
    """Run encoder blocks over src, then causal decoder blocks over tgt; collect the weights.

    encoder, decoder: lists of attnlib.blocks.EncoderBlock / DecoderBlock;
    src (B, N_src, E), tgt (B, N_tgt, E). Returns (L = layers):
    {"encoder self": (B, L, H, N_src, N_src), "decoder self": (B, L, H, N_tgt, N_tgt),
     "cross": (B, L, H, N_tgt, N_src)}, the shapes widgets.model_explorer takes per sample.
    """
    memory = src
    for block in encoder:
        memory = block(memory)  # (B, N_src, E)
    y = tgt
    causal = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool, device=tgt.device).tril()
    for block in decoder:
        y = block(y, memory, self_mask=causal)  # (B, N_tgt, E)
    return {
        "encoder self": torch.stack([b.last_weights for b in encoder], dim=1),
        "decoder self": torch.stack([b.last_self_weights for b in decoder], dim=1),
        "cross": torch.stack([b.last_cross_weights for b in decoder], dim=1),
    }
