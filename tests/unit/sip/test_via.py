"""Tests for siprouter.sip.via: our Via, received/rport (as Kamailio 5.6.3 writes them), reply address.

The expected forwarded Via lines below were captured from the installed kamailio forwarding
a request sent from 127.0.0.1:25080 (test_via_kamailio.py re-checks them live).
"""

from __future__ import annotations

import pytest

from siprouter.sip.message import parse_message
from siprouter.sip.msg_apply import MsgChanges
from siprouter.sip.via import (
    build_via,
    default_port,
    forward_reply_address,
    host_matches_ip,
    reply_address,
    reply_via1_edits,
    stateless_branch,
    via_fix,
)


def request(via_line: str) -> bytes:
    return (
        "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"{via_line}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@a.com>;tag=1\r\n"
        "To: <sip:bob@b.com>\r\n"
        "Call-ID: c1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def forwarded_top_via(via_line: str, src: tuple[str, int], force_rport: bool = False) -> str:
    msg = parse_message(request(via_line))
    ch = MsgChanges(msg)
    ch.fix_top_via(src[0], src[1], force_rport=force_rport)
    out = ch.apply().decode()
    return out.split("\r\n")[1]


SRC = ("127.0.0.1", 25080)

# (incoming Via line, force_rport, Via line in the request Kamailio forwarded)
KAMAILIO_FORWARD = [
    (
        "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:25080;rport;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:25080;received=127.0.0.1;rport=25080;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1;rport",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:25080;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1;rport=1234",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:25080;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=1.2.3.4",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=127.0.0.1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;branch=z9hG4bK1;rport",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    (
        "Via: SIP/2.0/UDP localhost:25080;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP localhost:25080;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 127.000.000.001;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP 127.000.000.001;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/UDP [::1]:5060;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1 ; branch=z9hG4bK1 ; rport",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1 ;received=127.0.0.1; branch=z9hG4bK1 ;rport=25080",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2",
    ),
    (
        "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport",
        False,
        "v: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    ("Via: SIP/2.0/UDP 10.0.0.1", False, "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1"),
    (
        "Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1",
        False,
        "Via: SIP/2.0/TCP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;RPORT",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;branch=z9hG4bK1;rport=25080",
    ),
    # force_rport() / force_rport=yes
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=1.2.3.4",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=25080;received=127.0.0.1",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1",
        True,
        "Via: SIP/2.0/UDP 127.0.0.1:25080;rport=25080;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1;rport=25080;received=127.0.0.1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=1;received=1.1.1.1",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=25080;received=127.0.0.1",
    ),
    ("Via: SIP/2.0/UDP 10.0.0.1", True, "Via: SIP/2.0/UDP 10.0.0.1;rport=25080;received=127.0.0.1"),
    (
        "Via: SIP/2.0/UDP 10.0.0.1 ",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1;rport=25080;received=127.0.0.1 ",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060 ,SIP/2.0/UDP 10.0.0.2",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;rport=25080;received=127.0.0.1 ,SIP/2.0/UDP 10.0.0.2",
    ),
]


@pytest.mark.parametrize(("via_in", "force", "via_out"), KAMAILIO_FORWARD)
def test_forwarded_via_matches_kamailio(via_in: str, force: bool, via_out: str) -> None:
    assert forwarded_top_via(via_in, SRC, force) == via_out


# Captured from kamailio listening on [::1], request sent from [::1]:58410.
KAMAILIO_FORWARD_V6 = [
    ("Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1", "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1"),
    (
        "Via: SIP/2.0/UDP [0:0:0:0:0:0:0:1];branch=z9hG4bK1",
        "Via: SIP/2.0/UDP [0:0:0:0:0:0:0:1];received=::1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP [::0001];branch=z9hG4bK1",
        "Via: SIP/2.0/UDP [::0001];received=::1;branch=z9hG4bK1",
    ),
    (
        "Via: SIP/2.0/UDP [::1];branch=z9hG4bK1;rport",
        "Via: SIP/2.0/UDP [::1];received=::1;branch=z9hG4bK1;rport=58410",
    ),
]


@pytest.mark.parametrize(("via_in", "via_out"), KAMAILIO_FORWARD_V6)
def test_forwarded_via_ipv6_matches_kamailio(via_in: str, via_out: str) -> None:
    assert forwarded_top_via(via_in, ("::1", 58410)) == via_out


def test_only_top_via_is_touched() -> None:
    msg = parse_message(
        request("Via: SIP/2.0/UDP 10.0.0.1;rport\r\nVia: SIP/2.0/UDP 10.0.0.2;rport")
    )
    ch = MsgChanges(msg)
    ch.fix_top_via("127.0.0.1", 9)
    lines = ch.apply().decode().split("\r\n")
    assert lines[1] == "Via: SIP/2.0/UDP 10.0.0.1;received=127.0.0.1;rport=9"
    assert lines[2] == "Via: SIP/2.0/UDP 10.0.0.2;rport"


def test_via_fix_values() -> None:
    via = parse_message(request("Via: SIP/2.0/UDP [::1];rport")).via1
    assert via is not None
    fix = via_fix(via, "::1", 7)
    assert (fix.received, fix.rport) == ("::1", 7)
    fix = via_fix(via, "[::1]", 7)  # bracketed source IP is accepted too
    assert fix.received == "::1"
    same = parse_message(request("Via: SIP/2.0/UDP 127.0.0.1")).via1
    assert same is not None
    assert not via_fix(same, "127.0.0.1", 7)


def test_host_matches_ip_is_textual() -> None:
    assert host_matches_ip("[::1]", "::1")
    assert host_matches_ip("[FE80::1]", "fe80::1")
    assert not host_matches_ip("[0:0:0:0:0:0:0:1]", "::1")
    assert not host_matches_ip("127.000.000.001", "127.0.0.1")


# Reply top Via as Kamailio's sl_send_reply wrote it (request from 127.0.0.1:53633).
KAMAILIO_REPLY_VIA = [
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKabc",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;rport=53633;branch=z9hG4bKabc;received=127.0.0.1",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:53633;branch=z9hG4bKabc",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:53633;branch=z9hG4bKabc",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:53633;rport;branch=z9hG4bKabc",
        False,
        "Via: SIP/2.0/UDP 127.0.0.1:53633;rport=53633;branch=z9hG4bKabc;received=127.0.0.1",
    ),
    (
        "v: SIP/2.0/UDP 127.0.0.1:53633 ;branch=z9hG4bKabc",
        False,
        "v: SIP/2.0/UDP 127.0.0.1:53633 ;branch=z9hG4bKabc",
    ),
    (
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc",
        True,
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport=53633",
    ),
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc",
        True,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport=53633;received=127.0.0.1",
    ),
    # deliberate difference: Kamailio appends a second received; we replace the old one
    (
        "Via: SIP/2.0/UDP 10.0.0.1:5060;received=1.2.3.4;branch=z9hG4bKabc;rport=5",
        False,
        "Via: SIP/2.0/UDP 10.0.0.1:5060;received=127.0.0.1;branch=z9hG4bKabc;rport=53633",
    ),
]


@pytest.mark.parametrize(("via_in", "force", "via_out"), KAMAILIO_REPLY_VIA)
def test_reply_via_edits(via_in: str, force: bool, via_out: str) -> None:
    data = request(via_in)
    msg = parse_message(data)
    via = msg.via1
    assert via is not None
    edits = reply_via1_edits(via, via_fix(via, "127.0.0.1", 53633, force_rport=force))
    line_start = data.index(b"\r\n") + 2
    line_end = data.index(b"\r\n", line_start)
    out, pos = [], line_start
    for s, e, new in edits:
        out += [data[pos:s], new]
        pos = e
    out.append(data[pos:line_end])
    assert b"".join(out).decode() == via_out


def test_build_via() -> None:
    assert build_via("udp", "127.0.0.1", 5060, "z9hG4bKx") == (
        b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
    )
    assert build_via("tcp", "::1", 5070, "z9hG4bKx", rport=True) == (
        b"Via: SIP/2.0/TCP [::1]:5070;branch=z9hG4bKx;rport\r\n"
    )
    assert build_via("udp", "sip.example.com", 5099, "z9hG4bKx", extra_params=";i=1") == (
        b"Via: SIP/2.0/UDP sip.example.com:5099;branch=z9hG4bKx;i=1\r\n"
    )


def test_stateless_branch_is_stable_and_distinct() -> None:
    m1 = parse_message(request("Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1"))
    m2 = parse_message(request("Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2"))
    b1 = stateless_branch(m1.via1, m1.callid, 1, "sip:bob@127.0.0.1")
    assert b1.startswith("z9hG4bK")
    assert b1 == stateless_branch(m1.via1, m1.callid, 1, "sip:bob@127.0.0.1")
    assert b1 != stateless_branch(m2.via1, m2.callid, 1, "sip:bob@127.0.0.1")
    assert b1 != stateless_branch(m1.via1, m1.callid, 1, "sip:carol@127.0.0.1")
    old = parse_message(request("Via: SIP/2.0/UDP 10.0.0.1;branch=1"))
    assert stateless_branch(old.via1, "c1", 1, "sip:x") != stateless_branch(
        old.via1, "c2", 1, "sip:x"
    )


@pytest.mark.parametrize(
    ("via_line", "transport", "force", "to_via", "expected"),
    [
        ("Via: SIP/2.0/UDP 10.0.0.1:5070", "udp", False, False, ("127.0.0.1", 5070)),
        ("Via: SIP/2.0/UDP 10.0.0.1", "udp", False, False, ("127.0.0.1", 5060)),
        ("Via: SIP/2.0/TLS 10.0.0.1", "udp", False, False, ("127.0.0.1", 5061)),
        ("Via: SIP/2.0/UDP 10.0.0.1;rport", "udp", False, False, ("127.0.0.1", 4444)),
        ("Via: SIP/2.0/UDP 10.0.0.1:5070", "udp", True, False, ("127.0.0.1", 4444)),
        ("Via: SIP/2.0/UDP 10.0.0.1:5070", "udp", False, True, ("10.0.0.1", 5070)),
        ("Via: SIP/2.0/UDP [2001:db8::1]:5070", "udp", False, True, ("2001:db8::1", 5070)),
        ("Via: SIP/2.0/UDP h;received=10.9.9.9", "udp", False, True, ("h", 5060)),
        ("Via: SIP/2.0/UDP h;maddr=239.1.1.1", "udp", False, True, ("h", 5060)),
        ("Via: SIP/2.0/UDP h;rport", "udp", False, True, ("h", 4444)),
        ("Via: SIP/2.0/TCP 10.0.0.1:5070", "tcp", False, False, ("127.0.0.1", 4444)),
        ("Via: SIP/2.0/TLS 10.0.0.1", "tls", False, True, ("127.0.0.1", 4444)),
    ],
)
def test_reply_address(
    via_line: str, transport: str, force: bool, to_via: bool, expected: tuple[str, int]
) -> None:
    via = parse_message(request(via_line)).via1
    assert via is not None
    got = reply_address(via, "127.0.0.1", 4444, transport, force_rport=force, reply_to_via=to_via)
    assert got == expected


def test_default_port() -> None:
    assert default_port("udp") == 5060
    assert default_port("TLS") == 5061
    assert default_port("wss") == 5061


@pytest.mark.parametrize(
    ("via_line", "expected"),
    [
        ("Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK1", ("127.0.0.2", 5070)),
        ("Via: SIP/2.0/UDP 127.0.0.2", ("127.0.0.2", 5060)),
        ("Via: SIP/2.0/TLS 127.0.0.2", ("127.0.0.2", 5061)),
        ("Via: SIP/2.0/UDP 127.0.0.3:5070;received=127.0.0.2", ("127.0.0.2", 5070)),
        ("Via: SIP/2.0/UDP 127.0.0.3:5070;received=127.0.0.2;rport=7", ("127.0.0.2", 7)),
        ("Via: SIP/2.0/UDP 127.0.0.3:5070;rport=7", ("127.0.0.3", 7)),
        ("Via: SIP/2.0/UDP 127.0.0.3:5070;rport", ("127.0.0.3", 5070)),
        ("Via: SIP/2.0/UDP 127.0.0.3:5070;maddr=127.0.0.4", ("127.0.0.3", 5070)),
        ("Via: SIP/2.0/UDP [::1]:5070", ("::1", 5070)),
    ],
)
def test_forward_reply_address(via_line: str, expected: tuple[str, int]) -> None:
    via = parse_message(request(via_line)).via1
    assert via is not None
    assert forward_reply_address(via) == expected
