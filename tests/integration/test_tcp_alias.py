"""force_tcp_alias() / add_tcp_alias(): a request that came over TCP makes its connection
the one used for its Via port (or the given port), so a request forwarded to that
address goes back on the same connection instead of a new one; over UDP the functions
are true and do nothing (Kamailio 5.6.3). Differential against kamailio."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .test_tcp_server import connect, read_until

HAS_KAMAILIO = shutil.which("kamailio") is not None

CFG = """\
#!KAMAILIO
debug=2
children=2
listen=127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
request_route {
    if ($rU == "alias") {
        force_tcp_alias();
        sl_send_reply("200", "aliased $pr");
        exit;
    }
    if ($rU == "alias2") {
        if (add_tcp_alias(5998)) sl_send_reply("200", "aliased2 $pr");
        exit;
    }
    if ($rU == "back") {
        $du = "sip:127.0.0.1:" + $hdr(X-Port) + ";transport=tcp";
        forward();
        exit;
    }
    sl_send_reply("200", "plain $pr");
}
"""


def _req(user: str, callid: str, cseq: int = 1, extra: str = "") -> bytes:
    return (
        f"OPTIONS sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK{callid}{cseq}\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f1\r\nTo: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\nCSeq: {cseq} OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def _first_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def _alias_then_back(port: int, user: str, alias_port: int) -> list[str]:
    """Alias the connection, then ask (on a second connection) for a request forwarded
    to 127.0.0.1:alias_port over TCP: it must arrive on the first connection."""
    a = connect(port)
    b = connect(port)
    try:
        a.sendall(_req(user, "alias-a"))
        first = read_until(a, lambda d: d.endswith(b"\r\n\r\n") and b"SIP/2.0 " in d)
        b.sendall(_req("back", "alias-b", extra=f"X-Port: {alias_port}\r\n"))
        fwd = read_until(a, lambda d: d.endswith(b"\r\n\r\n"))
        return [_first_line(first), _first_line(fwd)]
    finally:
        a.close()
        b.close()


def _run(servers: Any, which: str) -> list[str]:
    srv = getattr(servers, which)(CFG)
    out = _alias_then_back(srv.port, "alias", 5999)
    out += _alias_then_back(srv.port, "alias2", 5998)
    return out


def test_force_tcp_alias_reuses_the_connection(servers: Any) -> None:
    got = _run(servers, "siprouter")
    assert got == [
        "SIP/2.0 200 aliased tcp",
        "OPTIONS sip:back@127.0.0.1 SIP/2.0",
        "SIP/2.0 200 aliased2 tcp",
        "OPTIONS sip:back@127.0.0.1 SIP/2.0",
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_force_tcp_alias_matches_kamailio(servers: Any) -> None:
    assert _run(servers, "siprouter") == _run(servers, "kamailio")
