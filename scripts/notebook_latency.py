"""Latency of every explorer the notebooks show, measured in the notebooks' own state.

Runs each notebook's source (notebooks/NN_name.py, the jupytext twin of the .ipynb) as a
script, finds every attnlib.widgets.Explorer it built, and changes each visible control
in turn as a learner would (a slider to other values, a dropdown to its other options),
timing each change to its finished redraw. Prints a Markdown table per explorer: the
median and 95th percentile in ms. Goal: p95 under 100 ms on a 2-core CPU. Text boxes are
left alone (their values are the notebook's). Settings an explorer remembers
(`remember=K`) are redrawn from memory on their second visit; those count too, as a
learner would see them.

Run: make latency (or .venv/bin/python scripts/notebook_latency.py [NN ...] [--changes 24])
"""

import argparse
import gc
import itertools
import os
import runpy
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402

from attnlib import widgets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def values_to_try(control):
    """Other values a learner might pick, or None for controls we leave alone."""
    if not widgets.is_shown(control) or control.disabled:
        return None
    if isinstance(control, (W.IntSlider, W.FloatSlider)):
        lo, hi, now = control.min, control.max, control.value
        picks = [lo, hi, (lo + hi) / 2, now]
        if isinstance(control, W.IntSlider):
            picks = [int(round(p)) for p in picks]
        return list(dict.fromkeys(picks))
    if isinstance(control, W.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, (W.Dropdown, W.ToggleButtons, W.RadioButtons)):
        return [value for _, value in control._options_full] if hasattr(control, "_options_full") \
            else list(control.options)
    return None


def explorers_alive():
    """Every Explorer object alive now (weak proxies among gc's objects are skipped)."""
    found = []
    for o in gc.get_objects():
        try:
            if isinstance(o, widgets.Explorer):
                found.append(o)
        except ReferenceError:  # a weakref proxy whose object is gone
            pass
    return found


def measure(explorer, changes):
    times = []
    cycles = {name: itertools.cycle(values) for name, control in explorer.controls.items()
              if (values := values_to_try(control))}
    if not cycles:
        return times
    for name in itertools.islice(itertools.cycle(list(cycles)), changes):
        control = explorer.controls[name]
        if not widgets.is_shown(control):
            continue
        value = next(cycles[name])
        if value == control.value:
            value = next(cycles[name])
        if value == control.value:
            continue
        start = time.perf_counter()
        explorer.set(**{name: value})
        times.append(time.perf_counter() - start)
        if explorer.error:
            print(f"    {explorer.name}: {name}={value!r} gave {explorer.error}")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("numbers", nargs="*", help="notebook numbers (default: all)")
    parser.add_argument("--changes", type=int, default=24)
    args = parser.parse_args()
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    if args.numbers:
        sources = [p for p in sources if p.name[:2] in args.numbers]
    os.chdir(ROOT / "notebooks")  # the notebooks run from their own folder
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}\n")
    print("| notebook | explorer | changes | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for source in sources:
        before = {id(o) for o in explorers_alive()}
        sys.argv = [str(source)]
        runpy.run_path(str(source), run_name="__main__")
        found = [o for o in explorers_alive() if id(o) not in before]
        for explorer in found:
            times = sorted(measure(explorer, args.changes))
            if not times:
                continue
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))] * 1000
            worst = max(worst, p95)
            print(f"| {source.stem} | {explorer.name} | {len(times)} | "
                  f"{statistics.median(times) * 1000:.0f} | {p95:.0f} |", flush=True)
    print(f"\nworst p95: {worst:.0f} ms (goal: under 100 ms)")


if __name__ == "__main__":
    main()
