"""Exercise checks for notebook 22 (a real pretrained model)."""

import torch

from .. import masks
from ..pretrained import LAYER_MAP, checkpoint_key
from .harness import attempt, close, describe, difference, report


def check_masked_mean(masked_mean):
    """masked_mean(hidden (B, N, E), key_mask (B, N)) -> mean over the real tokens (B, E)."""
    name = "masked_mean"
    g = torch.Generator().manual_seed(22)
    hidden = torch.randn(3, 7, 5, generator=g)  # (B, N, E)
    key_mask = masks.padding([7, 4, 2], 7)  # (B, N), True = real token
    ok, got = attempt(name, masked_mean, hidden.clone(), key_mask.clone())
    if not ok:
        return False
    keep = key_mask[..., None].float()
    expected = (hidden * keep).sum(1) / keep.sum(1)  # (B, E)
    if difference(got, hidden.mean(1)) is None:
        return report(name, False, "that averages over the padding too; count only the "
                                   "positions where key_mask is True")
    if difference(got, (hidden * keep).sum(1) / 7) is None:
        return report(name, False, "the sum is right but divided by N; divide by each "
                                   "sentence's number of real tokens")
    return close(name, got, expected, atol=1e-5)


def check_our_key(our_key):
    """our_key(checkpoint name inside encoder.layer.{i}) -> our parameter name."""
    name = "our_key"
    for layer in (0, 4, 11):
        for inside in LAYER_MAP:
            for kind in ("weight", "bias"):
                theirs = f"encoder.layer.{layer}.{inside}.{kind}"
                ok, got = attempt(name, our_key, theirs)
                if not ok:
                    return False
                expected = checkpoint_key(theirs)
                if not isinstance(got, str):
                    return report(name, False, f"returned {describe(got)} for {theirs!r}, "
                                               "expected a string")
                if got != expected:
                    return report(name, False, f"{theirs!r} -> {got!r}, expected {expected!r}")
    return report(name, True)


def _planted_weights(g, L, H, N, prev_at, decoy_at):
    """Test input: softmax of random scores (L, H, N, N), with a strong previous-token
    pattern planted at prev_at and a strong next-token pattern (a decoy) at decoy_at."""
    scores = torch.randn(L, H, N, N, generator=g)
    idx = torch.arange(N)
    scores[prev_at][idx[1:], idx[:-1]] += 6.0  # query i -> key i-1
    scores[decoy_at][idx[:-1], idx[1:]] += 8.0  # query i -> key i+1
    scores[decoy_at][idx[1:], idx[:-1]] += 2.0  # and some weight on i-1 too
    return torch.softmax(scores, dim=-1)


def check_previous_token_head(previous_token_head):
    """previous_token_head(weights (L, H, N, N)) -> (layer, head) most on the previous token."""
    name = "previous_token_head"
    g = torch.Generator().manual_seed(2022)
    for L, H, N, prev_at, decoy_at in ((6, 12, 9, (3, 7), (1, 2)), (2, 4, 6, (0, 3), (1, 3)),
                                       (4, 3, 12, (3, 0), (0, 0))):
        weights = _planted_weights(g, L, H, N, prev_at, decoy_at)
        ok, got = attempt(name, previous_token_head, weights.clone())
        if not ok:
            return False
        try:
            answer = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return report(name, False, f"returned {describe(got)}, expected a pair (layer, head)")
        if answer == decoy_at:
            return report(name, False, f"{answer} looks at the NEXT token (key i+1); the previous "
                                       "token of query i is key i-1, just below the diagonal")
        if answer != prev_at:
            return report(name, False, f"weights of shape {(L, H, N, N)}: got {answer}, "
                                       f"expected {prev_at}")
    return report(name, True)
