"""The sweep's report: a table with the spread, plots a person can read, the environment.

    COLUMNS           the columns of every table (median_ms, iqr_ms and n: the spread)
    markdown_table    the rows as one Markdown table
    plot_sweep        one panel per (dtype, D); attnlib's lines solid and warm, PyTorch's
                      dashed and cool; the legend outside the panels
    environment       torch, CUDA, driver, GPU or CPU, threads: what the numbers ran on
    write_results     results.csv, results.md, environment.md and two plots in one folder

A row is a dict with the keys in COLUMNS (attnlib.bench.sweep makes them).
"""

import csv
import platform
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import torch

COLUMNS = ("impl", "kind", "N", "D", "dtype", "device", "median_ms", "iqr_ms", "readings", "peak_mb",
           "tflops", "pct_peak", "peak_kind", "status", "note")
"""median_ms and iqr_ms: the median and interquartile range of `readings` readings (>= 5)."""

# attnlib's lines: solid, warm colours. PyTorch's: dashed, cool colours.
STYLES = {
    "attnlib": ("-", "o", ("#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#9467bd",
                           "#7f0000")),
    "PyTorch": ("--", "s", ("#1f77b4", "#17becf", "#2ca02c", "#393b79", "#7f7f7f", "#98df8a",
                            "#6baed6")),
}


def device_slug(description):
    """'NVIDIA H100 80GB HBM3 (cuda:0)' -> 'nvidia-h100-80gb-hbm3' (the folder names the GPU,
    not its index); 'cpu (2 threads)' -> 'cpu-2-threads'."""
    name = re.sub(r" \(cuda:\d+\)$", "", description)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "device"


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(rows):
    """The rows as a Markdown table (one line per row), median and IQR side by side."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [_fmt(row.get(c)).replace("|", "/") for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- plots


def line_styles(rows):
    """impl -> (colour, line style, marker), unique per impl: its kind picks the family."""
    styles, used = {}, {kind: 0 for kind in STYLES}
    for row in rows:
        impl, kind = row["impl"], row.get("kind", "attnlib")
        if impl in styles:
            continue
        line, marker, colours = STYLES.get(kind, STYLES["attnlib"])
        i = used.setdefault(kind, 0)
        used[kind] += 1
        if i >= len(colours):  # more lines than colours: the next round gets dots
            line = ":" if line == "-" else "-."
        styles[impl] = (colours[i % len(colours)], line, marker)
    return styles


def plot_sweep(rows, key="median_ms", ylabel="median time per call (ms)", title=""):
    """A Figure: `key` against N, log-log, one panel per (dtype, D); legend on the right.

    Only rows with status 'ok' and a positive `key` are drawn. Every panel uses the same
    colour and style for an implementation.
    """
    from matplotlib.figure import Figure  # no pyplot: no GUI backend needed

    ok = [r for r in rows if r["status"] == "ok" and r.get(key) is not None and r[key] > 0]
    panels = sorted({(r["dtype"], r["D"]) for r in ok}) or [("no rows", 0)]
    styles = line_styles(ok)
    fig = Figure(figsize=(4.2 * len(panels) + 2.4, 4.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    handles = {}
    for ax, (dtype, head_dim) in zip(axes, panels):
        for impl, (colour, line, marker) in styles.items():
            points = sorted((r["N"], r[key]) for r in ok
                            if (r["impl"], r["dtype"], r["D"]) == (impl, dtype, head_dim))
            if not points:
                continue
            kind = next(r.get("kind", "attnlib") for r in ok if r["impl"] == impl)
            handles[f"{kind}: {impl}"], = ax.plot(
                [n for n, _ in points], [y for _, y in points], color=colour, linestyle=line,
                marker=marker, markersize=4, linewidth=1.5)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({r["N"] for r in ok})
        ax.set_xticks(sizes, [str(n) for n in sizes], fontsize=8)
        ax.set_xticks([], minor=True)
        ax.set_title(f"{dtype}, D = {head_dim}")
        ax.set_xlabel("sequence length N")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    if handles:  # attnlib's entries first, then PyTorch's
        labels = sorted(handles, key=lambda label: not label.startswith("attnlib"))
        fig.legend([handles[label] for label in labels], labels, loc="outside right upper", fontsize=8,
                   title="solid: attnlib\ndashed: PyTorch", title_fontsize=8)
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------- environment


def _nvidia_driver():
    """The NVIDIA driver version from nvidia-smi, or None."""
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else None


def _cpu_name():
    """The CPU's model name (Linux: /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device="cpu"):
    """What the numbers ran on: a dict of name -> text (torch, CUDA, driver, device, threads)."""
    device = torch.device(device)
    env = {
        "date": date.today().isoformat(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "torch threads": str(torch.get_num_threads()),
    }
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
        env["cuda (torch built with)"] = str(torch.version.cuda)
        env["driver"] = _nvidia_driver() or "unknown"
    return env


# ---------------------------------------------------------------- the folder


def write_results(rows, out_dir, env=None, note=""):
    """Write results.csv, results.md, environment.md, time_vs_n.png, memory_vs_n.png.

    They go into out_dir/<device-slug>/ (the slug of the rows' device). env: a dict from
    environment() (default: this machine's CPU); note: a line for environment.md, e.g. how
    busy the machine was. Returns that folder.
    """
    if not rows:
        raise ValueError("write_results needs at least one row")
    device = rows[0]["device"]
    folder = Path(out_dir) / device_slug(device)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (folder / "results.md").write_text(
        f"# Attention timings on {device}\n\n"
        "median_ms and iqr_ms: the median and the interquartile range of the readings "
        "(attnlib.timing); see environment.md for the machine.\n\n"
        + markdown_table(rows) + "\n")
    env = environment() if env is None else env
    lines = [f"# Environment of {device}", ""] + [f"- {k}: {v}" for k, v in env.items()]
    if note:
        lines += ["", note]
    (folder / "environment.md").write_text("\n".join(lines) + "\n")
    for key, ylabel, what, name in (
        ("median_ms", "median time per call (ms)", "time", "time_vs_n.png"),
        ("peak_mb", "peak memory (MB)", "peak memory", "memory_vs_n.png"),
    ):
        fig = plot_sweep(rows, key, ylabel, f"Attention {what} vs N ({device})")
        fig.savefig(folder / name, dpi=120)
    return folder
