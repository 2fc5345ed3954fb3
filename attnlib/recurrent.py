"""Recurrent encoder-decoders with and without attention (notebook 09).

A GRU encoder reads the input and leaves one vector per position (the keys, (B, N_k, D_k))
and a final summary. Three decoders read them one output step at a time:

    PlainDecoder      no attention: it sees the input only through the summary
    BahdanauDecoder   attends with its previous state s_{t-1}; the context enters the GRU
    LuongDecoder      attends with its new state s_t; the context shapes the output

A score module rates every key for one query (B, D_q) -> scores (B, N_k): AdditiveScore
(Bahdanau), and Luong's DotScore, GeneralScore, ConcatScore. `attend` turns scores into
weights (padded keys get exactly 0, a row with no real key gets zeros, never NaN) and a
context. The tasks of notebook 09 (date translation, string reversal), the loss, greedy
decoding, accuracy by input length, the alignment score and the notebook's checkpoints
(save_checkpoints, load_checkpoint) live here too.
Key masks follow attnlib's convention: True = a real token that may be attended.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from . import validate
from .core import masked_softmax
from .data import CharVocab, load_dates, reverse_task
from .train import fit

PAD, START, END = 0, 1, 2
"""Special ids, as in attnlib.data.CharVocab."""


# ---------------------------------------------------------------- checks


def _check_query_keys(query, keys, d_q=None, d_k=None):
    validate.floating_tensor("query", query)
    validate.floating_tensor("keys", keys)
    if query.dim() != 3 or keys.dim() != 3 or query.shape[0] != keys.shape[0]:
        raise ValueError(f"query must be (B, N_q, D_q) and keys (B, N_k, D_k) with the same B, "
                         f"got query {tuple(query.shape)} and keys {tuple(keys.shape)}")
    if d_q is not None and query.shape[2] != d_q:
        raise ValueError(f"query must be (B, N_q, {d_q}), got shape {tuple(query.shape)}")
    if d_k is not None and keys.shape[2] != d_k:
        raise ValueError(f"keys must be (B, N_k, {d_k}), got shape {tuple(keys.shape)}")


def _check_ids(ids, lengths):
    validate.tensor("src", ids)
    validate.tensor("lengths", lengths)
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"src must be a long tensor (B, N), got {ids.dtype} of shape {tuple(ids.shape)}")
    if lengths.shape != (ids.shape[0],):
        raise ValueError(f"lengths must be (B,) = ({ids.shape[0]},) for src {tuple(ids.shape)}, "
                         f"got shape {tuple(lengths.shape)}")
    if len(lengths) and (lengths.min() < 1 or lengths.max() > ids.shape[1]):
        raise ValueError(f"lengths must lie in [1, N] = [1, {ids.shape[1]}] for src "
                         f"{tuple(ids.shape)}, got {lengths.min().item()}..{lengths.max().item()}")


# ---------------------------------------------------------------- scores and attend
# A score module rates every key for every query: (B, N_q, D_q), (B, N_k, D_k) -> (B, N_q, N_k).


class AdditiveScore(nn.Module):
    """Bahdanau: score(q, k_j) = v^T tanh(W_q q + W_k k_j)."""

    def __init__(self, query_dim, key_dim, attn_dim):
        super().__init__()
        self.W_q = nn.Linear(query_dim, attn_dim, bias=False)
        self.W_k = nn.Linear(key_dim, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, query, keys):
        _check_query_keys(query, keys, self.W_q.in_features, self.W_k.in_features)
        return self.from_projected(query, self.W_k(keys))

    def from_projected(self, query, projected_keys):
        """The scores given W_k k_j (B, N_k, A), which a decoder computes once per input."""
        hidden = torch.tanh(self.W_q(query)[:, :, None, :] + projected_keys[:, None])  # (B, N_q, N_k, A)
        return self.v(hidden)[..., 0]  # (B, N_q, N_k)


class DotScore(nn.Module):
    """Luong dot: score(q, k_j) = q . k_j (D_q = D_k; no parameters, no 1/sqrt(D))."""

    def forward(self, query, keys):
        _check_query_keys(query, keys, d_k=query.shape[-1])
        return query @ keys.transpose(1, 2)  # (B, N_q, D) @ (B, D, N_k) -> (B, N_q, N_k)


class GeneralScore(nn.Module):
    """Luong general: score(q, k_j) = q^T W k_j, with W (D_q, D_k)."""

    def __init__(self, query_dim, key_dim):
        super().__init__()
        self.W = nn.Linear(key_dim, query_dim, bias=False)  # k_j -> W k_j (D_q)

    def forward(self, query, keys):
        _check_query_keys(query, keys, self.W.out_features, self.W.in_features)
        return query @ self.W(keys).transpose(1, 2)  # (B, N_q, N_k)


class ConcatScore(nn.Module):
    """Luong concat: score(q, k_j) = v^T tanh(W [q; k_j]): one matrix on the concatenation."""

    def __init__(self, query_dim, key_dim, attn_dim):
        super().__init__()
        self.query_dim = query_dim
        self.W = nn.Linear(query_dim + key_dim, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, query, keys):
        _check_query_keys(query, keys, self.query_dim, self.W.in_features - self.query_dim)
        B, N_q, N_k = query.shape[0], query.shape[1], keys.shape[1]
        pairs = torch.cat([query[:, :, None].expand(B, N_q, N_k, -1),
                           keys[:, None].expand(B, N_q, N_k, -1)], dim=-1)  # (B, N_q, N_k, D_q + D_k)
        return self.v(torch.tanh(self.W(pairs)))[..., 0]  # (B, N_q, N_k)


def attend(scores, keys, key_mask=None):
    """Weights and contexts from scores.

    scores (B, N_q, N_k), keys (B, N_k, D_k), key_mask (B, N_k) bool, True = real key.
    Returns context (B, N_q, D_k) = sum_j a_ij k_j and weights a (B, N_q, N_k): a softmax
    over the real keys, exactly 0 on padding; a query with no real key gets zeros, not NaN.
    """
    validate.floating_tensor("scores", scores)
    validate.floating_tensor("keys", keys)
    if scores.dim() != 3 or keys.dim() != 3 or scores.shape[::2] != keys.shape[:2]:
        raise ValueError(f"scores must be (B, N_q, N_k) and keys (B, N_k, D_k) with the same B "
                         f"and N_k, got scores {tuple(scores.shape)} and keys {tuple(keys.shape)}")
    if key_mask is not None:
        validate.bool_tensor("key_mask", key_mask, validate.KEY_MASK_MEANING)
        if key_mask.shape != keys.shape[:2]:
            raise ValueError(f"key_mask must be (B, N_k) = {tuple(keys.shape[:2])}, "
                             f"got shape {tuple(key_mask.shape)}")
        scores = scores.masked_fill(~key_mask[:, None, :], float("-inf"))
    weights = masked_softmax(scores)  # (B, N_q, N_k)
    return weights @ keys, weights  # (B, N_q, D_k), (B, N_q, N_k)


# ---------------------------------------------------------------- encoder


class Encoder(nn.Module):
    """Embedding and a bidirectional GRU of width H per direction.

    src (B, N) padded with 0, lengths (B,) -> keys (B, N, 2H): each position's forward and
    backward states side by side (zeros on padding), and summary (B, 2H): the final states
    of both directions, which have read the whole real input and no padding.
    """

    def __init__(self, vocab, embed_dim, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.gru = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, src, lengths):
        _check_ids(src, lengths)
        packed = pack_padded_sequence(self.embed(src), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, last = self.gru(packed)  # last (2, B, H): final forward and backward states
        keys, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        return keys, torch.cat([last[0], last[1]], dim=-1)  # (B, N, 2H), (B, 2H)


# ---------------------------------------------------------------- decoders
# Every decoder has width D = the keys' width 2H and two ways to run:
#   forward(tgt_in (B, T), summary, keys, key_mask) -> logits (B, T, V), weights (B, T, N_k)
#       (teacher forcing: the right previous outputs are given; weights None without attention)
#   start(summary, keys) -> state; step(y_prev (B,), state, keys, key_mask) -> (logits (B, V),
#       state, weights (B, N_k) or None): one output at a time, for greedy decoding.
# weights[:, t] is the attention used to emit output t.


class PlainDecoder(nn.Module):
    """No attention (Cho et al., 2014): the summary c is the decoder's only view of the input,
    given at every step: s_0 = tanh(W_b c), s_t = GRU([embed(y_{t-1}); c], s_{t-1}),
    logits = W_o [s_t; c]."""

    def __init__(self, vocab, embed_dim, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.bridge = nn.Linear(dim, dim)
        self.gru = nn.GRU(embed_dim + dim, dim, batch_first=True)
        self.out = nn.Linear(2 * dim, vocab)

    def start(self, summary, keys):
        return torch.tanh(self.bridge(summary)), summary  # (s_0 (B, D), c (B, D))

    def forward(self, tgt_in, summary, keys, key_mask):
        s0, c = self.start(summary, keys)
        c = c[:, None].expand(-1, tgt_in.shape[1], -1)  # (B, T, D): the same c at every step
        s, _ = self.gru(torch.cat([self.embed(tgt_in), c], dim=-1), s0[None])  # (B, T, D)
        return self.out(torch.cat([s, c], dim=-1)), None

    def step(self, y_prev, state, keys, key_mask):
        s, c = state
        s, _ = self.gru(torch.cat([self.embed(y_prev), c], dim=-1)[:, None], s[None])  # (B, 1, D)
        return self.out(torch.cat([s[:, 0], c], dim=-1)), (s[:, 0], c), None


class BahdanauDecoder(nn.Module):
    """Attention from the previous state, before the GRU step:
    a_t = attend(score(s_{t-1}, keys)), c_t = sum_j a_tj k_j,
    s_t = GRU([embed(y_{t-1}); c_t], s_{t-1}), logits = W_o [s_t; c_t]."""

    def __init__(self, vocab, embed_dim, dim, attn_dim=None):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.bridge = nn.Linear(dim, dim)
        self.score = AdditiveScore(dim, dim, attn_dim or dim)
        self.cell = nn.GRUCell(embed_dim + dim, dim)
        self.out = nn.Linear(2 * dim, vocab)

    def start(self, summary, keys):
        # W_k k_j does not change while decoding: compute it once, keep it with the state.
        return torch.tanh(self.bridge(summary)), self.score.W_k(keys)  # (B, D), (B, N_k, A)

    def attend_and_update(self, y_prev, state, keys, key_mask):
        s, projected = state
        scores = self.score.from_projected(s[:, None], projected)  # (B, 1, N_k)
        context, weights = attend(scores, keys, key_mask)  # (B, 1, D), (B, 1, N_k)
        s = self.cell(torch.cat([self.embed(y_prev), context[:, 0]], dim=-1), s)  # (B, D)
        return s, context[:, 0], weights[:, 0], (s, projected)

    def step(self, y_prev, state, keys, key_mask):
        s, context, weights, state = self.attend_and_update(y_prev, state, keys, key_mask)
        return self.out(torch.cat([s, context], dim=-1)), state, weights

    def forward(self, tgt_in, summary, keys, key_mask):
        state, outs, weights = self.start(summary, keys), [], []
        for t in range(tgt_in.shape[1]):  # each step needs the state the last one left
            s, context, w, state = self.attend_and_update(tgt_in[:, t], state, keys, key_mask)
            outs.append(torch.cat([s, context], dim=-1))
            weights.append(w)
        return self.out(torch.stack(outs, 1)), torch.stack(weights, 1)  # (B, T, V), (B, T, N_k)


class LuongDecoder(nn.Module):
    """Attention from the new state, after the GRU step:
    s_t = GRU(embed(y_{t-1}), s_{t-1}), a_t = attend(score(s_t, keys)), c_t = sum_j a_tj k_j,
    h~_t = tanh(W_c [c_t; s_t]), logits = W_o h~_t.
    score: DotScore(), GeneralScore(D, D) or ConcatScore(D, D, A). Without Luong's optional
    "input feeding" the states do not depend on the attention, so with teacher forcing all
    T queries attend at once: (B, T, D) against (B, N_k, D), as in a transformer."""

    def __init__(self, vocab, embed_dim, dim, score):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.bridge = nn.Linear(dim, dim)
        self.score = score
        self.gru = nn.GRU(embed_dim, dim, batch_first=True)
        self.combine = nn.Linear(2 * dim, dim)
        self.out = nn.Linear(dim, vocab)

    def start(self, summary, keys):
        return torch.tanh(self.bridge(summary))  # (B, D)

    def read(self, s, keys, key_mask):
        """States s (B, T, D) -> logits (B, T, V), weights (B, T, N_k)."""
        context, weights = attend(self.score(s, keys), keys, key_mask)  # (B, T, D), (B, T, N_k)
        h_tilde = torch.tanh(self.combine(torch.cat([context, s], dim=-1)))  # (B, T, D)
        return self.out(h_tilde), weights

    def forward(self, tgt_in, summary, keys, key_mask):
        s, _ = self.gru(self.embed(tgt_in), self.start(summary, keys)[None])  # (B, T, D)
        return self.read(s, keys, key_mask)

    def step(self, y_prev, state, keys, key_mask):
        s, _ = self.gru(self.embed(y_prev)[:, None], state[None])  # (B, 1, D)
        logits, weights = self.read(s, keys, key_mask)
        return logits[:, 0], s[:, 0], weights[:, 0]


# ---------------------------------------------------------------- the model


class Seq2Seq(nn.Module):
    """An Encoder and a decoder. forward(src, lengths, tgt_in) -> logits (B, T, V) and
    weights (B, T, N_k) (None without attention), with teacher forcing."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def encode(self, src, lengths):
        """keys (B, N_k, D), key_mask (B, N_k) (True = real input), summary (B, D)."""
        keys, summary = self.encoder(src, lengths)
        key_mask = torch.arange(src.shape[1], device=src.device) < lengths[:, None]
        return keys, key_mask, summary

    def forward(self, src, lengths, tgt_in):
        validate.tensor("tgt_in", tgt_in)
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in must be (B, T) with the B of src {tuple(src.shape)}, "
                             f"got shape {tuple(tgt_in.shape)}")
        keys, key_mask, summary = self.encode(src, lengths)
        return self.decoder(tgt_in, summary, keys, key_mask)


def make_model(kind, src_vocab, tgt_vocab, embed_dim=16, hidden=32):
    """kind: 'none', 'bahdanau', 'dot', 'general' or 'concat' -> a Seq2Seq whose encoder has
    width `hidden` per direction and whose decoder has width D = 2 * hidden."""
    validate.one_of("kind", kind, MODEL_KINDS)
    dim = 2 * hidden
    if kind == "none":
        decoder = PlainDecoder(tgt_vocab, embed_dim, dim)
    elif kind == "bahdanau":
        decoder = BahdanauDecoder(tgt_vocab, embed_dim, dim)
    else:
        score = {"dot": lambda: DotScore(), "general": lambda: GeneralScore(dim, dim),
                 "concat": lambda: ConcatScore(dim, dim, dim)}[kind]()
        decoder = LuongDecoder(tgt_vocab, embed_dim, dim, score)
    return Seq2Seq(Encoder(src_vocab, embed_dim, hidden), decoder)


MODEL_KINDS = ("none", "bahdanau", "dot", "general", "concat")


def seq2seq_loss(model, batch):
    """Mean cross-entropy over the real target tokens. batch = (src, lengths, tgt) with
    tgt (B, T) ending in </s> and padded with 0; the decoder reads <s> + tgt[:, :-1]."""
    src, lengths, tgt = batch
    logits, _ = model(src, lengths, teacher_inputs(tgt))  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=PAD)


def teacher_inputs(tgt):
    """<s> followed by tgt without its last column: (B, T) -> (B, T)."""
    return torch.cat([torch.full_like(tgt[:, :1], START), tgt[:, :-1]], dim=1)


@torch.no_grad()
def greedy_decode(model, src, lengths, max_len):
    """Feed back the most likely token at each step. Returns ids (B, T <= max_len) and weights
    (B, T, N_k) (None without attention); a row stops mattering after its </s>."""
    keys, key_mask, summary = model.encode(src, lengths)
    state = model.decoder.start(summary, keys)
    y = torch.full((src.shape[0],), START, dtype=torch.long, device=src.device)
    done = torch.zeros_like(y, dtype=torch.bool)
    ids, weights = [], []
    for _ in range(max_len):
        logits, state, w = model.decoder.step(y, state, keys, key_mask)
        y = logits.argmax(-1)  # (B,)
        ids.append(y)
        weights.append(w)
        done |= y == END
        if done.all():
            break
    weights = None if weights[0] is None else torch.stack(weights, 1)
    return torch.stack(ids, 1), weights


# ---------------------------------------------------------------- task: dates


class Dates:
    """The date pairs of attnlib.data.load_dates, encoded once with one CharVocab.

    `train` and `test` are (src (P, N) ids, lengths (P,), tgt (P, 11) ids ending in </s>);
    `pairs[split]` the records. A target "YYYY-MM-DD" has its year at outputs 0-3, month
    at 5-6 and day at 8-9 (TARGET_FIELDS).
    """

    TARGET_FIELDS = {"year": range(0, 4), "month": range(5, 7), "day": range(8, 10)}

    def __init__(self):
        self.pairs = {split: load_dates(split) for split in ("train", "test")}
        self.vocab = CharVocab([p["src"] + p["tgt"] for p in self.pairs["train"]])
        for split, pairs in self.pairs.items():
            src, lengths = self.vocab.encode([p["src"] for p in pairs])
            tgt, _ = self.vocab.encode([p["tgt"] for p in pairs], end=True)
            setattr(self, split, (src, lengths, tgt))

    def batch(self, size, generator):
        """A training batch (src, lengths, tgt) of `size` random pairs, trimmed to its longest."""
        src, lengths, tgt = self.train
        pick = torch.randint(len(lengths), (size,), generator=generator)
        return src[pick, : lengths[pick].max()], lengths[pick], tgt[pick]

    def encode(self, texts):
        """Source strings -> (ids (B, N), lengths (B,)); unknown characters raise a ValueError."""
        unknown = sorted({c for t in texts for c in t if c not in self.vocab.stoi})
        if unknown:
            raise ValueError(f"characters the model never saw: {unknown}")
        return self.vocab.encode(texts)


def train_dates(kind="bahdanau", steps=300, batch=64, lr=1e-2, seed=0, progress=True,
                hidden=32, dates=None):
    """A Seq2Seq of `kind` trained on the date pairs; returns (model, losses, dates)."""
    dates = dates or Dates()
    torch.manual_seed(seed)
    model = make_model(kind, len(dates.vocab), len(dates.vocab), hidden=hidden)
    model, losses = fit(model, lambda g: dates.batch(batch, g), seq2seq_loss, steps, lr, seed,
                        progress, clip=1.0)
    return model, losses, dates


@torch.no_grad()
def dates_accuracy(model, dates):
    """(right (P,) bool: whole date decoded exactly, src lengths (P,)) on the held-out pairs."""
    src, lengths, tgt = dates.test
    ids, _ = greedy_decode(model, src, lengths, tgt.shape[1])
    got = [dates.vocab.decode(row) for row in ids]
    right = torch.tensor([g == p["tgt"] for g, p in zip(got, dates.pairs["test"])])
    return right, lengths


@torch.no_grad()
def alignment_scores(model, dates):
    """For each field, the fraction of its output characters whose largest weight falls
    inside that field's span of the input; on the held-out pairs, teacher forced."""
    src, lengths, tgt = dates.test
    _, weights = model(src, lengths, teacher_inputs(tgt))  # (P, T, N_k)
    where = weights.argmax(-1)  # (P, T)
    scores = {}
    for field, outputs in Dates.TARGET_FIELDS.items():
        spans = torch.tensor([p["spans"][field] for p in dates.pairs["test"]])  # (P, 2)
        hit = (where[:, list(outputs)] >= spans[:, :1]) & (where[:, list(outputs)] < spans[:, 1:])
        scores[field] = hit.float().mean().item()
    return scores


# ---------------------------------------------------------------- task: reversal

DIGITS = 3
"""Digit d has id d + 3 (after <pad>, <s>, </s>); REVERSE_VOCAB ids in all."""
REVERSE_VOCAB = 13


def reverse_batch(size, n_min=8, n_max=24, generator=None):
    """attnlib.data.reverse_task as ids: (src (B, N), lengths (B,), tgt (B, N + 1)): the
    digits reversed, then </s>, padded with 0."""
    digits, lengths = reverse_task(size, n_min, n_max, generator)  # (B, N), -1 on padding
    src = torch.where(digits >= 0, digits + DIGITS, PAD)
    back = lengths[:, None] - 1 - torch.arange(n_max)  # (B, N): source index of output i
    tgt = torch.where(back >= 0, src.gather(1, back.clamp(min=0)), PAD)
    tgt = torch.cat([tgt, torch.zeros_like(tgt[:, :1])], dim=1)  # room for </s>
    tgt[torch.arange(size), lengths] = END
    return src, lengths, tgt


def train_reverser(kind="bahdanau", steps=400, batch=64, lr=1e-2, seed=0, progress=True,
                   hidden=32):
    """A Seq2Seq of `kind` trained to reverse 8-24-digit strings; returns (model, losses)."""
    torch.manual_seed(seed)
    model = make_model(kind, REVERSE_VOCAB, REVERSE_VOCAB, hidden=hidden)
    return fit(model, lambda g: reverse_batch(batch, generator=g), seq2seq_loss, steps, lr,
               seed, progress, clip=1.0)


@torch.no_grad()
def reverse_accuracy(model, size=600, seed=1, n_min=8, n_max=24):
    """(right (B,) bool: whole string reversed exactly, lengths (B,)) on fresh strings."""
    src, lengths, tgt = reverse_batch(size, n_min, n_max, torch.Generator().manual_seed(seed))
    ids, _ = greedy_decode(model, src, lengths, tgt.shape[1])
    ids = F.pad(ids, (0, tgt.shape[1] - ids.shape[1]), value=PAD)
    real = tgt != PAD  # compare up to and including </s>
    return ((ids == tgt) | ~real).all(dim=1), lengths


def accuracy_by_length(right, lengths, edges):
    """Mean of `right` per length bucket [edges[i], edges[i+1]); NaN for an empty bucket."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (lengths >= lo) & (lengths < hi)
        out.append(right[inside].float().mean().item() if inside.any() else float("nan"))
    return out


# ---------------------------------------------------------------- checkpoints of notebook 09
# Training all four models takes longer than a notebook's budget on a 2-core CPU, so the
# notebook loads them from data/checkpoints/09_<name>.safetensors.
#     python -c "from attnlib import recurrent; recurrent.save_checkpoints()"
# retrains them (seed 0) and rewrites the files; tests/test_learned_claims_09.py retrains
# them on five seeds and checks that seed 0 gives the files back.

CHECKPOINTS = {
    "dates_none": ("dates", "none"),
    "dates_bahdanau": ("dates", "bahdanau"),
    "dates_general": ("dates", "general"),
    "reverse_none": ("reverse", "none"),
    "reverse_bahdanau": ("reverse", "bahdanau"),
}
"""Checkpoint name -> (task, model kind), each trained with its task's default budget."""


def checkpoint_path(name):
    from .data import data_dir

    return data_dir() / "checkpoints" / f"09_{name}.safetensors"


def train_checkpoint(name, seed=0, progress=True, dates=None):
    """The model of checkpoint `name`, trained from scratch with `seed`."""
    validate.one_of("name", name, tuple(CHECKPOINTS))
    task, kind = CHECKPOINTS[name]
    if task == "dates":
        return train_dates(kind, seed=seed, progress=progress, dates=dates)[0]
    return train_reverser(kind, seed=seed, progress=progress)[0]


def save_checkpoints(names=tuple(CHECKPOINTS), seed=0):
    """Retrain checkpoints (by default all) and write their files (weights and how they were made)."""
    from safetensors.torch import save_file

    dates = Dates()
    for name in names:
        task, kind = CHECKPOINTS[name]
        model = train_checkpoint(name, seed, progress=True, dates=dates)
        path = checkpoint_path(name)
        path.parent.mkdir(exist_ok=True)
        vocab = len(dates.vocab) if task == "dates" else REVERSE_VOCAB
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path),
                  metadata={"task": task, "kind": kind, "seed": str(seed), "vocab": str(vocab)})
        print(f"wrote {path}")


def load_checkpoint(name):
    """The trained model of checkpoint `name` (eval mode), as save_checkpoints wrote it."""
    from safetensors import safe_open

    validate.one_of("name", name, tuple(CHECKPOINTS))
    path = checkpoint_path(name)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run recurrent.save_checkpoints()")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    vocab = int(meta["vocab"])
    model = make_model(meta["kind"], vocab, vocab)
    model.load_state_dict(state)  # strict: every name and shape must match
    return model.eval()
