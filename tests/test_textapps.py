"""Notebook 11's data and models: the data regenerate byte for byte, held-out splits hold
out what they say, the models have the promised shapes, padding gets weight exactly 0
(no NaN), bad input gets a clear error, and the attention matches PyTorch's."""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from attnlib import data
from attnlib import textapps as T
from attnlib.masks import to_mha_key_padding_mask

DATA = Path(__file__).resolve().parent.parent / "data"
NAMES = ("sentiment", "entities", "qa", "headlines")
LOADERS = {"sentiment": data.load_sentiment, "entities": data.load_entities,
           "qa": data.load_qa, "headlines": data.load_headlines}


def generator():
    spec = importlib.util.spec_from_file_location("gen_text", DATA / "gen_text.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def words(record):
    return " ".join(record.get(k, "") for k in ("text", "question", "passage", "source")).split()


def test_text_data_regenerates_byte_for_byte_and_is_small(tmp_path, monkeypatch):
    gen = generator()
    monkeypatch.setattr(gen, "OUT", tmp_path)
    gen.main()
    for name in NAMES:
        for split in ("train", "test"):
            committed = (DATA / name / f"{split}.jsonl").read_bytes()
            assert (tmp_path / name / f"{split}.jsonl").read_bytes() == committed, (name, split)
        size = sum((DATA / name / f"{s}.jsonl").stat().st_size for s in ("train", "test"))
        assert size < 1_000_000, name


@pytest.mark.parametrize("name", NAMES)
def test_held_out_templates_and_words_are_unseen(name):
    train, test = LOADERS[name]("train"), LOADERS[name]("test")
    assert {r["heldout"] for r in train} == {"none"}
    seen_templates = {r["template"] for r in train}
    seen_words = {w for r in train for w in words(r)}
    held = T.select(test, heldout="template")
    assert len(held) >= 200
    for r in held:
        assert r["template"] not in seen_templates
        assert set(words(r)) - seen_words, r
    for r in T.select(test, heldout="none"):
        assert r["template"] in seen_templates


def test_sentiment_records():
    gen = generator()
    train, test = data.load_sentiment("train"), data.load_sentiment("test")
    for r in train + test:
        tokens = r["text"].split()
        if r["kind"] == "negated":
            assert tokens[r["focus"][0]] == "not"
        if r["kind"] == "contrast":
            assert tokens[r["focus"][0] - 1] == "but" and r["focus"][-1] == len(tokens) - 1
        adjective = tokens[r["focus"][-1]]
        polarity = adjective in gen.POSITIVE
        assert r["label"] == (not polarity if r["kind"] == "negated" else polarity)
    negated_in_training = {r["text"].split()[-1] for r in T.select(train, kind="negated")}
    assert not negated_in_training & set(gen.NEVER_NEGATED)
    assert {r["text"].split()[-1] for r in T.select(test, heldout="negation")} <= set(gen.NEVER_NEGATED)
    assert set(gen.NEVER_NEGATED) <= {w for r in train for w in r["text"].split()}


def test_entity_qa_and_headline_records():
    gen = generator()
    for r in data.load_entities("train") + data.load_entities("test"):
        assert len(r["tags"]) == len(r["text"].split()) and set(r["tags"]) <= set(T.TAGS)
    train = data.load_qa("train")
    for r in train + data.load_qa("test"):
        a, b = r["answer"]
        assert " ".join(r["passage"].split()[a:b]) == r["answer_text"] and b > a
    # "roles": the answer city is a word training shows, but never as a city
    train_cities = {r["answer_text"] for r in train if r["template"].split(":")[1][0] == "L"}
    train_words = {w for r in train for w in words(r)}
    for r in T.select(data.load_qa("test"), heldout="roles"):
        assert r["answer_text"] in gen.ROLE_WORDS and r["answer_text"] in train_words
        assert r["answer_text"] not in train_cities
    train_words = {w for r in data.load_headlines("train") for w in words(r)}
    for r in data.load_headlines("train") + data.load_headlines("test"):
        src = r["source"].split()
        assert [src[c] for c in r["copy"]] == r["headline"].split() and src[-1] == "<end>"
    for r in T.select(data.load_headlines("test"), heldout="words"):
        slots = [w for w in r["headline"].split() if w != "<end>"]
        assert not set(slots) & train_words, r


def test_bad_split_and_name():
    with pytest.raises(ValueError, match="split must be"):
        data.load_qa("valid")
    with pytest.raises(ValueError, match="name"):
        T.vocab_for("reviews")


# ---------------------------------------------------------------- models


@pytest.fixture(scope="module")
def vocab():
    return T.vocab_for("sentiment")


def test_vocab_encodes_with_padding_and_unknown_words(vocab):
    ids, key_mask = vocab.encode([["the", "film", "was", "good"], ["zzz", "not"]])
    assert ids.shape == (2, 4) and key_mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert ids[1, 0] == 1 and ids[1, 2:].eq(0).all()
    assert vocab.unknown(["zzz", "film"]) == ["zzz"]
    with pytest.raises(ValueError, match="non-empty list"):
        vocab.encode("the film")
    with pytest.raises(ValueError, match="at least one token"):
        vocab.encode([["good"], []])
    with pytest.raises(ValueError, match="up to 48"):
        vocab.encode([["good"] * 49])


def sentences(vocab):
    return vocab.encode([["the", "film", "was", "not", "bad"], ["this", "book", "is", "dull"],
                         ["good"]])


def test_model_shapes(vocab):
    torch.manual_seed(0)
    ids, key_mask = sentences(vocab)  # (3, 5)
    logits, pool, self_w = T.SentimentClassifier(len(vocab))(ids, key_mask)
    assert logits.shape == (3, 2) and pool.shape == (3, 5) and self_w.shape == (3, 1, 2, 5, 5)
    tag_logits, _ = T.Tagger(len(vocab))(ids, key_mask)
    assert tag_logits.shape == (3, 5, len(T.TAGS))
    segments = torch.tensor([[0, 0, 1, 1, 1]] * 3)
    start, end, w = T.SpanReader(len(vocab))(ids, key_mask, segments)
    assert start.shape == end.shape == (3, 5) and w.shape == (3, 1, 2, 5, 5)
    assert torch.isneginf(start[:, :2]).all() and torch.isneginf(start[2, 1:]).all()
    prev = torch.tensor([[-1, 2, 0]] * 3)
    scores, cross = T.CopyHeadliner(len(vocab))(ids, key_mask, prev)
    assert scores.shape == cross.shape == (3, 3, 5)


def test_padding_gets_weight_exactly_zero_and_changes_nothing(vocab):
    torch.manual_seed(0)
    model = T.SentimentClassifier(len(vocab)).eval()
    ids, key_mask = sentences(vocab)
    with torch.no_grad():
        logits, pool, self_w = model(ids, key_mask)
        alone = model(ids[2:, :1], key_mask[2:, :1])[0]  # "good" without padding
    assert (pool[~key_mask] == 0).all() and (self_w[2, :, :, :, 1:] == 0).all()
    assert torch.isfinite(logits).all() and torch.isfinite(self_w).all()
    assert torch.allclose(logits[2:], alone, atol=1e-5)
    headliner = T.CopyHeadliner(len(vocab)).eval()
    with torch.no_grad():
        scores, cross = headliner(ids, key_mask, torch.tensor([[-1, 0]] * 3))
    assert (cross[2, :, 1:] == 0).all() and torch.isfinite(cross).all()
    assert torch.isneginf(scores[2, :, 1:]).all()


def test_gradients_have_no_nan_with_padding(vocab):
    torch.manual_seed(0)
    model = T.SentimentClassifier(len(vocab))
    ids, key_mask = sentences(vocab)
    F.cross_entropy(model(ids, key_mask)[0], torch.tensor([1, 0, 1])).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_bad_input_errors(vocab):
    torch.manual_seed(0)
    model = T.SentimentClassifier(len(vocab))
    ids, key_mask = sentences(vocab)
    with pytest.raises(ValueError, match="ids must be"):
        model(ids.float(), key_mask)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, "):
        model(ids + len(vocab), key_mask)
    with pytest.raises(ValueError, match="key_mask"):
        model(ids, key_mask[:, :3])
    with pytest.raises(ValueError, match="key_mask is required"):
        model(ids, None)
    with pytest.raises(ValueError, match="max_steps"):
        T.CopyHeadliner(len(vocab), max_steps=2)(ids, key_mask, torch.full((3, 3), -1))


def test_attention_layers_equal_pytorch(vocab):
    torch.manual_seed(0)
    model = T.SentimentClassifier(len(vocab)).eval()
    ids, key_mask = sentences(vocab)
    x = model.encoder.embed(ids)  # (B, N, E)
    ours = model.encoder.blocks[0].self_attn
    with torch.no_grad():
        mine, w = ours(x, key_mask=key_mask)
        theirs, w_theirs = ours.to_torch()(x, x, x, key_padding_mask=to_mha_key_padding_mask(key_mask),
                                           average_attn_weights=False)
    real = key_mask[:, :, None]
    assert torch.allclose(mine * real, theirs * real, atol=1e-6)
    assert torch.allclose(w, w_theirs, atol=1e-6)
    # attention pooling = F.scaled_dot_product_attention with one query, the padding masked
    h = torch.randn(3, 5, 32)  # random inputs: a numerical check
    pool = model.pool
    with torch.no_grad():
        summary, weights = pool(h, key_mask)
        q = pool.query.expand(3, 1, 32)
        sdpa = F.scaled_dot_product_attention(q, pool.k_proj(h), h, attn_mask=key_mask[:, None, :])
    assert torch.allclose(summary, sdpa[:, 0], atol=1e-6)
    # the headliner's copy distribution is an attention: weights @ h = SDPA's output
    headliner = T.CopyHeadliner(len(vocab)).eval()
    prev = torch.tensor([[-1, 1, 0]] * 3)
    with torch.no_grad():
        scores, cross = headliner.decode_steps(h, key_mask, prev)
        q = headliner.q_proj(headliner.queries(h, prev))
        sdpa = F.scaled_dot_product_attention(q, headliner.k_proj(h), h, attn_mask=key_mask[:, None, :])
    assert torch.allclose(cross @ h, sdpa, atol=1e-6)


def test_entity_spans_and_f1_helpers():
    assert T.spans(["PER", "PER", "O", "LOC", "DATE", "DATE"]) == {
        ("PER", 0, 2), ("LOC", 3, 4), ("DATE", 4, 6)}
    assert T.spans(["O", "O"]) == set()


def test_mha_reference_is_the_one_used():
    assert isinstance(T.SentimentClassifier(10).encoder.blocks[0].self_attn.to_torch(),
                      nn.MultiheadAttention)
