"""The benchmark run: for each scenario, siprouter, Kamailio and the SIPp-to-SIPp baseline,
step by step in turn, each searching its highest rate with no failed call; then one longer
step per target at 50% of that rate for the response times and CPU per message; memory
before and after the load. Writes bench/results/sipp-<time>.md, .json and .png.

    .venv/bin/python -m bench.sipp                      # everything, about 8 minutes
    .venv/bin/python -m bench.sipp --scenarios options --targets siprouter,kamailio
    .venv/bin/python -m bench.sipp --step 3 --measure 5 --budget 300   # a quicker look

`--budget` (seconds, default 780) is shared out between the scenarios: a search step starts
only when even a slowly failing step leaves time for the 50% steps, else the search stops
and its row says so; with server start-up and shutdown (bounded too) the whole run stays
under 15 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import proctree
from .loadgen import StepResult, run_step, step_bound
from .plot import plot
from .report import TargetResult, markdown
from .scenarios import BASELINE, SCENARIOS, SERVERS, Scenario
from .search import RateSearch
from .servers import ROOT, Server, kamailio_cmd, start

RESULTS = ROOT / "bench" / "results"
SETTLE = 1.0  # seconds between a server's start (or its last step) and reading its memory


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def _git_head() -> str:
    return _version(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"])


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _progress(msg: str) -> None:
    print(msg, flush=True)


def _memory(server: Server | None) -> tuple[int | None, int | None]:
    if server is None or not server.alive():
        return None, None
    return proctree.rss_bytes(server.pid), proctree.pss_bytes(server.pid)


class Budget:
    """The run's deadline, shared out between the scenarios still to run."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def share(self, scenarios_left: int) -> float:
        """The deadline (monotonic) of the next scenario, with `scenarios_left` to run."""
        return time.monotonic() + max(0.0, self.remaining()) / max(1, scenarios_left)


def run_scenario(
    sc: Scenario, targets: Sequence[str], args: argparse.Namespace, deadline: float, work: Path
) -> list[TargetResult]:
    """All targets of one scenario, interleaved step by step."""
    results = {t: TargetResult(sc.name, sc.unit, t) for t in targets}
    servers: dict[str, Server] = {}
    try:
        for t in targets:
            if t == BASELINE:
                continue
            try:
                servers[t] = start(t, sc.cfg, work, args.children, args.server_arg)
            except RuntimeError as exc:
                lines = [ln for ln in str(exc).splitlines() if ln.strip()]
                results[t].error = (lines[0][:120] + " ... " + lines[-1][:200]) if lines else "?"
                _progress(f"  {t}: {exc}")
        time.sleep(SETTLE)
        for t, srv in servers.items():
            results[t].rss_idle, results[t].pss_idle = _memory(srv)

        searches = {
            t: RateSearch(
                start=sc.start_rate,
                precision=args.precision,
                max_steps=args.max_steps,
                ceiling=args.ceiling,
            )
            for t in targets
            if not results[t].error
        }
        # a step starts only if even a step that fails slowly leaves time for the 50% steps
        reserve = len(searches) * step_bound(args.measure) + 10
        step_no = 0
        while any(not s.done for s in searches.values()):
            for t, search in searches.items():
                if search.done:
                    continue
                if time.monotonic() + step_bound(args.step) > deadline - reserve:
                    search.stop("budget")
                    continue
                rate = search.next_rate()
                if rate is None:
                    continue
                srv = servers.get(t)
                step_no += 1
                st = run_step(
                    sc, t, srv.port if srv else None, srv.pid if srv else None, rate,
                    args.step, work / f"step{step_no:03d}-{t}",
                )  # fmt: skip
                search.record(rate, st.passed)
                results[t].steps.append(st)
                _report_step(st)
                if srv is not None and not srv.alive():
                    search.stop("server died")
                    results[t].error = f"server died: {srv.log_tail(300)}"
        for t, search in searches.items():
            results[t].max_rate, results[t].stopped = search.best, search.stopped

        for t in searches:
            res, srv = results[t], servers.get(t)
            if not res.max_rate or (srv is not None and not srv.alive()):
                continue
            rate = max(1, res.max_rate // 2)
            step_no += 1
            res.measure = run_step(
                sc, t, srv.port if srv else None, srv.pid if srv else None, rate,
                args.measure, work / f"step{step_no:03d}-{t}-50pct",
            )  # fmt: skip
            _report_step(res.measure, "50% ")
        time.sleep(SETTLE)
        for t, srv in servers.items():
            results[t].rss_after, results[t].pss_after = _memory(srv)
    finally:
        for srv in servers.values():
            srv.stop()
    return [results[t] for t in targets]


def _report_step(st: StepResult, prefix: str = "") -> None:
    cpu = st.cpu_per_1000
    cpu_text = f", CPU {cpu:.3f} s/1000 msgs" if cpu is not None else ""
    if st.server_drops or st.other_drops:
        cpu_text += f", UDP drops: {st.server_drops or 0} server / {st.other_drops} other"
    verdict = "pass" if st.passed else f"FAIL ({st.reason})"
    _progress(
        f"  {prefix}{st.scenario:8} {st.target:9} {st.rate:6}/s: {verdict}; sent at "
        f"{st.offered:.0f}/s, p50 {st.p50_ms:.2f} ms, p99 {st.p99_ms:.2f} ms{cpu_text}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.sipp", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma list (%(default)s)")
    p.add_argument("--targets", default=",".join([*SERVERS, BASELINE]), help="%(default)s")
    p.add_argument("--children", type=int, default=2, help="-n of both servers (%(default)s)")
    p.add_argument(
        "--server-arg", action="append", default=[], metavar="ARG",
        help="an extra option for both servers, repeatable (--server-arg=-b --server-arg=4194304)",
    )  # fmt: skip
    p.add_argument("--step", type=float, default=5.0, help="seconds per search step")
    p.add_argument("--measure", type=float, default=10.0, help="seconds of the 50%% step")
    p.add_argument("--budget", type=float, default=780.0, help="seconds for the scenarios")
    p.add_argument("--precision", type=float, default=0.1, help="relative search precision")
    p.add_argument("--max-steps", type=int, default=10, help="search steps per target")
    p.add_argument("--ceiling", type=int, default=40000, help="highest rate tried")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument("--keep", action="store_true", help="keep SIPp logs and server output")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = [s for s in args.scenarios.split(",") if s]
    targets = [t for t in args.targets.split(",") if t]
    unknown = [n for n in names if n not in SCENARIOS] + [
        t for t in targets if t not in (*SERVERS, BASELINE)
    ]
    if unknown:
        print(f"unknown scenario or target: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if shutil.which("sipp") is None:
        print("sipp is not installed (Debian package sip-tester)", file=sys.stderr)
        return 2
    if "kamailio" in targets and kamailio_cmd() is None:
        print("kamailio not installed: running without it", file=sys.stderr)
        targets.remove("kamailio")

    budget = Budget(args.budget)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    header = [
        f"# SIPp benchmark {stamp}",
        "",
        f"- siprouter: `{_git_head()}`; {_version([*(kamailio_cmd() or ['true']), '-v'])}; "
        f"{_version(['sipp', '-v'])}; Python {platform.python_version()}",
        f"- {os.cpu_count()} CPUs, load average at start {_loadavg()}; both servers with "
        f"`-n {args.children}{''.join(' ' + a for a in args.server_arg)}`, UDP on 127.0.0.1; "
        f"search steps of {args.step:g} s, "
        f"50% step of {args.measure:g} s",
        "- the machine is shared with other work while this runs: rates and response times "
        "move between runs, CPU seconds per message is the steadier figure",
    ]
    all_results: list[TargetResult] = []
    with tempfile.TemporaryDirectory(prefix="sipp-bench-") as tmp:
        for i, name in enumerate(names):
            deadline = budget.share(len(names) - i)
            _progress(f"{name}: {SCENARIOS[name].title} ({deadline - time.monotonic():.0f} s)")
            work = Path(tmp) / name
            work.mkdir()
            all_results += run_scenario(SCENARIOS[name], targets, args, deadline, work)
        if args.keep:
            kept = args.out / f"sipp-{stamp}-logs"
            shutil.copytree(tmp, kept)
            _progress(f"logs kept in {kept}")
    header.append(f"- load average at the end {_loadavg()}")

    text = markdown(all_results, header)
    md = args.out / f"sipp-{stamp}.md"
    md.write_text(text)
    (args.out / f"sipp-{stamp}.json").write_text(json.dumps(_json(all_results), indent=1))
    print()
    print(text)
    print(f"report: {md}")
    print(plot(all_results, args.out / f"sipp-{stamp}.png"))
    return 0


def _json(results: Sequence[TargetResult]) -> list[dict[str, object]]:
    out = []
    for r in results:
        out.append(
            {
                "scenario": r.scenario,
                "target": r.target,
                "max_rate": r.max_rate,
                "stopped": r.stopped,
                "error": r.error,
                "rss_idle": r.rss_idle,
                "rss_after": r.rss_after,
                "pss_idle": r.pss_idle,
                "pss_after": r.pss_after,
                "steps": [s.summary() for s in r.steps],
                "measure": r.measure.summary() if r.measure else None,
            }
        )
    return out
