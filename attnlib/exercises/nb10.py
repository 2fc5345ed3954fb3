"""Exercise checks for notebook 10 (transformer seq2seq)."""

import torch

from ..seq2seq import END, START, Seq2SeqTransformer, shift_right
from .harness import as_number, as_tensor, attempt, describe, difference, private_rng, report


def check_teacher_forcing_input(teacher_forcing_input):
    """teacher_forcing_input(tgt, start_id) -> <s> then tgt without its last token. (B, N)"""
    name = "teacher_forcing_input"
    g = torch.Generator().manual_seed(10)
    for B, N, start_id in ((2, 5, 1), (3, 11, 7), (1, 1, 1)):
        tgt = torch.randint(3, 30, (B, N), generator=g)
        ok, got = attempt(name, teacher_forcing_input, tgt.clone(), start_id)
        if not ok:
            return False
        expected = shift_right(tgt, start_id)
        ids = as_tensor(got)
        if ids is not None and ids.shape == (B, N + 1):
            return report(name, False, f"shape {tuple(ids.shape)} for tgt of shape {(B, N)}: keep N "
                                       "tokens by dropping the target's last one")
        if ids is not None and ids.shape == expected.shape and torch.equal(ids, tgt):
            return report(name, False, "that is the target itself: the decoder would read the token "
                                       "it must predict")
        problem = difference(got, expected, atol=0)
        if problem:
            return report(name, False, f"tgt of shape {(B, N)}, start_id={start_id}: {problem}")
    return report(name, True)


def _up_to_first_end(ids):
    """(B, T) -> a keep mask (B, T): True up to and including each row's first </s>."""
    ended = (ids == END).long().cumsum(1)  # (B, T): how many </s> so far
    return (ended == 0) | ((ended == 1) & (ids == END))


def check_greedy_loop(greedy):
    """greedy(model, src, src_key_mask, max_len) -> (B, max_len) ids after <s>, each the
    argmax of the decoder's last position given everything written so far."""
    name = "greedy_loop"
    g = torch.Generator().manual_seed(100)
    with private_rng(100):  # a small untrained model: its weights come from the global RNG
        model = Seq2SeqTransformer(20, embed_dim=16, num_heads=2, num_layers=2, ff_dim=16).eval()
    src = torch.randint(3, 20, (4, 6), generator=g)  # (B, N_src)
    key_mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2, [True] * 6, [True] * 2 + [False] * 4])
    max_len = 7
    with torch.no_grad():  # the reference: append the argmax, max_len times
        out = torch.full((4, 1), START)
        memory = model.encode(src, key_mask)
        for _ in range(max_len):
            nxt = model.decode(out, memory, key_mask)[:, -1].argmax(-1)
            out = torch.cat([out, nxt[:, None]], dim=1)
    expected = out[:, 1:]  # (B, max_len)
    ok, got = attempt(name, greedy, model, src.clone(), key_mask.clone(), max_len)
    if not ok:
        return False
    ids = as_tensor(got)
    if ids is None or ids.shape != expected.shape:
        return report(name, False, f"returned {describe(got)}, expected a tensor of shape "
                                   f"{tuple(expected.shape)} (the tokens after <s>)")
    if ids.shape == expected.shape and torch.equal(ids, out[:, :-1]):
        return report(name, False, "the output starts with <s>: return only the tokens written after it")
    keep = _up_to_first_end(expected)
    wrong = (ids != expected) & keep
    if wrong.any():
        b, t = (int(i) for i in wrong.nonzero()[0])
        return report(name, False, f"sequence {b}, step {t}: got token {int(ids[b, t])}, expected "
                                   f"{int(expected[b, t])} (did you pass src_key_mask and the whole prefix?)")
    return report(name, True)


def check_field_alignment(field_alignment):
    """field_alignment(weights, span, positions) -> share of the target positions whose
    argmax over the source lies in [span[0], span[1])."""
    name = "field_alignment"
    g = torch.Generator().manual_seed(1010)
    for n_tgt, n_src, span, positions in ((6, 9, (2, 5), [0, 1, 2]), (11, 20, (0, 4), [0, 1, 2, 3]),
                                          (11, 20, (13, 17), [8, 9, 10])):
        weights = torch.softmax(3 * torch.randn(n_tgt, n_src, generator=g), dim=-1)
        ok, got = attempt(name, field_alignment, weights.clone(), span, list(positions))
        if not ok:
            return False
        looked_at = weights[positions].argmax(-1)  # (len(positions),)
        expected = ((looked_at >= span[0]) & (looked_at < span[1])).float().mean().item()
        value = as_number(got)
        if value is None:
            return report(name, False, f"returned {describe(got)}, expected a number in [0, 1]")
        if not abs(value - expected) <= 1e-6:  # a NaN fails too
            inclusive = ((looked_at >= span[0]) & (looked_at <= span[1])).float().mean().item()
            hint = " (the span's end is excluded: [start, end))" if abs(value - inclusive) < 1e-6 else ""
            return report(name, False, f"span {span}, positions {positions}: got {value:.4g}, "
                                       f"expected {expected:.4g}{hint}")
    return report(name, True)
