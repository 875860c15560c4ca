"""runtime/udp.UdpLoop hands over every datagram, in order, whether they come alone (one
read per readiness) or in bursts (drained), and returns on a stop signal."""

from __future__ import annotations

import os
import signal
import socket
import threading

from siprouter.runtime.state import LocalSocket
from siprouter.runtime.udp import UdpLoop, bind_udp


def test_lone_datagrams_and_bursts_all_arrive_in_order() -> None:
    sock = bind_udp("127.0.0.1", 0)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        peer.bind(("127.0.0.1", 0))
        dest = sock.getsockname()
        ls = LocalSocket("udp", "127.0.0.1", dest[1], 4, sock)
        got: list[bytes] = []
        # what each datagram triggers: the next lone one, or a burst of three
        plan = {b"a": [b"b"], b"b": [b"c"], b"c": [b"d", b"e", b"f"], b"f": [b"g"]}

        def handler(data: bytes, src: tuple[str, int], where: LocalSocket) -> None:
            assert where is ls and src == peer.getsockname()
            got.append(data)
            for nxt in plan.get(data, []):
                peer.sendto(nxt, dest)
            if data == b"g":
                os.kill(os.getpid(), signal.SIGTERM)

        # a guard, not a timing: a loop that lost a datagram would wait forever
        guard = threading.Timer(20, os.kill, (os.getpid(), signal.SIGTERM))
        guard.start()
        peer.sendto(b"a", dest)
        try:
            assert UdpLoop([ls], handler).run() == signal.SIGTERM
        finally:
            guard.cancel()
        assert got == [b"a", b"b", b"c", b"d", b"e", b"f", b"g"]
    finally:
        sock.close()
        peer.close()
