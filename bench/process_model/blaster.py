"""Load generator of the process-model experiments: one UDP socket on 127.0.0.1 (one
peer address, as one SIPp instance or one upstream SBC), OPTIONS requests.

Modes:
- ``window``: closed loop, ``--window`` requests in flight, each with its own Call-ID;
  a reply frees a slot (the highest rate the server sustains, and latency under it);
- ``rate``: open loop at ``--rate`` requests/s (latency at a moderate load);
- ``trains``: like ``window`` but each unit is ``--train`` requests of ONE Call-ID sent
  back to back (CSeq 1..K, the "180 then 200" shape), for the ordering test.
A request not answered within 0.5 s counts as lost and frees its slot.
Prints one JSON line. Loopback only; bounded by ``--duration`` (+ warm-up).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sipwork import make_request

LOST_AFTER_NS = 500_000_000


def _key(data: bytes) -> tuple[int, int]:
    """(call number, cseq) from a reply: Call-ID is '<n>-pm@...', CSeq '<k> OPTIONS'."""
    i = data.find(b"\r\nCall-ID: ") + 11
    cid = int(data[i : data.find(b"-", i)])
    j = data.find(b"\r\nCSeq: ") + 8
    return cid, int(data[j : data.find(b" ", j)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=15060)
    ap.add_argument("--mode", choices=("window", "rate", "trains"), default="window")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--train", type=int, default=2)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--sources", type=int, default=1, help="source sockets (ports), round robin")
    args = ap.parse_args()

    target = ("127.0.0.1", args.port)
    socks = []
    for _ in range(args.sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        # kernel-side receive timeout: Python keeps the fast blocking path, a timeout
        # surfaces as BlockingIOError
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 2000))
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    if args.sources > 1:
        for s in socks:
            s.setblocking(False)
    ports = [s.getsockname()[1] for s in socks]
    clock = time.perf_counter_ns
    train = args.train if args.mode == "trains" else 1
    sent: dict[tuple[int, int], int] = {}
    pending: dict[int, int] = {}  # call -> replies still expected (trains)
    order_bad = 0
    last_seq: dict[int, int] = {}
    lat: list[int] = []
    stats = {"sent": 0, "answered": 0, "lost": 0}
    measuring = False
    next_call = 0
    total_replies = 0

    def send_unit() -> None:
        nonlocal next_call
        cid = next_call
        next_call += 1
        si = cid % len(socks)
        s = socks[si]
        for k in range(1, train + 1):
            req = make_request("127.0.0.1", args.port, ports[si], cid, k)
            sent[(cid, k)] = clock()
            s.sendto(req, target)
        pending[cid] = train
        if measuring:
            stats["sent"] += train

    def on_reply(data: bytes, now: int) -> bool:
        nonlocal order_bad
        key = _key(data)
        t = sent.pop(key, None)
        if t is None:
            return False
        nonlocal total_replies
        total_replies += 1
        cid, k = key
        if measuring:
            stats["answered"] += 1
            lat.append(now - t)
        if train > 1:
            if last_seq.get(cid, 0) > k and measuring:
                order_bad += 1
            last_seq[cid] = k
        left = pending[cid] - 1
        if left:
            pending[cid] = left
            return False
        del pending[cid]
        last_seq.pop(cid, None)
        return True

    def expire(now: int) -> int:
        old = [key for key, t in sent.items() if now - t > LOST_AFTER_NS]
        freed = 0
        for key in old:
            del sent[key]
            if measuring:
                stats["lost"] += 1
            cid = key[0]
            left = pending.get(cid, 0) - 1
            if left > 0:
                pending[cid] = left
            elif cid in pending:
                del pending[cid]
                freed += 1
        return freed

    start = clock()
    warm_end = start + int(args.warmup * 1e9)
    end = warm_end + int(args.duration * 1e9)
    units = max(1, args.window // train)
    next_expire = start + 100_000_000
    t_measure = warm_end
    if args.mode == "rate":
        interval = 1e9 / args.rate
        n_due = 0
        while True:
            now = clock()
            if now >= end:
                break
            if not measuring and now >= warm_end:
                measuring, t_measure = True, now
            due = int((now - start) / interval)
            while n_due < due:
                send_unit()
                n_due += 1
            for s in socks:
                try:
                    while True:
                        data = s.recv(65535)
                        on_reply(data, clock())
                except BlockingIOError:
                    pass
            if now > next_expire:
                expire(now)
                next_expire = now + 100_000_000
    else:
        for _ in range(units):
            send_unit()
        recv = socks[0].recv
        while True:
            now = clock()
            if now >= end:
                break
            if not measuring and now >= warm_end:
                measuring, t_measure = True, now
            got = False
            for s in socks:
                try:
                    data = s.recv(65535) if len(socks) > 1 else recv(65535)
                except BlockingIOError:
                    continue
                got = True
                if on_reply(data, clock()):
                    send_unit()
            if not got and len(socks) > 1:
                time.sleep(0.0001)
            if now > next_expire:
                for _ in range(expire(now)):
                    send_unit()
                next_expire = now + 100_000_000
    elapsed = (clock() - t_measure) / 1e9
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000 if lat else 0.0

    ru = resource.getrusage(resource.RUSAGE_SELF)
    out: dict[str, object] = dict(stats)
    out.update(
        elapsed=elapsed,
        rate=stats["answered"] / elapsed if elapsed > 0 else 0.0,
        p50_us=pct(0.50),
        p99_us=pct(0.99),
        reply_order_bad=order_bad,
        cpu_us_per_msg=(ru.ru_utime + ru.ru_stime) / max(1, total_replies) * 1e6,
        ports=ports,
    )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
