"""Where siprouter's time goes per message: cProfile over a SIPp run.

    .venv/bin/python -m bench.sipp.hotpath                       # OPTIONS, 1000/s, 10 s
    .venv/bin/python -m bench.sipp.hotpath --scenario proxy --rate 300 --children 1

Starts siprouter through profiled_server.py (cProfile around each worker's serving loop,
start-up excluded), offers one SIPp step at a fixed rate, stops the server and merges the
workers' profiles. Prints the time per received message by area of the code (self time of
the functions in sip/, engine/, the compiled route blocks, runtime/, modules/, pv/, socket
calls, other built-ins, the standard library), and the functions with the most self time.
The idle wait (`epoll.poll`) is left out. cProfile's own cost per function call inflates
every figure (typically 1.5-2.5x), so the shares matter more than the absolute numbers;
the unprofiled CPU time per message of the same step is printed alongside.
"""

from __future__ import annotations

import argparse
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from .loadgen import run_step
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


def breakdown(
    stats: pstats.Stats, messages: int, cfg_path: str
) -> tuple[list[tuple[str, float]], list[tuple[str, float, int]]]:
    """Per-area and per-function self time in µs per message (idle wait left out)."""
    areas: dict[str, float] = defaultdict(float)
    funcs: list[tuple[str, float, int]] = []
    for key, (_cc, ncalls, tottime, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if key in IDLE:
            continue
        filename, line, name = key
        us = tottime / messages * 1e6
        areas[area_of(filename, name, cfg_path)] += us
        short = filename.replace(SRC, "") if filename != "~" else ""
        funcs.append((f"{short}:{line} {name}" if short else name, us, ncalls))
    funcs.sort(key=lambda f: -f[1])
    return sorted(areas.items(), key=lambda a: -a[1]), funcs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.sipp.hotpath", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default="options")
    p.add_argument("--rate", type=int, default=1000, help="calls per second (%(default)s)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the step")
    p.add_argument("--children", type=int, default=2, help="-n of siprouter (%(default)s)")
    p.add_argument("--top", type=int, default=25, help="functions listed")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sc = SCENARIOS[args.scenario]
    with tempfile.TemporaryDirectory(prefix="sipp-hotpath-") as tmp:
        work = Path(tmp)
        cfg = work / "siprouter.cfg"
        cfg.write_text(sc.cfg)
        port = free_udp_port()
        cmd = [
            sys.executable, str(Path(__file__).with_name("profiled_server.py")), str(work),
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
                    print((work / "server.err").read_text()[-2000:], file=sys.stderr)
                    return 1
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
        files = sorted(str(f) for f in work.glob("prof-*.out"))
        if not files or not step.server_msgs:
            print(f"no profile or no messages ({step.reason})", file=sys.stderr)
            return 1
        stats = pstats.Stats(*files)
        areas, funcs = breakdown(stats, step.server_msgs, str(cfg))

    total = sum(us for _, us in areas)
    verdict = "pass" if step.passed else f"FAIL ({step.reason})"
    print(
        f"siprouter -n {args.children}, {sc.name} at {args.rate}/s for {args.seconds:g} s: "
        f"{verdict}; {step.server_msgs} messages received; {len(files)} profiled process(es)"
    )
    cpu = step.cpu_per_1000
    if cpu is not None:
        print(f"CPU of the server tree (profiler included): {cpu * 1000:.0f} µs per message")
    print(f"profiled self time: {total:.1f} µs per message\n")
    print("| area | µs / msg | share |\n|---|---:|---:|")
    for label, us in areas:
        print(f"| {label} | {us:.1f} | {us / total:.0%} |")
    print("\n| function (self time) | µs / msg | calls / msg |\n|---|---:|---:|")
    for name, us, ncalls in funcs[: args.top]:
        print(f"| `{name}` | {us:.2f} | {ncalls / step.server_msgs:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
