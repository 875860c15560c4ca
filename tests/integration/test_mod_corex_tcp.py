"""corex send_tcp() and send_data() over TCP through running servers: Kamailio 5.6.3 and
siprouter connect to the same kind of TCP peer and deliver the same bytes."""

from __future__ import annotations

import select
import socket
import time
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    if ($rU == "tcp") {
        $var(a) = send_tcp("127.0.0.1:$hdr(X-Peer)");
    } else if ($rU == "data") {
        $var(a) = send_data("sip:127.0.0.1:$hdr(X-Peer);transport=tcp", "DATA $ci");
    } else {
        $var(a) = send_tcp("127.0.0.1:1");
    }
    sl_send_reply("200", "r $var(a)");
    exit;
}
"""


def _request(user: str, client_port: int, peer: int, n: int) -> bytes:
    return (
        f"MESSAGE sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-tcp-{n};rport\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: corex-tcp-{n}\r\nCSeq: 1 MESSAGE\r\nX-Peer: {peer}\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


class Peer:
    """A TCP listener keeping every accepted connection open (a server may reuse its
    connection for the next send, as Kamailio does)."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = int(self.listener.getsockname()[1])
        self.conns: list[socket.socket] = []

    def read(self, want: int) -> bytes:
        """`want` bytes from whichever connection sends them (bounded wait)."""
        data = b""
        deadline = time.monotonic() + 5.0
        while len(data) < want and time.monotonic() < deadline:
            ready, _, _ = select.select([self.listener, *self.conns], [], [], 0.2)
            for s in ready:
                if s is self.listener:
                    conn, _ = self.listener.accept()
                    self.conns.append(conn)
                    continue
                chunk = s.recv(65535)
                if not chunk:
                    self.conns.remove(s)
                    s.close()
                data += chunk
        return data

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.listener.close()


def _run(start: Any) -> list[tuple[str, bytes | None]]:
    client = UdpClient()
    peer = Peer()
    try:
        srv = start(CFG)
        out: list[tuple[str, bytes | None]] = []
        for n, user in enumerate(["tcp", "data", "refused"]):
            req = _request(user, client.port, peer.port, n)
            client.send(srv.port, req)
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            reason = reply.split(b"\r\n")[0].decode()
            got = None
            if user == "tcp":
                got = peer.read(len(req)).replace(req, b"<REQUEST>")
            elif user == "data":
                got = peer.read(len(b"DATA corex-tcp-1"))
            out.append((reason, got))
        return out
    finally:
        client.close()
        peer.close()


def test_siprouter_send_tcp(servers: Any) -> None:
    out = _run(servers.siprouter)
    assert out[:2] == [
        ("SIP/2.0 200 r 1", b"<REQUEST>"),
        ("SIP/2.0 200 r 1", b"DATA corex-tcp-1"),
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any) -> None:
    ours, theirs = _run(servers.siprouter), _run(servers.kamailio)
    assert ours[:2] == theirs[:2]
    # a refused connect: send_tcp gives -1 in both
    assert theirs[2] == ("SIP/2.0 200 r -1", None)
    assert ours[2] == theirs[2]
