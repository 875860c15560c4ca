"""The report of bench/sipp: summary table, ratios, the load-generator note, the step list,
and the plot file (when matplotlib is installed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp.loadgen import StepResult  # noqa: E402
from bench.sipp.plot import plot  # noqa: E402
from bench.sipp.report import (  # noqa: E402
    MIB,
    TargetResult,
    generator_notes,
    limit_verdict,
    markdown,
    summary_table,
)


def step(target: str, rate: int, ok: bool, p50: float, p99: float, cpu: float | None) -> StepResult:
    st = StepResult("options", target, rate, 5.0, rate * 5, passed=ok, offered=rate * 0.99)
    st.reason = "" if ok else "12/5000 calls ok, 4988 failed, 0 unexpected"
    st.p50_ms, st.p99_ms = p50, p99
    if cpu is not None:
        st.server_cpu_s, st.server_msgs = cpu, 10000
        st.server_drops, st.other_drops = rate // 1000, 1
    return st


def results() -> list[TargetResult]:
    sr = TargetResult("options", "requests/s", "siprouter", max_rate=3000, stopped="precision")
    sr.steps = [
        step("siprouter", 2000, True, 0.5, 2.0, 1.2),
        step("siprouter", 4000, False, 9, 90, 1),
    ]
    sr.measure = step("siprouter", 1500, True, 0.4, 1.5, 1.2)  # 0.120 s / 1000 msgs
    sr.rss_idle, sr.rss_after, sr.pss_idle, sr.pss_after = 60 * MIB, 66 * MIB, 40 * MIB, 44 * MIB
    ka = TargetResult("options", "requests/s", "kamailio", max_rate=12000, stopped="max steps")
    ka.steps = [step("kamailio", 12000, True, 0.2, 0.9, 3.0)]
    ka.measure = step("kamailio", 6000, True, 0.15, 0.6, 0.3)  # 0.030 s / 1000 msgs
    ka.rss_idle, ka.rss_after, ka.pss_idle, ka.pss_after = 20 * MIB, 22 * MIB, 3 * MIB, 4 * MIB
    base = TargetResult("options", "requests/s", "sipp", max_rate=13000, stopped="precision")
    base.steps = [step("sipp", 13000, True, 0.3, 1.0, None)]
    return [sr, ka, base]


def row(table: str, target: str) -> list[str]:
    line = next(ln for ln in table.splitlines() if f"| {target} |" in ln)
    return [c.strip() for c in line.strip("|").split("|")]


def test_summary_rows_and_ratios() -> None:
    table = summary_table(results())
    assert table.splitlines()[0].count("|") == table.splitlines()[1].count("|")
    sr = row(table, "siprouter")
    assert sr[2] == "3000 requests/s"
    assert sr[3] == "0.40 / 1.50 @ 1500"
    assert sr[4] == "0.120"
    assert sr[5] == "60.0 → 66.0"
    assert sr[6] == "40.0 → 44.0"
    assert sr[7] == "rate 0.25x, CPU 4.0x, RSS 3.0x"
    ka = row(table, "kamailio")
    assert ka[2] == "12000 (≥, search cut: max steps) requests/s"
    assert ka[4] == "0.030" and ka[7] == "1 (reference)"
    base = row(table, "sipp")
    assert base[4] == "–" and base[5] == "–" and base[7] == "load generator alone"


def test_a_target_without_steps() -> None:
    sr, ka, base = results()
    ka.steps, ka.measure, ka.max_rate, ka.stopped = [], None, 0, "budget"
    table = summary_table([sr, ka, base])
    assert row(table, "kamailio")[2] == "not measured (budget) requests/s"
    assert row(table, "siprouter")[7] == "rate –x, CPU –x, RSS 3.0x"
    assert not any(n.startswith("options/kamailio") for n in generator_notes([sr, ka, base]))


def test_a_failed_50pct_step_is_flagged() -> None:
    sr, ka, base = results()
    assert sr.measure is not None
    sr.measure.passed, sr.measure.successful = False, 7460
    assert row(summary_table([sr, ka, base]), "siprouter")[3] == (
        "0.40 / 1.50 @ 1500 (step failed: 40 calls)"
    )


def test_missing_reference_and_errors() -> None:
    sr, _ka, _base = results()
    broken = TargetResult("options", "requests/s", "kamailio", error="did not start")
    table = summary_table([sr, broken])
    assert row(table, "siprouter")[7] == "rate –x, CPU –x, RSS –x"
    assert row(table, "kamailio")[2].startswith("error: did not start")
    assert row(summary_table([sr]), "siprouter")[7] == "– (no kamailio result)"


def test_generator_notes_say_which_side_limits() -> None:
    notes = generator_notes(results())
    ka = next(n for n in notes if n.startswith("options/kamailio"))
    assert "12000 is 92% of SIPp to SIPp (13000)" in ka
    assert "about 0.60 cores" in ka  # 3.0 CPU seconds in the 5 s step at 12000
    assert ka.endswith("limit: load generator (92% of SIPp's rate against itself).")
    sr = next(n for n in notes if n.startswith("options/siprouter"))
    assert "3000 is 23% of SIPp to SIPp" in sr
    assert "cores" not in sr  # no passing step at its max rate: nothing to tell
    assert sr.endswith("limit: server (at 4000/s its sockets dropped 4 datagrams).")
    assert not any(n.startswith("options/sipp") for n in notes)


def test_limit_verdicts_from_drops() -> None:
    sr, ka, base = results()
    fail = sr.steps[1]  # 4000/s, failed
    fail.server_drops, fail.other_drops = 0, 250
    assert limit_verdict(sr, base) == (
        "load generator",
        "at 4000/s the server dropped nothing, other sockets (SIPp's) 250 datagrams",
    )
    fail.server_drops, fail.other_drops = 0, 0
    who, why = limit_verdict(sr, base)
    assert who == "unclear" and why.startswith("at 4000/s no receive buffer overflowed: 12/5000")
    assert limit_verdict(ka, None) == ("unclear", "no failed step")


def test_markdown_lists_every_step() -> None:
    text = markdown(results(), ["# title"])
    assert text.startswith("# title\n")
    assert "| options | siprouter | 4000 | FAIL: 12/5000 calls ok" in text
    assert "| options | siprouter | 1500 | (50% step) pass |" in text
    steps = text.split("## Steps")[1]
    assert steps.count("| options | sipp |") == 1
    # UDP drops of the server's sockets / of the other sockets; none known without a server
    assert "| 9.00 | 90.00 | 0 | 4 / 1 | 0.100 |" in steps
    assert "| 0.30 | 1.00 | 0 | – / 0 | – |" in steps


def test_plot_written_or_skipped(tmp_path: Path) -> None:
    out = tmp_path / "plot.png"
    message = plot(results(), out)
    if importlib.util.find_spec("matplotlib") is None:
        assert message.startswith("plot skipped")
        assert not out.exists()
    else:
        assert message == f"plot: {out}"
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    out = tmp_path / "plot.png"
    assert plot(results(), out).startswith("plot skipped: matplotlib is not installed")
    assert not out.exists()
