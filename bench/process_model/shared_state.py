"""Cost of one shared-counter increment seen from N worker processes, for the candidate
homes of shared tables ($shv, statistics, htable, usrloc), and whether the total is exact.

Backends:
  shm-lock     multiprocessing.Value (shared memory) incremented under its lock
  shm-nolock   the same without the lock (shows lost updates: why a lock is needed)
  shm-slots    one slot per process in a shared array, no lock; readers sum the slots
               (single writer per slot: exact, the shape for statistics counters)
  sqlite-wal   UPDATE ... SET v = v + 1 in autocommit, journal_mode=WAL, synchronous=NORMAL
  state-rt     a request to one state process over AF_UNIX datagrams, waiting for the
               answer (read-your-writes: the new value comes back)
  state-1way   the same without waiting (fire and forget; exact once the queue drains)
Each of N processes does --ops increments; the table gives µs per increment (wall time of
a process / ops, median over processes) and the final value vs the expected N x ops.

Run: .venv/bin/python bench/process_model/shared_state.py [--workers 2,4] [--ops 20000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import sqlite3
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from typing import Any

CTX = mp.get_context("fork")


def _run_workers(n: int, body: Callable[[int, Any], None]) -> list[float]:
    """Fork n processes running body(i, queue); each puts its wall seconds in the queue."""
    q: Any = CTX.Queue()
    start = CTX.Event()
    procs = [CTX.Process(target=_timed, args=(i, body, q, start)) for i in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.2)
    start.set()
    out = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.kill()
    return out


def _timed(i: int, body: Callable[[int, Any], None], q: Any, start: Any) -> None:
    start.wait(10)
    t = time.perf_counter()
    body(i, q)
    q.put(time.perf_counter() - t)


def bench_shm(n: int, ops: int, locked: bool) -> tuple[list[float], int]:
    v = CTX.Value("q", 0, lock=True)

    def body(_i: int, _q: Any) -> None:
        if locked:
            lock = v.get_lock()
            for _ in range(ops):
                with lock:
                    v.value += 1
        else:
            raw = v.get_obj()
            for _ in range(ops):
                raw.value += 1

    times = _run_workers(n, body)
    return times, v.value


def bench_slots(n: int, ops: int) -> tuple[list[float], int]:
    arr = CTX.Array("q", n, lock=False)

    def body(i: int, _q: Any) -> None:
        for _ in range(ops):
            arr[i] += 1

    times = _run_workers(n, body)
    return times, sum(arr)


def bench_sqlite(n: int, ops: int, sync: str) -> tuple[list[float], int]:
    d = tempfile.mkdtemp(prefix="pm_sqlite_")
    path = os.path.join(d, "state.db")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE c (k TEXT PRIMARY KEY, v INTEGER)")
    con.execute("INSERT INTO c VALUES ('x', 0)")
    con.commit()
    con.close()

    def body(_i: int, _q: Any) -> None:
        c = sqlite3.connect(path, isolation_level=None, timeout=30)
        c.execute(f"PRAGMA synchronous={sync}")
        for _ in range(ops):
            c.execute("UPDATE c SET v = v + 1 WHERE k = 'x'")
        c.close()

    times = _run_workers(n, body)
    con = sqlite3.connect(path)
    total = con.execute("SELECT v FROM c WHERE k='x'").fetchone()[0]
    con.close()
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)
    return times, total


def _state_server(sock: socket.socket, stop_after: int, out: Any) -> None:
    """The state process: a dict of counters; b'I'+name increments and answers the
    new value when the request came from a named (bound) client socket."""
    table: dict[bytes, int] = {}
    seen = 0
    sock.settimeout(30)
    while seen < stop_after:
        data, addr = sock.recvfrom(512)
        seen += 1
        name = data[1:]
        v = table.get(name, 0) + 1
        table[name] = v
        if data[:1] == b"R":
            sock.sendto(struct.pack("q", v), addr)
    out.put(table.get(b"x", 0))


def bench_state(n: int, ops: int, roundtrip: bool) -> tuple[list[float], int]:
    d = tempfile.mkdtemp(prefix="pm_state_")
    spath = os.path.join(d, "state.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    srv.bind(spath)
    out: Any = CTX.Queue()
    sp = CTX.Process(target=_state_server, args=(srv, n * ops, out))
    sp.start()

    def body(i: int, _q: Any) -> None:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        c.bind(os.path.join(d, f"c{i}.sock"))
        c.connect(spath)
        if roundtrip:
            for _ in range(ops):
                c.send(b"Rx")
                c.recv(16)
        else:
            for _ in range(ops):
                c.send(b"Ix")  # blocks when the state process lags: back-pressure, no loss
        c.close()

    times = _run_workers(n, body)
    total = out.get(timeout=120)
    sp.join(10)
    if sp.is_alive():
        sp.kill()
    srv.close()
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)
    return times, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", default="2,4")
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--sqlite-ops", type=int, default=2000)
    args = ap.parse_args()
    print("| backend | N | µs per increment (median process) | total ops/s | final / expected |")
    print("|---|---|---|---|---|", flush=True)
    for n in [int(x) for x in args.workers.split(",")]:
        cases: list[tuple[str, int, Callable[..., tuple[list[float], int]]]] = [
            ("shm-lock", args.ops, lambda n=n: bench_shm(n, args.ops, True)),
            ("shm-nolock", args.ops * 50, lambda n=n: bench_shm(n, args.ops * 50, False)),
            ("shm-slots", args.ops * 50, lambda n=n: bench_slots(n, args.ops * 50)),
            (
                "sqlite-wal sync=NORMAL",
                args.sqlite_ops,
                lambda n=n: bench_sqlite(n, args.sqlite_ops, "NORMAL"),
            ),
            (
                "sqlite-wal sync=OFF",
                args.sqlite_ops,
                lambda n=n: bench_sqlite(n, args.sqlite_ops, "OFF"),
            ),
            ("state-rt (round trip)", args.ops, lambda n=n: bench_state(n, args.ops, True)),
            ("state-1way (no answer)", args.ops, lambda n=n: bench_state(n, args.ops, False)),
        ]
        for name, ops, fn in cases:
            times, total = fn()
            per = statistics.median(times) / ops * 1e6
            rate = n * ops / max(times)
            print(
                f"| {name} | {n} | {per:.2f} | {rate:,.0f} | {total:,} / {n * ops:,} |", flush=True
            )


if __name__ == "__main__":
    main()
