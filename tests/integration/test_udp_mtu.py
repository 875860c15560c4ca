"""udp_mtu / udp_mtu_try_proto (core parameters) and udp_mtu_try_proto(proto) (core
function): a request forwarded over UDP that exceeds udp_mtu goes over TCP instead,
with our Via saying TCP; a small one stays on UDP. Differential against kamailio: the
same next hop (a UDP and a TCP socket on one port) sees the same transport and Via."""

from __future__ import annotations

import shutil
import socket
import time
from typing import Any

import pytest

from .sip_load import options

CFG = """\
#!KAMAILIO
debug=2
children=2
listen=127.0.0.1:@PORT@
@GLOBAL@
loadmodule "sl"
loadmodule "pv"
request_route {
    if ($rU =~ "^perpkt") udp_mtu_try_proto(TCP);
    forward("127.0.0.1", @HOP@);
    exit;
}
"""


class NextHop:
    """A UDP socket and a listening TCP socket on the same loopback port."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.tcp.listen(8)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.conns: list[socket.socket] = []

    def receive(self, timeout: float = 8.0) -> tuple[str, bytes]:
        """("udp"|"tcp", first message) of what arrives next."""
        deadline = time.monotonic() + timeout
        self.tcp.settimeout(0.05)
        self.udp.settimeout(0.05)
        while time.monotonic() < deadline:
            try:
                return "udp", self.udp.recv(65535)
            except TimeoutError:
                pass
            try:
                conn, _ = self.tcp.accept()
                self.conns.append(conn)
            except TimeoutError:
                pass
            for conn in self.conns:
                conn.settimeout(0.05)
                try:
                    data = conn.recv(65535)
                except TimeoutError:
                    continue
                if data:
                    return "tcp", data
        raise AssertionError("nothing reached the next hop")

    def close(self) -> None:
        for s in (self.tcp, self.udp, *self.conns):
            s.close()


def _big(client_port: int, port: int, user: str, callid: str) -> bytes:
    filler = "X-Fill: " + "a" * 600 + "\r\n"
    return options(client_port, port, user, callid).replace(
        b"Content-Length: 0", filler.encode() + b"Content-Length: 0"
    )


def _via_transport(data: bytes) -> str:
    first_via = next(line for line in data.split(b"\r\n") if line.startswith(b"Via:"))
    return first_via.split()[1].decode()


def _run(servers: Any, which: str, udp_client: Any, global_params: str) -> list[tuple[str, str]]:
    hop = NextHop()
    try:
        cfg = CFG.replace("@HOP@", str(hop.port)).replace("@GLOBAL@", global_params)
        srv = getattr(servers, which)(cfg)
        out = []
        for user, big in (("small", False), ("big", True), ("perpkt-big", True)):
            cid = f"mtu-{user}-{time.monotonic_ns()}"
            build = _big if big else options
            udp_client.send(srv.port, build(udp_client.port, srv.port, user, cid))
            proto, data = hop.receive()
            out.append((proto, _via_transport(data)))
        servers.stop_all()
        return out
    finally:
        hop.close()


def test_big_requests_switch_to_tcp(servers: Any, udp_client: Any) -> None:
    got = _run(servers, "siprouter", udp_client, "udp_mtu=500\nudp_mtu_try_proto=TCP")
    assert got == [("udp", "SIP/2.0/UDP"), ("tcp", "SIP/2.0/TCP"), ("tcp", "SIP/2.0/TCP")]
    # global protocol UDP (the default): only udp_mtu_try_proto(TCP) switches
    got = _run(servers, "siprouter", udp_client, "udp_mtu=500")
    assert got == [("udp", "SIP/2.0/UDP"), ("udp", "SIP/2.0/UDP"), ("tcp", "SIP/2.0/TCP")]


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("params", ["udp_mtu=500\nudp_mtu_try_proto=TCP", "udp_mtu=500", ""])
def test_same_as_kamailio(servers: Any, udp_client: Any, params: str) -> None:
    ours = _run(servers, "siprouter", udp_client, params)
    assert ours == _run(servers, "kamailio", udp_client, params)
