"""FLOP counts, peak tables, peak memory that sees torch's allocations, the sweep (inputs
made once per point, every row with its spread) and its report (tables, readable plots)."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from attnlib import bench, flops, report
from attnlib import efficient as E
from attnlib.timing import Timing

ROOT = Path(__file__).resolve().parents[1]


def test_attention_flops():
    assert bench.attention_flops(1, 1, 1, 1, 1) == 4
    assert bench.attention_flops(2, 8, 1024, 512, 64) == 4 * 2 * 8 * 1024 * 512 * 64
    full = bench.attention_flops(1, 8, 2048, 2048, 64)
    assert bench.attention_flops(1, 8, 2048, 2048, 64, causal=True) == full / 2
    assert bench.attention_flops(1, 8, 2048, 2048, 64, backward=True) == 2.5 * full
    with pytest.raises(ValueError, match="n_q must be positive"):
        bench.attention_flops(1, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="d_v must be positive"):
        bench.attention_flops(1, 1, 1, 1, 1, d_v=0)


def test_attention_flops_with_d_v_matches_torch_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    B, H, N_q, N_k, D, D_v = 2, 3, 5, 7, 16, 24
    q = torch.randn(B, H, N_q, D)
    k = torch.randn(B, H, N_k, D)
    v = torch.randn(B, H, N_k, D_v)
    with FlopCounterMode(display=False) as counter:
        weights = torch.softmax(q @ k.transpose(-2, -1), dim=-1)  # (B, H, N_q, N_k)
        weights @ v  # (B, H, N_q, D_v)
    expected = 2 * B * H * N_q * N_k * D + 2 * B * H * N_q * N_k * D_v
    assert counter.get_total_flops() == expected
    assert bench.attention_flops(B, H, N_q, N_k, D, d_v=D_v) == expected
    assert bench.attention_flops(B, H, N_q, N_k, D) == 4 * B * H * N_q * N_k * D  # d_v = D


def test_peak_tflops_by_name():
    assert bench.peak_tflops_for_name("NVIDIA H100 80GB HBM3", torch.bfloat16) == 989
    assert bench.peak_tflops_for_name("NVIDIA H100 PCIe", torch.float16) == 756
    assert bench.peak_tflops_for_name("NVIDIA H200 NVL", torch.bfloat16) == 835
    assert bench.peak_tflops_for_name("NVIDIA L40S", torch.bfloat16) == 362
    assert bench.peak_tflops_for_name("NVIDIA H200", torch.bfloat16) == 989
    assert bench.peak_tflops_for_name("NVIDIA A100-SXM4-80GB", torch.bfloat16) == 312
    assert bench.peak_tflops_for_name("NVIDIA L4", torch.float16) == 121
    assert bench.peak_tflops_for_name("Tesla T4", torch.float16) == 65
    assert bench.peak_tflops_for_name("Tesla T4", torch.bfloat16) is None  # no bf16 on T4
    assert bench.peak_tflops_for_name("Some Future GPU", torch.bfloat16) is None
    assert bench.peak_tflops("cpu", torch.float32) is None
    for gpu, peaks in bench.PEAK_TFLOPS.items():
        assert all(p > 0 for p in peaks.values()), gpu


@pytest.mark.parametrize("name, key", [
    ("NVIDIA L4", "L4"),
    ("NVIDIA L40S", "L40S"),
    ("NVIDIA L40", "L40"),
    ("NVIDIA H100 80GB HBM3", "H100 SXM"),
    ("NVIDIA H100 PCIe", "H100 PCIe"),
    ("NVIDIA H100 NVL", "H100 NVL"),
    ("NVIDIA H200", "H200 SXM"),
    ("NVIDIA H200 NVL", "H200 NVL"),
    ("NVIDIA A100-SXM4-80GB", "A100"),
    ("NVIDIA A100-PCIE-40GB", "A100"),
    ("Tesla T4", "T4"),
    ("NVIDIA GH200 480GB", None),  # not an H200
    ("NVIDIA GeForce RTX 4090", None),
    ("Some Future GPU", None),
])
def test_gpu_key_matches_real_device_names(name, key):
    assert bench.gpu_key(name) == key
    assert key is None or key in bench.PEAK_TFLOPS


class _Raises:
    """A stand-in for torch.backends.cuda.matmul whose settings raise when read."""

    @property
    def fp32_precision(self):
        raise RuntimeError("mix of the legacy and new APIs")

    @property
    def allow_tf32(self):
        raise RuntimeError("mix of the legacy and new APIs")


class _OldTorch:
    """torch.backends.cuda.matmul before fp32_precision existed."""

    def __init__(self, allow_tf32):
        self.allow_tf32 = allow_tf32


class _NewTorch:
    """torch.backends.cuda.matmul with fp32_precision, where allow_tf32 raises."""

    def __init__(self, precision):
        self.fp32_precision = precision

    @property
    def allow_tf32(self):
        raise RuntimeError("mix of the legacy and new APIs")


@pytest.mark.parametrize("matmul, setting", [
    (_Raises(), "unknown"),
    (_OldTorch(True), "on"),
    (_OldTorch(False), "off"),
    (_NewTorch("tf32"), "on"),
    (_NewTorch("ieee"), "off"),
    (_NewTorch("something new"), "unknown"),
])
def test_tf32_setting_never_raises(monkeypatch, matmul, setting):
    monkeypatch.setattr(torch.backends.cuda, "matmul", matmul)
    assert bench.tf32_setting() == setting
    kind = "tf32" if setting == "on" else "fp32"  # unknown: the fp32 peak, labelled as such
    assert bench.peak_kind(torch.float32) == kind
    assert bench.peak_tflops_for_name("NVIDIA H100 80GB HBM3", torch.float32) == (
        bench.PEAK_TFLOPS["H100 SXM"][kind])


def test_tf32_setting_reads_the_new_api():
    if not hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        pytest.skip("this torch has no fp32_precision")
    before = torch.backends.cuda.matmul.fp32_precision
    try:
        torch.backends.cuda.matmul.fp32_precision = "tf32"  # allow_tf32 now raises
        assert bench.tf32_setting() == "on"
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        assert bench.tf32_setting() == "off"
    finally:
        torch.backends.cuda.matmul.fp32_precision = before


def test_peak_kind_by_dtype():
    assert bench.peak_kind(torch.bfloat16) == "bf16"
    assert bench.peak_kind(torch.float16) == "fp16"
    assert bench.peak_kind(torch.float64) is None


@pytest.mark.parametrize("setting, kind", [("off", "fp32"), ("on", "tf32"), ("unknown", "fp32")])
def test_sweep_labels_the_peak_it_used(monkeypatch, setting, kind):
    # A made-up peak of 50 TFLOP/s for the CPU: the float32 row says which peak it used.
    monkeypatch.setattr(bench, "peak_tflops", lambda device, dtype: 50.0)
    monkeypatch.setattr(flops, "tf32_setting", lambda: setting)
    rows = bench.sweep(["naive", "linear"], [32], [8], [torch.float32], device="cpu", heads=1,
                       min_run_time=0.01, measure_memory=False)
    exact, approximate = rows
    assert exact["pct_peak"] > 0 and exact["peak_kind"] == kind
    assert approximate["pct_peak"] is None and approximate["peak_kind"] is None
    assert "| pct_peak | peak_kind |" in bench.markdown_table(rows)


def test_sweep_without_a_peak_has_no_peak_kind():
    rows = bench.sweep(["naive"], [32], [8], [torch.float32], device="cpu", heads=1,
                       min_run_time=0.01, measure_memory=False)
    assert rows[0]["pct_peak"] is None and rows[0]["peak_kind"] is None


def test_device_label_keeps_the_index(monkeypatch):
    names = {0: "NVIDIA H100 80GB HBM3", 1: "NVIDIA L4"}
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: names[device])
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert bench.device_label(torch.device("cuda:1")) == "NVIDIA L4 (cuda:1)"
    assert bench.device_label("cuda:0") == "NVIDIA H100 80GB HBM3 (cuda:0)"
    assert bench.device_label("cuda") == "NVIDIA H100 80GB HBM3 (cuda:0)"  # the current one
    assert bench.device_label("cpu") == f"cpu ({torch.get_num_threads()} threads)"
    slugs = {bench.device_slug(bench.device_label(f"cuda:{i}")) for i in (0, 1)}
    assert slugs == {"nvidia-h100-80gb-hbm3", "nvidia-l4"}  # results/<gpu>/: the name only
    row = bench._row("naive", 64, 16, torch.float32, torch.device("cuda:1"))
    assert row["device"] == "NVIDIA L4 (cuda:1)"  # the sweep's rows keep the index


def test_tflops_and_percent_of_peak():
    assert bench.tflops(2e12, 0.5) == pytest.approx(4.0)
    assert bench.percent_of_peak(989e12, 1.0, 989.0) == pytest.approx(100.0)
    assert bench.percent_of_peak(1e12, 1.0, None) is None
    with pytest.raises(ValueError):
        bench.tflops(1e12, 0.0)


def test_peak_memory_sees_a_known_allocation_on_cpu():
    nbytes = 8 * 2**20

    def fn():
        x = torch.empty(nbytes // 4, dtype=torch.float32)
        x.fill_(1.0)
        return x

    peak = bench.peak_memory(fn, device="cpu")
    assert peak >= nbytes
    assert peak < 2 * nbytes


def test_peak_memory_flash_is_linear_naive_is_quadratic_on_cpu():
    n, d = 2048, 64
    q, k, v = (torch.randn(1, 1, n, d) for _ in range(3))
    naive = bench.peak_memory(lambda: E.naive_attention(q, k, v), device="cpu")
    flash = bench.peak_memory(lambda: E.flash_attention(q, k, v), device="cpu")
    assert naive >= n * n * 4  # at least one (N, N) float32 matrix
    assert flash < naive
    assert flash <= 0.10 * naive, (flash, naive)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_peak_memory_on_gpu():
    nbytes = 64 * 2**20
    peak = bench.peak_memory(lambda: torch.empty(nbytes, dtype=torch.uint8, device="cuda"),
                             device="cuda")
    assert peak >= nbytes


def test_registry_runs_and_exact_entries_agree():
    q, k, v = (torch.randn(1, 2, 64, 16, dtype=torch.float64) for _ in range(3))
    ref = E.naive_attention(q, k, v)
    for name, fn in bench.IMPLEMENTATIONS.items():
        try:
            out = fn(q, k, v)
        except RuntimeError as err:  # a backend this device lacks, e.g. cudnn on a CPU
            assert "cannot run" in str(err)
            continue
        assert out.shape == ref.shape, name
        if name not in bench.APPROXIMATE and name != "torch_mha":  # mha has projections
            assert (out - ref).abs().max().item() <= 1e-10, name


def test_sweep_records_skips_and_writes_results(tmp_path):
    impls = ["naive", "flash", "sdpa_cudnn", "no_such_impl"]
    rows = bench.sweep(impls, [32, 64], [16], [torch.float32], device="cpu", heads=2,
                       min_run_time=0.01, out_dir=tmp_path)
    assert len(rows) == 2 * len(impls)
    by = {(r["impl"], r["N"]): r for r in rows}
    ok = by[("flash", 64)]
    assert ok["status"] == "ok" and ok["median_ms"] > 0 and ok["peak_mb"] > 0
    assert ok["tflops"] > 0 and ok["pct_peak"] is None  # no peak known for a CPU
    assert by[("no_such_impl", 32)]["status"] == "skipped"
    assert "unknown implementation" in by[("no_such_impl", 32)]["note"]
    if "cudnn" not in E.available_backends("cpu", torch.float32):
        assert by[("sdpa_cudnn", 32)]["status"] == "skipped"
        assert "cudnn" in by[("sdpa_cudnn", 32)]["note"]

    folder = tmp_path / bench.device_slug(rows[0]["device"])
    with open(folder / "results.csv") as f:
        read = list(csv.DictReader(f))
    assert len(read) == len(rows) and set(bench.COLUMNS) == set(read[0])
    md = (folder / "results.md").read_text()
    assert "| impl | kind | N | D |" in md and "no_such_impl" in md
    assert "| median_ms | iqr_ms | readings |" in md  # the spread, beside the median
    env = (folder / "environment.md").read_text()
    assert f"- torch: {torch.__version__}" in env and "- torch threads:" in env
    for png in ("time_vs_n.png", "memory_vs_n.png"):
        assert (folder / png).stat().st_size > 1000


def test_sweep_skips_what_would_not_fit():
    rows = bench.sweep(["naive"], [2**20], [64], [torch.float32], device="cpu", heads=64,
                       measure_memory=False)
    assert rows[0]["status"] == "skipped" and "would need" in rows[0]["note"]


def test_device_slug():
    assert bench.device_slug("NVIDIA H100 80GB HBM3") == "nvidia-h100-80gb-hbm3"
    assert bench.device_slug("cpu (2 threads)") == "cpu-2-threads"


def test_script_runs_a_tiny_sweep(tmp_path):
    cmd = [sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--device", "cpu",
           "--impls", "naive", "flash", "--seq-lens", "32", "--head-dims", "8",
           "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "| naive | attnlib | 32 | 8 |" in done.stdout
    assert list(tmp_path.glob("*/results.csv"))


def test_cpu_peak_memory_writes_nothing_to_stderr(capfd):
    # Some torch builds log profiler start/stop on file descriptor 2, which would show up
    # as stray, nondeterministic stderr in notebook cells that measure memory.
    bench.peak_memory(lambda: torch.ones(256, 256) * 2, device="cpu")
    assert capfd.readouterr().err == ""


@pytest.mark.skipif(not E.flex_attention_available("cpu"), reason="FlexAttention does not run here")
def test_bench_builds_the_flex_block_mask_outside_the_timed_region(monkeypatch):
    import torch.nn.attention.flex_attention as flex_module

    real_build, real_time, real_peak = (flex_module.create_block_mask, bench.time_fn,
                                        bench.peak_memory)
    measuring, built = [False], []

    def counting_build(*args, **kwargs):
        built.append(measuring[0])  # True: built inside the timed or measured region
        return real_build(*args, **kwargs)

    def measured(real):
        def wrapper(*args, **kwargs):
            measuring[0] = True
            try:
                return real(*args, **kwargs)
            finally:
                measuring[0] = False
        return wrapper

    monkeypatch.setattr(flex_module, "create_block_mask", counting_build)
    monkeypatch.setattr(bench, "time_fn", measured(real_time))
    monkeypatch.setattr(bench, "peak_memory", measured(real_peak))
    E.flex_block_mask.cache_clear()
    sweep = lambda: bench.sweep(["flex"], [32], [8], [torch.float32], device="cpu", heads=1,
                                min_run_time=0.01)
    rows = sweep()  # the real entry: full attention
    assert rows[0]["status"] == "ok" and built == []  # no block mask at all

    monkeypatch.setitem(bench.SETUP, "flex", bench.flex_setup(E.sliding_window_mod(4)))
    rows = sweep()
    assert rows[0]["status"] == "ok", rows[0]["note"]
    assert built == [False]  # built once, before timing and before measuring memory


# ---------------------------------------------------------------- the spread in every row


def test_a_row_needs_enough_readings():
    one = Timing(0.01, 0.0, 1, "cpu", (0.01,))
    with pytest.raises(ValueError, match="a row needs at least 5"):
        bench.timed_row("naive", 64, 16, torch.float32, "cpu", one)
    five = Timing(0.003, 0.001, 5, "cpu", (0.002, 0.0025, 0.003, 0.0035, 0.004))
    row = bench.timed_row("naive", 64, 16, torch.float32, "cpu", five, flops=1e9)
    assert row["median_ms"] == pytest.approx(3.0) and row["iqr_ms"] == pytest.approx(1.0)
    assert row["readings"] == 5 and row["tflops"] == pytest.approx(1e9 / 0.003 / 1e12)
    assert row["kind"] == "attnlib" and bench.kind("sdpa") == "PyTorch"


def test_sweep_rows_carry_median_iqr_and_readings(monkeypatch):
    seen = []
    real = bench.time_fn
    monkeypatch.setattr(bench, "time_fn", lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    rows = bench.sweep(["naive", "sdpa"], [32], [8], [torch.float32], device="cpu", heads=1,
                       min_run_time=0.001, measure_memory=False)
    assert all(kw["min_repeats"] == bench.MIN_READINGS for kw in seen)
    for row in rows:
        assert row["status"] == "ok" and row["readings"] >= bench.MIN_READINGS
        assert row["iqr_ms"] >= 0 and row["median_ms"] > 0
    header = bench.markdown_table(rows).splitlines()[0]
    assert "| median_ms | iqr_ms | readings |" in header
    assert [r["kind"] for r in rows] == ["attnlib", "PyTorch"]


# ---------------------------------------------------------------- inputs once per point


def test_sweep_makes_inputs_once_per_point_and_shares_them(monkeypatch):
    made, given, kept = [], {}, []
    real = bench.make_inputs

    def counting(shape, dtype, device, generator):
        made.append(shape)
        return real(shape, dtype, device, generator)

    def recorder(name):
        def fn(q, k, v):
            given.setdefault(name, set()).add((id(q), id(k), id(v)))
            kept.append((q, k, v))  # alive, so that no id is reused
            return q
        return fn

    monkeypatch.setattr(bench, "make_inputs", counting)
    monkeypatch.setitem(bench.IMPLEMENTATIONS, "rec_a", recorder("rec_a"))
    monkeypatch.setitem(bench.IMPLEMENTATIONS, "rec_b", recorder("rec_b"))
    rows = bench.sweep(["rec_a", "rec_b", "no_such_impl"], [16, 32], [8], [torch.float32],
                       device="cpu", heads=1, min_run_time=0.001, measure_memory=False)
    assert [r["status"] for r in rows] == ["ok", "ok", "skipped"] * 2
    assert made == [(1, 1, 16, 8), (1, 1, 32, 8)]  # once per sweep point, not per impl
    assert given["rec_a"] == given["rec_b"]  # the very same tensors for both
    assert len(given["rec_a"]) == 2  # one set per N


# ---------------------------------------------------------------- readable plots


def _fake_rows():
    rows = []
    for dtype in ("bfloat16", "float32"):
        for d in (64, 128):
            for i, impl in enumerate(bench.IMPLEMENTATIONS):
                for n in (256, 512, 1024):
                    rows.append(dict(bench._row(impl, n, d, torch.float32, "cpu"), dtype=dtype,
                                     median_ms=(i + 1) * n / 100, peak_mb=(i + 1) * n / 50))
    rows.append(bench._row("naive", 256, 64, torch.float32, "cpu", status="skipped"))
    return rows


@pytest.mark.parametrize("key", ["median_ms", "peak_mb"])
def test_plot_has_one_readable_panel_per_dtype_and_d(key):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = report.plot_sweep(_fake_rows(), key, "y", "title")
    FigureCanvasAgg(fig).draw()
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["bfloat16, D = 64", "bfloat16, D = 128",
                                               "float32, D = 64", "float32, D = 128"]
    for ax in axes:
        lines = ax.get_lines()
        assert len(lines) <= len(bench.IMPLEMENTATIONS)  # one line per implementation at most
        looks = [(line.get_color(), line.get_linestyle()) for line in lines]
        assert len(set(looks)) == len(looks), "two lines share colour and style"
        assert ax.get_xlabel() == "sequence length N" and ax.get_ylabel() == "y"
    # ours solid, PyTorch's dashed; one colour per implementation in every panel
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == len(bench.IMPLEMENTATIONS)
    for handle, label in zip(legend.legend_handles, labels):
        kind, impl = label.split(": ")
        assert kind == bench.kind(impl)
        assert handle.get_linestyle() == ("-" if kind == "attnlib" else "--")
    # the legend sits outside every panel's data area
    box = legend.get_window_extent()
    for ax in axes:
        assert not box.overlaps(ax.get_window_extent()), "legend over the data"


# ---------------------------------------------------------------- make gpu-check


def test_gpu_check_dry_run_and_no_gpu_message():
    script = [sys.executable, str(ROOT / "scripts" / "gpu_check.py")]
    dry = subprocess.run(script + ["--dry-run"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert dry.returncode == 0, dry.stderr
    for step in ("nbval: every notebook on CUDA", "scripts/bench.py --device cuda",
                 "ATTN_BIG=1", "18_timing_lab.ipynb", "--triton-sweep"):
        assert step in dry.stdout, step
    limits = [int(s) for s in re.findall(r"at most (\d+) s\)", dry.stdout)]
    assert len(limits) == 4 and sum(limits) < 8 * 60  # the whole check fits in 8 minutes
    if not torch.cuda.is_available():
        done = subprocess.run(script, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert done.returncode == 2 and "needs a CUDA GPU" in done.stderr


def test_gpu_check_uses_the_makefiles_nbval_flags():
    makefile = (ROOT / "Makefile").read_text()
    nbval = re.search(r"^NBVAL := (.*)$", makefile, flags=re.MULTILINE).group(1)
    assert 'scripts/gpu_check.py --nbval "$(NBVAL)"' in makefile
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gpu_check
    finally:
        sys.path.pop(0)
    assert gpu_check.NBVAL == nbval  # the default, for a run without make
