"""attnlib.data's tasks, attnlib.models and attnlib.train's one training loop."""

import torch

from attnlib import data, train
from attnlib.blocks import DecoderBlock, EncoderBlock
from attnlib.core import scaled_dot_product_attention
from attnlib.models import (
    Matcher,
    NeighbourModel,
    OneHeadAttention,
    TinyEncoder,
    VerbFinder,
    stack_weights,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- tasks


def test_verb_task_puts_the_verbs_kind_at_every_word():
    vocab, vectors = data.load_embeddings()
    for with_size, n in ((False, 5), (True, 6)):
        x, kind = data.verb_task(64, gen(), with_size=with_size)
        assert x.shape == (64, n, 32) and kind.shape == (64, n)
        assert (kind == kind[:, :1]).all()
        verbs = data.VERB_KINDS.values()
        for b in range(64):
            verb = vocab[(vectors == x[b, n - 3]).all(-1).nonzero()[0, 0]]  # the word N - 3
            assert verb in list(verbs)[kind[b, 0]]


def test_verb_task_held_out_nouns_never_appear_in_training_sentences():
    vocab, vectors = data.load_embeddings()
    held_out = {vocab.index(w) for w in data.HELD_OUT_NOUNS}
    x, _ = data.verb_task(256, gen(), with_size=True)
    ids = (x[:, :, None, :] == vectors[None, None]).all(-1).float().argmax(-1)  # (B, N)
    assert not held_out & set(ids.flatten().tolist())
    x, _ = data.verb_task(256, gen(), nouns=data.HELD_OUT_NOUNS, with_size=False)
    ids = (x[:, :, None, :] == vectors[None, None]).all(-1).float().argmax(-1)
    assert set(ids[:, [1, 4]].flatten().tolist()) <= held_out


def test_match_task_targets_are_the_context_words_of_the_same_kind():
    vocab, vectors = data.load_embeddings()
    for template in data.MATCH_TEMPLATES + data.MATCH_HELD_OUT_TEMPLATES:
        x_q, x_c, targets = data.match_task(16, gen(), template)
        q_kinds = data.fill_template(template, 1)[1]
        c_kinds = data.fill_template(data.MATCH_CONTEXT, 1)[1]
        assert x_q.shape == (16, len(q_kinds), 32) and x_c.shape == (16, len(c_kinds), 32)
        for i, kind in enumerate(q_kinds):
            if kind is None:
                assert (targets[:, i] == -100).all()
            else:
                assert torch.equal(vectors[targets[:, i]], x_c[:, c_kinds.index(kind)])
                words = {vocab[t] for t in targets[:, i].tolist()}
                assert words <= set(data.MATCH_KINDS[kind])


def test_neighbour_and_sort_targets():
    x, prev, nxt = data.neighbour_task(16, generator=gen())
    assert torch.equal(prev[:, 1:], x[:, :-1]) and torch.equal(nxt[:, :-1], x[:, 1:])
    x, target = data.sort_task(16, n=8, vocab=10, generator=gen())
    assert x.shape == target.shape == (16, 8)
    assert torch.equal(target, x.sort(-1).values)


# ---------------------------------------------------------------- models


def test_one_head_attention_is_scaled_dot_product_attention_of_its_projections():
    torch.manual_seed(0)
    layer = OneHeadAttention(32, 16)
    x_q, x_kv = torch.randn(2, 5, 32), torch.randn(2, 7, 32)
    with torch.no_grad():
        out, w = layer(x_q, x_kv)
        ref_out, ref_w = scaled_dot_product_attention(layer.W_q(x_q), layer.W_k(x_kv), layer.W_v(x_kv))
        self_out, self_w = layer(x_q)
    assert out.shape == (2, 5, 16) and w.shape == (2, 5, 7)
    assert torch.allclose(out, ref_out, atol=1e-6) and torch.allclose(w, ref_w, atol=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(layer(x_q, x_q), (self_out, self_w)))


def test_model_shapes():
    torch.manual_seed(0)
    x, _ = data.verb_task(4, gen(), with_size=True)
    logits, w = VerbFinder()(x)
    assert logits.shape == (4, 6, 3) and w.shape == (4, 6, 6)
    x_q, x_c, _ = data.match_task(4, gen())
    logits, w = Matcher(data.load_embeddings()[1])(x_q, x_c)
    assert logits.shape == (4, x_q.shape[1], len(data.load_embeddings()[0]))
    assert w.shape == (4, x_q.shape[1], x_c.shape[1])
    prev_logits, next_logits, w = NeighbourModel(num_heads=2)(torch.randint(0, 10, (4, 8)))
    assert prev_logits.shape == next_logits.shape == (4, 8, 10) and w.shape == (4, 2, 8, 8)


def test_tiny_encoder_shapes_and_weights():
    torch.manual_seed(0)
    model = TinyEncoder(vocab=10, n=8, embed_dim=16, num_heads=2, num_layers=3, ff_dim=32).eval()
    assert all(isinstance(b, EncoderBlock) for b in model.blocks)
    logits, weights = model(torch.randint(0, 10, (4, 6)))
    assert logits.shape == (4, 6, 10)
    assert weights.shape == (4, 3, 2, 6, 6)  # (B, L, H, N, N)
    assert torch.allclose(weights.sum(-1), torch.ones(4, 3, 2, 6))
    assert torch.equal(weights[:, -1], model.blocks[-1].last_weights)


def test_stack_weights_shapes_and_causality():
    torch.manual_seed(0)
    enc = [EncoderBlock(16, 2, 32).eval() for _ in range(3)]
    dec = [DecoderBlock(16, 2, 32).eval() for _ in range(3)]
    w = stack_weights(enc, dec, torch.randn(2, 5, 16), torch.randn(2, 4, 16))
    assert w["encoder self"].shape == (2, 3, 2, 5, 5)
    assert w["decoder self"].shape == (2, 3, 2, 4, 4) and (w["decoder self"].triu(1) == 0).all()
    assert w["cross"].shape == (2, 3, 2, 4, 5)


# ---------------------------------------------------------------- the training loop


def test_fit_lowers_the_loss_and_returns_the_model_in_eval_mode():
    torch.manual_seed(0)
    model = VerbFinder()
    fitted, losses = train.fit(model, lambda g: data.verb_task(32, g), train.verb_loss,
                               steps=40, lr=1e-2, seed=0, progress=False)
    assert fitted is model and not model.training and len(losses) == 40
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_fit_restores_threads_and_deterministic_setting_and_trains_under_no_grad():
    threads = torch.get_num_threads()
    with torch.no_grad():
        _, losses = train.train_verb_finder(steps=5, progress=False)
    assert len(losses) == 5
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


def test_same_seed_same_model_and_steps_zero_is_the_start():
    a, _ = train.train_verb_finder(steps=20, seed=3, progress=False)
    b, _ = train.train_verb_finder(steps=20, seed=3, progress=False)
    start, losses = train.train_verb_finder(steps=0, seed=3, progress=False)
    torch.manual_seed(3)
    fresh = VerbFinder()
    assert losses == []
    for (name, p), q, r in zip(a.state_dict().items(), b.state_dict().values(), start.state_dict().values()):
        assert torch.equal(p, q), name
        assert not torch.equal(p, r), name
    assert all(torch.equal(p, q) for p, q in zip(start.state_dict().values(), fresh.state_dict().values()))


def test_every_wrapper_trains_its_model_a_little():
    for wrapper, score in (
        (train.train_verb_finder, train.verb_accuracy),
        (train.train_neighbour_model, train.neighbour_accuracy),
        (train.train_tiny_encoder, lambda m: train.sort_accuracy(m, batch=200)[0]),
    ):
        model, losses = wrapper(steps=30, progress=False)
        assert not model.training and losses[-1] < losses[0], wrapper.__name__
        assert 0.0 <= score(model) <= 1.0
    model, losses = train.train_matcher(steps=30, progress=False)
    assert losses[-1] < losses[0]
    assert 0.0 <= train.match_accuracy(model, data.MATCH_TEMPLATES[0], batch=50) <= 1.0
