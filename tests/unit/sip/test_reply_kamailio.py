"""Differential tests: kamailio 5.6.3's sl_send_reply bytes vs build_reply, and where replies go.

A kamailio on 127.0.0.1 answers each request statelessly; we build the reply to
the same request and compare the bytes, after replacing the To tag value
(kamailio's is per process) and the Warning pid by placeholders.  Loopback
only, every wait bounded.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.sip.message import parse_message
from siprouter.sip.reply import SipWarning, build_reply
from siprouter.sip.via import reply_address

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

SERVER = "Server: Differential Test"
CODES = {100: "Trying", 179: "Odd", 180: "Ringing", 200: "OK", 302: "Moved", 404: "Not here"}
CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
server_header="{server}"
sip_warning={warning}
{extra}
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "textops.so"
request_route {{
    if ($hdr(X-Force) == "1") {{ force_rport(); }}
    if ($hdr(X-Body) == "1") {{
        append_to_reply("Contact: <sip:bob@192.0.2.4>\\r\\n");
        set_reply_body("v=0\\n", "application/sdp");
    }}
{branches}
    sl_send_reply("500", "No code");
    exit;
}}
"""


class Replier:
    def __init__(self, tmp: Path, warning: int, extra: str = "") -> None:
        self.client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.client.bind(("127.0.0.1", 0))
        self.client_port = self.client.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        branches = "\n".join(
            f'    if ($hdr(X-Code) == "{c}") {{ sl_send_reply("{c}", "{r}"); exit; }}'
            for c, r in CODES.items()
        )
        cfg = tmp / "sl.cfg"
        cfg.write_text(
            CFG.format(
                port=self.port, server=SERVER, warning=warning, extra=extra, branches=branches
            )
        )
        self.proc = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.seq = 0
        self.client.settimeout(0.2)
        probe = request(f"Via: SIP/2.0/UDP 127.0.0.1:{self.client_port};rport", 404, "probe")
        for _ in range(75):
            self.client.sendto(probe, ("127.0.0.1", self.port))
            try:
                self.client.recvfrom(65535)
                break
            except TimeoutError:
                continue
        else:
            self.close()
            pytest.fail("kamailio did not answer within 15 s")
        try:
            while True:
                self.client.recvfrom(65535)
        except TimeoutError:
            pass
        self.client.settimeout(3)

    def ask(self, data: bytes, sock: socket.socket | None = None) -> bytes:
        self.client.sendto(data, ("127.0.0.1", self.port))
        out, _ = (sock or self.client).recvfrom(65535)
        return out

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.client.close()


def request(
    via_line: str, code: int, callid: str, to: str = "To: <sip:bob@b.com>", extra: str = ""
) -> bytes:
    return (
        "INVITE sip:bob@b.example.com SIP/2.0\r\n"
        f"{via_line}\r\n"
        "Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKdef, SIP/2.0/TCP 192.0.2.3;branch=z9hG4bKghi\r\n"
        "Record-Route: <sip:p1.example.com;lr>\r\n"
        "Max-Forwards: 70\r\n"
        'f: "Alice" <sip:alice@a.com>;tag=1928301774\r\n'
        f"{to}\r\n"
        f"Call-ID: {callid}\r\n"
        "CSeq: 314159 INVITE\r\n"
        f"X-Code: {code}\r\n"
        f"{extra}"
        "Record-Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 6\r\n\r\n"
        "hello\n"
    ).encode()


@pytest.fixture(scope="module")
def kam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replier]:
    r = Replier(tmp_path_factory.mktemp("sl"), warning=0)
    yield r
    r.close()


@pytest.fixture(scope="module")
def kam_warn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replier]:
    r = Replier(tmp_path_factory.mktemp("slw"), warning=1)
    yield r
    r.close()


_TAG = re.compile(rb"(\r\n(?:To|t):[^\r]*;tag=)([0-9a-f]{32}\.[0-9a-f]{8})")
_PID = re.compile(rb"pid=\d+")


def normalise(reply: bytes) -> bytes:
    return _PID.sub(b"pid=PID", _TAG.sub(rb"\1TAG", reply))


VIAS = [
    "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKabc",
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport=9",
    "Via: SIP/2.0/UDP 127.0.0.1:CPORT;branch=z9hG4bKabc",
    "Via: SIP/2.0/UDP 127.0.0.1:CPORT;rport;branch=z9hG4bKabc",
    "Via: SIP/2.0/UDP 192.0.2.1:CPORT;branch=z9hG4bKabc",
    "v: SIP/2.0/UDP 127.0.0.1:CPORT ;branch=z9hG4bKabc",
    "Via: SIP/2.0/UDP 127.0.0.1:CPORT",
]


def _ours(
    r: Replier,
    sent: bytes,
    code: int,
    *,
    force: bool = False,
    warn: bool = False,
    body: bool = False,
) -> bytes:
    msg = parse_message(sent)
    return build_reply(
        msg,
        code,
        CODES[code].encode(),
        to_tag="TAG",
        src=("127.0.0.1", r.client_port),
        force_rport=force,
        server_header=SERVER.encode(),
        sip_warning=SipWarning("127.0.0.1", r.port, "127.0.0.1", r.client_port, pid=0)
        if warn
        else None,
        extra_headers=b"Contact: <sip:bob@192.0.2.4>\r\n" if body else b"",
        body=b"v=0\n" if body else b"",
        content_type=b"application/sdp" if body else None,
    )


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("template", VIAS)
def test_reply_bytes(kam: Replier, template: str, code: int) -> None:
    kam.seq += 1
    sent = request(template.replace("CPORT", str(kam.client_port)), code, f"r{kam.seq}")
    got = kam.ask(sent)
    assert normalise(_ours(kam, sent, code)) == normalise(got)


@pytest.mark.parametrize("code", [180, 404])
def test_reply_with_existing_to_tag(kam: Replier, code: int) -> None:
    kam.seq += 1
    via = "Via: SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKabc"
    sent = request(via, code, f"t{kam.seq}", to="To: <sip:bob@b.com>;tag=xyz")
    got = kam.ask(sent)
    assert b";tag=xyz\r\n" in got
    assert _ours(kam, sent, code) == got


@pytest.mark.parametrize(
    "via", ["Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa", "Via: SIP/2.0/UDP 192.0.2.1"]
)
def test_reply_force_rport(kam: Replier, via: str) -> None:
    kam.seq += 1
    sent = request(via, 404, f"f{kam.seq}", extra="X-Force: 1\r\n")
    got = kam.ask(sent)
    assert normalise(_ours(kam, sent, 404, force=True)) == normalise(got)


@pytest.mark.parametrize("code", [200, 404])
def test_reply_with_body_and_extra_headers(kam: Replier, code: int) -> None:
    kam.seq += 1
    sent = request("Via: SIP/2.0/UDP 192.0.2.1;rport", code, f"b{kam.seq}", extra="X-Body: 1\r\n")
    got = kam.ask(sent)
    assert normalise(_ours(kam, sent, code, body=True)) == normalise(got)


@pytest.mark.parametrize("code", [180, 404])
def test_reply_sip_warning(kam_warn: Replier, code: int) -> None:
    kam_warn.seq += 1
    sent = request("Via: SIP/2.0/UDP 192.0.2.1;rport", code, f"w{kam_warn.seq}")
    got = kam_warn.ask(sent)
    assert normalise(_ours(kam_warn, sent, code, warn=True)) == normalise(got)


def test_reply_goes_to_via_port_without_rport(kam: Replier) -> None:
    """No rport: kamailio replies to the source IP and the Via port, as reply_address says."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.1", 0))
        other.settimeout(3)
        oport = other.getsockname()[1]
        kam.seq += 1
        sent = request(f"Via: SIP/2.0/UDP 192.0.2.1:{oport};branch=z9hG4bKx", 404, f"p{kam.seq}")
        got = kam.ask(sent, other)
        via = parse_message(sent).via1
        assert via is not None
        assert reply_address(via, "127.0.0.1", kam.client_port, "udp") == ("127.0.0.1", oport)
        assert got.startswith(b"SIP/2.0 404 ")


@pytest.fixture(scope="module")
def kam_rtv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replier]:
    r = Replier(tmp_path_factory.mktemp("slrtv"), warning=0, extra="reply_to_via=1")
    yield r
    r.close()


@pytest.mark.parametrize(
    "via",
    [
        "Via: SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP 127.0.0.2;rport;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP 127.0.0.3:PORT;received=127.0.0.2;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP 127.0.0.3:PORT;maddr=127.0.0.4;branch=z9hG4bK1",
    ],
)
def test_reply_to_via_destination(kam_rtv: Replier, via: str) -> None:
    """reply_to_via=1: the reply goes where reply_address says (all on 127.0.0.0/8)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    via = via.replace("PORT", str(port))
    msg_via = parse_message(request(via, 404, "x")).via1
    assert msg_via is not None
    host, dport = reply_address(msg_via, "127.0.0.1", kam_rtv.client_port, "udp", reply_to_via=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
        try:
            target.bind((host, dport))
        except OSError:
            pytest.skip(f"cannot bind {host}:{dport}")
        target.settimeout(3)
        kam_rtv.seq += 1
        got = kam_rtv.ask(request(via, 404, f"rtv{kam_rtv.seq}"), target)
    assert got.startswith(b"SIP/2.0 404 ")
