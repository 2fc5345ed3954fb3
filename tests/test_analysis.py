import math

import torch

from attnlib import analysis


def test_entropy_uniform_one_hot_and_zeros():
    w = torch.tensor([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    h = analysis.entropy(w)  # (3,)
    assert torch.allclose(h, torch.tensor([math.log(4), 0.0, 0.0]))
    assert torch.allclose(analysis.effective_keys(w[:2]), torch.tensor([4.0, 1.0]))
    assert analysis.max_entropy(4) == math.log(4)


def test_entropy_matches_torch_distributions_and_batches():
    torch.manual_seed(0)
    w = torch.softmax(torch.randn(2, 3, 5, 7), dim=-1)  # (B, H, N_q, N_k)
    expected = torch.distributions.Categorical(probs=w).entropy()
    assert analysis.entropy(w).shape == (2, 3, 5)
    assert torch.allclose(analysis.entropy(w), expected, atol=1e-6)


def test_entropy_gradient_is_finite_at_zero_weights():
    w = torch.tensor([0.5, 0.5, 0.0], requires_grad=True)
    analysis.entropy(w).backward()
    assert torch.isfinite(w.grad).all()


def test_softmax_jacobian_matches_autograd():
    torch.manual_seed(0)
    s = torch.randn(6, dtype=torch.float64)
    expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), s)
    assert torch.allclose(analysis.softmax_jacobian(torch.softmax(s, -1)), expected)
    one_hot = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    assert analysis.softmax_jacobian(one_hot).abs().max() == 0
