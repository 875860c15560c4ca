"""The PNG plot of a run: offered rate against response time, one panel per scenario, one
colour per target: the search steps' p50 solid and p99 dashed, failed steps as an x, the
50% step as stars.

matplotlib is optional (the `bench` extra); without it `plot()` returns a message instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from .report import TargetResult

COLOURS = {"siprouter": "tab:blue", "kamailio": "tab:green", "sipp": "tab:gray"}


def plot(results: Sequence[TargetResult], path: Path) -> str:
    """Draw the plot into `path`; return what happened, for the console."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import ScalarFormatter
    except ImportError:
        return "plot skipped: matplotlib is not installed (.venv/bin/pip install -e '.[bench]')"

    scenarios = list(dict.fromkeys(r.scenario for r in results))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6.5 * len(scenarios), 4.8), squeeze=False)
    for ax, name in zip(axes[0], scenarios, strict=True):
        unit = ""
        for res in (r for r in results if r.scenario == name):
            unit = res.unit
            colour = COLOURS.get(res.target, "black")
            steps = sorted((s for s in res.steps if not math.isnan(s.p50_ms)), key=lambda s: s.rate)
            good = [s for s in steps if s.passed]
            bad = [s for s in steps if not s.passed]
            if good:
                xs = [s.rate for s in good]
                ax.plot(xs, [s.p50_ms for s in good], "o-", color=colour, label=f"{res.target} p50")
                ax.plot(
                    xs, [s.p99_ms for s in good], "s--", color=colour, alpha=0.6,
                    label=f"{res.target} p99",
                )  # fmt: skip
            if bad:
                ax.plot(
                    [s.rate for s in bad], [s.p99_ms for s in bad], "x", color=colour,
                    markersize=9, label=f"{res.target} failed step (p99)",
                )  # fmt: skip
            m = res.measure
            if m is not None and not math.isnan(m.p50_ms):
                ax.plot(
                    [m.rate, m.rate], [m.p50_ms, m.p99_ms], "*", color=colour, markersize=12,
                    label=f"{res.target} 50% step (p50, p99)",
                )  # fmt: skip
        ax.set_title(name)
        ax.set_xlabel(f"offered rate ({unit})")
        ax.set_ylabel("response time (ms)")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot: {path}"
