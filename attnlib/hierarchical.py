"""Hierarchical attention: words within sentences, sentences within documents (notebook 12).

After Yang et al. (2016), built small. One attention pooling is used twice:

    keys  k_j = tanh(W h_j + b)                 (B, N, E)
    score e_j = k_j . u                          u: a learned context vector (E,)
    alpha = masked softmax(e) over real items    padding gets weight exactly 0
    pool  = sum_j alpha_j h_j                    (B, E)

first over the words of each sentence (context u_w: a sentence vector), then over the
sentence vectors of each document (context u_s: a document vector), which a linear layer
classifies. A fully padded sentence gets zero word weights, a zero vector and sentence
weight 0, never NaN. Unlike Yang et al. there is no GRU under either level, so each
level's attention is the only thing that mixes its items.

Data: attnlib.data.load_documents (cinema reviews whose film sentence decides the label,
see data/gen_documents.py). Vocab turns documents into padded ids (B, S, N): B documents,
S sentences, N words; id 0 is padding, 1 an unknown word.
"""

import html
from functools import lru_cache

import ipywidgets as W
import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .core import masked_softmax
from .data import load_documents, tokenize
from .train import fit
from .widgets import Explorer, Panels

LABELS = ("negative", "positive")
PAD, UNK = 0, 1


# ---------------------------------------------------------------- words -> ids


class Vocab:
    """Words <-> ids, with <pad>=0 and <unk>=1 before the words of the given documents."""

    SPECIALS = ["<pad>", "<unk>"]

    def __init__(self, records):
        words = {w for r in records for s in r["sentences"] for w in tokenize(s)}
        self.itos = self.SPECIALS + sorted(words)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, documents):
        """A list of documents (each a list of sentence strings) -> ids (B, S, N).

        S and N are the batch's most sentences and most words; the rest is PAD. Unknown
        words get UNK."""
        if not documents or any(not doc for doc in documents):
            raise ValueError("documents must be a non-empty list of non-empty sentence lists")
        tokens = [[tokenize(s) for s in doc] for doc in documents]
        S = max(len(doc) for doc in tokens)
        N = max(len(words) for doc in tokens for words in doc)
        if N == 0:
            raise ValueError("documents have no words")
        ids = torch.full((len(documents), S, N), PAD, dtype=torch.long)
        for b, doc in enumerate(tokens):
            for s, words in enumerate(doc):
                row = [self.stoi.get(w, UNK) for w in words]
                ids[b, s, :len(row)] = torch.tensor(row, dtype=torch.long)
        return ids  # (B, S, N)

    def unknown(self, text):
        """The words of `text` this vocabulary does not know."""
        return [w for w in tokenize(text) if w not in self.stoi]


@lru_cache(maxsize=1)
def document_vocab():
    """The Vocab of the training split (every filler kind): what a model can know."""
    return Vocab(load_documents("train"))


def documents(split="train", filler=None):
    """The records of a split, all of them or those with the given filler kind."""
    records = load_documents(split)
    if filler is None:
        return records
    validate.one_of("filler", filler, ("neutral", "distracting"))
    return [r for r in records if r["filler"] == filler]


def batch(records, vocab=None):
    """Records -> ids (B, S, N), labels (B,), decisive (B,) (the deciding sentence's index)."""
    vocab = vocab or document_vocab()
    ids = vocab.encode([r["sentences"] for r in records])
    labels = torch.tensor([r["label"] for r in records])
    decisive = torch.tensor([r["decisive"] for r in records])
    return ids, labels, decisive


def move_sentence(record, to):
    """A copy of `record` with its decisive sentence moved to index `to` (others keep order)."""
    sentences = list(record["sentences"])
    if not 0 <= to < len(sentences):
        raise ValueError(f"to must be in [0, {len(sentences)}), got {to}")
    decisive = sentences.pop(record["decisive"])
    sentences.insert(to, decisive)
    return {**record, "sentences": sentences, "decisive": to}


# ---------------------------------------------------------------- the model


def check_ids(name, ids):
    """ids: a (B, S, N) integer tensor of word ids (0 = padding)."""
    validate.tensor(name, ids)
    if ids.dtype.is_floating_point or ids.dtype == torch.bool or ids.is_complex():
        raise TypeError(f"{name} must be an integer tensor of word ids, got dtype {ids.dtype}")
    validate.ndim(name, ids, 3, "(B, S, N): documents, sentences, words")
    if 0 in ids.shape:
        raise ValueError(f"{name} must have B, S, N >= 1, got shape {tuple(ids.shape)}")


class AttentionPool(nn.Module):
    """One level of hierarchical attention: a learned context vector u as the only query.

    h (B, N, E), mask (B, N) True = a real item (attnlib's key-mask convention) ->
    pooled (B, E), weights (B, N). Scores are tanh(W h + b) . u, unscaled. Padding gets
    weight exactly 0; a row with no real item gets all-zero weights and a zero vector.
    """

    def __init__(self, dim):
        super().__init__()
        validate.positive_int("dim", dim)
        self.proj = nn.Linear(dim, dim)
        self.context = nn.Parameter(torch.randn(dim) / dim**0.5)  # u (E,)

    def forward(self, h, mask=None):
        validate.sequence("h", h, self.context.shape[0])
        validate.key_mask("mask", mask, h.shape[0], h.shape[1])
        keys = torch.tanh(self.proj(h))  # (B, N, E)
        scores = keys @ self.context  # (B, N)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = masked_softmax(scores)  # (B, N): 0 on padding, all 0 for an empty row
        return (weights[:, :, None] * h).sum(1), weights  # (B, E), (B, N)


class HierarchicalAttention(nn.Module):
    """Word attention pools each sentence, sentence attention pools the document.

    ids (B, S, N) word ids, 0 = padding -> logits (B, classes), word weights (B, S, N),
    sentence weights (B, S). A sentence of padding only gets sentence weight 0.
    """

    def __init__(self, vocab_size, dim=32, classes=2):
        super().__init__()
        validate.positive_int("vocab_size", vocab_size, minimum=2)
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.word_attn = AttentionPool(dim)  # context u_w
        self.sentence_attn = AttentionPool(dim)  # context u_s
        self.out = nn.Linear(dim, classes)

    def forward(self, ids):
        check_ids("ids", ids)
        if ids.max() >= self.embed.num_embeddings or ids.min() < 0:
            raise ValueError(f"ids must lie in [0, {self.embed.num_embeddings}), "
                             f"got [{ids.min().item()}, {ids.max().item()}] in shape {tuple(ids.shape)}")
        B, S, N = ids.shape
        word_mask = ids != PAD  # (B, S, N)
        sentence_mask = word_mask.any(-1)  # (B, S)
        words = self.embed(ids).view(B * S, N, -1)  # (B*S, N, E)
        sentences, word_w = self.word_attn(words, word_mask.view(B * S, N))  # (B*S, E), (B*S, N)
        sentences = sentences.view(B, S, -1)  # (B, S, E)
        doc, sentence_w = self.sentence_attn(sentences, sentence_mask)  # (B, E), (B, S)
        return self.out(doc), word_w.view(B, S, N), sentence_w


# ---------------------------------------------------------------- training and scores


def word_dropout(ids, p, generator):
    """Replace each real word by UNK with probability p, so that unknown words mean nothing."""
    drop = (torch.rand(ids.shape, generator=generator) < p) & (ids != PAD)
    return ids.masked_fill(drop, UNK)


def train_hierarchical(filler="distracting", steps=400, batch_size=64, lr=1e-2, seed=0,
                       uniform_sentences=False, dropout=0.3, progress=True):
    """HierarchicalAttention trained on the training documents of one filler kind.

    uniform_sentences=True freezes u_s at zero: every real sentence then gets the same
    weight (a masked mean), the baseline without sentence attention. Returns (model, losses).
    """
    records = documents("train", filler)
    ids, labels, _ = batch(records)  # (D, S, N), (D,)
    torch.manual_seed(seed)
    model = HierarchicalAttention(len(document_vocab()))
    if uniform_sentences:
        model.sentence_attn.context.data.zero_()
        model.sentence_attn.context.requires_grad_(False)

    def draw(gen):
        pick = torch.randint(len(records), (batch_size,), generator=gen)
        return word_dropout(ids[pick], dropout, gen), labels[pick]

    def loss(model, b):
        return F.cross_entropy(model(b[0])[0], b[1])

    return fit(model, draw, loss, steps, lr, seed, progress)


@torch.no_grad()
def scores(model, records):
    """{accuracy, weight on the decisive sentence (mean), decisive sentence weighted most
    (share)} of a trained model on records."""
    ids, labels, decisive = batch(records)
    logits, _, sentence_w = model(ids)
    on_decisive = sentence_w[torch.arange(len(records)), decisive]  # (B,)
    return {
        "accuracy": (logits.argmax(-1) == labels).float().mean().item(),
        "weight on decisive": on_decisive.mean().item(),
        "decisive weighted most": (sentence_w.argmax(-1) == decisive).float().mean().item(),
    }


@torch.no_grad()
def moved_scores(model, records):
    """Move each record's decisive sentence to every index; over all (record, index):
    {weight on decisive (mean), decisive weighted most (share), accuracy}."""
    moved = [move_sentence(r, to) for r in records for to in range(len(r["sentences"]))]
    return scores(model, moved)


# ---------------------------------------------------------------- the explorer


def _highlight(words, weights):
    """HTML: each word on a background as strong as its weight."""
    return " ".join(f'<span style="background:rgba(255,140,0,{w:.2f});padding:0 2px">'
                    f"{html.escape(word)}</span>" for word, w in zip(words, weights))


def document_explorer(models, film="the acting felt superb to me",
                      others=("the popcorn was awful", "we went on a monday",
                              "honestly the queue seemed great"), at=1):
    """Edit a document and see a trained model's word weights, sentence weights and verdict.

    models: {name: trained HierarchicalAttention}. Controls: the film sentence, the other
    sentences (one per line), where the film sentence sits, which model. The heatmap shows
    the word weights (S, N), one row per sentence, padded to N >= 8 words (padding gets
    weight 0), so that editing a sentence keeps the figure's layout; the readout shows
    the document with each word highlighted by its weight, each sentence's weight and
    the prediction.
    """
    vocab = document_vocab()
    names = list(models)
    controls = {
        "film": W.Text(value=film, description="film", continuous_update=False),
        "others": W.Textarea(value="\n".join(others), description="others",
                             continuous_update=False, layout=W.Layout(height="110px")),
        "at": W.IntSlider(value=at, min=0, max=len(others), description="film at",
                          continuous_update=False),
        "model": W.Dropdown(options=names, value=names[0], description="model"),
    }

    def lines(text):
        return [s for s in text.splitlines() if tokenize(s)][:7]

    def adjust(name, controls):
        controls["at"].max = max(len(lines(controls["others"].value)), 1)

    def draw(film, others, at, model):
        sentences = lines(others)
        at = min(at, len(sentences))
        sentences.insert(at, film)
        sentences = [s for s in sentences if tokenize(s)][:8]
        if not sentences:
            raise ValueError("the document has no words")
        ids = vocab.encode([sentences])  # (1, S, N)
        ids = F.pad(ids, (0, max(0, 8 - ids.shape[2])))  # N >= 8: edits keep one layout
        with torch.no_grad():
            logits, word_w, sentence_w = models[model](ids)
        p = torch.softmax(logits[0], -1)
        label = int(p.argmax())
        S, N = ids.shape[1:]
        rows = []
        for s, sentence in enumerate(sentences):
            words = tokenize(sentence)[:N]
            a = sentence_w[0, s].item()
            rows.append(f"<tr><td>{a:.2f}</td><td>{'&#9608;' * round(10 * a)}</td>"
                        f"<td>{_highlight(words, word_w[0, s].tolist())}</td></tr>")
        unknown = sorted({w for s in sentences for w in vocab.unknown(s)})
        readout = (f"<b>{html.escape(model)}</b>: {LABELS[label]} (p = {p[label]:.2f}); "
                   f"film sentence at {at}<table>{''.join(rows)}</table>")
        if unknown:
            readout += ('<span style="color:#b35900">unknown to the model (read as &lt;unk&gt;): '
                        + html.escape(", ".join(unknown)) + "</span>")
        title = f"Word weights per sentence ({model}: {LABELS[label]})"
        return Panels(word_w[0], [str(j) for j in range(N)], [f"sentence {s}" for s in range(S)],
                      title=title, xlabel="word position", ylabel="sentence"), readout

    return Explorer("document", controls, draw, height="420px", adjust=adjust)
