"""The TCP engine of one process (runtime/tcp_engine) over real loopback sockets, driven
by a test-owned epoll: accept, framing to delivery, replies on the same connection,
outbound connect and reuse, set_*_close / no_connect, limits, PROXY, aliases, slow
peers, and the timers with an injected clock (no sleeping on timers)."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from siprouter.runtime.state import LocalSocket
from siprouter.runtime.tcp_conn import TcpConnection, TcpSettings, bind_tcp_listener
from siprouter.runtime.tcp_engine import TcpEngine, via_alias_port
from siprouter.runtime.tcp_proxy import proxy_v1, proxy_v2

WAIT = 5.0  # bound of every wait; tests end as soon as the condition holds


def sip(callid: str = "c1", body: bytes = b"", via_extra: str = "") -> bytes:
    return (
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK{callid}{via_extra}\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, settings: TcpSettings | None = None, **kw: Any) -> None:
        sock = bind_tcp_listener("127.0.0.1", 0)
        self.port = int(sock.getsockname()[1])
        self.ls = LocalSocket("tcp", "127.0.0.1", self.port, 4, sock)
        self.got: list[tuple[bytes, tuple[str, int], TcpConnection]] = []
        self.clock = Clock()
        self.engine = TcpEngine(
            settings or TcpSettings(), [self.ls], self._deliver, clock=self.clock, **kw
        )
        self.ep = select.epoll()
        self.engine.attach(self.ep)
        self.clients: list[socket.socket] = []
        self.on_message: Callable[[bytes, tuple[str, int], TcpConnection], None] | None = None

    def _deliver(
        self, data: bytes, src: tuple[str, int], ls: LocalSocket, conn: TcpConnection
    ) -> None:
        assert ls is self.ls
        self.got.append((data, src, conn))
        if self.on_message is not None:
            self.on_message(data, src, conn)

    def pump_once(self, timeout: float = 0.02) -> None:
        for fd, ev in self.ep.poll(timeout):
            self.engine.on_event(fd, ev)

    def pump(self, until: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + WAIT
        while not until() and time.monotonic() < deadline:
            self.pump_once()
        return until()

    def client(self) -> socket.socket:
        c = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        c.setblocking(False)
        self.clients.append(c)
        return c

    def read(self, c: socket.socket, until: Callable[[bytes], bool]) -> bytes:
        """What client c receives (pumping the engine) until `until(data)` or EOF."""
        buf = bytearray()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            self.pump_once()
            try:
                chunk = c.recv(65536)
            except BlockingIOError:
                if until(bytes(buf)):
                    break
                continue
            if not chunk:
                buf += b"<EOF>"
                break
            buf += chunk
            if until(bytes(buf)):
                break
        return bytes(buf)

    def closed(self, c: socket.socket) -> bool:
        return self.read(c, lambda _d: False).endswith(b"<EOF>")

    def close(self) -> None:
        self.engine.close_all()
        for c in self.clients:
            c.close()
        self.ls.sock.close()
        self.ep.close()


@pytest.fixture
def make() -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def factory(settings: TcpSettings | None = None, **kw: Any) -> Harness:
        h = Harness(settings, **kw)
        made.append(h)
        return h

    yield factory
    for h in made:
        h.close()


def echo_reply(h: Harness) -> None:
    """Answer every message on the connection it came on, through engine.send by the
    source address (what the tcp sender does for sl replies)."""

    def reply(data: bytes, src: tuple[str, int], _conn: TcpConnection) -> None:
        callid = data.split(b"Call-ID: ")[1].split(b"\r\n")[0]
        assert h.engine.send(src, b"SIP/2.0 200 OK " + callid + b"\r\n\r\n")

    h.on_message = reply


def test_messages_are_delivered_and_replies_use_the_same_connection(make: Any) -> None:
    h = make()
    echo_reply(h)
    c = h.client()
    c.sendall(sip("a") + sip("b")[:20])
    assert h.pump(lambda: len(h.got) == 1)
    c.sendall(sip("b")[20:])
    data = h.read(c, lambda d: d.count(b"200 OK") == 2)
    assert data == b"SIP/2.0 200 OK a\r\n\r\nSIP/2.0 200 OK b\r\n\r\n"
    assert h.got[0][1] == c.getsockname()
    assert len(h.engine.by_fd) == 1


def test_ping_is_answered_with_crlf_only_when_enabled(make: Any) -> None:
    h = make()
    c = h.client()
    c.sendall(b"\r\n\r\n")
    assert h.read(c, lambda d: d == b"\r\n") == b"\r\n"
    h2 = make(TcpSettings(crlf_ping=False))
    echo_reply(h2)
    c2 = h2.client()
    c2.sendall(b"\r\n\r\n" + sip("x"))
    assert h2.read(c2, lambda d: b"200" in d) == b"SIP/2.0 200 OK x\r\n\r\n"


def test_framing_error_closes_that_connection_only(make: Any) -> None:
    h = make(TcpSettings(rd_buf_size=1000))
    echo_reply(h)
    good, bad = h.client(), h.client()
    assert h.pump(lambda: len(h.engine.by_fd) == 2)
    bad.sendall(sip("big", b"x" * 2000))
    assert h.closed(bad)
    good.sendall(sip("ok"))
    assert h.read(good, lambda d: b"200" in d) == b"SIP/2.0 200 OK ok\r\n\r\n"
    nocl = h.client()
    nocl.sendall(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: n\r\n\r\n")
    assert h.closed(nocl)
    assert len(h.engine.by_fd) == 1


class Peer:
    """A next hop: a listening socket that accepts and reads (blocking, bounded)."""

    def __init__(self) -> None:
        self.sock = bind_tcp_listener("127.0.0.1", 0)
        self.addr = ("127.0.0.1", int(self.sock.getsockname()[1]))
        self.conns: list[socket.socket] = []

    def accept_all(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except BlockingIOError:
                return
            c.setblocking(False)
            self.conns.append(c)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    p = Peer()
    yield p
    p.close()


def read_peer(h: Harness, p: Peer, until: Callable[[bytes], bool]) -> bytes:
    buf = bytearray()
    deadline = time.monotonic() + WAIT
    while not until(bytes(buf)) and time.monotonic() < deadline:
        h.pump_once()
        p.accept_all()
        for c in p.conns:
            with contextlib.suppress(BlockingIOError):
                buf += c.recv(65536)
    return bytes(buf)


def test_outbound_connect_and_reuse(make: Any, peer: Peer) -> None:
    h = make()
    assert h.engine.send(peer.addr, b"one.", local=("127.0.0.1", h.port))
    assert h.engine.send(peer.addr, b"two.")
    assert read_peer(h, peer, lambda d: d == b"one.two.") == b"one.two."
    assert len(peer.conns) == 1
    conn = h.engine.find(peer.addr)
    assert conn is not None and conn.outbound
    assert peer.conns[0].getpeername() == conn.sock.getsockname()
    assert conn.sock.getsockname()[0] == "127.0.0.1"


def test_messages_from_an_outbound_connection_are_delivered(make: Any, peer: Peer) -> None:
    h = make()
    assert h.engine.send(peer.addr, b"x")
    read_peer(h, peer, lambda d: d == b"x")
    peer.conns[0].sendall(sip("back"))
    assert h.pump(lambda: len(h.got) == 1)
    assert h.got[0][1] == peer.addr


def test_no_connect_and_close_flags(make: Any, peer: Peer) -> None:
    h = make()
    assert not h.engine.send(peer.addr, b"x", no_connect=True)
    assert h.engine.send(peer.addr, b"bye", close=True)
    data = read_peer(h, peer, lambda d: d == b"bye")
    assert data == b"bye"
    assert h.pump(lambda: not h.engine.by_fd)
    peer.conns[0].setblocking(True)
    peer.conns[0].settimeout(WAIT)
    assert peer.conns[0].recv(10) == b""  # closed after the write


def test_connect_refused_is_a_closed_connection(make: Any) -> None:
    h = make()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    h.engine.send(("127.0.0.1", port), b"x")
    assert h.pump(lambda: not h.engine.by_fd)


def test_tcp_no_connect_parameter(make: Any, peer: Peer) -> None:
    h = make(TcpSettings(no_connect=True))
    assert not h.engine.send(peer.addr, b"x")


def test_max_connections_refuses_the_next(make: Any) -> None:
    h = make(TcpSettings(max_connections=1))
    a = h.client()
    assert h.pump(lambda: len(h.engine.by_fd) == 1)
    b = h.client()
    assert h.closed(b)
    assert h.engine.refused == 1
    assert [c.peer for c in h.engine.by_fd.values()] == [a.getsockname()]


def test_accept_iplimit(make: Any) -> None:
    h = make(TcpSettings(accept_iplimit=2))
    h.client(), h.client()
    assert h.pump(lambda: len(h.engine.by_fd) == 2)
    assert h.closed(h.client())


def test_idle_lifetime_with_a_fake_clock(make: Any) -> None:
    h = make(TcpSettings(connection_lifetime=10))
    echo_reply(h)
    c = h.client()
    c.sendall(sip("a"))
    h.read(c, lambda d: b"200" in d)
    h.clock.now += 9
    h.engine.tick()
    assert len(h.engine.by_fd) == 1
    c.sendall(sip("b"))  # activity restarts the idle time
    h.read(c, lambda d: b"200" in d)
    h.clock.now += 9.5
    h.engine.tick()
    assert len(h.engine.by_fd) == 1
    h.clock.now += 1
    h.engine.tick()
    assert not h.engine.by_fd
    assert h.closed(c)


def test_timeout_says_when_the_next_tick_is_due(make: Any) -> None:
    h = make()
    assert h.engine.timeout() is None
    h.client()
    assert h.pump(lambda: len(h.engine.by_fd) == 1)
    t = h.engine.timeout()
    assert t is not None and 0 <= t <= 0.25


def test_proxy_v1_and_v2_set_the_source(make: Any) -> None:
    h = make(TcpSettings(accept_haproxy=True))
    echo_reply(h)
    c1 = h.client()
    c1.sendall(proxy_v1(("192.0.2.1", 4001), ("127.0.0.1", h.port)) + sip("v1"))
    c2 = h.client()
    c2.sendall(proxy_v2(("2001:db8::2", 4002), ("::1", 5060))[:10])
    assert h.pump(lambda: len(h.got) == 1)
    c2.sendall(proxy_v2(("2001:db8::2", 4002), ("::1", 5060))[10:] + sip("v2"))
    assert h.pump(lambda: len(h.got) == 2)
    assert {g[1] for g in h.got} == {("192.0.2.1", 4001), ("2001:db8::2", 4002)}
    # the reply to the proxied source goes back on that connection
    assert h.read(c1, lambda d: b"200" in d) == b"SIP/2.0 200 OK v1\r\n\r\n"
    plain = h.client()  # no PROXY header: served as a plain connection (Kamailio 5.6.3)
    plain.sendall(sip("plain"))
    assert h.read(plain, lambda d: b"200" in d) == b"SIP/2.0 200 OK plain\r\n\r\n"
    bad = h.client()
    bad.sendall(b"PROXY TCP4 1.2.3.4\r\n" + sip("bad-proxy"))
    assert h.closed(bad)


def test_accept_unique_refuses_a_second_connection_from_one_source(make: Any) -> None:
    h = make(TcpSettings(accept_haproxy=True, accept_unique=True))
    hdr = proxy_v1(("192.0.2.1", 4001), ("127.0.0.1", h.port))
    a, b = h.client(), h.client()
    a.sendall(hdr)
    assert h.pump(lambda: ("192.0.2.1", 4001) in h.engine.by_addr)
    b.sendall(hdr)
    assert h.closed(b)
    assert len(h.engine.by_fd) == 1


def test_accept_aliases_from_via(make: Any) -> None:
    assert via_alias_port(sip(via_extra=";alias")) == 5070
    assert via_alias_port(sip(via_extra=";aliasx")) is None
    assert via_alias_port(sip()) is None
    h = make(TcpSettings(accept_aliases=True))
    c = h.client()
    c.sendall(sip("x", via_extra=";alias"))
    assert h.pump(lambda: len(h.got) == 1)
    conn = h.engine.find(("127.0.0.1", 5070))
    assert conn is not None and conn is h.got[0][2]
    assert h.engine.send(("127.0.0.1", 5070), b"via-alias")
    assert h.read(c, lambda d: d == b"via-alias") == b"via-alias"


def test_a_peer_that_does_not_read_fills_only_its_own_queue(make: Any) -> None:
    h = make(TcpSettings(conn_wq_max=64 * 1024, send_timeout=5))
    echo_reply(h)
    slow = h.client()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert h.pump(lambda: len(h.engine.by_fd) == 1)
    slow_conn = next(iter(h.engine.by_fd.values()))
    chunk = b"z" * 16384
    sent = 0
    while h.engine.send(slow_conn.src, chunk):
        sent += 1
        assert sent < 10_000
    assert slow_conn.wbuf  # queued, the peer does not read
    fast = h.client()
    fast.sendall(sip("fast"))
    assert h.read(fast, lambda d: b"200" in d) == b"SIP/2.0 200 OK fast\r\n\r\n"
    h.clock.now += 6
    h.engine.tick()
    assert slow_conn.fd < 0  # closed: tcp_send_timeout
    assert len(h.engine.by_fd) == 1


def test_connect_timeout_with_a_fake_clock(make: Any) -> None:
    h = make(TcpSettings(connect_timeout=2))
    # a connection to our own listener, then treated as if the SYN got no answer
    assert h.engine.send(("127.0.0.1", h.port), b"self")
    conn = h.engine.find(("127.0.0.1", h.port))
    assert conn is not None
    conn.state = "connecting"
    h.clock.now += 1.9
    h.engine.tick()
    assert conn.fd >= 0
    h.clock.now += 0.35

    h.engine.tick()
    assert conn.fd < 0


def test_tcp_source_ipv4_is_the_local_address_of_outbound_connections(
    make: Any, peer: Peer
) -> None:
    h = make(TcpSettings(source_ipv4="127.0.0.2"))
    assert h.engine.send(peer.addr, b"src")
    assert read_peer(h, peer, lambda d: d == b"src") == b"src"
    assert peer.conns[0].getpeername()[0] == "127.0.0.2"
    h2 = make(TcpSettings(source_ipv4="192.0.2.1"))  # not local: the listen address is used
    assert h2.engine.send(peer.addr, b"fallback")
    read_peer(h2, peer, lambda d: d.endswith(b"fallback"))
    assert peer.conns[-1].getpeername()[0] == "127.0.0.1"


def test_max_connections_counts_the_other_workers_connections(make: Any) -> None:
    counts = [0, 5]  # slot 1: another worker holding 5 connections
    h = make(TcpSettings(max_connections=6), counts=counts, slot=0)
    h.client()
    assert h.pump(lambda: counts[0] == 1)
    assert h.closed(h.client())  # 1 + 5 open: the 7th is refused
    counts[1] = 4
    h.client()
    assert h.pump(lambda: counts[0] == 2)
    h.engine.close_all()
    assert counts[0] == 0
