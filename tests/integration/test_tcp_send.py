"""Requests sent over TCP by the server to a next hop (corex send_tcp through
state.send("tcp")), compared with Kamailio 5.6.3: UDP in, TCP out; one connection to
the next hop reused by every worker; a request the next hop sends back on that
connection is routed and answered on it."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

HAS_KAMAILIO = shutil.which("kamailio") is not None
WAIT = 8.0


class NextHop:
    """A TCP listener on 127.0.0.1 that accepts and records what each connection sends
    (a thread; every wait on it is bounded)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        self.data: list[bytearray] = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                c.settimeout(0.05)
                with self.lock:
                    self.conns.append(c)
                    self.data.append(bytearray())
            except TimeoutError:
                pass
            with self.lock:
                pairs = list(zip(self.conns, self.data, strict=True))
            for c, buf in pairs:
                try:
                    chunk = c.recv(65536)
                except (TimeoutError, OSError):
                    continue
                with self.lock:
                    buf += chunk

    def wait(self, cond: Any) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if cond(self):
                    return True
            time.sleep(0.02)
        return False

    def messages(self) -> int:
        return sum(bytes(b).count(b"OPTIONS sip:") for b in self.data)

    def close(self) -> None:
        self.stop = True
        self.thread.join(WAIT)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def next_hop() -> Iterator[NextHop]:
    nh = NextHop()
    yield nh
    nh.close()


CFG = """\
#!KAMAILIO
debug=2
children=2
listen=127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    if (proto == UDP) {
        send_tcp("127.0.0.1:@NH@");
        exit;
    }
    sl_send_reply("200", "back $pr $si");
}
"""


def options(callid: str, via: str = "UDP 127.0.0.1:5999") -> bytes:
    return (
        f"OPTIONS sip:nh@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{via};branch=z9hG4bK{callid}\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f\r\nTo: <sip:nh@127.0.0.1>\r\nCall-ID: {callid}\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def exercise(port: int, nh: NextHop) -> tuple[int, int, str]:
    """(connections the next hop got, messages on them, the reply to its request)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for i in range(12):
            udp.sendto(options(f"udp-call-{i}"), ("127.0.0.1", port))
    assert nh.wait(lambda n: n.messages() >= 12), f"next hop got {nh.messages()}"
    conn = nh.conns[0]
    conn.sendall(options("from-next-hop", via="TCP 127.0.0.1:5070"))
    got = nh.wait(lambda n: b"SIP/2.0 200" in n.data[0])
    reply = bytes(nh.data[0]).split(b"SIP/2.0 200", 1)[1] if got else b""
    first = reply.split(b"\r\n", 1)[0].decode()
    return len(nh.conns), nh.messages(), first


def test_send_tcp_reuses_one_connection(servers: Any, next_hop: NextHop) -> None:
    srv = servers.siprouter(CFG.replace("@NH@", str(next_hop.port)))
    conns, msgs, reply = exercise(srv.port, next_hop)
    assert (conns, msgs) == (1, 12)
    assert reply == " back tcp 127.0.0.1"
    # every Call-ID arrived once, as received (send_tcp adds no Via)
    text = bytes(next_hop.data[0]).decode()
    assert sorted(re.findall(r"Call-ID: (udp-call-\d+)", text)) == sorted(
        f"udp-call-{i}" for i in range(12)
    )


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_send_tcp_matches_kamailio(servers: Any) -> None:
    results = []
    for start in (servers.siprouter, servers.kamailio):
        nh = NextHop()
        try:
            srv = start(CFG.replace("@NH@", str(nh.port)))
            results.append(exercise(srv.port, nh))
        finally:
            nh.close()
    ours, theirs = results
    assert ours[1:] == theirs[1:]  # every request arrived; the reply came on the connection
    # Kamailio's workers may race to connect and open a second connection now and then
    # (seen in about one run in three); siprouter's outbound owner opens exactly one
    assert ours[0] == 1 and theirs[0] in (1, 2)


ALIAS_CFG = """\
#!KAMAILIO
debug=2
children=2
listen=127.0.0.1:@PORT@
tcp_accept_aliases=yes
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    if (proto == UDP) {
        send_tcp("127.0.0.1:@ALIAS@");
        exit;
    }
    sl_send_reply("200", "aliased");
}
"""


def alias_run(start: Any, free_port: Any) -> tuple[bool, int]:
    """A TCP client announces ;alias with port A in its Via; requests the server then
    sends to 127.0.0.1:A (where nothing listens) must come on that connection.
    (replied, requests received on the client's connection)."""
    alias = free_port()
    srv = start(ALIAS_CFG.replace("@ALIAS@", str(alias)))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT) as c:
        c.sendall(options("alias-reg", via=f"TCP 127.0.0.1:{alias};alias"))
        buf = b""
        deadline = time.monotonic() + WAIT
        while b"200 aliased" not in buf and time.monotonic() < deadline:
            buf += c.recv(65536)
        replied = b"200 aliased" in buf
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(6):
                udp.sendto(options(f"to-alias-{i}"), ("127.0.0.1", srv.port))
        got = b""
        c.settimeout(0.2)
        while got.count(b"OPTIONS sip:") < 6 and time.monotonic() < deadline + WAIT:
            try:
                got += c.recv(65536)
            except TimeoutError:
                continue
    return replied, got.count(b"OPTIONS sip:")


def test_tcp_accept_aliases_routes_requests_on_the_connection(servers: Any, free_port: Any) -> None:
    assert alias_run(servers.siprouter, free_port) == (True, 6)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_tcp_accept_aliases_matches_kamailio(servers: Any, free_port: Any) -> None:
    assert alias_run(servers.kamailio, free_port) == alias_run(servers.siprouter, free_port)
