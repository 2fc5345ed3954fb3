"""attnlib.bugs: every classic bug fails its own check first; the fixes, and PyTorch's own
attention and multi-head layer, pass every check; the checks leave the learner alone."""

import math
import threading
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from attnlib import MultiHeadAttention, bugs, scaled_dot_product_attention
from attnlib.data import SENTENCES, embed


@pytest.mark.parametrize("name", list(bugs.BUGS))
def test_every_bug_fails_its_own_check_first(name):
    bug = bugs.BUGS[name]
    report = bugs.check(bug.subject, bug.code, verbose=False)
    assert bug.check in report.failed
    assert report.diagnosis == bug.check
    assert all(f.detail for f in report.failures), "every failure gives its evidence"


@pytest.mark.parametrize("subject", list(bugs.FIXES))
def test_the_fixes_pass_every_check(subject):
    report = bugs.check(subject, bugs.FIXES[subject], verbose=False)
    assert report.passed and report.failed == [] and report.diagnosis is None
    assert len(report.findings) == len(bugs.check_names(subject)) >= 2


def test_every_check_catches_a_bug():
    caught = {b.check for b in bugs.BUGS.values()}
    for subject in bugs.CHECKERS:
        # The comparisons with a reference back up the property checks; no bug needs them first.
        own = set(bugs.check_names(subject)) - {"causal_matches_reference", "encoder_matches_torch",
                                                "pattern_matches_reference"}
        assert own <= caught, own - caught


def test_pytorch_reference_passes():
    def torch_sdpa(q, k, v, mask=None):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    class TorchMHA(nn.Module):
        def __init__(self, embed_dim, num_heads):
            super().__init__()
            self.mha = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

        def forward(self, x):
            return self.mha(x, x, x)

    assert bugs.check_attention(torch_sdpa, verbose=False).passed
    assert bugs.check_multihead(TorchMHA, verbose=False).passed

    def torch_causal(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    assert bugs.check_causal(torch_causal, verbose=False).passed


def test_the_bug_x_check_table_is_what_the_notebook_prints():
    table = bugs.table()
    failing = {name: [c for c, failed in row.items() if failed] for name, row in table.items()}
    assert failing["finite_mask_fill"] == ["empty_rows_zero"]
    assert failing["exp_overflow"] == ["large_scores_stable"]
    assert failing["keys_in_chunks"] == ["matches_reference"]
    assert failing["heads_by_view"] == ["permutation_equivariance"]
    assert failing["batch_first_confusion"] == ["batch_independence"]
    assert failing["projections_unused"] == ["every_weight_used"]
    assert failing["timer_no_sync"] == ["timer_synchronises"]
    assert failing["timer_no_warmup"] == ["timer_warms_up"]
    missed = [n for n, b in bugs.BUGS.items() if b.subject == "attention" and not table[n]["matches_reference"]]
    assert missed == ["nan_on_empty_row", "finite_mask_fill", "exp_overflow"]


def test_report_prints_one_line_per_check(capsys):
    report = bugs.check_attention(bugs.attention_no_scale)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "attention_no_scale: 6 of 8 checks passed"
    assert len(lines) == 1 + len(report.findings)
    assert lines[3].startswith("  FAILED  scale: the scores are scaled by 1.0000 (no scale at all)")
    assert str(report).splitlines() == lines


def test_scale_check_names_other_scales():
    def over_d(q, k, v, mask=None):
        return scaled_dot_product_attention(q, k, v, mask, scale=1 / q.shape[-1])

    def over_two(q, k, v, mask=None):
        return scaled_dot_product_attention(q, k, v, mask, scale=0.5)

    detail = bugs.check_attention(over_d, verbose=False).failures[0].detail
    assert "(1/D?)" in detail
    report = bugs.check_attention(over_two, verbose=False)
    assert report.diagnosis == "scale" and "scaled by 0.5000" in report.failures[0].detail


def test_a_crash_is_a_failure_not_an_exception():
    def broken(q, k, v, mask=None):
        return q @ k.T  # .T on a 3-D tensor

    report = bugs.check_attention(broken, verbose=False)
    assert not report.passed
    assert any("raised" in f.detail for f in report.failures)


def test_checks_leave_the_global_rng_alone():
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    bugs.check_multihead(MultiHeadAttention, verbose=False)
    bugs.check_attention(bugs.correct_attention, verbose=False)
    assert torch.equal(torch.random.get_rng_state(), before)
    threads = torch.get_num_threads()
    bugs.check_causal(bugs.correct_causal, verbose=False)
    assert torch.get_num_threads() == threads


def test_weights_of_reads_the_weights_of_any_function():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 4, 8, generator=g), torch.randn(2, 5, 8, generator=g)
    keep = torch.rand(2, 4, 5, generator=g) < 0.6
    _, w = scaled_dot_product_attention(q, k, torch.randn(2, 5, 3, generator=g), keep)
    assert torch.equal(bugs.weights_of(scaled_dot_product_attention, q, k, keep), w)


def test_timer_log_and_other_threads():
    assert bugs.describe_log(bugs.timer_log(bugs.timer_no_sync)) == "call, clock, call x10, clock"
    stop = threading.Event()

    def heartbeat():  # another thread reading the clock must not enter the log
        while not stop.is_set():
            time.perf_counter()
            time.time()

    thread = threading.Thread(target=heartbeat)
    thread.start()
    try:
        log = bugs.timer_log(bugs.correct_timer)
    finally:
        stop.set()
        thread.join()
    assert "clock" not in log and log[:4] == ["call", "call", "call", "sync"]
    assert time.perf_counter is not None and math.isfinite(time.perf_counter())


def test_bug_weights_on_a_real_sentence():
    tokens, x = embed(SENTENCES[2])
    n = len(tokens)
    buggy, fixed, keep = bugs.bug_weights("finite_mask_fill", x, "padding", real=0)
    assert torch.allclose(buggy, torch.full((n, n), 1 / n)) and (fixed == 0).all()
    buggy, fixed, _ = bugs.bug_weights("causal_hides_self", x)
    assert (buggy[0] == 0).all() and fixed[0, 0] == 1
    with pytest.raises(ValueError, match="multihead bug"):
        bugs.bug_weights("heads_by_view", x)


def test_explorer_draws_every_bug():
    explorer = bugs.bug_explorer()
    explorer.set(mask="causal", seq_len=5, real=3)
    for name in explorer.controls["bug"].options:
        explorer.set(bug=name)
        assert explorer.error is None, explorer.error
        assert bugs.BUGS[name].check in explorer.readout.value


def test_exercise_checks_name_the_bug(capsys):
    from attnlib.exercises import nb24

    assert not nb24.check_fixed_attention(bugs.attention_wrong_axis)
    assert not nb24.check_fixed_attention(bugs.attention_finite_fill)
    assert not nb24.check_fixed_causal(bugs.causal_sees_next)
    assert not nb24.check_fixed_split_heads(lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[not yet] fixed_attention: rows_sum_to_one:")
    assert lines[1].startswith("[not yet] fixed_attention: empty_rows_zero:")
    assert lines[2].startswith("[not yet] fixed_causal: no_future_leak:")
    assert "view(B, H, N, D)" in lines[3]
    assert nb24.check_fixed_attention(bugs.correct_attention)
    assert nb24.check_fixed_causal(bugs.correct_causal)


def test_the_five_layer_and_pattern_bugs():
    table = bugs.table()
    failing = {name: [c for c, failed in row.items() if failed] for name, row in table.items()}
    assert failing["scale_by_embed_dim"] == ["matches_torch"]
    assert failing["shared_head_proj"] == ["heads_see_every_feature", "matches_torch"]
    assert failing["no_layernorm"] == ["output_normalised", "encoder_matches_torch"]
    assert failing["output_as_pattern"] == ["pattern_is_weights", "pattern_matches_reference"]
    assert failing["pooled_single_key"] == ["pattern_depends_on_query", "pattern_is_weights",
                                            "pattern_matches_reference"]
    detail = bugs.check_heads(bugs.ScaleByEmbedDim, verbose=False).failures[0].detail
    assert "times 0.500 = sqrt(D/E)" in detail  # E = 16, H = 4: D = 4, sqrt(4 / 16) = 0.5


def test_pooled_pattern_is_all_ones_and_ignores_the_query():
    q, k, v = torch.randn(1, 4, 8), torch.randn(1, 6, 8), torch.randn(1, 6, 8)
    w = bugs.pooled_attention_pattern(q, k, v)
    assert w.shape == (1, 4, 1) and torch.equal(w, torch.ones_like(w))
    assert torch.allclose(bugs.attention_pattern(q, k, v), scaled_dot_product_attention(q, k, v)[0], atol=1e-6)


def test_pytorch_layers_pass_the_layer_checks():
    def torch_layout_mha(embed_dim, num_heads):  # nn.MultiheadAttention's weights, attnlib's layout
        return MultiHeadAttention.from_torch(nn.MultiheadAttention(embed_dim, num_heads, batch_first=True))

    def torch_block(embed_dim, num_heads, ff_dim):
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, ff_dim, dropout=0.0, batch_first=True)
        return bugs.EncoderBlock.from_torch(layer)

    assert bugs.check_heads(torch_layout_mha, verbose=False).passed
    assert bugs.check_encoder(torch_block, verbose=False).passed


def test_the_layer_checks_leave_the_global_rng_alone():
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    bugs.check_heads(MultiHeadAttention, verbose=False)
    bugs.check_encoder(bugs.EncoderBlock, verbose=False)
    assert torch.equal(torch.rand(3), want)
