"""Scenes and the patch question-answering models: scenes are what the docstring says,
held-out objects are held out, the cross-attention is nn.MultiheadAttention's, and the
pooled model cannot tell two scenes with swapped colours apart."""

import torch
from torch import nn

from attnlib import multimodal as mm


def test_scenes_have_distinct_shapes_colours_and_patches():
    shapes, colours, cells, asked = mm.scenes(500, generator=torch.Generator().manual_seed(0))
    for t in (shapes, colours, cells):
        assert t.shape == (500, mm.OBJECTS)
        assert all(len(set(row)) == mm.OBJECTS for row in t.tolist())
    assert not mm.held_out_objects(shapes, colours, cells).any()
    assert (asked.bincount(minlength=3) > 100).all()
    s, c, p, a = mm.scenes(300, held_out=True, generator=torch.Generator().manual_seed(1))
    assert mm.held_out_objects(s, c, p)[torch.arange(300), a].all()


def test_task_features_questions_and_answers_agree():
    x, question, answer, target = mm.task(50, generator=torch.Generator().manual_seed(2))
    assert x.shape == (50, mm.PATCHES, mm.FEATURES) and question.shape == (50, 6)
    rows = torch.arange(50)
    at = x[rows, target]  # the asked patch's channels
    assert torch.equal(at[:, len(mm.SHAPES):].argmax(-1), answer)
    asked_shape = torch.tensor([mm.SHAPES.index(mm.WORDS[w]) for w in question[:, 4].tolist()])
    assert torch.equal(at[:, :len(mm.SHAPES)].argmax(-1), asked_shape)
    assert ((x.sum(-1) == 2).sum(1) == mm.OBJECTS).all()  # 3 objects, 13 empty patches
    assert ((x.sum(-1) == 0).sum(1) == mm.PATCHES - mm.OBJECTS).all()


def test_cross_attention_equals_nn_multiheadattention():
    torch.manual_seed(0)
    model = mm.PatchQA()
    x, question, _, _ = mm.task(8, generator=torch.Generator().manual_seed(3))
    att = model.attend
    ref = nn.MultiheadAttention(32, 1, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([att.q_proj.bias, att.k_proj.bias, att.v_proj.bias]))
        ref.out_proj.load_state_dict(att.out_proj.state_dict())
        u, m = model.words(question).sum(1, keepdim=True), model.memory(x)
        out, w = ref(u, m, m)
        logits, weights = model(x, question)
    assert torch.allclose(weights, w[:, 0], atol=1e-6)
    assert torch.allclose(logits, model.head(torch.cat([u[:, 0], out[:, 0]], -1)), atol=1e-6)
    assert torch.allclose(weights.sum(-1), torch.ones(8))


def test_pooled_model_has_one_weight_and_cannot_see_a_colour_swap():
    torch.manual_seed(1)
    pooled, full = mm.PooledQA(), mm.PatchQA()
    shapes, colours, cells, asked = mm.scenes(20, generator=torch.Generator().manual_seed(4))
    swapped = colours[:, [1, 0, 2]]  # objects 0 and 1 exchange colours
    question = mm.encode_words([mm.question_words(mm.SHAPES[s]) for s in shapes[:, 0].tolist()])
    with torch.no_grad():
        a, wa = pooled(mm.patch_features(shapes, colours, cells), question)
        b, _ = pooled(mm.patch_features(shapes, swapped, cells), question)
        c = full.memory(mm.patch_features(shapes, colours, cells))  # what the question reads
        d = full.memory(mm.patch_features(shapes, swapped, cells))
    assert wa.shape == (20, 1) and (wa == 1).all()
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(c, d, atol=1e-2)  # the full model reads the difference


def test_scene_picture_draws_weights_and_shapes():
    picture = mm.ScenePicture()
    shown = picture.show([0, 1, 2], [0, 1, 2], [0, 5, 15], torch.full((16,), 1 / 16), title="t")
    assert shown.render()[:4] == b"\x89PNG"
    assert picture.labels[0].get_text() == "0.06" and picture.labels[0].get_visible()
    picture.show([0], [0], [3], torch.eye(16)[3], title="t")
    assert [label.get_visible() for label in picture.labels] == [p == 3 for p in range(16)]
