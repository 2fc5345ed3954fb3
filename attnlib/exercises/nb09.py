"""Exercise checks for notebook 09 (RNN encoder-decoders with attention)."""

import torch

from ..recurrent import AdditiveScore, attend
from .harness import attempt, difference, private_rng, report


def check_bahdanau_score(bahdanau_score):
    """bahdanau_score(query (B, D_q), keys (B, N_k, D_k), W_q (D_q, A), W_k (D_k, A), v (A,))
    -> scores (B, N_k) with scores[b, j] = v . tanh(query[b] @ W_q + keys[b, j] @ W_k)."""
    name = "bahdanau_score"
    g = torch.Generator().manual_seed(9)
    for B, N_k, D_q, D_k, A in ((1, 3, 4, 4, 5), (3, 6, 5, 8, 7)):
        query, keys = torch.randn(B, D_q, generator=g), torch.randn(B, N_k, D_k, generator=g)
        W_q, W_k = torch.randn(D_q, A, generator=g), torch.randn(D_k, A, generator=g)
        v = torch.randn(A, generator=g)
        with private_rng(0):
            score = AdditiveScore(D_q, D_k, A)  # attnlib's version with these weights
        with torch.no_grad():
            score.W_q.weight.copy_(W_q.T)
            score.W_k.weight.copy_(W_k.T)
            score.W_k.bias.zero_()
            score.v.weight.copy_(v[None])
            expected = score(query[:, None], keys)[:, 0]  # (B, N_k)
        ok, got = attempt(name, bahdanau_score, query.clone(), keys.clone(), W_q, W_k, v)
        if not ok:
            return False
        problem = difference(got, expected, atol=1e-4)
        if problem:
            return report(name, False, f"query {(B, D_q)}, keys {(B, N_k, D_k)}, A = {A}: {problem}")
    return report(name, True)


def check_luong_general_score(general_score):
    """general_score(query (B, D), keys (B, N_k, D), W (D, D)) -> scores (B, N_k) with
    scores[b, j] = query[b] @ W @ keys[b, j]."""
    name = "luong_general_score"
    g = torch.Generator().manual_seed(10)
    B, N_k, D = 4, 7, 6
    query, keys = torch.randn(B, D, generator=g), torch.randn(B, N_k, D, generator=g)
    W = torch.randn(D, D, generator=g)  # not symmetric: q W k differs from q W^T k
    ok, got = attempt(name, general_score, query.clone(), keys.clone(), W.clone())
    if not ok:
        return False
    problem = difference(got, torch.einsum("bd,de,bje->bj", query, W, keys), atol=1e-4)
    if problem and not difference(got, torch.einsum("bd,ed,bje->bj", query, W, keys), atol=1e-4):
        problem = "that is query @ W.T @ key: W goes between query (left) and key (right)"
    return report(name, problem is None, problem or "")


def check_masked_attend(masked_attend):
    """masked_attend(scores (B, N_k), keys (B, N_k, D), lengths (B,)) -> (context (B, D),
    weights (B, N_k)): a softmax over the first lengths[b] keys, exactly 0 on the others;
    a row of length 0 gets zero weights and a zero context, never NaN."""
    name = "masked_attend"
    g = torch.Generator().manual_seed(11)
    B, N_k, D = 4, 6, 3
    scores, keys = torch.randn(B, N_k, generator=g) * 3, torch.randn(B, N_k, D, generator=g)
    for lengths in (torch.tensor([6, 2, 4, 1]), torch.tensor([3, 0, 6, 5])):
        context, weights = attend(scores[:, None], keys, torch.arange(N_k) < lengths[:, None])
        ok, got = attempt(name, masked_attend, scores.clone(), keys.clone(), lengths.clone())
        if not ok:
            return False
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return report(name, False, f"returned {type(got).__name__}, expected a pair (context, weights)")
        for part, g_part, e_part in (("weights", got[1], weights[:, 0]), ("context", got[0], context[:, 0])):
            problem = difference(g_part, e_part, atol=1e-5)
            if problem:
                if 0 in lengths.tolist() and "NaN" in problem:
                    problem = "a row with no real key must give zeros, not NaN"
                return report(name, False, f"lengths {lengths.tolist()}: {part}: {problem}")
    return report(name, True)
