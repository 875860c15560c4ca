#!/usr/bin/env python3
"""Cost of the shared-state operations (timeit; not a test, no assertions on time).

Measured in one process, the way a worker meets them (the shared space in /dev/shm,
the counter array already created):

- counter increment: `array.row[slot] += 1` (what stats/core.py and stats/sl.py do), and
  `CounterArray.add(slot)`, and whole calls: `stats.core.request_received("INVITE")`,
  `stats.core.message_received(reply)` for a parsed 180 (CSeq read from the message);
- counter read: `CounterArray.get(slot)` summing the 257 process rows, and
  `$stat`-style `registry().find(name).value()`;
- `stats.inc(name)`: an increment by name (one dictionary look-up more);
- SharedMap (SQLite WAL in tmpfs): get of an existing key, set of an int, atomic incr;
- contended: the same SharedMap.incr and counter increments from N forked processes at
  once (N = 2 by default, this machine has 2 cores), total operations per second.

Prints a Markdown table (µs per operation). Results of a run are in docs/shared-state.md.

    .venv/bin/python bench/shared_bench.py [--repeat 5] [--procs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from siprouter import stats  # noqa: E402
from siprouter.shared import space as space_mod  # noqa: E402
from siprouter.shared.kv import SharedMap  # noqa: E402
from siprouter.sip.message import parse_message  # noqa: E402
from siprouter.stats import core  # noqa: E402


def best_us(fn: Callable[[], object], number: int, repeat: int) -> float:
    """The best of `repeat` runs, in µs per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def contended(procs: int, seconds: float, body: Callable[[], None]) -> float:
    """Operations per second of `body` run in `procs` forked processes at once."""
    space_mod.before_fork()
    r, w = os.pipe()
    pids = []
    start_at = time.monotonic() + 0.2
    for rank in range(1, procs + 1):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                stats.registry().counters.array.set_rank(rank)
                while time.monotonic() < start_at:
                    pass
                n = 0
                end = start_at + seconds
                while time.monotonic() < end:
                    for _ in range(100):
                        body()
                    n += 100
                os.write(w, f"{n}\n".encode())
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    os.close(w)
    with os.fdopen(r) as f:
        total = sum(int(line) for line in f if line.strip())
    return total / seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()

    reg = stats.setup()
    st = reg.declare("script", "bench")
    arr = st.array
    row, slot = arr.row, st.slot
    reply = parse_message(
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
        b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    m = SharedMap("bench")
    m.set("k", 1)

    def inc_inline() -> None:
        row[slot] += 1

    rows: list[tuple[str, float]] = [
        ("counter increment, `array.row[slot] += 1`", best_us(inc_inline, 200_000, args.repeat)),
        (
            "counter increment, `CounterArray.add(slot)`",
            best_us(lambda: arr.add(slot), 200_000, args.repeat),
        ),
        (
            '`stats.core.request_received("INVITE")` (2 increments)',
            best_us(lambda: core.request_received("INVITE"), 200_000, args.repeat),
        ),
        (
            "`stats.core.message_received(reply)` (a 180 to INVITE: 4 increments)",
            best_us(lambda: core.message_received(reply), 100_000, args.repeat),
        ),
        (
            '`stats.inc("bench")` (by name)',
            best_us(lambda: stats.inc("bench"), 100_000, args.repeat),
        ),
        (
            f"counter read, sum of {arr.rows} rows",
            best_us(lambda: arr.get(slot), 20_000, args.repeat),
        ),
        (
            "`registry().find(name).value()` ($stat)",
            best_us(lambda: reg.find("bench").value(), 20_000, args.repeat),
        ),  # type: ignore[union-attr]
        ("SharedMap.get (SQLite WAL, tmpfs)", best_us(lambda: m.get("k"), 5_000, args.repeat)),
        ("SharedMap.set (int)", best_us(lambda: m.set("k", 2), 2_000, args.repeat)),
        ("SharedMap.incr (atomic)", best_us(lambda: m.incr("n"), 2_000, args.repeat)),
    ]
    print("| operation | µs |")
    print("|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.3f} |")

    before = st.value()
    ops = contended(args.procs, args.seconds, lambda: st.add(1))
    counted = st.value() - before
    print(
        f"| counter increments, {args.procs} processes at once | {1e6 / ops * args.procs:.3f} per process ({ops:,.0f}/s in total; {counted:,} counted) |"
    )
    n_before = m.get("c") or 0
    ops = contended(args.procs, args.seconds, lambda: m.incr("c"))
    got = int(m.get("c") or 0) - int(n_before)
    print(
        f"| SharedMap.incr, {args.procs} processes at once | {1e6 / ops * args.procs:.1f} per process ({ops:,.0f}/s in total; {got:,} counted) |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
