"""Where siprouter's time goes per message: a profile of its workers under SIPp load.

    .venv/bin/python -m bench.sipp.hotpath                       # OPTIONS, 1000/s, 10 s
    .venv/bin/python -m bench.sipp.hotpath --scenario proxy --rate 300
    .venv/bin/python -m bench.sipp.hotpath --mode cpu            # cProfile, call counts

Starts siprouter (same command line as the benchmark) through profiled_server.py, which
profiles each worker's serving loop (start-up excluded), offers one SIPp step at a fixed
rate, stops the server and merges the workers' profiles. Prints the CPU time per received
message by area of the code (sip/, engine/, the route blocks compiled from the cfg,
runtime/, modules/, pv/, the standard library) and the functions with the most of it.

`--mode sample` (default) is a statistical profiler on the processes' CPU clock: cheap, so
the server's CPU per message stays near the benchmark's, and the area shares are spread
over that measured CPU time; a C call (sendto, a regex, a bytes method) counts for the
Python function that made it. `--mode cpu`/`wall` use cProfile (exact calls per message,
C calls listed apart) whose cost per call inflates the figures several times over; the
shares are the useful part there.
"""

from __future__ import annotations

import argparse
import json
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from .loadgen import StepResult, run_step
from .scenarios import SCENARIOS
from .servers import ROOT, START_TIMEOUT, STOP_TIMEOUT, free_udp_port, udp_port_bound

SRC = str(ROOT / "src" / "siprouter") + "/"
IDLE = {("~", 0, "<method 'poll' of 'select.epoll' objects>")}
AREAS = (
    ("sip/", "SIP core: parse, headers, reply, lumps (sip/)"),
    ("engine/", "routing engine helpers (engine/)"),
    ("runtime/", "runtime: loop, pipeline, hand-off, send (runtime/)"),
    ("modules/", "modules (modules/)"),
    ("pv/", "pseudo-variables (pv/)"),
    ("cfg/", "cfg front end (cfg/)"),
)

Key = tuple[str, int, str]
Rows = list[tuple[str, float, float | None]]  # name, µs per message, calls per message


def area_of(filename: str, funcname: str, cfg_path: str) -> str:
    """The area of the code a profiled function belongs to."""
    if filename == cfg_path:
        return "route blocks compiled from the cfg"
    if filename.startswith(SRC):
        rest = filename[len(SRC) :]
        for prefix, label in AREAS:
            if rest.startswith(prefix):
                return label
        return "siprouter (other)"
    if filename == "~":
        if "_socket.socket" in funcname:
            return "socket calls (sendto, recvfrom_into)"
        return "built-ins (bytes/str/dict methods, ...)"
    return "Python standard library"


def func_name(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    short = filename.replace(SRC, "")
    if short.startswith("/"):  # the cfg or the standard library: the file name suffices
        short = Path(short).name
    return f"{short}:{line} {name}"


def areas_of(per_key_us: Iterable[tuple[Key, float]], cfg_path: str) -> list[tuple[str, float]]:
    """µs per message added up by area, largest first."""
    areas: dict[str, float] = defaultdict(float)
    for (filename, _line, name), us in per_key_us:
        areas[area_of(filename, name, cfg_path)] += us
    return sorted(areas.items(), key=lambda a: -a[1])


def from_cprofile(stats: pstats.Stats, messages: int) -> tuple[dict[Key, float], Rows]:
    """Self time in µs per message by function (idle wait left out), and the rows to list."""
    per_key: dict[Key, float] = {}
    rows: Rows = []
    for key, (_cc, ncalls, tottime, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if key in IDLE:
            continue
        us = tottime / messages * 1e6
        per_key[key] = us
        rows.append((func_name(key), us, ncalls / messages))
    rows.sort(key=lambda r: -r[1])
    return per_key, rows


def from_samples(
    dumps: Sequence[dict[str, object]], cpu_us_per_msg: float
) -> tuple[dict[Key, float], Rows, Rows]:
    """Self and inclusive shares of the samples, spread over the measured CPU per message."""
    self_counts: Counter[Key] = Counter()
    inclusive: Counter[Key] = Counter()
    for d in dumps:
        for f, line, name, n in d["self"]:  # type: ignore[attr-defined]
            self_counts[(f, line, name)] += n
        for f, line, name, n in d["inclusive"]:  # type: ignore[attr-defined]
            inclusive[(f, line, name)] += n
    total = sum(self_counts.values()) or 1
    per_key = {k: n / total * cpu_us_per_msg for k, n in self_counts.items()}
    self_rows: Rows = sorted(
        ((func_name(k), us, None) for k, us in per_key.items()), key=lambda r: -r[1]
    )
    # the frames every sample has (main, serve, the loop) say nothing: keep those below them
    incl_rows: Rows = sorted(
        (
            (func_name(k), n / total * cpu_us_per_msg, None)
            for k, n in inclusive.items()
            if n < 0.995 * total
        ),
        key=lambda r: -r[1],
    )
    return per_key, self_rows, incl_rows


def profile_run(args: argparse.Namespace, work: Path) -> tuple[StepResult, list[Path], Path]:
    """Start the profiled server, run the step, stop it; the step and the profile files."""
    sc = SCENARIOS[args.scenario]
    cfg = work / "siprouter.cfg"
    cfg.write_text(sc.cfg)
    port = free_udp_port()
    cmd = [
        sys.executable, str(Path(__file__).with_name("profiled_server.py")), str(work), args.mode,
        "-DD", "-E", "-n", str(args.children), "-l", f"udp:127.0.0.1:{port}", "-f", str(cfg),
    ]  # fmt: skip
    with open(work / "server.err", "wb") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, cwd=work,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not udp_port_bound(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((work / "server.err").read_text()[-2000:])
            time.sleep(0.05)
        time.sleep(0.5)
        step = run_step(sc, "siprouter", port, proc.pid, args.rate, args.seconds, work / "step")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
    return step, sorted(work.glob("prof-*.*")), cfg


def table(title: str, rows: Rows, top: int, with_calls: bool) -> list[str]:
    head = f"| {title} | µs / msg |" + (" calls / msg |" if with_calls else "")
    lines = [head, "|---|---:|" + ("---:|" if with_calls else "")]
    for name, us, calls in rows[:top]:
        extra = f" {calls:.1f} |" if with_calls and calls is not None else ""
        lines.append(f"| `{name}` | {us:.2f} |{extra}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.sipp.hotpath", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="options")
    p.add_argument("--rate", type=int, default=1000, help="calls per second (%(default)s)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the step")
    p.add_argument("--children", type=int, default=2, help="-n of siprouter (%(default)s)")
    p.add_argument("--mode", choices=("sample", "cpu", "wall"), default="sample")
    p.add_argument("--top", type=int, default=20, help="functions listed")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sipp-hotpath-") as tmp:
        try:
            step, files, cfg = profile_run(args, Path(tmp))
        except RuntimeError as exc:
            print(f"siprouter did not start: {exc}", file=sys.stderr)
            return 1
        cpu = step.cpu_per_1000
        if not files or not step.server_msgs or cpu is None:
            print(f"no profile or no messages ({step.reason})", file=sys.stderr)
            return 1
        cpu_us = cpu * 1000
        incl: Rows = []
        if args.mode == "sample":
            dumps = [json.loads(f.read_text()) for f in files]
            per_key, rows, incl = from_samples(dumps, cpu_us)
            samples = sum(int(d["samples"]) for d in dumps)
        else:
            per_key, rows = from_cprofile(pstats.Stats(*map(str, files)), step.server_msgs)
            samples = 0
        areas = areas_of(per_key.items(), str(cfg))

    total = sum(us for _, us in areas)
    verdict = "pass" if step.passed else f"FAIL ({step.reason})"
    out = [
        f"siprouter -n {args.children}, {args.scenario} at {args.rate}/s for {args.seconds:g} s: "
        f"{verdict}; {step.server_msgs} messages received; {len(files)} worker profile(s), "
        f"mode {args.mode}" + (f", {samples} samples" if samples else ""),
        f"CPU of the server tree during the step: {cpu_us:.0f} µs per message"
        + (" (profiler included)" if args.mode != "sample" else ""),
        f"profiled: {total:.0f} µs per message",
        "",
        "| area (self time) | µs / msg | share |",
        "|---|---:|---:|",
        *[f"| {label} | {us:.1f} | {us / total:.0%} |" for label, us in areas],
        "",
        *table("function (self time)", rows, args.top, args.mode != "sample"),
    ]
    if incl:
        out += ["", *table("function (inclusive time)", incl, args.top, False)]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
