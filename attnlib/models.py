"""Tiny models the notebooks train in seconds."""

import torch
from torch import nn

from .multihead import MultiHeadAttention


class NeighbourModel(nn.Module):
    """One multi-head attention layer that reads a token's previous and next neighbour.

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
    """A small stack of attnlib EncoderBlocks that labels every position (notebook 08).

    Token embedding + learned positions -> num_layers EncoderBlocks -> a linear read-out
    giving V logits at each position (e.g. the digit that belongs there once sorted).
    """

    def __init__(self, vocab=10, n=8, embed_dim=32, num_heads=2, num_layers=2, ff_dim=64,
                 norm_first=False):
        super().__init__()
        from .blocks import EncoderBlock
        from .positional import LearnedPositionalEmbedding

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
