"""TCP across workers (runtime/tcp_transport, tcp_records): two transports of a
2-worker server in one test process, their inboxes as real socketpairs, a stub
pipeline. A message read by one worker is processed by its Call-ID owner, the owner's
reply goes out on the reading worker's connection, sends to a new destination go
through its outbound owner, and a routing error closes the connection (tcp_script_mode)."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.runtime import state
from siprouter.runtime.state import LocalSocket
from siprouter.runtime.tcp_conn import TcpSettings, bind_tcp_listener
from siprouter.runtime.tcp_records import SEND, TCP, UDP, pack, unpack
from siprouter.runtime.tcp_transport import TcpTransport, outbound_owner, worker_of

WAIT = 5.0


def owner_by_callid(data: bytes, n: int) -> int | None:
    """Test owner function: the Call-ID 'w<k>-...' belongs to worker k."""
    callid = data.split(b"Call-ID: ")[1].split(b"\r\n")[0]
    return int(callid[1:2]) % n


def sip(callid: str) -> bytes:
    return (
        f"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{callid}\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


class StubPipeline:
    """Records what it receives; replies through the 'tcp' sender of its worker;
    a Call-ID containing 'bad' counts as a parse error."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, tuple[str, int], LocalSocket]] = []
        self.dropped_bad = 0
        self.transport: TcpTransport | None = None

    def receive(self, data: bytes, src: tuple[str, int], ls: LocalSocket) -> None:
        self.got.append((data, src, ls))
        if b"bad" in data:
            self.dropped_bad += 1
            return
        assert self.transport is not None
        callid = data.split(b"Call-ID: ")[1].split(b"\r\n")[0]
        assert self.transport.send(ls.ip, ls.port, src, b"REPLY " + callid + b"\r\n")


class Server:
    def __init__(self, settings: TcpSettings | None = None) -> None:
        lsock = bind_tcp_listener("127.0.0.1", 0)
        self.port = int(lsock.getsockname()[1])
        self.ls = LocalSocket("tcp", "127.0.0.1", self.port, 4, lsock)
        self.pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(2)]
        for r, w in self.pairs:
            r.setblocking(False)
            w.setblocking(False)
        outboxes = [w for _r, w in self.pairs]
        self.pipes = [StubPipeline(), StubPipeline()]
        self.t: list[TcpTransport] = []
        self.eps: list[select.epoll] = []
        for i in range(2):
            # worker 0 accepts; worker 1 has the listen socket for addressing only
            t = TcpTransport(
                settings or TcpSettings(),
                [self.ls] if i == 0 else [],
                self.pipes[i],
                locals_=[self.ls],
                index=i,
                n=2,
                outboxes=outboxes,
                owner_of=owner_by_callid,
            )
            self.pipes[i].transport = t
            ep = select.epoll()
            t.engine.attach(ep)
            self.t.append(t)
            self.eps.append(ep)
        self.clients: list[socket.socket] = []

    def pump_once(self) -> None:
        for i in range(2):
            for fd, ev in self.eps[i].poll(0.01):
                self.t[i].engine.on_event(fd, ev)
            while True:
                try:
                    raw = self.pairs[i][0].recv(1 << 20)
                except BlockingIOError:
                    break
                self.t[i].on_record(unpack(raw))

    def client(self) -> socket.socket:
        c = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        c.setblocking(False)
        self.clients.append(c)
        return c

    def read(self, c: socket.socket, want: bytes) -> bytes:
        buf = bytearray()
        deadline = time.monotonic() + WAIT
        while want not in buf and time.monotonic() < deadline:
            self.pump_once()
            try:
                chunk = c.recv(4096)
            except BlockingIOError:
                continue
            if not chunk:
                buf += b"<EOF>"
                break
            buf += chunk
        return bytes(buf)

    def close(self) -> None:
        for t in self.t:
            t.engine.close_all()
        for c in self.clients:
            c.close()
        for r, w in self.pairs:
            r.close()
            w.close()
        for ep in self.eps:
            ep.close()
        self.ls.sock.close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def test_records_round_trip() -> None:
    raw = pack(TCP, ("2001:db8::1", 5061), b"payload", index=3, flags=2, conn_id=(2 << 24) | 7)
    rec = unpack(raw)
    assert rec.kind == TCP and rec.af == 6 and rec.index == 3 and rec.flags == 2
    assert rec.addr == ("2001:db8::1", 5061) and rec.payload == b"payload"
    assert worker_of(rec.conn_id) == 1
    assert unpack(pack(UDP, ("10.1.2.3", 1), b"x")).addr == ("10.1.2.3", 1)


def test_owner_processes_and_its_reply_goes_out_on_the_readers_connection(server: Server) -> None:
    c = server.client()
    c.sendall(sip("w1-call") + sip("w0-call"))
    data = server.read(c, b"REPLY w1-call")
    assert b"REPLY w0-call" in data
    assert [g[0] for g in server.pipes[1].got] == [sip("w1-call")]
    assert [g[0] for g in server.pipes[0].got] == [sip("w0-call")]
    # the owner saw the client's address, and the connection stays with worker 0
    assert server.pipes[1].got[0][1] == c.getsockname()
    assert len(server.t[0].engine.by_fd) == 1 and not server.t[1].engine.by_fd


def test_messages_of_one_callid_keep_their_order(server: Server) -> None:
    c = server.client()
    c.sendall(
        b"".join(sip(f"w1-{i}").replace(b"CSeq: 1", f"CSeq: {i}".encode()) for i in range(20))
    )
    server.read(c, b"REPLY w1-19")
    seqs = [int(g[0].split(b"CSeq: ")[1].split(b" ")[0]) for g in server.pipes[1].got]
    assert seqs == list(range(20))


def test_error_in_the_owner_closes_the_readers_connection(server: Server) -> None:
    c = server.client()
    c.sendall(sip("w1-bad"))
    assert server.read(c, b"<EOF>").endswith(b"<EOF>")
    assert not server.t[0].engine.by_fd


def test_script_mode_1_keeps_the_connection() -> None:
    s = Server(TcpSettings(script_mode=1))
    try:
        c = s.client()
        c.sendall(sip("w1-bad") + sip("w1-good"))
        assert s.read(c, b"REPLY w1-good") == b"REPLY w1-good\r\n"
    finally:
        s.close()


def test_new_destination_goes_through_its_outbound_owner(server: Server) -> None:
    nh = bind_tcp_listener("127.0.0.1", 0)
    dest = ("127.0.0.1", int(nh.getsockname()[1]))
    try:
        owner = outbound_owner(dest, 2)
        other = 1 - owner
        assert server.t[other].send("127.0.0.1", server.port, dest, b"A")
        assert server.t[owner].send("127.0.0.1", server.port, dest, b"B")
        deadline = time.monotonic() + WAIT
        conns: list[socket.socket] = []
        got = b""
        while len(got) < 2 and time.monotonic() < deadline:
            server.pump_once()
            try:
                c, _ = nh.accept()
                c.setblocking(False)
                conns.append(c)
            except BlockingIOError:
                pass
            for c in conns:
                with contextlib.suppress(BlockingIOError):
                    got += c.recv(100)
        assert sorted(got) == [ord("A"), ord("B")]  # A took the hand-off: it may come second
        assert len(conns) == 1  # one connection to the destination for both workers
        assert len(server.t[owner].engine.by_fd) == 1 and not server.t[other].engine.by_fd
        for c in conns:
            c.close()
    finally:
        nh.close()


def test_send_record_with_no_connect_to_an_unknown_destination(server: Server) -> None:
    rec = unpack(pack(SEND, ("127.0.0.1", 9), b"x", flags=state.SEND_NO_CONNECT))
    server.t[0].on_record(rec)
    assert not server.t[0].engine.by_fd


def test_installed_sender_is_what_state_send_uses(server: Server, monkeypatch: Any) -> None:
    from siprouter.runtime import tcp_transport

    monkeypatch.setitem(state.SENDERS, "tcp", None)
    monkeypatch.setattr(tcp_transport, "ACTIVE", None)
    server.t[0].install()
    assert state.SENDERS["tcp"] == server.t[0].send
    c = server.client()
    c.sendall(sip("w0-x"))
    server.read(c, b"REPLY w0-x")
    src = server.pipes[0].got[0][1]
    assert state.send("tcp", "127.0.0.1", server.port, src, b"MORE", state.SEND_NO_CONNECT)
    assert server.read(c, b"MORE") == b"MORE"


def test_alias_added_by_the_owner_routes_sends_to_the_readers_connection(server: Server) -> None:
    c = server.client()
    c.sendall(sip("w1-alias"))
    server.read(c, b"REPLY w1-alias")
    src = server.pipes[1].got[0][1]
    alias = ("127.0.0.1", 5070)
    assert server.t[1].alias(src, alias)
    server.pump_once()
    server.pump_once()
    assert server.t[0].engine.find(alias) is not None  # the reader added it
    assert server.t[1].send("127.0.0.1", server.port, alias, b"TO-ALIAS")
    assert server.read(c, b"TO-ALIAS") == b"TO-ALIAS"
    assert not server.t[0].alias(("127.0.0.1", 1), alias)  # unknown source


def test_force_tcp_alias_function(server: Server, monkeypatch: Any) -> None:
    from types import SimpleNamespace

    from siprouter.engine.context import ReceiveInfo
    from siprouter.runtime import tcp_transport
    from siprouter.sip.message import parse_message

    c = server.client()
    c.sendall(sip("w0-fa"))
    server.read(c, b"REPLY w0-fa")
    src = server.pipes[0].got[0][1]
    monkeypatch.setitem(state.SENDERS, "tcp", None)
    monkeypatch.setattr(tcp_transport, "ACTIVE", None)
    server.t[0].install()
    msg = parse_message(sip("w0-fa"), transport="tcp")
    ctx = SimpleNamespace(
        msg=msg, rcv=ReceiveInfo(src[0], src[1], "127.0.0.1", server.port, "tcp", 4)
    )
    assert tcp_transport.force_tcp_alias(ctx) == 1  # the Via port, 9
    assert server.t[0].engine.find(("127.0.0.1", 9)) is not None
    assert tcp_transport.force_tcp_alias(ctx, 5090) == 1
    assert server.t[0].engine.find(("127.0.0.1", 5090)) is not None
    udp_ctx = SimpleNamespace(msg=msg, rcv=ReceiveInfo(src[0], src[1], "127.0.0.1", 1, "udp", 4))
    assert tcp_transport.force_tcp_alias(udp_ctx) == -1
