"""forward() over UDP and TCP, as onsend_route and the next hop see it, against Kamailio
5.6.3: TCP in and UDP out and the reverse, the transport picked as Kamailio picks it
(the destination URI's transport, else the transport the request came over), snd_proto
and $snd(sproto) in onsend_route, and the next hop's reply forwarded back over the
transport of the client's Via (the TCP connection the request came on).

Kamailio adds `;i=<connection id>` to its Via when the request came over TCP; siprouter
does not (yet): the parameter is removed before comparing."""

from __future__ import annotations

import re
import select
import socket
import time
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
onsend_route {
    $var(p) = "other";
    if (snd_proto == UDP) $var(p) = "udp";
    if (snd_proto == TCP) $var(p) = "tcp";
    xlog("L_ERR", "OS $var(p) $snd(sproto) $rU\\n");
}
request_route {
    if ($rU == "du-tcp") { $du = "sip:127.0.0.1:@NEXTHOP@;transport=tcp"; }
    else if ($rU == "du-udp") { $du = "sip:127.0.0.1:@NEXTHOP@"; }
    else { $du = "sip:127.0.0.1:@NEXTHOP@;transport=" + $pr; }
    if ($rU == "explicit") { $var(r) = forward("127.0.0.1", @NEXTHOP@); }
    else { $var(r) = forward(); }
    xlog("L_ERR", "REQ $rU $pr r=$var(r)\\n");
}
"""

_RECORD = re.compile(r"^\s*\d+\(\d+\) [A-Z]+: <script>: (.*)$")
USERS = ["explicit", "du-tcp", "du-udp"]


class NextHop:
    """A UDP socket and a TCP listener on one port; answers each request with 200."""

    def __init__(self) -> None:
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket()
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.conns: list[socket.socket] = []

    def serve_one(self, timeout: float = 5.0) -> str | None:
        """Read one request, answer it; "UDP"/"TCP" and its top Via, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.udp, self.tcp, *self.conns], [], [], 0.1)
            for s in ready:
                if s is self.tcp:
                    self.conns.append(self.tcp.accept()[0])
                    continue
                if s is self.udp:
                    data, addr = self.udp.recvfrom(65535)
                else:
                    data = s.recv(65535)
                    if not data:
                        self.conns.remove(s)
                        continue
                reply = _reply_to(data)
                if s is self.udp:
                    self.udp.sendto(reply, addr)
                else:
                    s.sendall(reply)
                kind = "UDP" if s is self.udp else "TCP"
                via = data.split(b"\r\n")[1].decode()
                return f"{kind} {via}"
        return None

    def close(self) -> None:
        for s in (self.udp, self.tcp, *self.conns):
            s.close()


def _reply_to(req: bytes) -> bytes:
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    keep = [
        h
        for h in head
        if h.split(b":", 1)[0].lower() in (b"via", b"from", b"to", b"call-id", b"cseq")
    ]
    return b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n"


def _play(start: Any) -> list[str]:
    hop = NextHop()
    try:
        srv = start(CFG.replace("@NEXTHOP@", str(hop.port)))
        out: list[str] = []
        for inproto in ("udp", "tcp"):
            for n, user in enumerate(USERS):
                if inproto == "udp":
                    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    c.bind(("127.0.0.1", 0))
                else:
                    c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                try:
                    cport = c.getsockname()[1]
                    msg = (
                        f"OPTIONS sip:{user}@127.0.0.1 SIP/2.0\r\n"
                        f"Via: SIP/2.0/{inproto.upper()} 127.0.0.1:{cport};branch=z9hG4bK-t{n};rport\r\n"
                        f"From: <sip:a@b>;tag={n}\r\nTo: <sip:b@c>\r\n"
                        f"Call-ID: tcp-{inproto}-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                    ).encode()
                    if inproto == "udp":
                        c.sendto(msg, ("127.0.0.1", srv.port))
                    else:
                        c.sendall(msg)
                    seen = hop.serve_one()
                    c.settimeout(5)
                    try:
                        back = c.recv(65535).split(b"\r\n")[0].decode()
                    except TimeoutError:
                        back = "no reply"
                    out.append(f"{inproto} {user}: hop {seen} | client {back}")
                finally:
                    c.close()
        srv.stop()
        out += [m.group(1) for line in srv.log().splitlines() if (m := _RECORD.match(line))]
        out = [re.sub(r";branch=[^;\s]*", "", line) for line in out]
        out = [re.sub(r";i=\d+", "", line) for line in out]
        return [line.replace(str(srv.port), "SRV") for line in out]
    finally:
        hop.close()


def test_siprouter_forward_over_udp_and_tcp(servers: Any) -> None:
    got = _play(servers.siprouter)
    assert got[:6] == [
        "udp explicit: hop UDP Via: SIP/2.0/UDP 127.0.0.1:SRV | client SIP/2.0 200 OK",
        "udp du-tcp: hop TCP Via: SIP/2.0/TCP 127.0.0.1:SRV | client SIP/2.0 200 OK",
        "udp du-udp: hop UDP Via: SIP/2.0/UDP 127.0.0.1:SRV | client SIP/2.0 200 OK",
        "tcp explicit: hop TCP Via: SIP/2.0/TCP 127.0.0.1:SRV | client SIP/2.0 200 OK",
        "tcp du-tcp: hop TCP Via: SIP/2.0/TCP 127.0.0.1:SRV | client SIP/2.0 200 OK",
        "tcp du-udp: hop UDP Via: SIP/2.0/UDP 127.0.0.1:SRV | client SIP/2.0 200 OK",
    ]
    assert "OS tcp tcp du-tcp" in got and "OS udp udp du-udp" in got


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_forward_over_udp_and_tcp_matches_kamailio(servers: Any) -> None:
    assert _play(servers.siprouter) == _play(servers.kamailio)
