"""attnlib.masks: builders, conventions and their agreement with PyTorch."""

import pytest
import torch
import torch.nn.functional as F

from attnlib import masks, scaled_dot_product_attention


def test_causal_matches_sdpa_is_causal():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 4, 6, 8), torch.randn(2, 4, 9, 8), torch.randn(2, 4, 9, 8)
    ours, _ = scaled_dot_product_attention(q, k, v, masks.causal(6, 9))
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(ours, ref, atol=1e-6)


def test_builders_by_hand():
    assert masks.causal(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert masks.padding([2, 0, 3], 3).tolist() == [[True, True, False], [False] * 3, [True] * 3]
    assert masks.window(4, 1).tolist() == [
        [True, True, False, False], [True, True, True, False],
        [False, True, True, True], [False, False, True, True],
    ]
    assert masks.prefix(4, 2).tolist() == [
        [True, True, False, False], [True, True, False, False],
        [True, True, True, False], [True, True, True, True],
    ]
    assert torch.equal(masks.combine(masks.causal(5), masks.window(5, 1)),
                       masks.causal(5) & masks.window(5, 1))


def test_conventions_round_trip_and_agree():
    torch.manual_seed(0)
    keep = torch.rand(4, 6) > 0.4
    keep[:, 0] = True
    assert torch.equal(masks.block_to_keep(masks.keep_to_block(keep)), keep)
    assert torch.equal(masks.additive_to_keep(masks.keep_to_additive(keep)), keep)
    assert torch.equal(masks.from_mha_attn_mask(masks.to_mha_attn_mask(keep)), keep)
    q, k = torch.randn(4, 8), torch.randn(6, 8)
    a, _ = scaled_dot_product_attention(q, k, k, keep)
    b, _ = scaled_dot_product_attention(q, k, k, masks.keep_to_additive(keep))
    c = F.scaled_dot_product_attention(q, k, k, attn_mask=masks.to_sdpa_mask(keep))
    assert torch.allclose(a, b) and torch.allclose(a, c, atol=1e-6)


def test_key_mask_converters_round_trip():
    key_mask = masks.padding([3, 1, 0], 3)  # True = real token
    kpm = masks.to_mha_key_padding_mask(key_mask)  # True = padding
    assert kpm.tolist() == [[False] * 3, [False, True, True], [True] * 3]
    assert torch.equal(masks.from_mha_key_padding_mask(kpm), key_mask)


def test_fully_masked_rows():
    keep = masks.padding([0, 2], 3)[:, None, :].expand(2, 3, 3)
    assert masks.fully_masked_rows(keep).tolist() == [[True] * 3, [False] * 3]


def test_by_name_covers_every_kind():
    for kind in ("none", "causal", "padding", "window", "prefix"):
        m = masks.by_name(kind, 5, 2)
        assert m is None or m.shape == (5, 5)
        assert masks.describe(kind, 2)
    with pytest.raises(ValueError, match="mask kind must be one of"):
        masks.by_name("diagonal", 5)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: masks.causal(0), ValueError, "n_q must be at least 1, got 0"),
        (lambda: masks.causal(2.5), TypeError, "n_q must be an int"),
        (lambda: masks.window(4, -1), ValueError, "size must be at least 0, got -1"),
        (lambda: masks.padding([1, 5], 3), ValueError, r"lengths must lie in \[0, max_len=3\]"),
        (lambda: masks.padding([[1]], 3), TypeError, "lengths must be a 1-D sequence"),
        (lambda: masks.prefix(3, 4), ValueError, "prefix_len must be at most n=3, got 4"),
        (lambda: masks.keep_to_block(torch.ones(2, 2)), TypeError, "keep must be a boolean tensor"),
        (lambda: masks.combine(torch.ones(2, 2, dtype=torch.bool), torch.zeros(2, 2)), TypeError, "one convention"),
        (lambda: masks.combine(torch.ones(2, 2, dtype=torch.long)), TypeError, r"masks\[0\] must be boolean"),
        (lambda: masks.to_mha_key_padding_mask(torch.ones(2, 3)), TypeError,
         r"key_mask must be a boolean tensor \(True = a real token.*\), got torch.float32"),
        (lambda: masks.to_mha_key_padding_mask(masks.causal(3)[None]), ValueError,
         r"key_mask must have 2 dimensions \(B, N_k\), got shape \(1, 3, 3\)"),
        (lambda: masks.from_mha_key_padding_mask(torch.zeros(2, 3)), TypeError,
         r"key_padding_mask must be a boolean tensor \(True = padding\), got torch.float32"),
        (lambda: masks.from_mha_attn_mask(torch.ones(3, 3, dtype=torch.long)), TypeError,
         r"attn_mask must be boolean \(True = may attend\) or floating"),
        (lambda: masks.additive_to_keep(masks.causal(3)), TypeError,
         "additive must be a floating-point tensor, got dtype torch.bool"),
        (lambda: masks.fully_masked_rows([[True]]), TypeError, "mask must be a torch.Tensor, got list"),
        (lambda: masks.by_name("diagonal", 3), ValueError, "mask kind must be one of 'none'.*got 'diagonal'"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_draw_any_mask():
    keep = masks.prefix(4, 2)
    for m in (keep, masks.keep_to_additive(keep)):
        fig = masks.draw(m, list("abcd"), list("abcd"))
        image = fig.axes[0].images[0].get_array()
        assert image.tolist() == keep.float().tolist()
