"""Differential tests: the requests kamailio 5.6.3 forwards vs what our lumps produce.

A kamailio on loopback forwards each request to a UDP socket we listen on; we
apply received/rport, Record-Route and our Via to the same request with
`MsgChanges` and compare the bytes (the branch value, which is kamailio's own
hash, is taken from its output).  Loopback only, every wait bounded.
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
from siprouter.sip.msg_apply import MsgChanges
from siprouter.sip.via import build_via, forward_reply_address

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:{listen}
loadmodule "pv.so"
loadmodule "rr.so"
request_route {{
    if ($hdr(X-Force) == "1") {{ force_rport(); }}
    if ($hdr(X-Local-Rport) == "1") {{ add_local_rport(); }}
    if ($hdr(X-RR) == "1") {{ record_route(); }}
    if ($hdr(X-RURI) != $null) {{ $ru = $hdr(X-RURI); }}
    forward("{target}", {target_port});
    drop;
}}
"""


def _free_port(family: int, host: str) -> int:
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Forwarder:
    """A kamailio forwarding to our listening socket; `forward()` returns what it sent."""

    def __init__(self, tmp: Path, family: int, host: str) -> None:
        self.host = host
        self.listener = socket.socket(family, socket.SOCK_DGRAM)
        self.listener.bind((host, 0))
        self.client = socket.socket(family, socket.SOCK_DGRAM)
        self.client.bind((host, 0))
        self.client_port = self.client.getsockname()[1]
        self.port = _free_port(family, host)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        cfg = tmp / "fw.cfg"
        cfg.write_text(
            CFG.format(
                listen=f"{shown}:{self.port}",
                target=shown,
                target_port=self.listener.getsockname()[1],
            )
        )
        self.proc = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.seq = 0
        # wait (bounded) until kamailio forwards a probe, then drain late copies
        self.listener.settimeout(0.2)
        probe = request("Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKprobe", "probe")
        for _ in range(75):
            self.client.sendto(probe, (host, self.port))
            try:
                self.listener.recvfrom(65535)
                break
            except TimeoutError:
                continue
        else:
            self.close()
            pytest.fail("kamailio did not start forwarding within 15 s")
        try:
            while True:
                self.listener.recvfrom(65535)
        except TimeoutError:
            pass
        self.listener.settimeout(3)

    def forward(self, data: bytes) -> bytes:
        self.client.sendto(data, (self.host, self.port))
        out, _ = self.listener.recvfrom(65535)
        return out

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.listener.close()
        self.client.close()


def request(via_line: str, callid: str, extra: str = "") -> bytes:
    return (
        "OPTIONS sip:bob@192.0.2.9 SIP/2.0\r\n"
        f"{via_line}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@a.com>;tag=1\r\n"
        "To: <sip:bob@b.com>\r\n"
        f"Call-ID: {callid}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture(scope="module")
def fw4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forwarder]:
    f = Forwarder(tmp_path_factory.mktemp("kam4"), socket.AF_INET, "127.0.0.1")
    yield f
    f.close()


@pytest.fixture(scope="module")
def fw6(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forwarder]:
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    f = Forwarder(tmp_path_factory.mktemp("kam6"), socket.AF_INET6, "::1")
    yield f
    f.close()


_BRANCH = re.compile(rb"^Via: SIP/2.0/UDP [^;]+;branch=(z9hG4bK[^;\r]+)", re.M)
_RR = re.compile(rb"^Record-Route: [^\r]*\r\n", re.M)


def ours(kam_out: bytes, sent: bytes, fw: Forwarder, *, force: bool, local_rport: bool) -> bytes:
    """What we would send for ``sent``, using kamailio's branch and Record-Route text."""
    m = _BRANCH.search(kam_out)
    assert m is not None, kam_out
    ch = MsgChanges(parse_message(sent))
    ch.fix_top_via(fw.host, fw.client_port, force_rport=force)
    rr = _RR.search(kam_out)
    if rr is not None:
        ch.add_record_route(rr.group(0))
    ch.add_via(build_via("udp", fw.host, fw.port, m.group(1).decode(), rport=local_rport))
    return ch.apply()


VIAS = [
    "Via: SIP/2.0/UDP CLIENT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP CLIENT:CPORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP CLIENT:CPORT;rport;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP CLIENT;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP CLIENT;branch=z9hG4bK1;rport=1234",
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.7",
    "Via: SIP/2.0/UDP 192.0.2.1;received=192.0.2.7;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP example.com;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 192.0.2.1 ; branch=z9hG4bK1 ; rport",
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2",
    "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 192.0.2.1",
    "Via: SIP/2.0/UDP 192.0.2.1 ",
    "Via: SIP/2.0/UDP 192.0.2.1:5060 ,SIP/2.0/UDP 192.0.2.2",
    "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1;RPORT",
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=1;received=192.0.2.7",
]


def _via(template: str, fw: Forwarder) -> str:
    client = f"[{fw.host}]" if ":" in fw.host else fw.host
    return template.replace("CLIENT", client).replace("CPORT", str(fw.client_port))


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("template", VIAS)
def test_forwarded_request_ipv4(fw4: Forwarder, template: str, force: bool) -> None:
    fw4.seq += 1
    extra = "X-Force: 1\r\n" if force else ""
    sent = request(_via(template, fw4), f"v4-{fw4.seq}", extra)
    got = fw4.forward(sent)
    assert ours(got, sent, fw4, force=force, local_rport=False) == got


@pytest.mark.parametrize("template", [*VIAS[:5], "Via: SIP/2.0/UDP [0:0:0:0:0:0:0:1];rport"])
def test_forwarded_request_ipv6(fw6: Forwarder, template: str) -> None:
    fw6.seq += 1
    sent = request(_via(template, fw6), f"v6-{fw6.seq}")
    got = fw6.forward(sent)
    assert ours(got, sent, fw6, force=False, local_rport=False) == got


def test_local_rport_and_record_route_order(fw4: Forwarder) -> None:
    fw4.seq += 1
    sent = request(
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport",
        f"rr-{fw4.seq}",
        "X-Local-Rport: 1\r\nX-RR: 1\r\n",
    )
    got = fw4.forward(sent)
    lines = got.split(b"\r\n")
    assert lines[1].startswith(b"Record-Route: ") and lines[2].endswith(b";rport")
    assert ours(got, sent, fw4, force=False, local_rport=True) == got


REPLY_VIA2 = [
    "Via: SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.3:PORT;received=127.0.0.2;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.3:9;received=127.0.0.2;rport=PORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.3:9;rport=PORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.3:PORT;rport;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.3:PORT;maddr=127.0.0.4;branch=z9hG4bK1",
]


@pytest.mark.parametrize("template", REPLY_VIA2)
def test_forwarded_reply_destination(fw4: Forwarder, template: str) -> None:
    """A reply whose top Via is kamailio's goes where forward_reply_address(Via 2) says."""
    port = _free_port(socket.AF_INET, "127.0.0.1")
    via2 = template.replace("PORT", str(port))
    fw4.seq += 1
    reply = (
        "SIP/2.0 200 OK\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{fw4.port};branch=z9hG4bKk\r\n"
        f"{via2}\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
        f"Call-ID: rep-{fw4.seq}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    via = parse_message(reply).vias[1]
    host, dport = forward_reply_address(via)
    assert host.startswith("127.")  # loopback only
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
        try:
            target.bind((host, dport))
        except OSError:
            pytest.skip(f"cannot bind {host}:{dport}")
        target.settimeout(3)
        fw4.client.sendto(reply, (fw4.host, fw4.port))
        got, _ = target.recvfrom(65535)
    assert got.startswith(b"SIP/2.0 200 OK\r\n" + via2.encode())


TOP_VIA_LINES = [
    "Via: SIP/2.0/UDP KAM;branch=z9hG4bKk, SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP KAM;branch=z9hG4bKk ,SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP 127.0.0.3",
    "v: SIP/2.0/UDP KAM;branch=z9hG4bKk,\r\n SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP KAM;branch=z9hG4bKk\r\nv: SIP/2.0/UDP 127.0.0.2:PORT;branch=z9hG4bK1",
]


@pytest.mark.parametrize("template", TOP_VIA_LINES)
def test_forwarded_reply_loses_top_via(fw4: Forwarder, template: str) -> None:
    port = _free_port(socket.AF_INET, "127.0.0.1")
    vias = template.replace("KAM", f"127.0.0.1:{fw4.port}").replace("PORT", str(port))
    fw4.seq += 1
    reply = (
        f"SIP/2.0 180 Ringing\r\n{vias}\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
        f"Call-ID: top-{fw4.seq}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    ch = MsgChanges(parse_message(reply))
    ch.remove_top_via()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
        target.bind(("127.0.0.2", port))
        target.settimeout(3)
        fw4.client.sendto(reply, (fw4.host, fw4.port))
        got, _ = target.recvfrom(65535)
    assert got == ch.apply()


@pytest.mark.parametrize(
    "new_uri", ["sip:carol@192.0.2.44:5070;transport=udp", "sip:192.0.2.44", "tel:+15551234"]
)
def test_forwarded_request_with_new_request_uri(fw4: Forwarder, new_uri: str) -> None:
    fw4.seq += 1
    sent = request(
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport",
        f"ru-{fw4.seq}",
        f"X-RURI: {new_uri}\r\n",
    )
    got = fw4.forward(sent)
    m = _BRANCH.search(got)
    assert m is not None
    ch = MsgChanges(parse_message(sent))
    ch.set_request_uri(new_uri)
    ch.fix_top_via(fw4.host, fw4.client_port)
    ch.add_via(build_via("udp", fw4.host, fw4.port, m.group(1).decode()))
    assert ch.apply() == got
