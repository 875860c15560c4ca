"""sanity's size limits through a running siprouter. Kamailio 5.6.3 has no size_*
parameters (the last test shows its -c refusing them), so there is no reference server
to compare the replies with: they follow siprouter's documented reading (sanity_size.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "sanity"
modparam("sanity", "size_checks", 1)
modparam("sanity", "size_ruri", 64)
modparam("sanity", "size_body", 20)
request_route {
    if (!sanity_check("1", "1")) {
        exit;
    }
    sl_send_reply("200", "Sane");
    exit;
}
"""


def _req(client_port: int, n: int, ruri: str, body: str = "") -> bytes:
    return (
        f"MESSAGE {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-sz{n};rport\r\n"
        "From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: sz-{n}\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def _status(reply: bytes | None) -> str:
    assert reply is not None
    return reply.split(b"\r\n", 1)[0].decode()


def test_size_limits_reply(servers, udp_client: UdpClient) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(CFG)
    cases = [
        ("sip:b@example.org", "hi", "SIP/2.0 200 Sane"),
        ("sip:" + "b" * 70 + "@example.org", "hi", "SIP/2.0 414 Request-URI Too Long"),
        ("sip:b@example.org", "x" * 21, "SIP/2.0 513 Message Too Large"),
    ]
    for n, (ruri, body, expected) in enumerate(cases):
        udp_client.send(srv.port, _req(udp_client.port, n, ruri, body))
        assert _status(udp_client.recv()) == expected, srv.log()


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_kamailio_563_has_no_size_parameters(tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text(CFG.replace("@PORT@", "5060"))
    out = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0 and "size_checks" in out.stderr
