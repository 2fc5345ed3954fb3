import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib.positional import (
    LearnedPositionalEmbedding,
    RelativePositionScores,
    alibi_bias,
    alibi_slopes,
    apply_rope,
    relative_position_index,
    rope_angles,
    sinusoidal,
)

FEW = settings(max_examples=25, deadline=None)


# ---------------------------------------------------------------- sinusoidal


@pytest.mark.parametrize("dim", [1, 2, 3, 7, 8, 16, 33])
def test_sinusoidal_matches_hand_formula(dim):
    n, base = 11, 10000.0
    pe = sinusoidal(n, dim, dtype=torch.float64)
    assert pe.shape == (n, dim)
    for p in range(n):
        for c in range(dim):
            i = c // 2
            angle = p / base ** (2 * i / dim)
            expected = math.sin(angle) if c % 2 == 0 else math.cos(angle)
            assert pe[p, c].item() == pytest.approx(expected, abs=1e-12)


def test_sinusoidal_odd_dim_has_one_more_sine_column():
    pe = sinusoidal(5, 5, dtype=torch.float64)
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]  # sin, cos, sin, cos, sin at p = 0


def test_sinusoidal_default_dtype_and_base():
    pe = sinusoidal(4, 6, base=100.0)
    assert pe.dtype == torch.float32
    assert pe[1, 2].item() == pytest.approx(math.sin(1 / 100.0 ** (2 / 6)), abs=1e-6)


@FEW
@given(half=st.integers(1, 16), k=st.integers(0, 20), p=st.integers(0, 40), q=st.integers(0, 40))
def test_sinusoidal_dot_product_depends_only_on_offset(half, k, p, q):
    pe = sinusoidal(70, 2 * half, dtype=torch.float64)
    assert torch.dot(pe[p], pe[p + k]).item() == pytest.approx(
        torch.dot(pe[q], pe[q + k]).item(), abs=1e-10
    )


@pytest.mark.parametrize(("n", "dim", "name"), [(0, 4, "n"), (4, 0, "dim"), (-1, 4, "n")])
def test_sinusoidal_bad_sizes(n, dim, name):
    with pytest.raises(ValueError, match=name):
        sinusoidal(n, dim)


# ---------------------------------------------------------------- learned


def test_learned_positional_embedding_adds_table():
    emb = LearnedPositionalEmbedding(10, 4)
    x = torch.randn(2, 6, 4)
    torch.testing.assert_close(emb(x), x + emb.table[:6])


def test_learned_positional_embedding_too_long_names_both():
    emb = LearnedPositionalEmbedding(5, 4)
    with pytest.raises(ValueError, match=r"N=6.*max_len=5"):
        emb(torch.randn(1, 6, 4))
    with pytest.raises(ValueError, match="shape"):
        emb(torch.randn(6, 4))


# ---------------------------------------------------------------- RoPE


def test_rope_by_hand_rotate_half():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]] * 3, dtype=torch.float64)  # (N=3, D=4)
    y = apply_rope(x)
    for p in range(3):
        for i in range(2):
            theta = p * 10000.0 ** (-2 * i / 4)
            a, b = x[p, i].item(), x[p, i + 2].item()
            assert y[p, i].item() == pytest.approx(a * math.cos(theta) - b * math.sin(theta))
            assert y[p, i + 2].item() == pytest.approx(a * math.sin(theta) + b * math.cos(theta))
    torch.testing.assert_close(y[0], x[0])  # position 0 is not rotated


def test_rope_angles_shape():
    assert rope_angles(torch.arange(5), 8).shape == (5, 4)
    with pytest.raises(ValueError, match="dim"):
        rope_angles(torch.arange(5), 7)


@FEW
@given(n=st.integers(1, 8), half=st.integers(1, 8), seed=st.integers(0, 1000))
def test_rope_preserves_norm(n, half, seed):
    x = torch.randn(2, 3, n, 2 * half, dtype=torch.float64, generator=torch.manual_seed(seed))
    torch.testing.assert_close(apply_rope(x).norm(dim=-1), x.norm(dim=-1), atol=1e-10, rtol=0)


@FEW
@given(shift=st.integers(-50, 500), half=st.integers(1, 8), seed=st.integers(0, 1000))
def test_rope_scores_depend_only_on_relative_position(shift, half, seed):
    g = torch.manual_seed(seed)
    q = torch.randn(2, 5, 2 * half, dtype=torch.float64, generator=g)  # (B, N_q, D)
    k = torch.randn(2, 7, 2 * half, dtype=torch.float64, generator=g)  # (B, N_k, D)
    pos_q = torch.tensor([0, 3, 4, 10, 11])
    pos_k = torch.tensor([1, 2, 3, 5, 8, 13, 21])
    scores = apply_rope(q, pos_q) @ apply_rope(k, pos_k).transpose(-2, -1)
    shifted = apply_rope(q, pos_q + shift) @ apply_rope(k, pos_k + shift).transpose(-2, -1)
    assert (scores - shifted).abs().max().item() <= 1e-10


def test_rope_positions_default_and_broadcast():
    x = torch.randn(2, 4, 6, 8, dtype=torch.float64)  # (B, H, N, D)
    torch.testing.assert_close(apply_rope(x), apply_rope(x, torch.arange(6)))
    torch.testing.assert_close(apply_rope(x), apply_rope(x, torch.arange(6.0)))
    per_batch = torch.stack([torch.arange(6), torch.arange(6) + 3])[:, None, :]  # (B, 1, N)
    y = apply_rope(x, per_batch)
    torch.testing.assert_close(y[1], apply_rope(x[1], torch.arange(6) + 3))


def test_rope_odd_dim_and_bad_positions():
    with pytest.raises(ValueError, match=r"D=5.*\(2, 3, 5\)"):
        apply_rope(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="positions"):
        apply_rope(torch.randn(2, 3, 4), torch.arange(4))
    with pytest.raises(TypeError, match="x"):
        apply_rope(torch.ones(2, 3, 4, dtype=torch.long))


# ---------------------------------------------------------------- ALiBi


def test_alibi_slopes_power_of_two():
    expected = torch.tensor([2.0 ** -k for k in range(1, 9)], dtype=torch.float64)
    torch.testing.assert_close(alibi_slopes(8, dtype=torch.float64), expected, rtol=0, atol=1e-15)
    torch.testing.assert_close(
        alibi_slopes(4, dtype=torch.float64),
        torch.tensor([2.0 ** -2, 2.0 ** -4, 2.0 ** -6, 2.0 ** -8], dtype=torch.float64),
    )
    assert alibi_slopes(1).tolist() == [2.0 ** -8]


def test_alibi_slopes_not_power_of_two():
    # 12 heads: the 8-head slopes, then slopes 1, 3, 5, 7 of the 16-head sequence.
    got = alibi_slopes(12, dtype=torch.float64)
    expected = [2.0 ** -k for k in range(1, 9)] + [2.0 ** -0.5, 2.0 ** -1.5, 2.0 ** -2.5, 2.0 ** -3.5]
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))
    assert len(set(alibi_slopes(6).tolist())) == 6
    assert alibi_slopes(3).tolist() == pytest.approx([2.0 ** -4, 2.0 ** -8, 2.0 ** -2])


def test_alibi_bias_values():
    bias = alibi_bias(2, 3, 4, dtype=torch.float64)  # slopes 1/16, 1/256
    assert bias.shape == (2, 3, 4)
    for h, slope in enumerate([1 / 16, 1 / 256]):
        for i in range(3):
            for j in range(4):
                assert bias[h, i, j].item() == -slope * abs(i - j)
    torch.testing.assert_close(alibi_bias(4, 5), alibi_bias(4, 5, 5))


def test_alibi_bad_heads():
    with pytest.raises(ValueError, match="num_heads"):
        alibi_slopes(0)
    with pytest.raises(ValueError, match="num_heads"):
        alibi_bias(0, 3)
    with pytest.raises(ValueError, match="n_q"):
        alibi_bias(2, 0)


# ---------------------------------------------------------------- Shaw et al.


def test_relative_position_index_clips():
    idx = relative_position_index(4, 5, 2)
    assert idx.dtype == torch.long
    assert idx.tolist() == [
        [2, 3, 4, 4, 4],
        [1, 2, 3, 4, 4],
        [0, 1, 2, 3, 4],
        [0, 0, 1, 2, 3],
    ]
    assert relative_position_index(3, 3, 0).tolist() == [[0] * 3] * 3


def test_relative_position_scores_formula():
    torch.manual_seed(0)
    k, d = 2, 6
    rel = RelativePositionScores(k, d).double()
    q = torch.randn(2, 3, 4, d, dtype=torch.float64)  # (B, H, N_q, D)
    scores = rel(q, 7)
    assert scores.shape == (2, 3, 4, 7)
    w = rel.table.weight
    for i in range(4):
        for j in range(7):
            a_ij = w[max(-k, min(k, j - i)) + k]
            torch.testing.assert_close(scores[..., i, j], q[..., i, :] @ a_ij)


def test_relative_position_scores_bad_input():
    rel = RelativePositionScores(3, 8)
    with pytest.raises(ValueError, match="q"):
        rel(torch.randn(2, 4, 6), 4)
    with pytest.raises(ValueError, match="n_k"):
        rel(torch.randn(2, 4, 8), 0)
    with pytest.raises(ValueError, match="max_distance"):
        RelativePositionScores(-1, 8)
