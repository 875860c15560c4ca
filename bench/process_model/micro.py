"""Single-process micro-costs behind the process-model numbers (µs per operation):
the per-message work, finding the Call-ID owner, one hand-off over an AF_UNIX datagram
socketpair, one loopback UDP send+receive, one uncontended shared-memory lock.

Run: .venv/bin/python bench/process_model/micro.py   (a few seconds; no network but lo)
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sipwork import callid_of, make_handler, make_request, owner_of


def best_us(fn: object, number: int = 20000, repeat: int = 5) -> float:
    """Best of ``repeat`` runs, µs per call (the least disturbed by other load)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    req = make_request("127.0.0.1", 5060, 40000, 12345, 1)
    addr = ("127.0.0.1", 40000)
    rows: list[tuple[str, float]] = []
    fast = make_handler("fast", 0)
    rows.append(
        ("work 'fast' (first line, Call-ID, 400-byte reply)", best_us(lambda: fast(req, addr)))
    )
    try:
        sr = make_handler("siprouter", 0)
        rows.append(
            ("work 'siprouter' (parse_message + build_reply)", best_us(lambda: sr(req, addr), 5000))
        )
    except Exception as exc:  # the parser is being written by others
        rows.append((f"work 'siprouter' unavailable: {exc}", float("nan")))
    rows.append(
        (
            "owner = crc32(Call-ID) % N (find Call-ID + hash)",
            best_us(lambda: owner_of(callid_of(req), 4)),
        )
    )

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    packed = socket.inet_aton(addr[0]) + addr[1].to_bytes(2, "big")

    def handoff() -> None:
        a.send(packed + req)
        d = b.recv(65535)
        d[6:], (socket.inet_ntoa(d[:4]), int.from_bytes(d[4:6], "big"))

    rows.append(("hand-off: pack + AF_UNIX send + recv + unpack", best_us(handoff)))

    u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind(("127.0.0.1", 0))
    u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u2.bind(("127.0.0.1", 0))
    dst = u2.getsockname()

    def udp_pair() -> None:
        u1.sendto(req, dst)
        u2.recvfrom(65535)

    rows.append(("UDP loopback sendto + recvfrom (400 bytes)", best_us(udp_pair)))
    lock = multiprocessing.Lock()

    def lk() -> None:
        lock.acquire()
        lock.release()

    rows.append(("multiprocessing.Lock acquire + release (uncontended)", best_us(lk)))
    print("| operation | µs |\n|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.2f} |")
    for s in (a, b, u1, u2):
        s.close()


if __name__ == "__main__":
    main()
