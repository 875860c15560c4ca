"""The socket a forward leaves from, as onsend_route and the next hop see it, against
Kamailio 5.6.3: the receiving socket by default, the kernel's choice with mhomed=1, a
named socket with $fsn, an address with $fs. Two listen sockets on 127.0.0.1 and
127.0.0.2 (both loopback); requests arrive on 127.0.0.2."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
@MHOMED@
listen=udp:127.0.0.1:@PORT@ name "one"
listen=udp:127.0.0.2:@PORT@ name "two"
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
onsend_route {
    xlog("L_ERR", "OS from=[$sndfrom(ip):$sndfrom(port)] to=[$sndto(ip)] fs=[$fs] fsn=[$fsn]\\n");
}
request_route {
    if ($rU == "one") { $fsn = "one"; }
    if ($rU == "two") { $fsn = "two"; }
    if ($rU == "nosuch") { $fsn = "nosuch"; }
    if ($rU == "fs") { $fs = "udp:127.0.0.1:@PORT@"; }
    forward("127.0.0.1", @NEXTHOP@);
    sl_send_reply("200", "fs $fs fsn $fsn");
}
"""

_RECORD = re.compile(r"^\s*\d+\(\d+\) [A-Z]+: <script>: (.*)$")


def _play(start: Any, mhomed: bool) -> list[str]:
    client, hop = UdpClient(), UdpClient()
    try:
        cfg = CFG.replace("@NEXTHOP@", str(hop.port))
        srv = start(cfg.replace("@MHOMED@", f"mhomed={int(mhomed)}"))
        ports = {srv.port: "SRV", client.port: "CLIENT", hop.port: "HOP"}
        out: list[str] = []
        for n, user in enumerate(["plain", "one", "two", "nosuch", "fs"]):
            data = (
                f"OPTIONS sip:{user}@127.0.0.2 SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-s{n};rport\r\n"
                f"From: <sip:a@b>;tag={n}\r\nTo: <sip:b@c>\r\nCall-ID: sock-{n}\r\n"
                f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            ).encode()
            client.sock.sendto(data, ("127.0.0.2", srv.port))
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            fwd = hop.recv()
            assert fwd is not None
            via = fwd.split(b"\r\n")[1].decode().split(";")[0]
            status = reply.split(b"\r\n")[0].decode()
            out.append(f"{user}: {status} | {via}")
        srv.stop()
        out += [m.group(1) for line in srv.log().splitlines() if (m := _RECORD.match(line))]
        for port, name in ports.items():
            out = [line.replace(str(port), name) for line in out]
        return out
    finally:
        client.close()
        hop.close()


@pytest.mark.parametrize("mhomed", [False, True])
def test_siprouter_send_socket(servers: Any, mhomed: bool) -> None:
    got = _play(servers.siprouter, mhomed)
    plain = "127.0.0.1" if mhomed else "127.0.0.2"
    assert got[:5] == [
        f"plain: SIP/2.0 200 fs <null> fsn <null> | Via: SIP/2.0/UDP {plain}:SRV",
        "one: SIP/2.0 200 fs udp:127.0.0.1:SRV fsn one | Via: SIP/2.0/UDP 127.0.0.1:SRV",
        "two: SIP/2.0 200 fs udp:127.0.0.2:SRV fsn two | Via: SIP/2.0/UDP 127.0.0.2:SRV",
        f"nosuch: SIP/2.0 200 fs <null> fsn <null> | Via: SIP/2.0/UDP {plain}:SRV",
        "fs: SIP/2.0 200 fs udp:127.0.0.1:SRV fsn one | Via: SIP/2.0/UDP 127.0.0.1:SRV",
    ]
    assert got[5] == f"OS from=[{plain}:SRV] to=[127.0.0.1] fs=[<null>] fsn=[<null>]"


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize("mhomed", [False, True])
def test_send_socket_matches_kamailio(servers: Any, mhomed: bool) -> None:
    assert _play(servers.siprouter, mhomed) == _play(servers.kamailio, mhomed)
