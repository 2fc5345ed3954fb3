"""attnlib.recurrent: scores, attend, encoder, decoders, tasks (notebook 09)."""

import pytest
import torch
import torch.nn.functional as F

from attnlib import recurrent as R

B, N_K, D = 3, 5, 8


def inputs(seed=0, n_q=2):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, n_q, D, generator=g)
    keys = torch.randn(B, N_K, D, generator=g)
    lengths = torch.tensor([5, 3, 1])
    key_mask = torch.arange(N_K) < lengths[:, None]  # (B, N_k)
    return query, keys, key_mask


SCORES = {
    "additive": lambda: R.AdditiveScore(D, D, 6),
    "dot": lambda: R.DotScore(),
    "general": lambda: R.GeneralScore(D, D),
    "concat": lambda: R.ConcatScore(D, D, 6),
}


@pytest.mark.parametrize("name", SCORES)
def test_score_shapes(name):
    torch.manual_seed(0)
    query, keys, _ = inputs(n_q=4)
    assert SCORES[name]()(query, keys).shape == (B, 4, N_K)


def test_attend_shapes_and_rows_sum_to_one():
    query, keys, key_mask = inputs()
    context, weights = R.attend(R.DotScore()(query, keys), keys, key_mask)
    assert context.shape == (B, 2, D) and weights.shape == (B, 2, N_K)
    assert torch.allclose(weights.sum(-1), torch.ones(B, 2))


def test_additive_score_by_hand():
    """e_j = v . tanh(W_q q + W_k k_j + b), a = softmax(e), c = sum_j a_j k_j, one key at a time."""
    torch.manual_seed(1)
    score = R.AdditiveScore(D, D, 6)
    query, keys, _ = inputs(1, n_q=1)
    context, weights = R.attend(score(query, keys), keys)
    Wq, Wk, b, v = score.W_q.weight, score.W_k.weight, score.W_k.bias, score.v.weight[0]
    for i in range(B):
        q = query[i, 0]
        e = torch.stack([v @ torch.tanh(Wq @ q + Wk @ keys[i, j] + b) for j in range(N_K)])
        a = torch.exp(e) / torch.exp(e).sum()
        c = sum(a[j] * keys[i, j] for j in range(N_K))
        assert torch.allclose(weights[i, 0], a, atol=1e-6)
        assert torch.allclose(context[i, 0], c, atol=1e-6)


def test_bahdanau_step_by_hand():
    """One decoder step: attention from s_{t-1}, then the GRU on [embed(y); c], then W_o [s_t; c]."""
    torch.manual_seed(2)
    model = R.make_model("bahdanau", 13, 13, embed_dim=4, hidden=4).eval()
    dec = model.decoder
    src, lengths, _ = R.reverse_batch(2, 3, 6, torch.Generator().manual_seed(0))
    with torch.no_grad():
        keys, key_mask, summary = model.encode(src, lengths)
        state = dec.start(summary, keys)
        y = torch.tensor([R.START, R.START])
        logits, (s1, _), weights = dec.step(y, state, keys, key_mask)
        s0 = torch.tanh(dec.bridge(summary))
        for i in range(2):
            n = lengths[i]
            e = dec.score.v(torch.tanh(dec.score.W_q(s0[i]) + dec.score.W_k(keys[i, :n])))[:, 0]
            a = torch.softmax(e, 0)
            c = a @ keys[i, :n]
            x = torch.cat([dec.embed.weight[R.START], c])
            W_ih, W_hh, b_ih, b_hh = dec.cell.weight_ih, dec.cell.weight_hh, dec.cell.bias_ih, dec.cell.bias_hh
            gi, gh = W_ih @ x + b_ih, W_hh @ s0[i] + b_hh
            r = torch.sigmoid(gi[:8] + gh[:8])
            z = torch.sigmoid(gi[8:16] + gh[8:16])
            h = torch.tanh(gi[16:] + r * gh[16:])
            s = (1 - z) * h + z * s0[i]
            assert torch.allclose(weights[i, :n], a, atol=1e-6)
            assert torch.equal(weights[i, n:], torch.zeros(len(weights[i]) - n))
            assert torch.allclose(s1[i], s, atol=1e-6)
            assert torch.allclose(logits[i], dec.out(torch.cat([s, c])), atol=1e-5)


def test_dot_score_is_sdpa_with_scale_one():
    query, keys, key_mask = inputs(3, n_q=4)
    context, weights = R.attend(R.DotScore()(query, keys), keys, key_mask)
    reference = F.scaled_dot_product_attention(query, keys, keys, attn_mask=key_mask[:, None, :],
                                               scale=1.0)
    assert torch.allclose(context, reference, atol=1e-5)


def test_general_with_identity_is_dot():
    query, keys, _ = inputs(4)
    general = R.GeneralScore(D, D)
    with torch.no_grad():
        general.W.weight.copy_(torch.eye(D))
    assert torch.allclose(general(query, keys), R.DotScore()(query, keys), atol=1e-6)


def test_concat_is_additive_with_the_matrix_split():
    """W [q; k] = W_q q + W_k k: Luong's concat and Bahdanau's additive score are one form."""
    torch.manual_seed(5)
    concat, additive = R.ConcatScore(D, D, 6), R.AdditiveScore(D, D, 6)
    with torch.no_grad():
        additive.W_q.weight.copy_(concat.W.weight[:, :D])
        additive.W_k.weight.copy_(concat.W.weight[:, D:])
        additive.W_k.bias.copy_(concat.W.bias)
        additive.v.weight.copy_(concat.v.weight)
    query, keys, _ = inputs(5)
    assert torch.allclose(concat(query, keys), additive(query, keys), atol=1e-6)


def test_padding_gets_exactly_zero_and_does_not_matter():
    query, keys, key_mask = inputs(6)
    scores = R.GeneralScore(D, D)(query, keys)
    context, weights = R.attend(scores, keys, key_mask)
    assert torch.equal(weights.masked_select(~key_mask[:, None, :]), torch.zeros((~key_mask).sum() * 2))
    junk = keys.masked_fill(~key_mask[:, :, None], 1e4)
    junk_scores = scores.masked_fill(~key_mask[:, None, :], 1e4)
    context2, weights2 = R.attend(junk_scores, junk, key_mask)
    assert torch.equal(weights, weights2) and torch.allclose(context, context2)


def test_fully_padded_row_gives_zeros_not_nan():
    query, keys, key_mask = inputs(7)
    key_mask[1] = False
    keys.requires_grad_(True)
    context, weights = R.attend(R.AdditiveScore(D, D, 6)(query, keys), keys, key_mask)
    assert torch.equal(weights[1], torch.zeros(2, N_K)) and torch.equal(context[1], torch.zeros(2, D))
    assert torch.isfinite(weights).all() and torch.isfinite(context).all()
    context.sum().backward()
    assert torch.isfinite(keys.grad).all()


def test_encoder_ignores_padding():
    torch.manual_seed(8)
    enc = R.Encoder(13, 4, 5)
    src, lengths, _ = R.reverse_batch(4, 3, 7, torch.Generator().manual_seed(1))
    keys, summary = enc(src, lengths)
    assert keys.shape == (4, 7, 10) and summary.shape == (4, 10)
    pad = torch.arange(7) >= lengths[:, None]
    assert torch.equal(keys[pad], torch.zeros(int(pad.sum()), 10))
    longer = F.pad(src, (0, 3))  # three more padding columns
    keys2, summary2 = enc(longer, lengths)
    assert torch.allclose(keys2[:, :7], keys, atol=1e-6) and torch.allclose(summary2, summary, atol=1e-6)


@pytest.mark.parametrize("kind", R.MODEL_KINDS)
def test_teacher_forcing_equals_step_by_step(kind):
    torch.manual_seed(9)
    model = R.make_model(kind, 13, 13, embed_dim=4, hidden=6).eval()
    src, lengths, tgt = R.reverse_batch(3, 4, 9, torch.Generator().manual_seed(2))
    tgt_in = R.teacher_inputs(tgt)
    with torch.no_grad():
        logits, weights = model(src, lengths, tgt_in)
        keys, key_mask, summary = model.encode(src, lengths)
        state = model.decoder.start(summary, keys)
        for t in range(tgt.shape[1]):
            step_logits, state, w = model.decoder.step(tgt_in[:, t], state, keys, key_mask)
            assert torch.allclose(step_logits, logits[:, t], atol=1e-5)
            assert (w is None) == (weights is None)
            if w is not None:
                assert torch.allclose(w, weights[:, t], atol=1e-6)
    assert logits.shape == (3, tgt.shape[1], 13)
    if kind != "none":
        assert weights.shape == (3, tgt.shape[1], src.shape[1])


@pytest.mark.parametrize("kind", ["none", "bahdanau", "dot"])
def test_greedy_decode_shapes(kind):
    torch.manual_seed(10)
    model = R.make_model(kind, 13, 13, embed_dim=4, hidden=6).eval()
    src, lengths, _ = R.reverse_batch(3, 4, 9, torch.Generator().manual_seed(3))
    ids, weights = R.greedy_decode(model, src, lengths, max_len=6)
    assert ids.shape[0] == 3 and 1 <= ids.shape[1] <= 6
    assert (weights is None) == (kind == "none")
    if weights is not None:
        assert weights.shape == (3, ids.shape[1], 9)


def test_loss_is_finite_and_ignores_padding():
    torch.manual_seed(11)
    model = R.make_model("bahdanau", 13, 13, embed_dim=4, hidden=6)
    batch = R.reverse_batch(4, 3, 6, torch.Generator().manual_seed(4))
    loss = R.seq2seq_loss(model, batch)
    assert loss.dim() == 0 and torch.isfinite(loss)


def test_reverse_batch():
    src, lengths, tgt = R.reverse_batch(6, 2, 5, torch.Generator().manual_seed(5))
    assert src.shape == (6, 5) and tgt.shape == (6, 6)
    for i in range(6):
        n = lengths[i].item()
        assert tgt[i, :n].tolist() == src[i, :n].flip(0).tolist()
        assert tgt[i, n] == R.END and (tgt[i, n + 1:] == R.PAD).all() and (src[i, n:] == R.PAD).all()


def test_dates_fields_and_batch():
    dates = R.Dates()
    p = dates.pairs["test"][0]
    for field, outputs in R.Dates.TARGET_FIELDS.items():
        start, end = p["spans"][field]
        assert p["tgt"][outputs.start:outputs.stop].lstrip("0") in p["src"][start:end] or field == "month"
    src, lengths, tgt = dates.batch(8, torch.Generator().manual_seed(0))
    assert src.shape[1] == lengths.max() and tgt.shape == (8, 11)
    with pytest.raises(ValueError, match="never saw"):
        dates.encode(["31 déc 2020"])


def test_accuracy_by_length():
    right = torch.tensor([True, False, True, True])
    lengths = torch.tensor([8, 9, 20, 21])
    out = R.accuracy_by_length(right, lengths, [8, 13, 18, 25])
    assert out[0] == 0.5 and out[2] == 1.0 and out[1] != out[1]  # empty bucket: NaN


# ---------------------------------------------------------------- bad input


def test_bad_query_and_keys_name_shapes():
    score = R.AdditiveScore(D, D, 6)
    query, keys, _ = inputs()
    with pytest.raises(ValueError, match=r"query must be \(B, N_q, D_q\).*\(3, 8\)"):
        score(query[:, 0], keys)
    with pytest.raises(ValueError, match=r"keys must be \(B, N_k, 8\).*\(3, 5, 7\)"):
        score(query, keys[..., :7])
    with pytest.raises(ValueError, match=r"same B.*\(2, 2, 8\)"):
        R.DotScore()(query[:2], keys)
    with pytest.raises(TypeError, match="query must be a floating-point tensor"):
        R.DotScore()(query.long(), keys)


def test_bad_mask_names_shapes():
    query, keys, key_mask = inputs()
    scores = R.DotScore()(query, keys)
    with pytest.raises(ValueError, match=r"key_mask must be \(B, N_k\) = \(3, 5\).*\(3, 4\)"):
        R.attend(scores, keys, key_mask[:, :4])
    with pytest.raises(TypeError, match="key_mask must be a boolean tensor"):
        R.attend(scores, keys, key_mask.float())
    with pytest.raises(ValueError, match=r"scores must be \(B, N_q, N_k\).*\(3, 2, 4\)"):
        R.attend(scores[..., :4], keys, key_mask)


def test_bad_ids_and_lengths():
    model = R.make_model("dot", 13, 13, embed_dim=4, hidden=6)
    src, lengths, tgt = R.reverse_batch(3, 4, 9, torch.Generator().manual_seed(6))
    with pytest.raises(ValueError, match=r"lengths must be \(B,\) = \(3,\).*\(2,\)"):
        model(src, lengths[:2], tgt)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, N\] = \[1, 9\]"):
        model(src, lengths + 9, tgt)
    with pytest.raises(ValueError, match="src must be a long tensor"):
        model(src.float(), lengths, tgt)
    with pytest.raises(ValueError, match=r"tgt_in must be \(B, T\).*\(2, 10\)"):
        model(src, lengths, tgt[:2])
    with pytest.raises(ValueError, match="kind must be one of"):
        R.make_model("luong", 13, 13)


# ---------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("name", R.CHECKPOINTS)
def test_checkpoints_load(name):
    model = R.load_checkpoint(name)
    task, kind = R.CHECKPOINTS[name]
    assert not model.training
    assert isinstance(model.decoder, R.PlainDecoder if kind == "none" else
                      R.BahdanauDecoder if kind == "bahdanau" else R.LuongDecoder)
    vocab = len(R.Dates().vocab) if task == "dates" else R.REVERSE_VOCAB
    assert model.decoder.out.out_features == vocab


def test_unknown_checkpoint_names_the_choices():
    with pytest.raises(ValueError, match="name must be one of 'dates_none'"):
        R.load_checkpoint("dates_luong")
