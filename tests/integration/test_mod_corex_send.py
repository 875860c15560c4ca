"""corex sending through running servers: send_udp, send_data and sendx deliver the same
bytes from Kamailio 5.6.3 and siprouter (same cfg, same request); forward_uac_uri
(Kamailio 5.7+, siprouter only) sends the request with our Via only."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@ name "main"
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    $var(p) = $hdr(X-Peer);
    switch ($rU) {
        case "raw":
            $var(a) = send_udp("127.0.0.1:$var(p)");
            break;
        case "data":
            $var(a) = send_data("sip:127.0.0.1:$var(p)", "DATA $rU $ci");
            break;
        case "datax":
            $var(a) = sendx("sip:127.0.0.1:$var(p);transport=udp", "udp:127.0.0.1:@PORT@", "X $cs");
            break;
        case "nosock":
            $var(a) = sendx("sip:127.0.0.1:$var(p)", "udp:127.0.0.1:1", "X");
            break;
        case "baduri":
            $var(a) = send_data("127.0.0.1:$var(p)", "X");
            break;
        default:
            $var(a) = "none";
    }
    sl_send_reply("200", "r $var(a)");
    exit;
}
"""

CASES = ["raw", "data", "datax", "nosock", "baduri"]


def _request(user: str, client_port: int, peer: int, n: int) -> bytes:
    return (
        f"MESSAGE sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-snd-{n};rport\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: corex-send-{n}\r\nCSeq: {n + 10} MESSAGE\r\nX-Peer: {peer}\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def _run(start: Any, cfg: str = CFG, cases: list[str] = CASES) -> list[tuple[str, bytes | None]]:
    client, peer = UdpClient(), UdpClient()
    try:
        srv = start(cfg)
        out = []
        for n, user in enumerate(cases):
            req = _request(user, client.port, peer.port, n)
            client.send(srv.port, req)
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            reason = reply.split(b"\r\n")[0].decode()
            got = peer.recv(1.0) if reason.endswith(" 1") else None
            out.append((reason, got.replace(req, b"<REQUEST>") if got is not None else None))
        return out
    finally:
        client.close()
        peer.close()


def test_siprouter_sends(servers: Any) -> None:
    out = _run(servers.siprouter)
    assert out == [
        ("SIP/2.0 200 r 1", b"<REQUEST>"),
        ("SIP/2.0 200 r 1", b"DATA data corex-send-1"),
        ("SIP/2.0 200 r 1", b"X 12"),
        ("SIP/2.0 200 r 1", b"X"),  # an unknown socket: sent from the default one
        ("SIP/2.0 200 r -1", None),
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any) -> None:
    assert _run(servers.siprouter) == _run(servers.kamailio)


UAC_CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    sl_send_reply("200", "mirrored");
    $var(a) = forward_uac_uri("sip:127.0.0.1:$hdr(X-Peer)", "7");
    exit;
}
"""


def test_forward_uac_uri_sends_with_our_via_only(servers: Any) -> None:
    client, peer = UdpClient(), UdpClient()
    try:
        srv = servers.siprouter(UAC_CFG)
        req = _request("mirror", client.port, peer.port, 0).replace(
            b"From: ", b"Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK-x\r\nFrom: ", 1
        )
        client.send(srv.port, req)
        assert client.recv() is not None
        got = peer.recv()
        assert got is not None, srv.log()[-2000:]
        vias = [x for x in got.split(b"\r\n") if x.startswith(b"Via:")]
        assert len(vias) == 1
        assert vias[0].startswith(f"Via: SIP/2.0/UDP 127.0.0.1:{srv.port};branch=z9hG4bK".encode())
        assert vias[0].endswith(b".7")
    finally:
        client.close()
        peer.close()
