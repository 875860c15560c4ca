"""sanity through running servers, the way the stock kamailio.cfg uses it: requests
checked with sanity_check("17895", "7") (autodrop off, then exit), replies with
sanity_check("17604", "6") in reply_route (dropped when they fail). The same cfg runs in
Kamailio 5.6.3 and siprouter; every reply the client gets (whole, normalised) and every
message the next hop gets must match.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "sanity"
modparam("sanity", "autodrop", 0)
modparam("sanity", "proxy_require", "pref")
request_route {
    if (!sanity_check("17895", "7")) {
        exit;
    }
    if ($hdr(X-Answer) != $null) {
        sl_send_reply("200", "sane");
        exit;
    }
    $du = "sip:127.0.0.1:@UAS@";
    forward();
    exit;
}
reply_route {
    if (!sanity_check("17604", "6")) {
        drop;
    }
}
"""


def _request(port: int, n: int, start: str, cseq: str, frm: str, extra: str) -> bytes:
    return (
        f"{start}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-s-{n};rport\r\n"
        f"From: {frm}\r\nTo: <sip:b@example.org>\r\nCall-ID: s-{n}\r\nCSeq: {cseq}\r\n"
        f"Max-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


# (request line, CSeq, From, extra headers); X-Answer: the server replies 200 itself
REQUESTS = [
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1", "X-Answer: 1\r\n"),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 INVITE", "<sip:a@x>;tag=1", "X-Answer: 1\r\n"),
    ("OPTIONS sip:b@example.org:99999 SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1", ""),
    ("OPTIONS sip:b@example.org SIP/2.0", "x OPTIONS", "<sip:a@x>;tag=1", ""),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x:abc>;tag=1", ""),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1;tag=2", ""),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1", "Expires: soon\r\n"),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1", "Proxy-Require: x\r\n"),
    ("OPTIONS sip:b@example.org SIP/2.0", "1 OPTIONS", "<sip:a@x>;tag=1", "Proxy-Require: pref\r\n"),
    (
        "INVITE sip:b@example.org SIP/2.0",
        "2 INVITE",
        "<sip:a@x>;tag=1",
        'Proxy-Authorization: Digest username="", realm="r", nonce="n", uri="u", response="r"\r\n',
    ),
    ("INVITE sip:b@example.org SIP/2.0", "2 INVITE", "<sip:a@x>;tag=1", ""),
]  # fmt: skip

# replies the next hop sends back for the forwarded INVITE: (status line, CSeq)
REPLIES = [
    ("SIP/2.0 180 Ringing", "2 INVITE"),
    ("SIP/2.0 180 Ringing", "2 BYE"),
    ("SIP/2.0 183 Progress", "x INVITE"),
]

_VOLATILE = [
    (re.compile(rb"branch=z9hG4bK[^;\r\n]*"), b"branch=B"),
    (re.compile(rb";tag=[0-9a-f]{20,}[^;\r\n]*"), b";tag=T"),
    (re.compile(rb"\r\nServer: [^\r]*"), b"\r\nServer: S"),
]


def _norm(data: bytes | None, ports: dict[int, bytes]) -> bytes | None:
    if data is None:
        return None
    for port, name in ports.items():
        data = data.replace(str(port).encode(), name)
    for rx, sub in _VOLATILE:
        data = rx.sub(sub, data)
    return data


def _answer(fwd: bytes, status: str, cseq: str) -> bytes:
    lines = fwd.split(b"\r\n")
    vias = [ln for ln in lines if ln.lower().startswith(b"via:")]
    keep = [ln for ln in lines if ln.split(b":")[0].lower() in (b"from", b"to", b"call-id")]
    return b"\r\n".join(
        [status.encode(), *vias, *keep, f"CSeq: {cseq}".encode(), b"Content-Length: 0", b"", b""]
    )


def _until_probe(client: UdpClient, srv_port: int, n: int) -> list[bytes]:
    """Send a probe the server answers itself; what the client got before its answer."""
    client.send(srv_port, _request(client.port, 1000 + n, PROBE, "1 OPTIONS", "<sip:p@x>;tag=p",
                                   "X-Answer: 1\r\n"))  # fmt: skip
    got = []
    while True:
        data = client.recv()
        assert data is not None, "no answer to the probe"
        if b"\r\nCall-ID: s-%d\r\n" % (1000 + n) in data:
            return got
        got.append(data)


PROBE = "OPTIONS sip:probe@example.org SIP/2.0"


def _run(start: Any) -> list[Any]:
    client, uas = UdpClient(), UdpClient()
    try:
        srv = start(CFG.replace("@UAS@", str(uas.port)))
        ports = {srv.port: b"SRV", client.port: b"CLIENT", uas.port: b"UAS"}
        seen: list[Any] = []
        raw_invite = None
        for n, (start_line, cseq, frm, extra) in enumerate(REQUESTS):
            client.send(srv.port, _request(client.port, n, start_line, cseq, frm, extra))
            got = _until_probe(client, srv.port, n)
            # a forward is sent before the probe is handled: it is queued at the UAS by now
            fwd = uas.recv(0.2)
            if fwd is not None:
                raw_invite = fwd
            seen.append(([_norm(g, ports) for g in got], _norm(fwd, ports)))
        assert raw_invite is not None, srv.log()[-2000:]
        for k, (status, cseq) in enumerate(REPLIES):
            uas.send(srv.port, _answer(raw_invite, status, cseq))
            seen.append([_norm(g, ports) for g in _until_probe(client, srv.port, 100 + k)])
        return seen
    finally:
        client.close()
        uas.close()


def test_sanity_like_stock_config(servers: Any) -> None:
    ours = _run(servers.siprouter)
    theirs = _run(servers.kamailio)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"message {i}"
    assert ours[0][0][0].startswith(b"SIP/2.0 200 sane\r\n")
    assert ours[1][0][0].startswith(b"SIP/2.0 400 CSeq method does not match request method\r\n")
    assert len(ours[-3]) == 1 and len(ours[-2]) == 1  # the 180s pass the reply checks
    assert ours[-1] == []  # a CSeq number that is not one drops the reply
