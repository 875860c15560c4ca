"""Runs the process-model experiments and prints the tables of docs/process-model.md.

Suites (``--suite``, repeatable; default all):
  throughput  closed loop (window 64), one source address: answered/s, p50/p99,
              server CPU per message; every model x loop x worker count
  latency     open loop at --rate req/s: p50/p99 at a moderate load
  ordering    trains of --train requests of one Call-ID sent back to back; the
              workers log (Call-ID, CSeq, start, end): trains processed out of CSeq
              order, trains whose messages overlapped in time (processed concurrently)
  spread      model b (SO_REUSEPORT) with 1 and with 4 source ports: messages per worker
Each run is bounded (server alarm, subprocess timeouts), loopback only; a server that
misbehaves is killed by process id. Results also go to --json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
PORT = 15060


def _readline(proc: subprocess.Popen[bytes], prefix: str, timeout: float) -> dict[str, Any]:
    """Wait (bounded) for the server's ``prefix {json}`` line."""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            for line in buf.decode().splitlines():
                if line.startswith(prefix + " "):
                    return json.loads(line[len(prefix) + 1 :])
    raise RuntimeError(f"server gave no {prefix} line: {buf!r}")


def run_one(
    model: str,
    workers: int,
    loop: str,
    blaster_args: list[str],
    work: str = "fast",
    spin_us: float = 0.0,
    order_dir: str = "",
    duration: float = 3.0,
) -> dict[str, Any]:
    """One server + one blaster run; returns blaster and server stats."""
    cmd = [PY, os.path.join(HERE, "server.py"), "--model", model, "--workers", str(workers)]
    cmd += ["--loop", loop, "--port", str(PORT), "--work", work, "--spin-us", str(spin_us)]
    cmd += ["--max-seconds", str(int(duration + 30))]
    if order_dir:
        cmd += ["--order-log", order_dir]
    srv = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        _readline(srv, "READY", 15)
        b = subprocess.run(
            [
                PY,
                os.path.join(HERE, "blaster.py"),
                "--port",
                str(PORT),
                "--duration",
                str(duration),
                *blaster_args,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=True,
        )
        gen = json.loads(b.stdout.strip().splitlines()[-1])
        srv.send_signal(signal.SIGTERM)
        stats = _readline(srv, "STATS", 30)
        srv.wait(10)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    procs = stats["procs"]
    handled = sum(p.get("handled", 0) for p in procs)
    cpu = sum(p["cpu"] for p in procs)
    return {
        "model": model,
        "workers": workers,
        "loop": loop,
        "work": work,
        "spin_us": spin_us,
        "gen": gen,
        "procs": procs,
        "handled": handled,
        "cpu_us_per_msg": cpu / handled * 1e6 if handled else 0.0,
        "handoffs": sum(p.get("handed_off", 0) for p in procs),
        "drops": sum(p.get("handoff_drops", 0) + p.get("send_drops", 0) for p in procs),
    }


def analyse_order(order_dir: str) -> dict[str, Any]:
    """Trains out of CSeq order / with overlapping processing, from the worker logs."""
    by_call: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for name in os.listdir(order_dir):
        with open(os.path.join(order_dir, name)) as f:
            for line in f:
                cid, seq, t0, t1, w = line.split()
                by_call[cid].append((int(t0), int(t1), int(seq), int(w)))
    trains = out_of_order = overlap = split = 0
    for evs in by_call.values():
        if len(evs) < 2:
            continue
        trains += 1
        evs.sort()
        seqs = [e[2] for e in evs]
        if seqs != sorted(seqs):
            out_of_order += 1
        if any(evs[i + 1][0] < evs[i][1] for i in range(len(evs) - 1)):
            overlap += 1
        if len({e[3] for e in evs}) > 1:
            split += 1
    return {"trains": trains, "out_of_order": out_of_order, "overlap": overlap, "split": split}


def _fmt_row(r: dict[str, Any]) -> str:
    g = r["gen"]
    lost = g["lost"] / g["sent"] * 100 if g["sent"] else 0.0
    return (
        f"| {r['model']} | {r['workers']} | {r['loop']} | {g['rate']:,.0f} | "
        f"{r['cpu_us_per_msg']:.1f} | {g['p50_us']:,.0f} | {g['p99_us']:,.0f} | "
        f"{lost:.2f} | {r['handoffs'] / max(1, r['handled']) * 100:.0f}% | {g['cpu_us_per_msg']:.1f} |"
    )


HEAD = (
    "| model | N | loop | answered/s | server CPU us/msg | p50 us | p99 us | lost % | handed off | generator CPU us/msg |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--suite", action="append", choices=("throughput", "latency", "ordering", "spread")
    )
    ap.add_argument("--models", default="abcdef")
    ap.add_argument("--workers", default="2,4")
    ap.add_argument("--loops", default="blocking,asyncio,uvloop")
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per config; the median rate is kept"
    )
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--train", type=int, default=2)
    ap.add_argument("--spin-us", default="0,50", help="extra per-message work for ordering")
    ap.add_argument("--work", choices=("fast", "siprouter"), default="fast")
    ap.add_argument("--json", default="", help="write all results here")
    args = ap.parse_args()
    suites = args.suite or ["throughput", "latency", "ordering", "spread"]
    ns = [int(x) for x in args.workers.split(",")]
    loops = args.loops.split(",")
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)

    if "throughput" in suites:
        print(
            f"\n### Throughput (closed loop, window {args.window}, one source address, work={args.work})\n"
        )
        print(HEAD, flush=True)
        for n in ns:
            for model in args.models:
                for loop in loops:
                    runs = [
                        run_one(
                            model,
                            n,
                            loop,
                            ["--window", str(args.window)],
                            args.work,
                            duration=args.duration,
                        )
                        for _ in range(args.repeat)
                    ]
                    runs.sort(key=lambda r: r["gen"]["rate"])
                    r = runs[len(runs) // 2]
                    r["rates"] = [x["gen"]["rate"] for x in runs]
                    results["throughput"].append(r)
                    print(_fmt_row(r), flush=True)

    if "latency" in suites:
        print(f"\n### Latency at {args.rate:.0f} req/s (open loop)\n")
        print(HEAD, flush=True)
        for n in ns:
            for model in args.models:
                for loop in loops:
                    r = run_one(
                        model,
                        n,
                        loop,
                        ["--mode", "rate", "--rate", str(args.rate)],
                        args.work,
                        duration=args.duration,
                    )
                    results["latency"].append(r)
                    print(_fmt_row(r), flush=True)

    if "ordering" in suites:
        print(f"\n### Ordering: trains of {args.train} requests of one Call-ID, back to back\n")
        print(
            "| model | N | loop | spin us | trains | split over workers | out of CSeq order | processed concurrently | replies reordered |"
        )
        print("|---|---|---|---|---|---|---|---|---|", flush=True)
        for spin in [float(x) for x in args.spin_us.split(",")]:
            for n in ns:
                for model in args.models:
                    loop = loops[0]
                    d = tempfile.mkdtemp(prefix="pm_order_")
                    try:
                        r = run_one(
                            model,
                            n,
                            loop,
                            [
                                "--mode",
                                "trains",
                                "--train",
                                str(args.train),
                                "--window",
                                str(args.window),
                            ],
                            args.work,
                            spin,
                            d,
                            duration=args.duration,
                        )
                        r["order"] = o = analyse_order(d)
                    finally:
                        shutil.rmtree(d, ignore_errors=True)
                    results["ordering"].append(r)
                    t = max(1, o["trains"])
                    print(
                        f"| {model} | {n} | {loop} | {spin:g} | {o['trains']:,} | {o['split'] / t * 100:.1f}% | "
                        f"{o['out_of_order']} ({o['out_of_order'] / t * 100:.2f}%) | "
                        f"{o['overlap']} ({o['overlap'] / t * 100:.2f}%) | {r['gen']['reply_order_bad']} |",
                        flush=True,
                    )

    if "spread" in suites:
        print("\n### Spread with SO_REUSEPORT sockets: messages processed per worker\n")
        print(
            "| model | N | source ports | per worker | answered/s |\n|---|---|---|---|---|",
            flush=True,
        )
        for model, n, sources in itertools.product("bf", ns, (1, 4)):
            r = run_one(
                model,
                n,
                loops[0],
                ["--window", str(args.window), "--sources", str(sources)],
                args.work,
                duration=args.duration,
            )
            results["spread"].append(r)
            per = [p.get("handled", 0) for p in sorted(r["procs"], key=lambda p: p["idx"])]
            print(f"| {model} | {n} | {sources} | {per} | {r['gen']['rate']:,.0f} |", flush=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
