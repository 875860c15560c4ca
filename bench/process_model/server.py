"""The server side of the process-model experiments: one candidate design, N workers.

Run by ``run.py`` (or by hand): binds 127.0.0.1:PORT, forks the processes of the chosen
model, prints one ``READY`` JSON line when every worker is in its loop, and on SIGTERM
stops them and prints one ``STATS`` JSON line (per-process CPU from ``wait4``, counts).

Models (see docs/process-model.md):
  a  shared UDP socket, every worker receives on it (fork after bind)
  b  SO_REUSEPORT, one socket per worker
  c  shared socket + hand-off to the Call-ID owner over AF_UNIX datagram socketpairs
  d  one receiver process dispatching by Call-ID hash to workers over AF_UNIX
  e  shared socket + per-Call-ID lock array in shared memory (route_locks_size style)
  f  SO_REUSEPORT socket per worker (the kernel picks the receiver by peer address) +
     hand-off to the Call-ID owner: one receiver per peer keeps that peer's order
Loops: ``blocking`` (plain recvfrom / epoll), ``asyncio``, ``uvloop``.

Every process sets PR_SET_PDEATHSIG and an alarm, so nothing outlives a failed run.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sipwork import callid_of, make_handler, owner_of

Handler = Callable[[bytes, tuple[str, int]], None]
BATCH = 16  # datagrams drained per readiness event


class Stop(Exception):
    """Raised by the SIGTERM handler of a blocking worker."""


def _die_with_parent(seconds: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    signal.alarm(seconds)


def _udp_socket(port: int, reuseport: bool = False) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    s.bind(("127.0.0.1", port))
    return s


def _pack_addr(addr: tuple[str, int]) -> bytes:
    return socket.inet_aton(addr[0]) + addr[1].to_bytes(2, "big")


def _unpack(d: bytes) -> tuple[bytes, tuple[str, int]]:
    return d[6:], (socket.inet_ntoa(d[:4]), int.from_bytes(d[4:6], "big"))


class Counts:
    """Per-worker counters reported at exit."""

    def __init__(self) -> None:
        self.handled = 0
        self.handed_off = 0
        self.handoff_drops = 0
        self.send_drops = 0
        self.events: list[tuple[bytes, int, int]] = []


# ---- loops ---------------------------------------------------------------------------


def run_blocking(inputs: list[tuple[socket.socket, Handler, bool]]) -> None:
    """``inputs``: (socket, on_datagram, shared). One input: a plain blocking loop.
    Several: epoll, the shared socket registered EPOLLEXCLUSIVE (one waiter woken)."""

    def on_term(_s: int, _f: Any) -> None:
        raise Stop

    signal.signal(signal.SIGTERM, on_term)
    try:
        if len(inputs) == 1:
            sock, cb, _ = inputs[0]
            recv = sock.recvfrom
            while True:
                data, addr = recv(65535)
                cb(data, addr)
        ep = select.epoll()
        by_fd = {}
        for sock, cb, shared in inputs:
            sock.setblocking(False)
            flags = select.EPOLLIN | (select.EPOLLEXCLUSIVE if shared else 0)
            ep.register(sock.fileno(), flags)
            by_fd[sock.fileno()] = (sock.recvfrom, cb)
        while True:
            for fd, _ev in ep.poll():
                recv, cb = by_fd[fd]
                for _ in range(BATCH):
                    try:
                        data, addr = recv(65535)
                    except BlockingIOError:
                        break
                    cb(data, addr)
    except Stop:
        return


def run_async(inputs: list[tuple[socket.socket, Handler, bool]], use_uvloop: bool) -> None:
    """asyncio (optionally uvloop): UDP sockets as DatagramProtocol endpoints, AF_UNIX
    inboxes through add_reader."""
    import asyncio

    if use_uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    class Proto(asyncio.DatagramProtocol):
        def __init__(self, cb: Handler) -> None:
            self.cb = cb

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.cb(data, addr)

    for sock, cb, _shared in inputs:
        sock.setblocking(False)
        if sock.family == socket.AF_INET:
            loop.run_until_complete(
                loop.create_datagram_endpoint(lambda cb=cb: Proto(cb), sock=sock)
            )
        else:

            def ready(sock: socket.socket = sock, cb: Handler = cb) -> None:
                recv = sock.recvfrom
                for _ in range(BATCH):
                    try:
                        data, addr = recv(65535)
                    except BlockingIOError:
                        return
                    cb(data, addr)

            loop.add_reader(sock.fileno(), ready)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.run_forever()


# ---- models --------------------------------------------------------------------------


def _process(
    handle: Callable[[bytes, tuple[str, int]], bytes],
    out: socket.socket,
    counts: Counts,
    log_order: bool,
) -> Callable[[bytes, tuple[str, int]], None]:
    """The owner's step: work + reply on ``out``; optionally the ordering log."""
    sendto = out.sendto
    if not log_order:

        def process(data: bytes, addr: tuple[str, int]) -> None:
            counts.handled += 1
            try:
                sendto(handle(data, addr), addr)
            except BlockingIOError:
                counts.send_drops += 1

        return process
    clock = time.monotonic_ns
    events = counts.events

    def process_logged(data: bytes, addr: tuple[str, int]) -> None:
        t0 = clock()
        counts.handled += 1
        reply = handle(data, addr)
        t1 = clock()
        events.append((data, t0, t1))
        try:
            sendto(reply, addr)
        except BlockingIOError:
            counts.send_drops += 1

    return process_logged


def worker_main(
    idx: int,
    args: argparse.Namespace,
    socks: dict[str, Any],
    ready_w: int,
) -> None:
    counts = Counts()
    handle = make_handler(args.work, args.spin_us)
    n = args.workers
    model = args.model
    udp: socket.socket = socks["udp"][idx] if model in ("b", "f") else socks["udp"][0]
    inputs: list[tuple[socket.socket, Handler, bool]] = []
    process = _process(handle, udp, counts, bool(args.order_log))
    if model in ("a", "b"):
        inputs.append((udp, process, model == "a"))
    elif model in ("c", "f"):
        inbox: socket.socket = socks["inbox"][idx]
        outs: list[socket.socket] = socks["outbox"]
        for o in outs:
            o.setblocking(False)

        def on_udp(data: bytes, addr: tuple[str, int]) -> None:
            owner = owner_of(callid_of(data), n)
            if owner == idx:
                process(data, addr)
                return
            counts.handed_off += 1
            try:
                outs[owner].send(_pack_addr(addr) + data)
            except BlockingIOError:
                counts.handoff_drops += 1

        def on_inbox(d: bytes, _a: Any) -> None:
            data, addr = _unpack(d)
            process(data, addr)

        inputs.append((inbox, on_inbox, False))
        inputs.append((udp, on_udp, model == "c"))
    elif model == "d":
        inbox = socks["inbox"][idx]

        def on_inbox_d(d: bytes, _a: Any) -> None:
            data, addr = _unpack(d)
            process(data, addr)

        inputs.append((inbox, on_inbox_d, False))
    elif model == "e":
        locks = socks["locks"]
        nlocks = len(locks)

        def on_udp_locked(data: bytes, addr: tuple[str, int]) -> None:
            lock = locks[owner_of(callid_of(data), nlocks)]
            lock.acquire()
            try:
                process(data, addr)
            finally:
                lock.release()

        inputs.append((udp, on_udp_locked, True))
    os.write(ready_w, b"R\n")
    if args.loop == "blocking":
        run_blocking(inputs)
    else:
        run_async(inputs, args.loop == "uvloop")
    _report(idx, counts, ready_w, args.order_log)


def receiver_main(args: argparse.Namespace, socks: dict[str, Any], ready_w: int) -> None:
    """Model d: the one process that receives and dispatches by Call-ID owner."""
    counts = Counts()
    n = args.workers
    outs: list[socket.socket] = socks["outbox"]
    for o in outs:
        o.setblocking(False)
    udp = socks["udp"][0]

    def dispatch(data: bytes, addr: tuple[str, int]) -> None:
        counts.handed_off += 1
        try:
            outs[owner_of(callid_of(data), n)].send(_pack_addr(addr) + data)
        except BlockingIOError:
            counts.handoff_drops += 1

    os.write(ready_w, b"R\n")
    if args.loop == "blocking":
        run_blocking([(udp, dispatch, False)])
    else:
        run_async([(udp, dispatch, False)], args.loop == "uvloop")
    _report(-1, counts, ready_w, None)


def _report(idx: int, counts: Counts, fd: int, order_dir: str | None) -> None:
    if order_dir:
        from sipwork import cseq_of

        with open(os.path.join(order_dir, f"w{idx}.txt"), "w") as f:
            for data, t0, t1 in counts.events:
                f.write(f"{callid_of(data).decode()} {cseq_of(data)} {t0} {t1} {idx}\n")
    rec = {
        "idx": idx,
        "handled": counts.handled,
        "handed_off": counts.handed_off,
        "handoff_drops": counts.handoff_drops,
        "send_drops": counts.send_drops,
    }
    os.write(fd, (json.dumps(rec) + "\n").encode())


def _unix_pair() -> tuple[socket.socket, socket.socket]:
    # A connected pair: its queue is bounded by the sender's SO_SNDBUF only, not by
    # net.unix.max_dgram_qlen (which applies when the receiver is not the sender's peer).
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2 * 1024 * 1024)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * 1024 * 1024)
    return a, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices="abcdef", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--loop", choices=("blocking", "asyncio", "uvloop"), default="blocking")
    ap.add_argument("--port", type=int, default=15060)
    ap.add_argument("--work", choices=("fast", "siprouter"), default="fast")
    ap.add_argument("--spin-us", type=float, default=0.0)
    ap.add_argument("--locks", type=int, default=256, help="model e lock array size")
    ap.add_argument("--order-log", default="", help="directory for per-worker event logs")
    ap.add_argument("--max-seconds", type=int, default=120)
    args = ap.parse_args()
    _die_with_parent(args.max_seconds)

    n = args.workers
    socks: dict[str, Any] = {}
    if args.model in ("b", "f"):
        socks["udp"] = [_udp_socket(args.port, reuseport=True) for _ in range(n)]
    else:
        socks["udp"] = [_udp_socket(args.port)]
    if args.model in ("c", "d", "f"):
        pairs = [_unix_pair() for _ in range(n)]
        socks["inbox"] = [p[0] for p in pairs]
        socks["outbox"] = [p[1] for p in pairs]
    if args.model == "e":
        import multiprocessing

        socks["locks"] = [multiprocessing.Lock() for _ in range(args.locks)]

    ready_r, ready_w = os.pipe()
    pids: list[int] = []
    roles = list(range(n)) + ([-1] if args.model == "d" else [])
    for idx in roles:
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            try:
                _die_with_parent(args.max_seconds)
                if idx < 0:
                    receiver_main(args, socks, ready_w)
                else:
                    worker_main(idx, args, socks, ready_w)
            finally:
                os._exit(0)
        pids.append(pid)
    os.close(ready_w)
    rf = os.fdopen(ready_r, "r")
    for _ in roles:
        rf.readline()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    print("READY " + json.dumps({"pids": pids}), flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    procs = []
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for idx, pid in zip(roles, pids, strict=True):
        _, status, ru = os.wait4(pid, 0)
        procs.append({"idx": idx, "cpu": ru.ru_utime + ru.ru_stime, "status": status})
    recs = [json.loads(line) for line in rf.read().splitlines() if line.startswith("{")]
    by_idx = {r["idx"]: r for r in recs}
    for p in procs:
        p.update(by_idx.get(p["idx"], {}))
    print("STATS " + json.dumps({"procs": procs}), flush=True)


if __name__ == "__main__":
    main()
