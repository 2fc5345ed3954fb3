"""Notebook 12: the documents regenerate byte for byte and say what their docstring promises;
hierarchical attention has the right shapes, masks padding exactly, equals SDPA with the
context vector as the query, and rejects bad input with messages naming the argument."""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from attnlib import data
from attnlib import hierarchical as hi

DATA = Path(__file__).resolve().parent.parent / "data"


def generator():
    spec = importlib.util.spec_from_file_location("gen_documents", DATA / "gen_documents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- data


def test_documents_regenerate_byte_for_byte(tmp_path, monkeypatch):
    gen = generator()
    monkeypatch.setattr(gen, "OUT", tmp_path / "documents")
    gen.main()
    for split in ("train", "test"):
        fresh = (tmp_path / "documents" / f"{split}.jsonl").read_bytes()
        assert fresh == (DATA / "documents" / f"{split}.jsonl").read_bytes()
        assert len(fresh) < 400_000


def test_records_say_what_the_docstring_promises():
    gen = generator()
    film = set(gen.FILM)
    for split in ("train", "test"):
        records = data.load_documents(split)
        assert len(records) == 2 * gen.DOCS_PER_KIND[split]
        for r in records:
            assert set(r) == {"sentences", "label", "decisive", "filler"}
            assert 3 <= len(r["sentences"]) <= 6 and r["label"] in (0, 1)
            decisive = r["sentences"][r["decisive"]].split()
            assert film & set(decisive)  # the decisive sentence judges the film ...
            assert set(decisive) & set(gen.ADJECTIVES[r["label"]])  # ... with the label's sentiment
            assert not set(decisive) & set(gen.ADJECTIVES[1 - r["label"]])
            for i, sentence in enumerate(r["sentences"]):
                words = set(sentence.split())
                assert 4 <= len(sentence.split()) <= 6
                if i != r["decisive"]:
                    assert not film & words  # filler never mentions the film
                    has_sentiment = bool(words & set(gen.ADJECTIVES[0] + gen.ADJECTIVES[1]))
                    assert has_sentiment == (r["filler"] == "distracting")
    with pytest.raises(ValueError, match="split must be"):
        data.load_documents("valid")


def test_held_out_documents_use_unseen_frames_and_words():
    gen = generator()
    train, test = data.load_documents("train"), data.load_documents("test")
    vocab = hi.Vocab(train)
    unseen = {w for r in test for s in r["sentences"] for w in vocab.unknown(s)}
    assert set(gen.THINGS["test"]) <= unseen and {"honestly", "seemed", "everyone"} <= unseen
    assert not set(gen.FILM) & unseen  # the film words and adjectives are shared
    train_sentences = {s for r in train for s in r["sentences"]}
    assert not train_sentences & {s for r in test for s in r["sentences"]}
    for r in test:  # every held-out judgement is in a held-out frame
        sentence = r["sentences"][r["decisive"]]
        assert sentence.split()[0] in ("honestly", "everyone")


def test_vocab_encode_and_move_sentence():
    vocab = hi.Vocab([{"sentences": ["the film was great", "we went home"]}])
    ids = vocab.encode([["the film was great", "the popcorn was dull"], ["we went home"]])
    assert ids.shape == (2, 2, 4)  # B, S, N
    assert ids[0, 1].tolist() == [vocab.stoi["the"], hi.UNK, vocab.stoi["was"], hi.UNK]
    assert (ids[1, 1] == hi.PAD).all() and ids[1, 0, 3] == hi.PAD
    record = {"sentences": ["a b c", "film x y", "d e f"], "label": 1, "decisive": 1, "filler": "neutral"}
    moved = hi.move_sentence(record, 2)
    assert moved["sentences"] == ["a b c", "d e f", "film x y"] and moved["decisive"] == 2
    assert record["decisive"] == 1  # the original is untouched
    with pytest.raises(ValueError, match="to must be in"):
        hi.move_sentence(record, 3)
    with pytest.raises(ValueError, match="documents must be"):
        vocab.encode([[]])


# ---------------------------------------------------------------- the model


def model_and_ids(seed=0):
    torch.manual_seed(seed)
    vocab = hi.document_vocab()
    ids = vocab.encode([r["sentences"] for r in hi.documents("test")[198:204]])  # (6, S, N)
    return hi.HierarchicalAttention(len(vocab)), ids


def test_shapes_and_weights_sum_to_one_over_real_items():
    model, ids = model_and_ids()
    B, S, N = ids.shape
    logits, word_w, sentence_w = model(ids)
    assert logits.shape == (B, 2) and word_w.shape == (B, S, N) and sentence_w.shape == (B, S)
    real_words, real_sentences = ids != hi.PAD, (ids != hi.PAD).any(-1)
    assert not real_sentences.all()  # the batch has sentences of padding only
    assert torch.allclose(word_w.sum(-1), real_sentences.float(), atol=1e-6)
    assert torch.allclose(sentence_w.sum(-1), torch.ones(B), atol=1e-6)
    assert (word_w[~real_words] == 0).all() and (sentence_w[~real_sentences] == 0).all()


def test_padding_changes_nothing_and_gives_no_nan():
    model, ids = model_and_ids()
    B, S, N = ids.shape
    padded = F.pad(ids, (0, 2, 0, 2))  # two padded sentences, two padded words per sentence
    logits, word_w, sentence_w = model(ids)
    p_logits, p_word_w, p_sentence_w = model(padded)
    assert torch.allclose(p_logits, logits, atol=1e-6)
    assert torch.allclose(p_word_w[:, :S, :N], word_w, atol=1e-6) and (p_word_w[:, :, N:] == 0).all()
    assert torch.allclose(p_sentence_w[:, :S], sentence_w, atol=1e-6) and (p_sentence_w[:, S:] == 0).all()
    p_logits.sum().backward()
    assert all(not p.grad.isnan().any() for p in model.parameters())


def test_empty_rows_give_zeros_not_nan():
    pool = hi.AttentionPool(4)
    h = torch.randn(3, 5, 4, requires_grad=True)
    mask = torch.tensor([[True] * 5, [False] * 5, [True, False, False, False, False]])
    pooled, weights = pool(h, mask)
    assert (weights[1] == 0).all() and (pooled[1] == 0).all()
    assert weights[2].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    pooled.sum().backward()
    assert not h.grad.isnan().any() and (h.grad[1] == 0).all()


def test_pooling_equals_sdpa_with_the_context_vector_as_query():
    torch.manual_seed(1)
    pool = hi.AttentionPool(6).double()
    h = torch.randn(4, 7, 6, dtype=torch.float64)
    mask = torch.arange(7)[None, :] < torch.tensor([7, 3, 1, 5])[:, None]  # (B, N)
    pooled, weights = pool(h, mask)
    keys = torch.tanh(pool.proj(h))
    query = pool.context.expand(4, 1, 6)  # (B, 1, E): one query per row
    ref = F.scaled_dot_product_attention(query, keys, h, attn_mask=mask[:, None, :], scale=1.0)
    assert torch.allclose(pooled, ref[:, 0], atol=1e-12, rtol=0)
    ref_w = torch.softmax((query @ keys.transpose(1, 2) / 1.0).masked_fill(~mask[:, None], float("-inf")), -1)
    assert torch.allclose(weights, ref_w[:, 0], atol=1e-12, rtol=0)
    # the default 1/sqrt(E) scale gives different weights: scale=1.0 is needed
    default = F.scaled_dot_product_attention(query, keys, h, attn_mask=mask[:, None, :])
    assert not torch.allclose(pooled, default[:, 0], atol=1e-6)


def test_model_forward_equals_two_sdpa_poolings():
    model, ids = model_and_ids(2)
    B, S, N = ids.shape
    with torch.no_grad():
        logits, _, _ = model(ids)
        words = ids != hi.PAD
        h = model.embed(ids).view(B * S, N, -1)
        wa, sa = model.word_attn, model.sentence_attn
        s = F.scaled_dot_product_attention(wa.context.expand(B * S, 1, -1), torch.tanh(wa.proj(h)), h,
                                           attn_mask=words.view(B * S, 1, N), scale=1.0)
        s = torch.where(words.view(B * S, N).any(-1)[:, None, None], s, 0.0).view(B, S, -1)
        d = F.scaled_dot_product_attention(sa.context.expand(B, 1, -1), torch.tanh(sa.proj(s)), s,
                                           attn_mask=words.any(-1)[:, None, :], scale=1.0)
    assert torch.allclose(model.out(d[:, 0]), logits, atol=1e-6)


def test_permuting_sentences_permutes_the_weights():
    model, ids = model_and_ids(3)
    perm = torch.tensor([2, 0, 5, 1, 4, 3])[: ids.shape[1]]
    perm = perm[perm < ids.shape[1]]
    with torch.no_grad():
        logits, word_w, sentence_w = model(ids)
        p_logits, p_word_w, p_sentence_w = model(ids[:, perm])
    assert torch.allclose(p_sentence_w, sentence_w[:, perm], atol=1e-6)
    assert torch.allclose(p_word_w, word_w[:, perm], atol=1e-6)
    assert torch.allclose(p_logits, logits, atol=1e-5)


def test_uniform_sentences_weight_every_real_sentence_alike():
    model, _ = hi.train_hierarchical("distracting", steps=3, uniform_sentences=True, progress=False)
    assert (model.sentence_attn.context == 0).all() and not model.sentence_attn.context.requires_grad
    _, ids = model_and_ids()
    real = (ids != hi.PAD).any(-1)
    with torch.no_grad():
        w = model(ids)[2]
    assert torch.allclose(w, real / real.sum(-1, keepdim=True), atol=1e-6)


# ---------------------------------------------------------------- bad input


def test_bad_input_errors_name_the_argument_and_shape():
    model, ids = model_and_ids()
    with pytest.raises(TypeError, match=r"ids must be an integer tensor.*float32"):
        model(ids.float())
    with pytest.raises(ValueError, match=r"ids must have 3 dimensions \(B, S, N\).*got shape \(6, \d+\)"):
        model(ids[:, 0])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, \d+\)"):
        model(ids + 1000)
    with pytest.raises(TypeError, match="ids must be a torch.Tensor"):
        model(ids.tolist())
    with pytest.raises(ValueError, match=r"B, S, N >= 1.*\(0, "):
        model(ids[:0])
    pool = hi.AttentionPool(4)
    with pytest.raises(ValueError, match=r"h must have shape \(B, N, 4\).*\(2, 3, 5\)"):
        pool(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"mask must have shape \(B, N_k\) = \(2, 3\), got \(2, 4\)"):
        pool(torch.randn(2, 3, 4), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match=r"mask must be a boolean tensor"):
        pool(torch.randn(2, 3, 4), torch.ones(2, 3))
    with pytest.raises(ValueError, match="filler must be one of"):
        hi.documents("test", "funny")
