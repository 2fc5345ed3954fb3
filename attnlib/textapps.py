"""Tiny attention models for four text applications (notebook 11), and their training.

Each model reads word ids from a WordVocab built on its training split (words never seen
in training become <unk>), adds learned positions, and runs one attnlib EncoderBlock

    SentimentClassifier  self-attention, then attention pooling (one learned query) -> 2 labels
    Tagger               self-attention -> a tag per word (O, PER, ORG, LOC, DATE)
    SpanReader           self-attention over "question <sep> passage" -> answer start and end
    CopyHeadliner        encoder, then a decoder whose cross-attention weights are the
                         copy distribution over source positions (a pointer network)

The data come from attnlib.data.load_sentiment / load_entities / load_qa / load_headlines
(data/gen_text.py documents the records). train_* wrap attnlib.train.fit; the scores
(accuracy, entity F1, exact match) and attention measurements take lists of records.
Padding follows attnlib's convention: key_mask (B, N) is True for real tokens, and padded
keys get weight exactly 0. Notation: B batch, N tokens, T headline steps, E width, H heads.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .blocks import EncoderBlock
from .core import masked_softmax
from .data import load_entities, load_headlines, load_qa, load_sentiment
from .train import fit

PAD, UNK, SEP = "<pad>", "<unk>", "<sep>"
TAGS = ["O", "PER", "ORG", "LOC", "DATE"]
FILLERS = ["well", "so", "ok", "and", "yes", "now", "then", "also"]
"""Notebook 11: words put in front of training sentences, so that no word has a fixed position."""
MAX_LEN = 48  # the longest input any model here takes


class WordVocab:
    """Words <-> ids, with <pad>=0, <unk>=1, <sep>=2 before the sorted words."""

    SPECIALS = [PAD, UNK, SEP]

    def __init__(self, token_lists):
        words = sorted({w for tokens in token_lists for w in tokens} - set(self.SPECIALS))
        self.itos = self.SPECIALS + words
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def ids(self, tokens):
        """A list of words -> a list of ids (unknown words -> 1)."""
        return [self.stoi.get(w, 1) for w in tokens]

    def encode(self, token_lists):
        """Lists of words -> ids (B, N_max) padded with 0, key_mask (B, N_max) True = real."""
        if isinstance(token_lists, str) or not token_lists:
            raise ValueError("token_lists must be a non-empty list of word lists, "
                             f"got {token_lists!r}")
        return pad([self.ids(t) for t in token_lists])

    def unknown(self, tokens):
        """The words of `tokens` that this vocabulary does not know."""
        return [w for w in tokens if w not in self.stoi]


def pad(rows, value=0):
    """Lists of ints -> (B, N_max) long tensor padded with `value`, key_mask (B, N_max)."""
    lengths = [len(r) for r in rows]
    if min(lengths) == 0:
        raise ValueError("every row needs at least one token; got an empty one")
    if max(lengths) > MAX_LEN:
        raise ValueError(f"rows of up to {MAX_LEN} tokens are supported, got {max(lengths)}")
    ids = torch.full((len(rows), max(lengths)), value, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
    key_mask = torch.arange(ids.shape[1]) < torch.tensor(lengths)[:, None]  # (B, N)
    return ids, key_mask


def check_ids(ids, key_mask, vocab_size):
    """Clear errors for ids (B, N) long in [0, V) and key_mask (B, N) bool."""
    validate.tensor("ids", ids)
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"ids must be (B, N) int64 word ids, got {ids.dtype} of shape {tuple(ids.shape)}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got {ids.min().item()}..{ids.max().item()}")
    if ids.shape[1] > MAX_LEN:
        raise ValueError(f"ids has N = {ids.shape[1]} tokens, more than MAX_LEN = {MAX_LEN}")
    validate.key_mask("key_mask", key_mask, ids.shape[0], ids.shape[1])
    if key_mask is None:
        raise ValueError("key_mask is required: (B, N) bool, True = real token")


# ---------------------------------------------------------------- models


class WordEncoder(nn.Module):
    """Word embeddings + learned positions (+ optional segments) -> EncoderBlocks.

    forward(ids (B, N), key_mask (B, N), segments (B, N) or None, mask) -> h (B, N, E) and
    the self-attention weights of every block (B, L, H, N, N). mask (N, N), True = may
    attend, restricts every block (e.g. the identity: each word sees only itself).
    `embed(ids)` is the input before any attention, word + position (B, N, E).
    """

    def __init__(self, vocab_size, embed_dim=32, num_heads=2, ff_dim=64, num_layers=1,
                 segments=0):
        super().__init__()
        self.vocab_size = vocab_size
        self.tok = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.pos = nn.Embedding(MAX_LEN, embed_dim)
        self.seg = nn.Embedding(segments, embed_dim) if segments else None
        self.blocks = nn.ModuleList(EncoderBlock(embed_dim, num_heads, ff_dim)
                                    for _ in range(num_layers))

    def embed(self, ids):
        return self.tok(ids) + self.pos.weight[:ids.shape[1]]  # (B, N, E)

    def forward(self, ids, key_mask, segments=None, mask=None):
        check_ids(ids, key_mask, self.vocab_size)
        h = self.embed(ids)  # (B, N, E)
        if self.seg is not None:
            h = h + self.seg(segments)
        for block in self.blocks:
            h = block(h, mask=mask, key_mask=key_mask)  # (B, N, E)
        return h, torch.stack([b.last_weights for b in self.blocks], dim=1)  # (B, L, H, N, N)


class AttentionPool(nn.Module):
    """One learned query attends over the words: weights (B, N), summary (B, E).

    scores_j = q . k_j / sqrt(E) with k_j = W_k h_j; padded words get weight exactly 0.
    """

    def __init__(self, embed_dim):
        super().__init__()
        self.query = nn.Parameter(torch.randn(embed_dim) / math.sqrt(embed_dim))
        self.k_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, h, key_mask):
        k = self.k_proj(h)  # (B, N, E)
        scores = k @ self.query / math.sqrt(h.shape[-1])  # (B, N)
        scores = scores.masked_fill(~key_mask, float("-inf"))
        weights = masked_softmax(scores)  # (B, N), each row sums to 1 over real words
        return (weights[:, :, None] * h).sum(1), weights  # (B, E), (B, N)


class SentimentClassifier(nn.Module):
    """Self-attention, attention pooling, a linear read-out of 2 logits (0 neg, 1 pos).

    forward(ids, key_mask) -> logits (B, 2), pool weights (B, N), self weights (B, 1, H, N, N).
    """

    def __init__(self, vocab_size, embed_dim=32, num_heads=2):
        super().__init__()
        self.encoder = WordEncoder(vocab_size, embed_dim, num_heads)
        self.pool = AttentionPool(embed_dim)
        self.readout = nn.Linear(embed_dim, 2)

    def forward(self, ids, key_mask):
        h, self_weights = self.encoder(ids, key_mask)  # (B, N, E)
        summary, weights = self.pool(h, key_mask)  # (B, E), (B, N)
        return self.readout(summary), weights, self_weights


class Tagger(nn.Module):
    """Self-attention, then a linear read-out per word: logits (B, N, len(TAGS))."""

    def __init__(self, vocab_size, embed_dim=32, num_heads=2):
        super().__init__()
        self.encoder = WordEncoder(vocab_size, embed_dim, num_heads)
        self.readout = nn.Linear(embed_dim, len(TAGS))

    def forward(self, ids, key_mask, mask=None):
        h, self_weights = self.encoder(ids, key_mask, mask=mask)  # (B, N, E)
        return self.readout(h), self_weights  # (B, N, tags), (B, 1, H, N, N)


class SpanReader(nn.Module):
    """Self-attention over "question <sep> passage", then the question asks for its span.

    An AttentionPool over the question's words gives a summary s (B, E); the start and end
    scores of passage word j are (W_start s) . h_j / sqrt(E) and (W_end s) . h_j / sqrt(E):
    two attention scores of the question over the passage.
    forward(ids, key_mask, segments) with segments (B, N) = 1 on passage words, 0 elsewhere
    -> start logits (B, N), end logits (B, N) (-inf off the passage: an answer is always
    a passage span), self weights (B, L, H, N, N).
    """

    def __init__(self, vocab_size, embed_dim=32, num_heads=2, num_layers=1):
        super().__init__()
        self.encoder = WordEncoder(vocab_size, embed_dim, num_heads, num_layers=num_layers,
                                   segments=2)
        self.pool = AttentionPool(embed_dim)
        self.start = nn.Linear(embed_dim, embed_dim)
        self.end = nn.Linear(embed_dim, embed_dim)

    def forward(self, ids, key_mask, segments):
        h, self_weights = self.encoder(ids, key_mask, segments)  # (B, N, E)
        summary, _ = self.pool(h, key_mask & (segments == 0))  # (B, E): the question
        passage = key_mask & (segments == 1)  # (B, N)
        scale = math.sqrt(h.shape[-1])
        start = (h @ self.start(summary)[:, :, None])[..., 0] / scale  # (B, N)
        end = (h @ self.end(summary)[:, :, None])[..., 0] / scale  # (B, N)
        return start.masked_fill(~passage, float("-inf")), end.masked_fill(~passage, float("-inf")), self_weights


class CopyHeadliner(nn.Module):
    """A headline copied from its source, one source position per step (a pointer network).

    Encoder: one self-attention block over the source, h (B, N, E). Decoder step t asks
    with q_t = (h at the position copied at step t-1, or a learned start vector) + a
    learned step vector. Its one cross-attention head scores every source position,
    s_tj = (W_q q_t) . (W_k h_j) / sqrt(E), and those attention weights softmax(s_t) ARE
    the copy distribution: the step emits the source word its attention picks.

    forward(ids (B, N), key_mask (B, N), prev (B, T) the positions copied before each step,
    -1 at step 0) -> scores (B, T, N) (-inf on padding), cross weights (B, T, N).
    """

    def __init__(self, vocab_size, embed_dim=32, num_heads=2, max_steps=8):
        super().__init__()
        self.encoder = WordEncoder(vocab_size, embed_dim, num_heads)
        self.start = nn.Parameter(torch.randn(embed_dim) / math.sqrt(embed_dim))
        self.step = nn.Embedding(max_steps, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.max_steps = max_steps

    def forward(self, ids, key_mask, prev):
        h, _ = self.encoder(ids, key_mask)  # (B, N, E)
        return self.decode_steps(h, key_mask, prev)

    def queries(self, h, prev):
        """The decoder's queries (B, T, E) before W_q."""
        B, T = prev.shape
        if T > self.max_steps:
            raise ValueError(f"prev has T = {T} steps, more than max_steps = {self.max_steps}")
        gathered = h.gather(1, prev.clamp(min=0)[..., None].expand(B, T, h.shape[-1]))  # (B, T, E)
        return torch.where(prev[..., None] < 0, self.start, gathered) + self.step.weight[:T]

    def decode_steps(self, h, key_mask, prev):
        q, k = self.q_proj(self.queries(h, prev)), self.k_proj(h)  # (B, T, E), (B, N, E)
        scores = q @ k.transpose(1, 2) / math.sqrt(h.shape[-1])  # (B, T, N)
        scores = scores.masked_fill(~key_mask[:, None, :], float("-inf"))
        return scores, masked_softmax(scores)  # (B, T, N) each

    @torch.no_grad()
    def greedy(self, ids, key_mask, end_id):
        """Copy until every row has copied the word `end_id`: positions (B, T), cross (B, T, N)."""
        h, _ = self.encoder(ids, key_mask)
        prev = torch.full((ids.shape[0], 1), -1)
        for _ in range(self.max_steps):
            scores, cross = self.decode_steps(h, key_mask, prev)
            prev = torch.cat([prev, scores[:, -1].argmax(-1, keepdim=True)], dim=1)
            if (ids.gather(1, prev[:, 1:]) == end_id).any(1).all():
                break
        return prev[:, 1:], cross


# ---------------------------------------------------------------- batches


def drop_words(ids, key_mask, p, generator, keep=None):
    """Replace each real word by <unk> with probability p (not where keep (B, N) is True)."""
    drop = (torch.rand(ids.shape, generator=generator) < p) & key_mask
    if keep is not None:
        drop &= ~keep
    return ids.masked_fill(drop, 1)


def pick(records, batch, generator):
    return [records[i] for i in torch.randint(len(records), (batch,), generator=generator).tolist()]


def sentiment_batch(vocab, records, batch=64, generator=None, max_prefix=4, p_drop=0.3):
    """ids, key_mask, labels (B,), focus (B, N) bool. Each sentence gets 0..max_prefix filler
    words (or <unk>) in front, so that positions do not give the label away, and words
    outside its focus become <unk> with probability p_drop."""
    rows, labels, focus = [], [], []
    for r in pick(records, batch, generator):
        n = int(torch.randint(max_prefix + 1, (), generator=generator))
        options = torch.randint(len(FILLERS) + 1, (n,), generator=generator).tolist()
        prefix = [FILLERS[i] if i < len(FILLERS) else UNK for i in options]
        rows.append(vocab.ids(prefix + r["text"].split()))
        labels.append(r["label"])
        focus.append([n + i for i in r["focus"]])
    ids, key_mask = pad(rows)
    keep = torch.zeros_like(key_mask)
    for i, f in enumerate(focus):
        keep[i, f] = True
    return drop_words(ids, key_mask, p_drop, generator, keep), key_mask, torch.tensor(labels), keep


def sentiment_inputs(vocab, records):
    """ids, key_mask, labels (B,), focus (B, N) bool for records as they are (no prefix)."""
    ids, key_mask = vocab.encode([r["text"].split() for r in records])
    focus = torch.zeros_like(key_mask)
    for i, r in enumerate(records):
        focus[i, r["focus"]] = True
    return ids, key_mask, torch.tensor([r["label"] for r in records]), focus


def tag_inputs(vocab, records):
    """ids, key_mask, tags (B, N) as indices of TAGS, -100 on padding."""
    ids, key_mask = vocab.encode([r["text"].split() for r in records])
    tags, _ = pad([[TAGS.index(t) + 1 for t in r["tags"]] for r in records])
    return ids, key_mask, tags - 1 - 99 * ~key_mask


def qa_inputs(vocab, records):
    """ids, key_mask, segments (B, N), start (B,), last (B,): the answer's first and last
    token positions in "question <sep> passage"."""
    rows, segs, start, last = [], [], [], []
    for r in records:
        q, p = r["question"].split(), r["passage"].split()
        rows.append(vocab.ids(q + [SEP] + p))
        segs.append([0] * (len(q) + 1) + [1] * len(p))
        start.append(len(q) + 1 + r["answer"][0])
        last.append(len(q) + r["answer"][1])
    ids, key_mask = pad(rows)
    segments, _ = pad(segs)
    return ids, key_mask, segments, torch.tensor(start), torch.tensor(last)


def headline_inputs(vocab, records):
    """ids, key_mask (B, N) of the sources; prev (B, T) positions copied before each step
    (-1 first), target (B, T) positions to copy, -100 after the headline's end."""
    ids, key_mask = vocab.encode([r["source"].split() for r in records])
    target, _ = pad([[c + 1 for c in r["copy"]] for r in records])
    target = target - 1 - 99 * (target == 0)  # -100 after the end
    prev = torch.cat([torch.full((len(records), 1), -1), target[:, :-1].clamp(min=-1)], dim=1)
    return ids, key_mask, prev, target


def sample_batch(make_inputs, vocab, records, batch, generator, p_drop):
    """A batch of make_inputs(vocab, records) on random records, words dropped to <unk>."""
    inputs = make_inputs(vocab, pick(records, batch, generator))
    ids, key_mask = inputs[0], inputs[1]
    return (drop_words(ids, key_mask, p_drop, generator), *inputs[1:])


# ---------------------------------------------------------------- training


def vocab_for(name):
    """The WordVocab of a dataset's training split ('sentiment', 'entities', 'qa', 'headlines')."""
    validate.one_of("name", name, ("sentiment", "entities", "qa", "headlines"))
    if name == "sentiment":
        return WordVocab([r["text"].split() for r in load_sentiment("train")] + [FILLERS])
    if name == "entities":
        return WordVocab([r["text"].split() for r in load_entities("train")])
    if name == "qa":
        return WordVocab([(r["question"] + " " + r["passage"]).split() for r in load_qa("train")])
    return WordVocab([r["source"].split() for r in load_headlines("train")])


def sentiment_loss(model, batch):
    ids, key_mask, labels, _ = batch
    return F.cross_entropy(model(ids, key_mask)[0], labels)


def train_sentiment(steps=300, batch=64, lr=1e-2, seed=0, progress=True, max_prefix=4):
    """(model, vocab, losses): SentimentClassifier on the training sentences, with random
    filler prefixes of 0..max_prefix words (0: none)."""
    vocab, records = vocab_for("sentiment"), load_sentiment("train")
    torch.manual_seed(seed)
    model = SentimentClassifier(len(vocab))
    model, losses = fit(model, lambda g: sentiment_batch(vocab, records, batch, g, max_prefix),
                        sentiment_loss, steps, lr, seed, progress)
    return model, vocab, losses


def tag_loss(model, batch):
    ids, key_mask, tags = batch
    return F.cross_entropy(model(ids, key_mask)[0].flatten(0, 1), tags.flatten(), ignore_index=-100)


def train_tagger(steps=300, batch=64, lr=1e-2, seed=0, progress=True, p_drop=0.2):
    """(model, vocab, losses): Tagger on the training sentences, words dropped to <unk>
    with probability p_drop so that it learns to tag from context too."""
    vocab, records = vocab_for("entities"), load_entities("train")
    torch.manual_seed(seed)
    model = Tagger(len(vocab))
    model, losses = fit(model, lambda g: sample_batch(tag_inputs, vocab, records, batch, g, p_drop),
                        tag_loss, steps, lr, seed, progress)
    return model, vocab, losses


def qa_loss(model, batch):
    ids, key_mask, segments, start, last = batch
    start_logits, end_logits, _ = model(ids, key_mask, segments)
    return F.cross_entropy(start_logits, start) + F.cross_entropy(end_logits, last)


def train_reader(steps=250, batch=64, lr=1e-2, seed=0, progress=True, p_drop=0.1):
    """(model, vocab, losses): SpanReader on the training passages and questions."""
    vocab, records = vocab_for("qa"), load_qa("train")
    torch.manual_seed(seed)
    model = SpanReader(len(vocab))
    model, losses = fit(model, lambda g: sample_batch(qa_inputs, vocab, records, batch, g, p_drop),
                        qa_loss, steps, lr, seed, progress)
    return model, vocab, losses


def copy_loss(model, batch):
    ids, key_mask, prev, target = batch
    scores, _ = model(ids, key_mask, prev)
    return F.cross_entropy(scores.flatten(0, 1), target.flatten(), ignore_index=-100)


def train_headliner(steps=200, batch=64, lr=1e-2, seed=0, progress=True, p_drop=0.1):
    """(model, vocab, losses): CopyHeadliner on the training sources and headlines."""
    vocab, records = vocab_for("headlines"), load_headlines("train")
    torch.manual_seed(seed)
    model = CopyHeadliner(len(vocab))
    model, losses = fit(model, lambda g: sample_batch(headline_inputs, vocab, records, batch, g, p_drop),
                        copy_loss, steps, lr, seed, progress)
    return model, vocab, losses


# ---------------------------------------------------------------- scores


def select(records, **fields):
    """The records whose fields equal the given values, e.g. select(test, heldout="none")."""
    return [r for r in records if all(r[k] == v for k, v in fields.items())]


@torch.no_grad()
def sentiment_scores(model, vocab, records):
    """(accuracy, mean pool weight on the focus words, mean uniform share of the focus)."""
    ids, key_mask, labels, focus = sentiment_inputs(vocab, records)
    logits, weights, _ = model(ids, key_mask)
    accuracy = (logits.argmax(-1) == labels).float().mean().item()
    share = (weights * focus).sum(-1).mean().item()
    uniform = (focus.sum(-1) / key_mask.sum(-1)).float().mean().item()
    return accuracy, share, uniform


def spans(tags):
    """Entities of one sentence's tags: a set of (type, start, end)."""
    out, start = set(), 0
    for i in range(1, len(tags) + 1):
        if i == len(tags) or tags[i] != tags[start]:
            if tags[start] != "O":
                out.add((tags[start], start, i))
            start = i
    return out


@torch.no_grad()
def entity_f1(model, vocab, records, alone=False):
    """{type: F1 of exact entity spans} over the records, for PER, ORG, LOC, DATE.
    alone=True: every word may attend only to itself (the attention's context taken away)."""
    ids, key_mask, _ = tag_inputs(vocab, records)
    mask = torch.eye(ids.shape[1], dtype=torch.bool) if alone else None  # (N, N)
    predicted = model(ids, key_mask, mask)[0].argmax(-1)
    counts = {t: [0, 0, 0] for t in TAGS[1:]}  # right, predicted, true
    for r, row in zip(records, predicted):
        gold = spans(r["tags"])
        guess = spans([TAGS[i] for i in row[:len(r["tags"])].tolist()])
        for t in counts:
            g, p = {s for s in gold if s[0] == t}, {s for s in guess if s[0] == t}
            counts[t][0] += len(g & p)
            counts[t][1] += len(p)
            counts[t][2] += len(g)
    return {t: 2 * right / (pred + true) if pred + true else 1.0
            for t, (right, pred, true) in counts.items()}


@torch.no_grad()
def qa_predict(model, vocab, records):
    """Predicted (start, last) token positions (B,) each, last >= start, and the truth."""
    ids, key_mask, segments, start, last = qa_inputs(vocab, records)
    start_logits, end_logits, _ = model(ids, key_mask, segments)
    s = start_logits.argmax(-1)  # (B,)
    before = torch.arange(ids.shape[1]) < s[:, None]  # an answer cannot end before it starts
    e = end_logits.masked_fill(before, float("-inf")).argmax(-1)
    return s, e, start, last


def qa_exact_match(model, vocab, records):
    """Fraction of questions whose predicted span is exactly the answer."""
    s, e, start, last = qa_predict(model, vocab, records)
    return ((s == start) & (e == last)).float().mean().item()


@torch.no_grad()
def headline_scores(model, vocab, records):
    """(exact match of whole greedy headlines, mean cross-attention weight on the source
    position each step copies, over the steps of right headlines)."""
    ids, key_mask, _, target = headline_inputs(vocab, records)
    copied, cross = model.greedy(ids, key_mask, vocab.stoi["<end>"])
    T = min(copied.shape[1], target.shape[1])
    steps = target != -100
    right = ((copied[:, :T] == target[:, :T]) | ~steps[:, :T]).all(1) & (copied.shape[1] >= steps.sum(1))
    on_copy = cross[:, :T].gather(2, copied[:, :T, None])[..., 0]  # (B, T)
    mask = steps[:, :T] & right[:, None]
    return right.float().mean().item(), (on_copy * mask).sum().item() / max(mask.sum().item(), 1)
