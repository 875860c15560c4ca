"""The Markdown report of a benchmark run: the summary table with the ratios
siprouter/Kamailio, the note on the load generator's limit, and the list of steps.

Pure functions over `TargetResult`s, so the table can be tested without running anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .loadgen import StepResult

MIB = 1024 * 1024
NEAR_GENERATOR = 0.8  # a server at >= 80% of the SIPp-to-SIPp rate is likely SIPp-bound


@dataclass
class TargetResult:
    """One target (siprouter, kamailio or the sipp baseline) in one scenario."""

    scenario: str
    unit: str
    target: str
    max_rate: int = 0
    stopped: str = ""  # why the search ended
    steps: list[StepResult] = field(default_factory=list)
    measure: StepResult | None = None  # the step at 50% of max_rate
    rss_idle: int | None = None  # bytes
    rss_after: int | None = None
    pss_idle: int | None = None
    pss_after: int | None = None
    error: str = ""

    @property
    def cpu_per_1000(self) -> float | None:
        return self.measure.cpu_per_1000 if self.measure else None


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


def _mib(before: int | None, after: int | None) -> str:
    if before is None or after is None:
        return "–"
    return f"{before / MIB:.1f} → {after / MIB:.1f}"


def ms_pair(step: StepResult | None) -> str:
    """'p50 / p99' in milliseconds with the rate they were measured at."""
    if step is None:
        return "–"
    text = f"{_num(step.p50_ms, '{:.2f}')} / {_num(step.p99_ms, '{:.2f}')} @ {step.rate}"
    return text if step.passed else text + f" (step failed: {step.calls - step.successful} calls)"


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def ratio_text(mine: TargetResult, ref: TargetResult | None) -> str:
    """The siprouter/kamailio ratios of one row (max rate, CPU per message, RSS after load)."""
    if mine.target == "kamailio":
        return "1 (reference)"
    if mine.target == "sipp":
        return "load generator alone"
    if ref is None:
        return "– (no kamailio result)"
    parts = []
    r = ratio(mine.max_rate or None, ref.max_rate or None)
    parts.append(f"rate {_num(r, '{:.2f}')}x")
    r = ratio(mine.cpu_per_1000, ref.cpu_per_1000)
    parts.append(f"CPU {_num(r, '{:.1f}')}x")
    r = ratio(mine.rss_after, ref.rss_after)
    parts.append(f"RSS {_num(r, '{:.1f}')}x")
    return ", ".join(parts)


def max_rate_text(res: TargetResult) -> str:
    if res.error:
        return f"error: {res.error}"
    if not res.steps:
        return f"not measured ({res.stopped or 'no step ran'})"
    text = f"{res.max_rate}"
    if res.stopped in ("budget", "max steps"):
        text += f" (≥, search cut: {res.stopped})"
    elif res.stopped == "ceiling":
        text += " (≥, ceiling)"
    return text


def summary_table(results: Sequence[TargetResult]) -> str:
    """The Markdown summary table, one row per scenario and target."""
    lines = [
        "| scenario | server | max rate, no failed call | p50 / p99 ms at 50% (rate) "
        "| CPU s / 1000 msgs | RSS MiB idle → after | PSS MiB idle → after "
        "| siprouter / kamailio |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    refs = {r.scenario: r for r in results if r.target == "kamailio"}
    for res in results:
        lines.append(
            "| "
            + " | ".join(
                [
                    res.scenario,
                    res.target,
                    f"{max_rate_text(res)} {res.unit}",
                    ms_pair(res.measure),
                    _num(res.cpu_per_1000, "{:.3f}"),
                    _mib(res.rss_idle, res.rss_after),
                    _mib(res.pss_idle, res.pss_after),
                    ratio_text(res, refs.get(res.scenario)),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def cores_at_max(res: TargetResult) -> float | None:
    """About how many cores the server's tree used in the passing step at its max rate."""
    step = next((s for s in res.steps if s.passed and s.rate == res.max_rate), None)
    if step is None or step.server_cpu_s is None or step.duration <= 0:
        return None
    return step.server_cpu_s / step.duration


def first_failure(res: TargetResult) -> StepResult | None:
    """The failed step at the lowest rate above the max rate (where the search hit the limit)."""
    fails = [s for s in res.steps if not s.passed and s.rate > res.max_rate]
    return min(fails, key=lambda s: s.rate) if fails else None


def limit_verdict(res: TargetResult, baseline: TargetResult | None) -> tuple[str, str]:
    """(who limits: "server", "load generator" or "unclear", why) for one server's result.

    The drop counters of the first failed step decide first: datagrams dropped by the
    server's own sockets mean the server fell behind; none there but drops in other sockets
    mean SIPp did. Without drops, a max rate near SIPp's rate against itself points at SIPp."""
    fail = first_failure(res)
    share = res.max_rate / baseline.max_rate if baseline and baseline.max_rate else None
    if fail is not None and fail.server_drops:
        return "server", f"at {fail.rate}/s its sockets dropped {fail.server_drops} datagrams"
    if fail is not None and fail.server_drops == 0 and fail.other_drops:
        return "load generator", (
            f"at {fail.rate}/s the server dropped nothing, other sockets (SIPp's) "
            f"{fail.other_drops} datagrams"
        )
    if share is not None and share >= NEAR_GENERATOR:
        return "load generator", f"{share:.0%} of SIPp's rate against itself"
    if fail is not None:
        return "unclear", f"at {fail.rate}/s no receive buffer overflowed: {fail.reason}"
    return "unclear", "no failed step"


def generator_notes(results: Sequence[TargetResult]) -> list[str]:
    """One sentence per scenario and server on what limited its rate."""
    notes = []
    base = {r.scenario: r for r in results if r.target == "sipp"}
    for res in results:
        if res.target == "sipp" or res.error or not res.steps:
            continue
        b = base.get(res.scenario)
        who, why = limit_verdict(res, b)
        parts = [f"{res.scenario}/{res.target}: {res.max_rate}"]
        if b is not None and b.max_rate:
            parts.append(f" is {res.max_rate / b.max_rate:.0%} of SIPp to SIPp ({b.max_rate})")
        cores = cores_at_max(res)
        if cores is not None:
            parts.append(f"; the server used about {cores:.2f} cores there")
        parts.append(f"; limit: {who} ({why}).")
        notes.append("".join(parts))
    return notes


def steps_table(results: Sequence[TargetResult]) -> str:
    """Every step of every search and measurement, in the order they ran per target."""
    lines = [
        "| scenario | server | rate | verdict | sent at | p50 ms | p99 ms | retrans "
        "| UDP drops: server / other | CPU s / 1000 msgs |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        steps = [*res.steps, *([res.measure] if res.measure else [])]
        for st in steps:
            verdict = "pass" if st.passed else f"FAIL: {st.reason}"
            if st is res.measure:
                verdict = "(50% step) " + verdict
            lines.append(
                f"| {res.scenario} | {res.target} | {st.rate} | {verdict} | {st.offered:.0f} "
                f"| {_num(st.p50_ms)} | {_num(st.p99_ms)} | {st.retransmissions} "
                f"| {'–' if st.server_drops is None else st.server_drops} / {st.other_drops} "
                f"| {_num(st.cpu_per_1000, '{:.3f}')} |"
            )
    return "\n".join(lines)


def markdown(results: Sequence[TargetResult], header: Sequence[str]) -> str:
    """The whole report: header lines, the summary, the generator notes, the steps."""
    parts = [*header, "", summary_table(results), ""]
    notes = generator_notes(results)
    if notes:
        parts += ["What limited each rate:", "", *[f"- {n}" for n in notes], ""]
    parts += ["## Steps", "", steps_table(results), ""]
    return "\n".join(parts)
