"""Exercise checks for notebook 12 (hierarchical attention)."""

import torch

from ..core import masked_softmax
from .harness import attempt, describe, difference, has_nonfinite, report


def _pool(h, keys, u, mask):
    scores = (keys @ u).masked_fill(~mask, float("-inf"))  # (B, N)
    weights = masked_softmax(scores)  # (B, N)
    return (weights[:, :, None] * h).sum(1), weights  # (B, E), (B, N)


def check_attention_pool(attention_pool):
    """attention_pool(h, keys, u, mask) -> (pooled (B, E), weights (B, N)): masked softmax of
    keys @ u over the real items, no scaling; an empty row gives zeros, never NaN."""
    name = "attention_pool"
    g = torch.Generator().manual_seed(12)
    for B, N, E, lengths in ((3, 5, 4, [5, 2, 1]), (2, 4, 6, [4, 0]), (4, 3, 8, [0, 3, 1, 2])):
        h, keys = torch.randn(B, N, E, generator=g), torch.randn(B, N, E, generator=g).tanh()
        u = torch.randn(E, generator=g)
        mask = torch.arange(N)[None, :] < torch.tensor(lengths)[:, None]  # (B, N)
        ok, got = attempt(name, attention_pool, h.clone(), keys.clone(), u.clone(), mask.clone())
        if not ok:
            return False
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return report(name, False, f"returned {describe(got)}, expected a pair (pooled, weights)")
        pooled, weights = _pool(h, keys, u, mask)
        empty = " (a row with no real item must give zeros: see masked_softmax)" if 0 in lengths else ""
        for part, g_part, e_part in (("weights", got[1], weights), ("pooled", got[0], pooled)):
            if has_nonfinite(g_part):
                return report(name, False, f"lengths {lengths}: NaN or inf in the {part}{empty}")
            problem = difference(g_part, e_part, atol=1e-5)
            if problem:
                return report(name, False, f"lengths {lengths}, {part}: {problem}")
    return report(name, True)


def check_document_masks(document_masks):
    """document_masks(ids) -> (word mask (B, S, N), sentence mask (B, S)); 0 = padding."""
    name = "document_masks"
    g = torch.Generator().manual_seed(21)
    for B, S, N in ((2, 3, 4), (3, 4, 2)):
        ids = torch.randint(1, 50, (B, S, N), generator=g)
        ids[0, -1] = 0  # a sentence of padding only
        ids[:, :, -1] = 0  # padding at the end of every sentence
        ids[-1, 0, 1:] = 0
        ok, got = attempt(name, document_masks, ids.clone())
        if not ok:
            return False
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return report(name, False, f"returned {describe(got)}, expected a pair (word mask, sentence mask)")
        words = ids != 0
        for part, g_part, e_part in (("word mask", got[0], words), ("sentence mask", got[1], words.any(-1))):
            if not isinstance(g_part, torch.Tensor) or g_part.dtype != torch.bool:
                return report(name, False, f"the {part} is {describe(g_part)}, expected a boolean tensor")
            if g_part.shape != e_part.shape or not torch.equal(g_part, e_part):
                return report(name, False, f"ids {(B, S, N)}: the {part} is wrong "
                                           f"(shape {tuple(g_part.shape)}, expected {tuple(e_part.shape)})")
    return report(name, True)


def check_word_shares(word_shares):
    """word_shares(word_w (B, S, N), sentence_w (B, S)) -> alpha_i * beta_it, (B, S, N)."""
    name = "word_shares"
    g = torch.Generator().manual_seed(3)
    for B, S, N in ((2, 3, 4), (1, 5, 2), (4, 2, 6)):
        word_w = torch.rand(B, S, N, generator=g).softmax(-1)
        sentence_w = torch.rand(B, S, generator=g).softmax(-1)
        ok, got = attempt(name, word_shares, word_w.clone(), sentence_w.clone())
        if not ok:
            return False
        problem = difference(got, sentence_w[:, :, None] * word_w, atol=1e-6)
        if problem:
            return report(name, False, f"B={B}, S={S}, N={N}: {problem}")
    return report(name, True)
