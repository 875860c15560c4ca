"""onsend_route for replies the core forwards (onsend_route_reply=yes), against Kamailio
5.6.3: the route sees the reply as sent ($rs, $snd(..), the length without our Via)
and `drop` there keeps it from the next hop; without the parameter it does not run."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
@PARAM@
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
onsend_route {
    xlog("L_ERR", "OS rs=[$rs] snd=[$snd(ip):$snd(port)] from=[$sndfrom(ip):$sndfrom(port)] len=[$snd(len)] ml=[$ml] rm=[$rm]\\n");
    if (status == "180") { drop; }
}
request_route { drop; }
"""

_RECORD = re.compile(r"^\s*\d+\(\d+\) [A-Z]+: <script>: (.*)$")


def _reply(code: str, client: int, server: int, n: int) -> bytes:
    return (
        f"SIP/2.0 {code}\r\nVia: SIP/2.0/UDP 127.0.0.1:{server};branch=z9hG4bK-x{n}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-c{n}\r\n"
        f"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: osr-{n}\r\n"
        f"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _play(start: Any, param: str) -> list[str]:
    client = UdpClient()
    try:
        srv = start(CFG.replace("@PARAM@", param))
        out: list[str] = []
        for n, code in enumerate(["180 Ringing", "200 OK"]):
            client.send(srv.port, _reply(code, client.port, srv.port, n))
            if code.startswith("200"):  # the 180 before it was forwarded or not by now
                got = client.recv()
                assert got is not None, srv.log()[-2000:]
                out.append(got.split(b"\r\n", 1)[0].decode())
        if (extra := client.recv(0.3)) is not None:
            out.append(extra.split(b"\r\n", 1)[0].decode())
        srv.stop()
        out += [m.group(1) for line in srv.log().splitlines() if (m := _RECORD.match(line))]
        return [line.replace(str(srv.port), "SRV").replace(str(client.port), "CLI") for line in out]
    finally:
        client.close()


def test_siprouter_onsend_route_reply(servers: Any) -> None:
    got = _play(servers.siprouter, "onsend_route_reply=yes")
    lengths = [tuple(map(int, re.findall(r"(?:len|ml)=\[(\d+)\]", line))) for line in got[1:]]
    assert [re.sub(r"(len|ml)=\[\d+\]", r"\1=[N]", line) for line in got] == [
        "SIP/2.0 200 OK",
        "OS rs=[180] snd=[127.0.0.1:CLI] from=[127.0.0.1:SRV] len=[N] ml=[N] rm=[INVITE]",
        "OS rs=[200] snd=[127.0.0.1:CLI] from=[127.0.0.1:SRV] len=[N] ml=[N] rm=[INVITE]",
    ]
    # what is sent lacks the top Via line (52 bytes with a 5-digit ephemeral port)
    assert [ml - n for n, ml in lengths] == [52, 52]
    # without onsend_route_reply both replies go back and the route does not run
    assert _play(servers.siprouter, "") == ["SIP/2.0 180 Ringing", "SIP/2.0 200 OK"]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize("param", ["onsend_route_reply=yes", ""])
def test_onsend_route_reply_matches_kamailio(servers: Any, param: str) -> None:
    assert _play(servers.siprouter, param) == _play(servers.kamailio, param)
