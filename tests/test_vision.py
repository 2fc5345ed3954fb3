"""Attention over images: conv-map self-attention equals SDPA, patches are the image cut
row by row, the patch embedding equals a Conv2d, TinyViT's encoder equals PyTorch's
layers, distances and the locality bias are what they say, and the picture is fast."""

import math
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from attnlib import vision
from attnlib.blocks import EncoderBlock


def test_digits_split_is_fixed_and_scaled():
    x, y, xt, yt = vision.load_digits_split()
    assert x.shape == (1300, 1, 8, 8) and xt.shape == (497, 1, 8, 8)
    assert 0 <= x.min() and x.max() <= 1
    again = vision.load_digits_split()
    assert torch.equal(again[1], y) and torch.equal(again[3], yt)


def test_conv_self_attention_equals_sdpa():
    layer = vision.ConvSelfAttention(6, key_dim=4)
    x = torch.randn(3, 6, 5, 7)
    out, w = layer(x)
    assert out.shape == x.shape and w.shape == (3, 35, 35)
    q, k, v = (p(x).flatten(2).transpose(1, 2) for p in (layer.query, layer.key, layer.value))
    ref = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(3, 6, 5, 7)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(w.sum(-1), torch.ones(3, 35))


def test_conv_self_attention_refuses_wrong_channels():
    with pytest.raises(ValueError, match="x must be"):
        vision.ConvSelfAttention(4)(torch.randn(2, 3, 4, 4))


@pytest.mark.parametrize("C, S, P", [(1, 8, 4), (3, 6, 2), (2, 9, 3)])
def test_patchify_cuts_row_by_row(C, S, P):
    images = torch.randn(2, C, S, S)
    patches = vision.patchify(images, P)
    G = S // P
    assert patches.shape == (2, G * G, C * P * P)
    for i in range(G * G):
        r, c = divmod(i, G)
        assert torch.equal(patches[:, i], images[:, :, r * P:(r + 1) * P, c * P:(c + 1) * P].flatten(1))


def test_patchify_refuses_bad_patch():
    with pytest.raises(ValueError, match="patch must divide"):
        vision.patchify(torch.randn(1, 1, 8, 8), 3)
    with pytest.raises(ValueError, match="images must be"):
        vision.patchify(torch.randn(1, 8, 8), 4)


@pytest.mark.parametrize("C, S, P", [(1, 8, 4), (3, 8, 2)])
def test_patch_embedding_equals_conv2d(C, S, P):
    embed = vision.PatchEmbedding(P, C, 16)
    conv = embed.to_conv()
    assert conv.kernel_size == (P, P) and conv.stride == (P, P)
    x = torch.randn(4, C, S, S)
    assert torch.allclose(embed(x), conv(x).flatten(2).transpose(1, 2), atol=1e-5)


def test_tiny_vit_equals_torch_encoder_layers():
    torch.manual_seed(0)
    vit = vision.TinyViT(patch=2, embed_dim=16, num_heads=2, num_layers=3, ff_dim=24).eval()
    layers = [nn.TransformerEncoderLayer(16, 2, 24, dropout=0.0, activation="gelu",
                                         batch_first=True, norm_first=True).eval() for _ in range(3)]
    vit.blocks = nn.ModuleList(EncoderBlock.from_torch(layer) for layer in layers)
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        ours, weights = vit(x)
        z = vit.tokens(x)
        for layer in layers:
            z = layer(z)
        assert torch.allclose(ours, vit.head(vit.norm(z[:, 0])), atol=1e-5)
    assert [w.shape for w in weights] == [(5, 2, 17, 17)] * 3


def test_tiny_vit_with_locality_bias_equals_torch_with_float_mask():
    torch.manual_seed(1)
    vit = vision.TinyViT(locality=1.5, num_layers=1).eval()
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True).eval()
    vit.blocks = nn.ModuleList([EncoderBlock.from_torch(layer)])
    x = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        ours, _ = vit(x)
        z = layer(vit.tokens(x), src_mask=vision.locality_bias(2, 1.5))  # additive float mask
        assert torch.allclose(ours, vit.head(vit.norm(z[:, 0])), atol=1e-5)


def test_locality_bias_and_distances():
    bias = vision.locality_bias(2, 1.5)
    assert bias.shape == (5, 5)
    assert (bias[0] == 0).all() and (bias[:, 0] == 0).all()
    assert math.isclose(bias[1, 4].item(), -1.5 * math.sqrt(2), rel_tol=1e-6)
    assert math.isclose(vision.uniform_attention_distance(2, 4), 2 + math.sqrt(2), rel_tol=1e-6)
    assert torch.equal(vision.patch_centres(2, 4), torch.tensor([[2.0, 2], [2, 6], [6, 2], [6, 6]]))


def test_mean_attention_distance_of_known_weights():
    N = 4
    eye = torch.eye(N + 1).expand(2, 3, N + 1, N + 1)  # every patch attends to itself
    assert torch.equal(vision.mean_attention_distance(eye, 2, 4), torch.zeros(3))
    uniform = torch.full((1, 1, N + 1, N + 1), 1 / (N + 1))  # class token weights are dropped
    d = vision.mean_attention_distance(uniform, 2, 4)
    assert math.isclose(d.item(), vision.uniform_attention_distance(2, 4), rel_tol=1e-6)


def test_train_vit_runs_and_evaluates():
    x, y, xt, yt = vision.load_digits_split()
    model, losses = vision.train_vit(x, y, steps=5, seed=0, progress=False)
    accuracy, distance = vision.evaluate(model, xt[:50], yt[:50])
    assert len(losses) == 5 and 0 <= accuracy <= 1 and distance.shape == (2, 4)


def test_patch_picture_redraws_fast_and_checks_shapes():
    from attnlib.widgets import Backdrop

    picture = vision.PatchPicture(8, 2)
    image = torch.rand(8, 8)
    drawn = picture.show(image, torch.rand(2, 2), 1, title="first")
    assert isinstance(drawn, Backdrop)
    drawn.render()
    start = time.process_time()  # CPU time: wall time on a shared machine measures the others
    for q in (None, 0, 3):
        picture.show(image, torch.rand(2, 2), q, title="again").render()
    assert (time.process_time() - start) / 3 < 0.1
    with pytest.raises(ValueError, match="weights must be"):
        picture.show(image, torch.rand(4), title="wrong")
