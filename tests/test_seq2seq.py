"""attnlib.seq2seq: shapes, equality with nn.Transformer (weights copied), the causal and
padding properties, greedy decoding against teacher forcing, and bad-input errors."""

import pytest
import torch

from attnlib import masks, seq2seq
from attnlib.data import load_dates

V = 40


def small_model(norm_first=False, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    model = seq2seq.Seq2SeqTransformer(V, embed_dim=16, num_heads=4, num_layers=2, ff_dim=24,
                                       norm_first=norm_first)
    return model.to(dtype).eval()


def batch(seed=0, lengths=(7, 4, 2), n_tgt=5):
    g = torch.Generator().manual_seed(seed)
    n = max(lengths)
    key_mask = masks.padding(list(lengths), n)  # (B, N_src)
    src = torch.randint(3, V, (len(lengths), n), generator=g).masked_fill(~key_mask, 0)
    tgt = torch.randint(3, V, (len(lengths), n_tgt), generator=g)
    return src, key_mask, tgt


def test_shapes():
    model = small_model()
    src, key_mask, tgt = batch()
    logits = model(src, seq2seq.shift_right(tgt), key_mask)
    assert logits.shape == (3, 5, V)
    assert model.encode(src, key_mask).shape == (3, 7, 16)
    assert model.cross_weights().shape == (3, 2, 4, 5, 7)
    assert seq2seq.greedy_decode(model, src, key_mask, max_len=6).shape == (3, 6)


@pytest.mark.parametrize("norm_first", [False, True])
def test_equals_nn_transformer_with_copied_weights(norm_first):
    model = small_model(norm_first, torch.float64)
    ref = model.to_torch().eval()
    assert isinstance(ref, torch.nn.Transformer)
    src, key_mask, tgt = batch()
    tgt_in = seq2seq.shift_right(tgt)
    padding = masks.to_mha_key_padding_mask(key_mask)
    with torch.no_grad():
        ours = model(src, tgt_in, key_mask)
        memory = ref.encoder(model.embed_src(src), src_key_padding_mask=padding)
        hidden = ref(model.embed_src(src), model.embed_tgt(tgt_in),
                     tgt_mask=masks.to_mha_attn_mask(masks.causal(tgt_in.shape[1])),
                     src_key_padding_mask=padding, memory_key_padding_mask=padding)
        theirs = model.readout(hidden)
        mine = model.encode(src, key_mask)
    assert (ours - theirs).abs().max() < 1e-12
    assert (mine - memory)[key_mask].abs().max() < 1e-12  # real positions; padding is unused


def test_to_torch_is_a_copy_not_a_view():
    model = small_model()
    ref = model.to_torch()
    with torch.no_grad():
        ref.encoder.layers[0].linear1.weight.add_(1.0)
    assert not torch.equal(ref.encoder.layers[0].linear1.weight, model.encoder[0].ff.linear1.weight)


def test_causal_later_target_tokens_do_not_change_earlier_logits():
    model = small_model()
    src, key_mask, tgt = batch()
    tgt_in = seq2seq.shift_right(tgt)
    changed = tgt_in.clone()
    changed[:, 3:] = (changed[:, 3:] + 1) % V  # positions 3, 4 changed
    with torch.no_grad():
        a, b = model(src, tgt_in, key_mask), model(src, changed, key_mask)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6)  # 0, 1, 2 unchanged
    assert not torch.allclose(a[:, 3:], b[:, 3:], atol=1e-3)  # and the change is seen later


def test_padding_more_source_padding_changes_nothing():
    model = small_model()
    src, key_mask, tgt = batch()
    tgt_in = seq2seq.shift_right(tgt)
    longer = torch.cat([src, torch.zeros(3, 4, dtype=torch.long)], dim=1)  # 4 more pads
    longer_mask = torch.cat([key_mask, torch.zeros(3, 4, dtype=torch.bool)], dim=1)
    with torch.no_grad():
        a, b = model(src, tgt_in, key_mask), model(longer, tgt_in, longer_mask)
        assert torch.allclose(a, b, atol=1e-6)
        assert (model.cross_weights()[..., 7:] == 0).all()
        junk = src.masked_fill(~key_mask, 5)  # padded positions hold other ids: still masked
        assert torch.allclose(model(junk, tgt_in, key_mask), a, atol=1e-6)
        assert not torch.allclose(model(junk, tgt_in), a, atol=1e-3)  # without the mask they count


def test_greedy_decode_equals_teacher_forcing_on_its_own_output():
    model = small_model()
    src, key_mask, _ = batch()
    out = seq2seq.greedy_decode(model, src, key_mask, max_len=6)  # (B, 6)
    with torch.no_grad():
        logits = model(src, seq2seq.shift_right(out), key_mask)
    ended = (out == seq2seq.END).cumsum(1) > 0
    first_end = ended & ~torch.cat([torch.zeros(3, 1, dtype=torch.bool), ended[:, :-1]], 1)
    keep = ~ended | first_end  # up to and including the first </s>
    assert torch.equal(logits.argmax(-1)[keep], out[keep])
    assert (out[ended] == seq2seq.END).all()  # after </s>, only </s>


def test_greedy_decode_with_a_prefix_goes_on_from_it():
    model = small_model()
    src, key_mask, _ = batch()
    free = seq2seq.greedy_decode(model, src, key_mask, max_len=6)
    same = seq2seq.greedy_decode(model, src, key_mask, max_len=6, prefix=free[:, :2])
    assert torch.equal(same, free)  # forcing its own first tokens changes nothing
    forced = torch.full((3, 1), 7)
    out = seq2seq.greedy_decode(model, src, key_mask, max_len=6, prefix=forced)
    assert out.shape == (3, 6) and (out[:, 0] == 7).all()
    with torch.no_grad():  # and the rest is greedy given that prefix
        logits = model(src, seq2seq.shift_right(out), key_mask)
    assert torch.equal(logits.argmax(-1)[:, 1:2], out[:, 1:2])
    with pytest.raises(ValueError, match=r"prefix .*B=3.*\(2, 1\)"):
        seq2seq.greedy_decode(model, src, key_mask, prefix=forced[:2])


def test_shift_right():
    tgt = torch.tensor([[5, 6, 7], [8, 9, 2]])
    assert seq2seq.shift_right(tgt).tolist() == [[1, 5, 6], [1, 8, 9]]
    with pytest.raises(ValueError, match=r"tgt .*\(3,\)"):
        seq2seq.shift_right(torch.tensor([1, 2, 3]))


def test_bad_inputs_name_the_argument_and_shapes():
    model = small_model()
    src, key_mask, tgt = batch()
    tgt_in = seq2seq.shift_right(tgt)
    with pytest.raises(TypeError, match=r"src .*float32.*\(3, 7\)"):
        model(src.float(), tgt_in, key_mask)
    with pytest.raises(TypeError, match=r"tgt_in .*\(5,\)"):
        model(src, tgt_in[0], key_mask)
    with pytest.raises(ValueError, match=r"batch size B.*\(3, 7\).*\(2, 5\)"):
        model(src, tgt_in[:2], key_mask)
    with pytest.raises(ValueError, match=r"src_key_mask .*\(3, 7\).*\(3, 6\)"):
        model(src, tgt_in, key_mask[:, :6])
    with pytest.raises(ValueError, match=r"tgt_in ids must lie in \[0, 40\)"):
        model(src, tgt_in + V, key_mask)
    with pytest.raises(ValueError, match=r"max_len=48"):
        model(torch.zeros(1, 49, dtype=torch.long), tgt_in[:1])
    with pytest.raises(ValueError, match="max_len"):
        seq2seq.greedy_decode(model, src, key_mask, max_len=0)


def test_fully_padded_source_gives_no_nan():
    model = small_model()
    src, key_mask, tgt = batch()
    key_mask[1] = False  # a sequence with no real source character at all
    with torch.no_grad():
        logits = model(src, seq2seq.shift_right(tgt), key_mask)
    assert torch.isfinite(logits).all()


def test_alignment_scores_and_exact_match_on_dates():
    pairs = load_dates("test")[:20]
    vocab = seq2seq.date_vocab()
    encoded = seq2seq.encode_pairs(pairs, vocab)
    assert encoded["tgt"].shape == (20, 11)  # "yyyy-mm-dd" and </s>
    torch.manual_seed(0)
    model = seq2seq.Seq2SeqTransformer(len(vocab), embed_dim=16, num_heads=2, num_layers=1, ff_dim=16).eval()
    scores = seq2seq.alignment_scores(model, encoded, pairs)
    assert scores.shape == (1, 2) and ((scores >= 0) & (scores <= 1)).all()
    out = seq2seq.greedy_decode(model, encoded["src"], encoded["src_key_mask"])
    assert seq2seq.exact_match(out, encoded["tgt"]) == 0.0  # untrained: nothing right
    assert seq2seq.exact_match(encoded["tgt"], encoded["tgt"]) == 1.0
    with pytest.raises(ValueError, match=r"outputs and tgt .*\(20, 10\) and \(20, 11\)"):
        seq2seq.exact_match(out[:, :10], encoded["tgt"])
    assert seq2seq.translate(model, vocab, ["1 jan 2000"])[0] != "2000-01-01"


def test_alignment_score_counts_argmax_inside_the_field_span():
    """A model whose cross-attention we fix by hand: all weight on one source position."""
    pairs = [{"src": "ab", "tgt": "2000-01-02",
              "spans": {"year": [0, 1], "month": [1, 2], "day": [1, 2]}}]

    class Fixed(torch.nn.Module):
        def forward(self, src, tgt_in, src_key_mask=None):
            w = torch.zeros(1, 1, 1, tgt_in.shape[1], 2)
            w[..., 0] = 1.0  # everything on source position 0: inside the year only
            self.w = w
        def cross_weights(self):
            return self.w

    encoded = {"src": torch.zeros(1, 2, dtype=torch.long), "src_key_mask": torch.ones(1, 2, dtype=torch.bool),
               "tgt": torch.zeros(1, 11, dtype=torch.long)}
    score = seq2seq.alignment_scores(Fixed(), encoded, pairs)
    assert score.shape == (1, 1) and score.item() == pytest.approx(4 / 8)  # 4 year digits of 8
