"""attnlib.timing, attnlib.viz and attnlib.data."""

import math
import time

import pytest
import torch

from attnlib import data, timing, viz


def test_time_fn_on_cpu_reports_a_median():
    t = timing.time_fn(torch.mm, torch.randn(64, 64), torch.randn(64, 64), device="cpu", min_run_time=0.02)
    assert t.median_s > 0 and t.repeats >= 1 and t.device.startswith("cpu")
    assert "ms" in str(t)


def test_time_fn_does_what_notebook_18_says(monkeypatch):
    """18 describes time_fn: warm-up untimed, no autograd, torch.utils.benchmark's
    blocked_autorange with torch's thread count, and the median with the IQR."""
    calls, timers = [], []

    def fn():
        calls.append(torch.is_grad_enabled())
        if len(calls) <= 3:
            time.sleep(0.05)  # slow first calls: paid during the warm-up

    real_timer = timing.benchmark.Timer

    def recording_timer(*args, **kwargs):
        timers.append(kwargs)
        return real_timer(*args, **kwargs)

    monkeypatch.setattr(timing.benchmark, "Timer", recording_timer)
    t = timing.time_fn(fn, device="cpu", warmup=3, min_run_time=0.02)
    assert not any(calls)  # every call under torch.no_grad()
    assert t.median_s < 0.01  # the three slow calls were the warm-up, untimed
    assert len(timers) == 1 and timers[0]["num_threads"] == torch.get_num_threads()
    assert t.iqr_s >= 0 and t.repeats >= 5  # 18 says: always at least min_repeats (5) readings


def test_a_slow_call_still_gets_min_repeats_readings():
    """A 0.25 s call once got a single reading (blocked_autorange's 0.2 s) and no spread."""
    calls = []
    fn = lambda: (calls.append(1), time.sleep(0.25))
    t = timing.time_fn(fn, device="cpu", warmup=1, min_repeats=5)
    assert t.repeats == len(t.times_s) >= 5
    assert math.isfinite(t.iqr_s) and t.iqr_s >= 0
    assert 0.25 <= t.median_s < 0.3  # one call per reading and per timed call, nothing more
    assert len(calls) <= 1 + 1 + 3 * t.repeats  # warm-up, block-size probe, readings (+2 each top-up)
    assert "IQR" in str(t) and f"{t.median_s * 1e3:.3f} ms" in str(t)


def test_readings_are_topped_up_when_the_warm_up_cannot_judge_the_call():
    t = timing.time_cpu(lambda: time.sleep(0.06), warmup=0, min_run_time=0.05, min_repeats=3)
    assert t.repeats == len(t.times_s) >= 3 and all(x >= 0.06 for x in t.times_s)


def test_median_and_iqr_are_the_quartiles_of_the_readings():
    t = timing.time_fn(torch.mm, torch.randn(32, 32), torch.randn(32, 32), device="cpu",
                       min_run_time=0.02)
    q1, med, q3 = torch.quantile(torch.tensor(t.times_s, dtype=torch.float64),
                                 torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)).tolist()
    assert t.median_s == pytest.approx(med) and t.iqr_s == pytest.approx(q3 - q1)
    s = timing._summarise([5.0, 1.0, 4.0, 2.0, 100.0], "cpu")
    assert (s.median_s, s.iqr_s, s.repeats, s.times_s) == (4.0, 3.0, 5, (5.0, 1.0, 4.0, 2.0, 100.0))


def test_calls_per_reading_makes_a_reading_last_long_enough():
    assert timing.calls_per_reading(10e-6, min_reading_s=0.005) == 500
    assert timing.calls_per_reading(3e-6, min_reading_s=0.005) == 1667  # rounded up
    assert timing.calls_per_reading(0.02, min_reading_s=0.005) == 1  # a slow call: one is enough
    assert timing.calls_per_reading(1e-9, min_reading_s=0.005, max_calls=1000) == 1000
    assert timing.calls_per_reading(0.0, max_calls=1000) == 1000


def fake_cuda(monkeypatch, overhead_ms, per_call_ms):
    """CUDA events on a CPU: elapsed time = overhead per event pair + time per call made."""
    made, spans = [], []  # spans: calls made between each pair of events read

    class Event:
        def __init__(self, enable_timing=False):
            self.made = None

        def record(self):
            self.made = len(made)

        def synchronize(self):
            pass

        def elapsed_time(self, end):
            spans.append(end.made - self.made)
            return overhead_ms + per_call_ms * (end.made - self.made)

    monkeypatch.setattr(timing.torch.cuda, "Event", Event)
    monkeypatch.setattr(timing.torch.cuda, "synchronize", lambda: None)
    monkeypatch.setattr(timing, "describe_device", lambda device=None: "fake GPU")
    return made, spans


def test_time_cuda_times_back_to_back_calls_between_one_pair_of_events(monkeypatch):
    made, spans = fake_cuda(monkeypatch, overhead_ms=0.0, per_call_ms=1.0)
    t = timing.time_cuda(lambda: made.append(1), warmup=2, repeats=5, calls=4)
    assert spans == [4] * 5 and len(made) == 2 + 5 * 4  # warm-up, then 4 per reading: none extra
    assert t.times_s == (0.001,) * 5 and t.median_s == 0.001 and t.repeats == 5


def test_time_cuda_chooses_enough_calls_to_hide_the_launch_overhead(monkeypatch):
    """One call per event pair reported 0.06 ms for a 0.01 ms kernel (0.05 ms overhead)."""
    made, spans = fake_cuda(monkeypatch, overhead_ms=0.05, per_call_ms=0.01)
    t = timing.time_cuda(lambda: made.append(1), warmup=3, repeats=7, min_reading_s=0.005)
    calibration, readings = spans[:-7], spans[-7:]
    assert len(set(readings)) == 1 and readings[0] >= 0.005 / 0.01  # each reading >= 5 ms
    assert len(made) == 3 + sum(calibration) + 7 * readings[0]  # no call timed twice or untimed
    assert t.median_s == pytest.approx(1e-5, rel=0.02) and t.repeats == 7


def test_describe_device_names_threads():
    assert f"{torch.get_num_threads()} threads" in timing.describe_device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU: CUDA-event timing not tested")
def test_time_fn_on_gpu():
    x = torch.randn(256, 256, device="cuda")
    t = timing.time_fn(torch.mm, x, x, device="cuda")
    assert t.median_s > 0 and t.repeats == len(t.times_s) == 20
    made = []
    timing.time_cuda(lambda: made.append(torch.mm(x, x)), warmup=2, repeats=3, calls=10)
    assert len(made) == 2 + 3 * 10


def test_heatmap_has_title_labels_and_colour_bar():
    tokens, x = data.embed("the cat eats the fish")
    fig = viz.heatmap(torch.softmax(x @ x.T / 32**0.5, -1), tokens, tokens, title="T")
    ax = fig.axes[0]
    assert ax.get_title() == "T" and ax.get_xlabel() == "key" and ax.get_ylabel() == "query"
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert len(fig.axes) == 2  # the colour bar
    assert viz.to_png(fig).startswith(b"\x89PNG")


def test_heads_grid_and_mask_figures():
    w = torch.softmax(torch.arange(24.0).reshape(3, 2, 4), -1)
    fig = viz.heads_grid(w, list("abcd"), list("xy"), ncols=2)
    assert [a.get_title() for a in fig.axes[:3]] == ["head 0", "head 1", "head 2"]
    assert fig._suptitle.get_text()
    fig = viz.draw_mask(torch.ones(3, 3, dtype=torch.bool).tril(), list("abc"), list("abc"))
    assert fig.axes[0].get_title()


def test_viz_rejects_wrong_shapes_and_labels():
    with pytest.raises(ValueError, match="2-D"):
        viz.heatmap(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="x_labels has 2 labels but the weights of shape"):
        viz.heatmap(torch.ones(3, 3), ["a", "b"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="3-D"):
        viz.heads_grid(torch.ones(3, 3))


def test_embedding_is_shipped_and_meaningful():
    vocab, vectors = data.load_embeddings()
    assert vocab[0] == "<unk>" and vectors.shape == (len(vocab), 32)
    assert torch.equal(vectors[0], torch.zeros(32))
    (_, cat), (_, dog), (_, car) = data.embed("cat"), data.embed("dog"), data.embed("car")
    assert (cat @ dog.T).item() > (cat @ car.T).item()


def test_embedding_regenerates_identically(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    script = Path(data.__file__).resolve().parent.parent / "data" / "make_data.py"
    spec = importlib.util.spec_from_file_location("make_data", script)
    make_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_data)
    vocab, vectors = make_data.ppmi_svd(make_data.make_corpus())
    shipped_vocab, shipped = data.load_embeddings()
    assert vocab == shipped_vocab and torch.equal(vectors, shipped)


def test_tokenize_embed_and_errors():
    assert data.tokenize("The cat, sat!") == ["the", "cat", "sat"]
    tokens, x = data.embed("the zebra eats", max_len=2)
    assert tokens == ["the", "zebra"] and torch.equal(x[1], torch.zeros(32))
    assert data.unknown_words("the zebra eats") == ["zebra"]
    with pytest.raises(ValueError, match="no words"):
        data.embed("...")
    for s in data.SENTENCES:
        assert data.unknown_words(s) == []


def test_heatmap_colour_bar_label():
    w = torch.full((2, 2), 0.5)
    assert viz.heatmap(w).axes[1].get_ylabel() == "weight"
    assert viz.heatmap(w, vmin=-1.0).axes[1].get_ylabel() == "value"
    assert viz.heatmap(w, colorbar_label="share").axes[1].get_ylabel() == "share"


def test_time_cuda_takes_fewer_readings_of_a_slow_call_but_at_least_min_repeats(monkeypatch):
    made, spans = fake_cuda(monkeypatch, overhead_ms=0.0, per_call_ms=1000.0)  # 1 s a call
    t = timing.time_cuda(lambda: made.append(1), warmup=1, repeats=20, max_run_time=2.0)
    assert t.repeats == len(t.times_s) == 5 and spans[-5:] == [1] * 5  # 5, not 20 or 2
    made, spans = fake_cuda(monkeypatch, overhead_ms=0.0, per_call_ms=1.0)  # fast: all 20
    t = timing.time_cuda(lambda: made.append(1), warmup=1, repeats=20, max_run_time=2.0)
    assert t.repeats == 20
