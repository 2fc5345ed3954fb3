"""TinyEncoder and its sort task (notebook 08)."""

import torch

from attnlib.blocks import EncoderBlock
from attnlib.models import TinyEncoder
from attnlib.train import sort_accuracy, sort_task, train_tiny_encoder


def test_sort_task_targets_are_the_sorted_inputs():
    x, target = sort_task(16, n=8, vocab=10, generator=torch.Generator().manual_seed(0))
    assert x.shape == target.shape == (16, 8)
    assert torch.equal(target, x.sort(-1).values)
    assert (target[:, 1:] >= target[:, :-1]).all()


def test_tiny_encoder_shapes_and_weights():
    torch.manual_seed(0)
    model = TinyEncoder(vocab=10, n=8, embed_dim=16, num_heads=2, num_layers=3, ff_dim=32).eval()
    assert all(isinstance(b, EncoderBlock) for b in model.blocks)
    logits, weights = model(torch.randint(0, 10, (4, 6)))
    assert logits.shape == (4, 6, 10)
    assert weights.shape == (4, 3, 2, 6, 6)  # (B, L, H, N, N)
    assert torch.allclose(weights.sum(-1), torch.ones(4, 3, 2, 6))
    assert torch.equal(weights[:, -1], model.blocks[-1].last_weights)


def test_short_training_lowers_the_loss():
    model, losses = train_tiny_encoder(steps=60, progress=False)
    assert not model.training
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10
    per_digit, whole = sort_accuracy(model, batch=200)
    assert 0.0 <= whole <= per_digit <= 1.0
    assert per_digit > 0.2  # chance is 0.1


def test_stack_weights_shapes_and_causality():
    from attnlib.blocks import DecoderBlock, EncoderBlock
    from attnlib.models import stack_weights

    torch.manual_seed(0)
    enc = [EncoderBlock(16, 2, 32).eval() for _ in range(3)]
    dec = [DecoderBlock(16, 2, 32).eval() for _ in range(3)]
    w = stack_weights(enc, dec, torch.randn(2, 5, 16), torch.randn(2, 4, 16))
    assert w["encoder self"].shape == (2, 3, 2, 5, 5)
    assert w["decoder self"].shape == (2, 3, 2, 4, 4) and (w["decoder self"].triu(1) == 0).all()
    assert w["cross"].shape == (2, 3, 2, 4, 5)
