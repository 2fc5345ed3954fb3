"""A transformer encoder-decoder for sequence-to-sequence tasks (notebook 10).

`Seq2SeqTransformer` stacks attnlib's EncoderBlocks and DecoderBlocks as nn.Transformer
does (a final LayerNorm after each stack), with token embeddings, learned positions and
a linear read-out around it; `to_torch` copies its weights into an nn.Transformer, which
then gives the same outputs. On top of it, the pieces of a date translator:

    shift_right          teacher forcing: the decoder reads <s> + target[:-1]
    loss                 cross-entropy of the next character, under teacher forcing
    greedy_decode        free-running decoding, one character at a time (no cache)
    exact_match          share of whole outputs that are exactly right
    alignment_scores     per layer and head: does cross-attention point at the right field?
    train_translator     the model trained on attnlib.data.load_dates with attnlib.train.fit
    load_checkpoint      that model as notebook 10 loads it (save_checkpoint writes it)

Masks follow attnlib: True = may attend; `src_key_mask` (B, N_src) is True for real
source characters (attnlib.masks.padding). Notation: B batch, N_src / N_tgt lengths,
E model width, H heads, L layers, V vocabulary size.
"""

import torch
import torch.nn.functional as F
from torch import nn

from . import masks, validate
from .blocks import DecoderBlock, EncoderBlock
from .data import CharVocab, load_dates
from .positional import LearnedPositionalEmbedding
from .train import fit

PAD, START, END = 0, 1, 2  # CharVocab's special ids: <pad>, <s>, </s>
TARGET_FIELDS = {"year": (0, 4), "month": (5, 7), "day": (8, 10)}
"""[start, end) of each field in an ISO date "yyyy-mm-dd" (the target)."""


class Seq2SeqTransformer(nn.Module):
    """Encoder-decoder transformer: src ids (B, N_src), decoder input ids (B, N_tgt) ->
    logits (B, N_tgt, V) for the next target token at each decoder position."""

    def __init__(self, vocab_size, embed_dim=64, num_heads=4, num_layers=2, ff_dim=128,
                 max_len=48, norm_first=False):
        super().__init__()
        validate.positive_int("vocab_size", vocab_size)
        validate.positive_int("num_layers", num_layers)
        self.vocab_size, self.embed_dim, self.num_heads = vocab_size, embed_dim, num_heads
        self.num_layers = num_layers
        self.src_tok = nn.Embedding(vocab_size, embed_dim)
        self.tgt_tok = nn.Embedding(vocab_size, embed_dim)
        self.src_pos = LearnedPositionalEmbedding(max_len, embed_dim)
        self.tgt_pos = LearnedPositionalEmbedding(max_len, embed_dim)
        self.encoder = nn.ModuleList(EncoderBlock(embed_dim, num_heads, ff_dim, norm_first=norm_first)
                                     for _ in range(num_layers))
        self.decoder = nn.ModuleList(DecoderBlock(embed_dim, num_heads, ff_dim, norm_first=norm_first)
                                     for _ in range(num_layers))
        self.encoder_norm = nn.LayerNorm(embed_dim)  # as nn.Transformer: one after each stack
        self.decoder_norm = nn.LayerNorm(embed_dim)
        self.readout = nn.Linear(embed_dim, vocab_size)
        # Positions start at the scale of the token embeddings (std 1), not the usual
        # 0.02: otherwise order is a whisper next to the characters, and learning the
        # alignments that need it takes several times more steps.
        nn.init.normal_(self.src_pos.table)
        nn.init.normal_(self.tgt_pos.table)

    def _check_ids(self, name, ids):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.long:
            what = (f"{ids.dtype} tensor of shape {tuple(ids.shape)}"
                    if isinstance(ids, torch.Tensor) else type(ids).__name__)
            raise TypeError(f"{name} must be a (B, N) tensor of token ids (torch.long), got {what}")
        if ids.shape[1] > self.src_pos.max_len:
            raise ValueError(f"{name} has N={ids.shape[1]} positions (shape {tuple(ids.shape)}), "
                             f"more than max_len={self.src_pos.max_len}")
        if ids.numel() and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"{name} ids must lie in [0, {self.vocab_size}), got values from "
                             f"{ids.min().item()} to {ids.max().item()} (shape {tuple(ids.shape)})")

    def embed_src(self, src):
        """src ids (B, N_src) -> token + position vectors (B, N_src, E)."""
        self._check_ids("src", src)
        return self.src_pos(self.src_tok(src))

    def embed_tgt(self, tgt_in):
        """decoder input ids (B, N_tgt) -> token + position vectors (B, N_tgt, E)."""
        self._check_ids("tgt_in", tgt_in)
        return self.tgt_pos(self.tgt_tok(tgt_in))

    def encode(self, src, src_key_mask=None):
        """src (B, N_src), src_key_mask (B, N_src) True = real -> memory (B, N_src, E)."""
        x = self.embed_src(src)
        for block in self.encoder:
            x = block(x, key_mask=src_key_mask)  # (B, N_src, E)
        return self.encoder_norm(x)

    def decode(self, tgt_in, memory, src_key_mask=None):
        """tgt_in (B, N_tgt), memory (B, N_src, E) -> logits (B, N_tgt, V).
        Causal: position i reads tgt_in[:, :i + 1] only."""
        y = self.embed_tgt(tgt_in)
        if memory.shape[0] != y.shape[0]:
            raise ValueError(f"memory must have the batch size B of tgt_in: got memory of shape "
                             f"{tuple(memory.shape)} and tgt_in of shape {tuple(tgt_in.shape)}")
        causal = masks.causal(tgt_in.shape[1], device=tgt_in.device)  # (N_tgt, N_tgt)
        for block in self.decoder:
            y = block(y, memory, self_mask=causal, memory_key_mask=src_key_mask)  # (B, N_tgt, E)
        return self.readout(self.decoder_norm(y))  # (B, N_tgt, V)

    def forward(self, src, tgt_in, src_key_mask=None):
        """src (B, N_src), tgt_in (B, N_tgt), src_key_mask (B, N_src) -> logits (B, N_tgt, V)."""
        self._check_ids("src", src)
        self._check_ids("tgt_in", tgt_in)
        if src.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"src and tgt_in must have the same batch size B, got src of shape "
                             f"{tuple(src.shape)} and tgt_in of shape {tuple(tgt_in.shape)}")
        if src_key_mask is not None and src_key_mask.shape != src.shape:
            raise ValueError(f"src_key_mask must have the shape of src {tuple(src.shape)} "
                             f"(B, N_src), got {tuple(src_key_mask.shape)}")
        return self.decode(tgt_in, self.encode(src, src_key_mask), src_key_mask)

    def cross_weights(self):
        """Cross-attention weights of the latest forward, every layer: (B, L, H, N_tgt, N_src)."""
        return torch.stack([block.last_cross_weights for block in self.decoder], dim=1)

    def to_torch(self):
        """An nn.Transformer (batch_first=True) with this model's encoder and decoder weights.

        Feed it embed_src(src) and embed_tgt(tgt_in) with PyTorch's masks
        (masks.to_mha_attn_mask, masks.to_mha_key_padding_mask) and apply `readout`.
        """
        first = self.encoder[0]
        E, H, L, F_DIM = self.embed_dim, self.num_heads, self.num_layers, first.ff.linear1.out_features
        layer = dict(dropout=0.0, batch_first=True, norm_first=first.norm_first)
        ref = nn.Transformer(
            E, H, custom_encoder=nn.TransformerEncoder(
                nn.TransformerEncoderLayer(E, H, F_DIM, **layer), L, nn.LayerNorm(E),
                enable_nested_tensor=False),  # keep padded positions as they are
            custom_decoder=nn.TransformerDecoder(
                nn.TransformerDecoderLayer(E, H, F_DIM, **layer), L, nn.LayerNorm(E)),
            batch_first=True)
        ref = ref.to(device=self.readout.weight.device, dtype=self.readout.weight.dtype)
        with torch.no_grad():
            for ours, theirs in zip(self.encoder, ref.encoder.layers):
                theirs.self_attn.load_state_dict(ours.self_attn.to_torch().state_dict())
                _copy_ff_and_norms(ours, theirs, ("norm1", "norm2"))
            for ours, theirs in zip(self.decoder, ref.decoder.layers):
                theirs.self_attn.load_state_dict(ours.self_attn.to_torch().state_dict())
                theirs.multihead_attn.load_state_dict(ours.cross_attn.to_torch().state_dict())
                _copy_ff_and_norms(ours, theirs, ("norm1", "norm2", "norm3"))
            ref.encoder.norm.load_state_dict(self.encoder_norm.state_dict())
            ref.decoder.norm.load_state_dict(self.decoder_norm.state_dict())
        return ref.train(self.training)


def _copy_ff_and_norms(ours, theirs, norm_names):
    """Our block's feed-forward and LayerNorms -> a PyTorch layer's linear1, linear2, norms."""
    theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
    theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
    for name in norm_names:
        getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())


# ---------------------------------------------------------------- teacher forcing


def shift_right(tgt, start_id=START):
    """Decoder input for teacher forcing: <s> then the target without its last token.

    tgt (B, N) -> (B, N): position i of the decoder reads the true tokens before i and
    is trained to output tgt[:, i].
    """
    if not isinstance(tgt, torch.Tensor) or tgt.dim() != 2:
        raise ValueError(f"tgt must be a (B, N) tensor of ids, got "
                         f"{tuple(tgt.shape) if isinstance(tgt, torch.Tensor) else type(tgt).__name__}")
    start = torch.full_like(tgt[:, :1], start_id)  # (B, 1)
    return torch.cat([start, tgt[:, :-1]], dim=1)  # (B, N)


def encode_pairs(pairs, vocab):
    """Date pairs -> tensors: src (P, N_src) padded with 0, src_key_mask (P, N_src) True =
    real character, tgt (P, N_tgt) = the target's characters then </s>."""
    src, lengths = vocab.encode([p["src"] for p in pairs])
    tgt, _ = vocab.encode([p["tgt"] for p in pairs], end=True)
    return {"src": src, "src_key_mask": masks.padding(lengths, src.shape[1]), "tgt": tgt}


def loss(model, batch):
    """Teacher-forced cross-entropy: each position predicts tgt[:, i] from the true tgt[:, :i]."""
    logits = model(batch["src"], shift_right(batch["tgt"]), batch["src_key_mask"])  # (B, N_tgt, V)
    return F.cross_entropy(logits.flatten(0, 1), batch["tgt"].flatten(), ignore_index=PAD)


def batch_sampler(encoded, batch_size):
    """batch_fn(generator) for attnlib.train.fit: `batch_size` random pairs of `encoded`,
    the source cut to the longest in the batch."""
    def batch_fn(generator):
        i = torch.randint(0, encoded["tgt"].shape[0], (batch_size,), generator=generator)
        key_mask = encoded["src_key_mask"][i]  # (B, N_src)
        n = int(key_mask.sum(1).max())
        return {"src": encoded["src"][i, :n], "src_key_mask": key_mask[:, :n], "tgt": encoded["tgt"][i]}
    return batch_fn


# ---------------------------------------------------------------- free-running decoding


@torch.no_grad()
def greedy_decode(model, src, src_key_mask=None, max_len=11, prefix=None):
    """Free-running greedy decoding: start from <s>, append the most likely token, repeat.

    src (B, N_src), src_key_mask (B, N_src) -> ids (B, max_len), the tokens after <s>
    (everything after a </s> is </s>). No cache: each step runs the decoder over the whole
    prefix so far, which is the simplest correct loop. `prefix` (B, P), if given, is forced
    in after <s> (it becomes the first P output tokens) and decoding goes on from there.
    """
    validate.positive_int("max_len", max_len)
    B = src.shape[0]
    out = torch.full((B, 1), START, dtype=torch.long, device=src.device)  # (B, 1)
    if prefix is not None:
        if not isinstance(prefix, torch.Tensor) or prefix.dim() != 2 or prefix.shape[0] != B \
                or prefix.shape[1] > max_len:
            shape = tuple(prefix.shape) if isinstance(prefix, torch.Tensor) else type(prefix).__name__
            raise ValueError(f"prefix must be (B, P) ids with B={B} (src has shape {tuple(src.shape)}) "
                             f"and P <= max_len={max_len}, got {shape}")
        out = torch.cat([out, prefix.to(out.device)], dim=1)  # (B, 1 + P)
    memory = model.encode(src, src_key_mask)  # (B, N_src, E): once
    done = (out == END).any(1)  # (B,)
    while out.shape[1] <= max_len:
        logits = model.decode(out, memory, src_key_mask)  # (B, t, V)
        nxt = logits[:, -1].argmax(-1)  # (B,)
        nxt = torch.where(done, END, nxt)
        done |= nxt == END
        out = torch.cat([out, nxt[:, None]], dim=1)
    return out[:, 1:]  # (B, max_len)


def translate(model, vocab, texts):
    """Strings -> the model's greedy outputs as strings."""
    src, lengths = vocab.encode(texts)
    ids = greedy_decode(model, src, masks.padding(lengths, src.shape[1]))
    return [vocab.decode(row) for row in ids]


def exact_match(outputs, tgt):
    """Share of rows whose output ids equal the target ids (B, N_tgt), up to and including
    </s>: e.g. greedy_decode's output against encode_pairs(...)["tgt"]."""
    if outputs.shape != tgt.shape:
        raise ValueError(f"outputs and tgt must have the same shape (B, N_tgt), got "
                         f"{tuple(outputs.shape)} and {tuple(tgt.shape)}")
    return (outputs == tgt).all(1).float().mean().item()


@torch.no_grad()
def teacher_forced_accuracy(model, encoded):
    """Share of target tokens (</s> included) predicted right when the decoder reads the true
    previous tokens: the figure training sees, not the one decoding gets."""
    model.eval()
    logits = model(encoded["src"], shift_right(encoded["tgt"]), encoded["src_key_mask"])
    keep = encoded["tgt"] != PAD
    return (logits.argmax(-1) == encoded["tgt"])[keep].float().mean().item()


# ---------------------------------------------------------------- alignment


@torch.no_grad()
def alignment_scores(model, encoded, pairs):
    """Per layer and head (L, H): the share of the target's field characters (the year,
    month and day digits) whose cross-attention argmax over the source lies inside the
    span of the same field in the source (pairs[i]["spans"]), under teacher forcing.

    The decoder position i that outputs tgt[:, i] is the query; its weights over the
    source are row i of the cross-attention.
    """
    model.eval()
    model(encoded["src"], shift_right(encoded["tgt"]), encoded["src_key_mask"])
    looked_at = model.cross_weights().argmax(-1)  # (B, L, H, N_tgt): the source position
    inside = torch.zeros_like(looked_at, dtype=torch.bool)
    counted = torch.zeros(looked_at.shape[-1], dtype=torch.bool)  # (N_tgt,)
    for field, (t0, t1) in TARGET_FIELDS.items():
        counted[t0:t1] = True
        span = torch.tensor([p["spans"][field] for p in pairs])  # (B, 2)
        lo, hi = span[:, 0, None, None, None], span[:, 1, None, None, None]  # (B, 1, 1, 1)
        pos = looked_at[..., t0:t1]  # (B, L, H, t1 - t0)
        inside[..., t0:t1] = (pos >= lo) & (pos < hi)
    return inside[..., counted].float().mean(dim=(0, -1))  # (L, H)


# ---------------------------------------------------------------- training


def date_vocab():
    """One CharVocab for sources and targets, from the training pairs."""
    train = load_dates("train")
    return CharVocab([p["src"] for p in train] + [p["tgt"] for p in train])


def train_translator(steps=500, batch=64, lr=5e-3, seed=0, embed_dim=64, num_heads=4,
                     num_layers=2, ff_dim=128, progress=True):
    """Seq2SeqTransformer trained on the training dates with attnlib.train.fit.
    Returns (model in eval mode, vocab, losses)."""
    vocab = date_vocab()
    encoded = encode_pairs(load_dates("train"), vocab)
    torch.manual_seed(seed)
    model = Seq2SeqTransformer(len(vocab), embed_dim, num_heads, num_layers, ff_dim)
    model, losses = fit(model, batch_sampler(encoded, batch), loss, steps, lr, seed, progress)
    return model, vocab, losses


# ---------------------------------------------------------------- the checkpoint of notebook 10
# Training takes longer than the notebook's time budget on a 2-core CPU, so notebook 10
# loads the translator from data/checkpoints/10_dates_translator.safetensors.
#     python -c "from attnlib import seq2seq; seq2seq.save_checkpoint()"
# retrains it (seed 0, the defaults of train_translator) and rewrites the file;
# tests/test_learned_claims_10.py checks that retraining gives the file back.


def checkpoint_path():
    from .data import data_dir

    return data_dir() / "checkpoints" / "10_dates_translator.safetensors"


def save_checkpoint(seed=0, progress=True):
    """Retrain the translator with `seed` and write its weights and training losses."""
    from safetensors.torch import save_file

    model, vocab, losses = train_translator(seed=seed, progress=progress)
    state = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    state["losses"] = torch.tensor(losses, dtype=torch.float32)
    path = checkpoint_path()
    path.parent.mkdir(exist_ok=True)
    save_file(state, str(path), metadata={"seed": str(seed), "vocab": str(len(vocab))})
    print(f"wrote {path}")


def load_checkpoint():
    """(model in eval mode, vocab, losses) of the translator save_checkpoint wrote."""
    from safetensors import safe_open

    path = checkpoint_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run seq2seq.save_checkpoint()")
    with safe_open(str(path), framework="pt") as f:
        state = {k: f.get_tensor(k) for k in f.keys()}
    vocab = date_vocab()
    losses = state.pop("losses").tolist()
    model = Seq2SeqTransformer(len(vocab), 64, 4, 2, 128)  # train_translator's defaults
    model.load_state_dict({k.removeprefix("model."): v for k, v in state.items()})  # strict
    return model.eval(), vocab, losses
