"""Tests for siprouter.sip.reply.build_reply (layout as kamailio's sl_send_reply writes it)."""

from __future__ import annotations

import re

import pytest

from siprouter.sip.message import parse_message
from siprouter.sip.reply import (
    DEFAULT_SERVER_HEADER,
    SL_TAG_PREFIX,
    SipWarning,
    build_reply,
    is_local_to_tag,
    server_header_line,
    sl_to_tag,
)

INVITE = (
    b"INVITE sip:bob@b.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef, SIP/2.0/TCP 10.0.0.3;branch=z9hG4bKghi\r\n"
    b"Record-Route: <sip:p1.example.com;lr>\r\n"
    b"Max-Forwards: 70\r\n"
    b'f: "Alice" <sip:alice@a.com>;tag=1928301774\r\n'
    b"To: <sip:bob@b.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.com>\r\n"
    b"Record-Route: <sip:p2.example.com;lr>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)
SRC = ("127.0.0.1", 51158)


def req(data: bytes = INVITE):
    return parse_message(data)


def test_404_layout_matches_kamailio() -> None:
    # kamailio 5.6.3 sl_send_reply("404","Not here") with sip_warning=1, same request
    out = build_reply(
        req(),
        404,
        b"Not here",
        src=SRC,
        to_tag="TAG",
        server_header=b"Server: kamailio (5.6.3 (x86_64/linux))",
        sip_warning=SipWarning("127.0.0.1", 34978, "127.0.0.1", 51158, pid=14742),
    )
    assert out == (
        b"SIP/2.0 404 Not here\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport=51158;received=127.0.0.1\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef, SIP/2.0/TCP 10.0.0.3;branch=z9hG4bKghi\r\n"
        b'f: "Alice" <sip:alice@a.com>;tag=1928301774\r\n'
        b"To: <sip:bob@b.com>;tag=TAG\r\n"
        b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
        b"CSeq: 314159 INVITE\r\n"
        b"Server: kamailio (5.6.3 (x86_64/linux))\r\n"
        b"Content-Length: 0\r\n"
        b'Warning: 392 127.0.0.1:34978 "Noisy feedback tells:  pid=14742 req_src_ip=127.0.0.1 '
        b"req_src_port=51158 in_uri=sip:bob@b.example.com out_uri=sip:bob@b.example.com "
        b'via_cnt==2"\r\n'
        b"\r\n"
    )


def test_200_copies_record_route_in_place_and_adds_body() -> None:
    out = build_reply(
        req(),
        200,
        "OK",
        to_tag=b"t1",
        extra_headers=b"Contact: <sip:bob@192.0.2.4>\r\n",
        body=b"v=0\r\n",
        content_type="application/sdp",
        server_header=b"Server: X",
    )
    assert out == (
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef, SIP/2.0/TCP 10.0.0.3;branch=z9hG4bKghi\r\n"
        b"Record-Route: <sip:p1.example.com;lr>\r\n"
        b'f: "Alice" <sip:alice@a.com>;tag=1928301774\r\n'
        b"To: <sip:bob@b.com>;tag=t1\r\n"
        b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
        b"CSeq: 314159 INVITE\r\n"
        b"Record-Route: <sip:p2.example.com;lr>\r\n"
        b"Contact: <sip:bob@192.0.2.4>\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Server: X\r\n"
        b"Content-Length: 5\r\n"
        b"\r\n"
        b"v=0\r\n"
    )


@pytest.mark.parametrize(
    ("code", "tagged", "rr"),
    [
        (100, False, False),
        (101, False, False),
        (179, False, False),
        (180, True, True),
        (183, True, True),
        (199, True, True),
        (200, True, True),
        (299, True, True),
        (300, True, False),
        (404, True, False),
        (603, True, False),
    ],
)
def test_tag_and_record_route_thresholds(code: int, tagged: bool, rr: bool) -> None:
    out = build_reply(req(), code, b"X")
    assert (b"To: <sip:bob@b.com>;tag=" in out) is tagged
    assert (b"Record-Route:" in out) is rr
    parse_message(out)  # the reply is well-formed


def test_existing_to_tag_is_kept() -> None:
    data = INVITE.replace(b"To: <sip:bob@b.com>", b"To: <sip:bob@b.com>;tag=xyz")
    out = build_reply(req(data), 486, b"Busy Here", to_tag="ignored")
    assert b"To: <sip:bob@b.com>;tag=xyz\r\n" in out and b"ignored" not in out


def test_generated_tag_is_stable_and_recognisable() -> None:
    a = build_reply(req(), 404, b"Not Found")
    b = build_reply(req(), 404, b"Not Found")
    assert a == b
    tag = parse_message(a).to.tag
    assert tag == sl_to_tag(req())
    assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{8}", tag)
    assert is_local_to_tag(tag) and tag.startswith(SL_TAG_PREFIX)
    assert not is_local_to_tag("abc") and not is_local_to_tag(None)
    other = req(INVITE.replace(b"z9hG4bKabc", b"z9hG4bKabd"))
    assert sl_to_tag(other) != tag


def test_no_server_header_and_default() -> None:
    assert b"Server:" not in build_reply(req(), 404, b"N", server_header=None)
    assert DEFAULT_SERVER_HEADER.startswith(b"Server: siprouter (")
    assert DEFAULT_SERVER_HEADER + b"\r\n" in build_reply(req(), 404, b"N")
    assert server_header_line(None, True) == DEFAULT_SERVER_HEADER
    assert server_header_line("Server: Foo", True) == b"Server: Foo"
    assert server_header_line("Server: Foo", False) is None


def test_force_rport_in_reply() -> None:
    data = INVITE.replace(b"z9hG4bKabc;rport", b"z9hG4bKabc")
    out = build_reply(req(data), 404, b"N", src=SRC, force_rport=True)
    assert (
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport=51158;received=127.0.0.1\r\n"
        in out
    )


def test_compact_and_folded_headers_copied_verbatim() -> None:
    data = INVITE.replace(b"Call-ID: a84b4c76e66710@pc33.atlanta.com", b"i:\r\n a84b@x").replace(
        b"CSeq: 314159 INVITE", b"CSeq: 314159\r\n\tINVITE"
    )
    out = build_reply(req(data), 500, b"E")
    assert b"i:\r\n a84b@x\r\n" in out and b"CSeq: 314159\r\n\tINVITE\r\n" in out


def test_warning_for_changed_uri_and_ipv6_socket() -> None:
    w = SipWarning("::1", 5060, "::1", 7, out_uri="sip:new@x", pid=1)
    out = build_reply(req(), 404, b"N", sip_warning=w)
    assert (
        b'Warning: 392 [::1]:5060 "Noisy feedback tells:  pid=1 req_src_ip=::1 req_src_port=7 '
        in out
    )
    assert b"out_uri=sip:new@x via_cnt==2" in out
    assert out.index(b"Content-Length") < out.index(b"Warning")


@pytest.mark.parametrize("code", [99, 700, 0])
def test_bad_code(code: int) -> None:
    with pytest.raises(ValueError):
        build_reply(req(), code, b"X")


def test_bad_reason_and_reply_input() -> None:
    with pytest.raises(ValueError):
        build_reply(req(), 404, b"X\r\nY: z")
    reply = parse_message(build_reply(req(), 404, b"N"))
    with pytest.raises(ValueError):
        build_reply(reply, 404, b"X")
