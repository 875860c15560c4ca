"""SipMessage: start lines, header index, generic header access, lazy cached parsed forms."""

from __future__ import annotations

import pytest

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import is_keepalive, parse_message

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"X-Custom: one\r\n"
    b"x-custom: two\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def test_request_line_and_offsets() -> None:
    m = parse_message(INVITE)
    assert m.is_request
    assert m.method == "INVITE"
    assert m.ruri == "sip:bob@biloxi.example.com"
    assert m.data[m.ruri_start : m.ruri_end] == b"sip:bob@biloxi.example.com"
    assert m.version == "SIP/2.0"
    assert m.status == 0 and m.reason == b""
    assert m.first_line == b"INVITE sip:bob@biloxi.example.com SIP/2.0"
    assert m.data[m.first_line_end : m.first_line_end + 2] == b"\r\n"
    assert m.data[m.headers_end : m.headers_end + 2] == b"\r\n"
    assert m.body == b"v=0\n"
    assert m.body_start == len(INVITE) - 4 and m.body_end == len(INVITE)
    assert m.content_length == 4
    assert m.data is INVITE


def test_status_line_reason_kept_as_bytes() -> None:
    data = (
        "SIP/2.0 486 Busy Here – très occupé\r\n"
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    m = parse_message(data)
    assert not m.is_request
    assert m.status == 486
    assert m.reason == "Busy Here – très occupé".encode()
    assert m.method == "BYE"  # a reply's method is its CSeq method
    assert m.ruri is None
    assert m.check_mandatory() is None


@pytest.mark.parametrize(
    ("line", "status", "reason"),
    [
        (b"SIP/2.0 200 OK", 200, b"OK"),
        (b"SIP/2.0 100 ", 100, b""),
        (b"SIP/2.0 180", 180, b""),
        (b"sip/2.0 699 x y z", 699, b"x y z"),
    ],
)
def test_status_line_forms(line: bytes, status: int, reason: bytes) -> None:
    m = parse_message(line + b"\r\nContent-Length: 0\r\n\r\n")
    assert (m.status, m.reason) == (status, reason)


def test_any_method_token() -> None:
    m = parse_message(b"FOO.bar-1!~ sip:x@y SIP/2.0\r\nl: 0\r\n\r\n")
    assert m.method == "FOO.bar-1!~"


def test_names_case_insensitive_raw_casing_kept() -> None:
    m = parse_message(INVITE.replace(b"Max-Forwards", b"mAx-FoRwArDs"))
    assert m.header("MAX-FORWARDS") == b"70"
    assert m.header(b"max-forwards") == b"70"
    assert m.header(H.MAX_FORWARDS) == b"70"
    assert m.max_forwards == 70
    names = [f.name for f in m.header_fields]
    assert "mAx-FoRwArDs" in names
    f = next(f for f in m.header_fields if f.hid == H.MAX_FORWARDS)
    assert f.canonical_name == "Max-Forwards"


def test_unknown_headers_all_values_in_order() -> None:
    m = parse_message(INVITE)
    assert m.header("X-Custom") == b"one"
    assert m.headers("x-CUSTOM") == [b"one", b"two"]
    assert m.header("X-Missing") is None
    assert m.headers("X-Missing") == []
    assert m.has_header("x-custom") and not m.has_header("x-missing")
    assert not m.has_header(H.ROUTE)


def test_header_fields_offsets_cover_each_line() -> None:
    m = parse_message(INVITE)
    fields = m.header_fields
    assert len(fields) == len(m) == 11
    pos = m.headers_start
    for f in fields:
        assert f.start == pos
        raw = m.data[f.start : f.end]
        assert raw.endswith(b"\r\n")
        assert raw.startswith(f.name.encode())
        assert m.data[f.value_start : f.value_end] == f.value
        pos = f.end
    assert pos == m.headers_end
    assert fields[1].raw == b"Max-Forwards: 70\r\n"


# ---- compact forms ----------------------------------------------------------------------

COMPACT = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}


@pytest.mark.parametrize(("short", "long"), sorted(COMPACT.items()))
def test_compact_form_maps_to_long_name(short: str, long: str) -> None:
    assert H.lookup(short) == H.lookup(long) == H.lookup(short.upper()) != H.OTHER
    assert H.ID_TO_COMPACT[H.lookup(long)] == short
    value = b"0" if short == "l" else b"<sip:x@y>"
    m = parse_message(b"OPTIONS sip:x SIP/2.0\r\n" + short.encode() + b": " + value + b"\r\n\r\n")
    assert m.header(long) == value
    assert m.header(short) == value
    assert m.header_fields[0].canonical_name == long
    assert m.header_fields[0].name == short


def test_compact_message_routing_fields() -> None:
    data = (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"v: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa\r\n"
        b"f: <sip:alice@example.com>;tag=aa\r\n"
        b"t: sip:bob@example.com\r\n"
        b"i: cid-1\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"m: <sip:alice@192.0.2.1:5062>;expires=30\r\n"
        b"k: timer, 100rel\r\n"
        b"o: presence;id=7\r\n"
        b"u: presence, dialog\r\n"
        b"c: Application/SDP\r\n"
        b"l: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert m.via1 is not None and m.via1.port == 5062
    assert m.from_ is not None and m.from_.tag == "aa"
    assert m.to is not None and m.to.uri_text == "sip:bob@example.com"
    assert m.callid == "cid-1"
    assert m.contacts[0].expires == 30
    assert m.supported == ["timer", "100rel"]
    assert m.event is not None and (m.event.package, m.event.id) == ("presence", "7")
    assert m.allow_events == ["presence", "dialog"]
    assert m.content_type is not None and m.content_type.mime == "application/sdp"
    assert m.content_length == 0
    assert m.check_mandatory() is None


# ---- folding, LF-only, leading CRLF -------------------------------------------------------


def test_folded_headers_unfold_and_parse() -> None:
    data = (
        b"OPTIONS sip:x@y SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.1\r\n ;branch=z9hG4bK1,\r\n\tSIP/2.0/TCP h2:5061\r\n"
        b"Subject: first\r\n  second\r\n\tthird\r\n"
        b"CSeq: 5\r\n OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert m.header("Subject") == b"first second third"
    assert [v.branch for v in m.vias] == ["z9hG4bK1", None]
    assert [v.transport for v in m.vias] == ["UDP", "TCP"]
    assert m.cseq is not None and (m.cseq.num, m.cseq.method) == (5, "OPTIONS")
    fields = m.header_fields
    assert [f.canonical_name for f in fields] == ["Via", "Subject", "CSeq", "Content-Length"]
    assert fields[0].raw.endswith(b"h2:5061\r\n") and fields[1].start == fields[0].end
    assert m.data[m.vias[1].start : m.vias[1].end] == b"SIP/2.0/TCP h2:5061"


def test_fold_before_first_header_is_an_error() -> None:
    with pytest.raises(SipParseError, match="folded"):
        parse_message(b"OPTIONS sip:x SIP/2.0\r\n Via: x\r\n\r\n")


def test_lf_only_message() -> None:
    data = INVITE.replace(b"\r\n", b"\n")
    m = parse_message(data)
    assert m.callid == "a84b4c76e66710@pc33.atlanta.example.com"
    assert m.body == b"v=0\n"
    f = m.header_fields[0]
    assert f.raw.endswith(b"z9hG4bK776asdhds\n")
    assert m.data[m.ruri_start : m.ruri_end] == b"sip:bob@biloxi.example.com"


def test_mixed_line_ends() -> None:
    data = b"OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP h\r\nCall-ID: c\n\r\nbody"
    m = parse_message(data)
    assert m.callid == "c"
    assert m.body == b"body"
    assert [f.raw for f in m.header_fields] == [b"Via: SIP/2.0/UDP h\r\n", b"Call-ID: c\n"]


def test_leading_crlf_skipped() -> None:
    m = parse_message(b"\r\n\r\nOPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n")
    assert m.method == "OPTIONS"
    assert m.first_line == b"OPTIONS sip:x SIP/2.0"


def test_no_headers() -> None:
    m = parse_message(b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    assert len(m) == 0 and m.header_fields == [] and m.body == b""
    err = m.check_mandatory()
    assert err is not None and err.status == 400 and "Via" in err.reason


@pytest.mark.parametrize("data", [b"\r\n", b"\r\n\r\n", b"\n", b"\r\n\r\n\r\n"])
def test_keepalives(data: bytes) -> None:
    assert is_keepalive(data)
    with pytest.raises(SipParseError, match="keep-alive"):
        parse_message(data)


@pytest.mark.parametrize("data", [b"", b"x", b"\r\nOPTIONS", b" \r\n"])
def test_not_keepalives(data: bytes) -> None:
    assert not is_keepalive(data)


# ---- comma lists and lazy parsing ---------------------------------------------------------


def test_list_headers_split_across_lines_and_commas() -> None:
    data = (
        b"INVITE sip:x SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com\r\n"
        b"Via: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK3\r\n"
        b'Contact: "Doe, John" <sip:j@a.example.com;x=1>;q=0.5, <sip:j@b.example.com>\r\n'
        b"Route: <sip:p1;lr>,<sip:p2;lr>\r\nRoute: <sip:p3;lr>\r\n"
        b"Allow: INVITE, ACK\r\nAllow: BYE\r\n"
        b"Subject: a, b\r\n"
        b"l: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert [v.host for v in m.vias] == ["a.example.com", "b.example.com", "[2001:db8::1]"]
    assert m.via1 is m.vias[0]
    assert m.via2 is not None and m.via2.host == "b.example.com"
    assert [c.uri_text for c in m.contacts] == ["sip:j@a.example.com;x=1", "sip:j@b.example.com"]
    assert m.contacts[0].display == "Doe, John"
    assert [r.uri_text for r in m.routes] == ["sip:p1;lr", "sip:p2;lr", "sip:p3;lr"]
    assert m.allow == ["INVITE", "ACK", "BYE"]
    assert m.values("Allow") == [b"INVITE", b"ACK", b"BYE"]
    assert m.values("Contact") == [
        b'"Doe, John" <sip:j@a.example.com;x=1>;q=0.5',
        b"<sip:j@b.example.com>",
    ]
    assert m.values("Subject") == [b"a, b"]  # not a list header: never split
    assert m.headers("Route") == [b"<sip:p1;lr>,<sip:p2;lr>", b"<sip:p3;lr>"]


def test_parsed_forms_are_cached() -> None:
    m = parse_message(INVITE)
    assert m.via1 is m.via1
    assert m.from_ is m.from_
    assert m.cseq is m.cseq
    assert m.contacts[0] is m.contacts[0]


def test_absent_headers_read_as_none_or_empty() -> None:
    m = parse_message(b"OPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n")
    assert m.via1 is None and m.vias == [] and m.via2 is None
    assert m.from_ is None and m.to is None and m.callid is None and m.cseq is None
    assert m.max_forwards is None and m.expires is None and m.content_type is None
    assert m.contacts == [] and m.routes == [] and m.record_routes == [] and m.path == []
    assert m.supported == [] and m.require == [] and m.allow == []
    assert m.authorization == [] and m.www_authenticate == []
    assert m.event is None and m.user_agent is None and m.server is None
    assert m.pai == [] and m.diversion == []
    assert m.method == "OPTIONS"


def test_routing_accessors_on_a_full_invite() -> None:
    data = (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx;rport\r\n"
        b"Max-Forwards: 69\r\n"
        b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
        b"Call-ID: 42@h\r\nCSeq: 2 INVITE\r\n"
        b"Record-Route: <sip:10.0.0.2;lr>, <sip:10.0.0.3;lr>\r\n"
        b"Path: <sip:edge.example.com;lr>\r\n"
        b'P-Asserted-Identity: "Alice" <sip:alice@example.com>, <tel:+15551234>\r\n'
        b"Diversion: <sip:carol@example.com>;reason=unconditional;counter=1\r\n"
        b"Require: 100rel\r\nProxy-Require: sec-agree\r\nUnsupported: foo\r\n"
        b"User-Agent: Phone/1.0 (x)\r\nServer: S/2\r\n"
        b"Expires: 120\r\nSession-Expires: 1800;refresher=uac\r\n"
        b"Refer-To: <sip:c@example.com>\r\nReferred-By: <sip:a@example.com>\r\n"
        b"P-Preferred-Identity: <sip:pp@example.com>\r\n"
        b"l: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert m.check_mandatory() is None
    assert m.max_forwards == 69
    assert [r.uri_text for r in m.record_routes] == ["sip:10.0.0.2;lr", "sip:10.0.0.3;lr"]
    assert [p.uri_text for p in m.path] == ["sip:edge.example.com;lr"]
    assert [(p.display, p.uri_text) for p in m.pai] == [
        ("Alice", "sip:alice@example.com"),
        (None, "tel:+15551234"),
    ]
    assert m.diversion[0].param("reason") == "unconditional"
    assert m.require == ["100rel"] and m.proxy_require == ["sec-agree"]
    assert m.unsupported == ["foo"]
    assert m.user_agent == "Phone/1.0 (x)" and m.server == "S/2"
    assert m.expires == 120
    assert m.session_expires.delta == 1800 and m.session_expires.refresher == "uac"
    assert m.refer_to is not None and m.refer_to.uri_text == "sip:c@example.com"
    assert m.referred_by is not None and m.referred_by.uri_text == "sip:a@example.com"
    assert [p.uri_text for p in m.ppi] == ["sip:pp@example.com"]
    m.parse_all()


def test_parsed_by_index_gives_raw_value_for_unparsed_headers() -> None:
    m = parse_message(INVITE)
    i = next(f.index for f in m.header_fields if f.name == "X-Custom")
    assert m.parsed(i) == b"one"


def test_bytearray_and_memoryview_accepted() -> None:
    assert parse_message(bytearray(INVITE)).callid == parse_message(memoryview(INVITE)).callid


def test_non_bytes_input_is_a_parse_error() -> None:
    with pytest.raises(SipParseError):
        parse_message("INVITE sip:x SIP/2.0\r\n\r\n")  # type: ignore[arg-type]


def test_surrogateescape_round_trip_of_non_utf8() -> None:
    data = b"OPTIONS sip:x SIP/2.0\r\nUser-Agent: caf\xe9\r\nl: 0\r\n\r\n"
    m = parse_message(data)
    assert m.user_agent is not None
    assert m.user_agent.encode("utf-8", "surrogateescape") == b"caf\xe9"
