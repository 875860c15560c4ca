"""Parse errors: bad start lines, bad header lines, limits, strict mode, check_mandatory, and a
fuzz check that any bytes give a SipMessage or a SipParseError, never another exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import (
    MAX_HEADERS,
    MAX_LINE_BYTES,
    MAX_MESSAGE_BYTES,
    frame_length,
    parse_message,
)

GOOD = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "A, B" <sip:a@example.com>;tag=1\r\n'
    b"To: <sip:bob@example.com>\r\n"
    b"Call-ID: c@h\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:a@[2001:db8::1]:5060>;expires=60, sip:b@h;q=0.5\r\n"
    b"Route: <sip:p;lr>\r\n"
    b'Authorization: Digest username="a", realm="r", nonce="n", uri="sip:b", '
    b'response="0123"\r\n'
    b"Supported: timer\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 2\r\n"
    b"\r\nhi"
)


@pytest.mark.parametrize(
    ("first", "status", "match"),
    [
        (b"INVITE sip:x SIP/3.0", 505, "version"),
        (b"SIP/7.0 200 OK", 505, "version"),
        (b"INVITE sip:x HTTP/1.1", 400, "request line"),
        (b"INVITE sip:x", 400, "request line"),
        (b"INVITE", 400, "request line"),
        (b"INVITE  sip:x SIP/2.0", 400, "Request-URI"),
        (b"INVITE sip:x  SIP/2.0", 400, "Request-URI"),
        (b"IN(VITE sip:x SIP/2.0", 400, "method"),
        (b"INVITE sip:a\tb SIP/2.0", 400, "Request-URI"),
        (b"SIP/2.0 20 OK", 400, "status code"),
        (b"SIP/2.0 2000 OK", 400, "status code"),
        (b"SIP/2.0 099 OK", 400, "status code"),
        (b"SIP/2.0 700 OK", 400, "status code"),
        (b"SIP/2.0 800 OK", 400, "status code"),
        (b"SIP/2.0 999 OK", 400, "status code"),
        (b"SIP/2.0 -10 OK", 400, "status code"),
        (b"SIP/2.0 abc OK", 400, "status code"),
        (b"SIP/2.0", 400, "status"),
        (b"", 400, "request line"),  # leading CRLFs are skipped: the next line is read
    ],
)
def test_bad_start_lines(first: bytes, status: int, match: str) -> None:
    with pytest.raises(SipParseError, match=match) as ei:
        parse_message(first + b"\r\nContent-Length: 0\r\n\r\n")
    assert ei.value.status == status


def test_trailing_blank_after_version_is_ignored() -> None:
    m = parse_message(b"OPTIONS sip:x SIP/2.0 \t\r\nl: 0\r\n\r\n")
    assert m.ruri == "sip:x" and m.version == "SIP/2.0"


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (b"NoColonHere", "without ':'"),
        (b": value", "bad header name"),
        (b"Bad Name: x", "bad header name"),
        (b"Bad(Name): x", "bad header name"),
        (b"Via", "without ':'"),
    ],
)
def test_bad_header_lines(line: bytes, match: str) -> None:
    with pytest.raises(SipParseError, match=match):
        parse_message(b"OPTIONS sip:x SIP/2.0\r\n" + line + b"\r\nl: 0\r\n\r\n")


def test_blanks_before_colon_allowed() -> None:
    m = parse_message(b"OPTIONS sip:x SIP/2.0\r\nCall-ID \t: abc\r\nX-Y  : 1\r\nl: 0\r\n\r\n")
    assert m.callid == "abc"
    assert m.header("x-y") == b"1"
    assert [f.name for f in m.header_fields] == ["Call-ID", "X-Y", "l"]


def test_missing_empty_line() -> None:
    with pytest.raises(SipParseError, match="empty line"):
        parse_message(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n")
    with pytest.raises(SipParseError):
        parse_message(b"OPTIONS sip:x SIP/2.0")


def test_limits() -> None:
    many = b"OPTIONS sip:x SIP/2.0\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n"
    with pytest.raises(SipParseError, match="header lines") as ei:
        parse_message(many)
    assert ei.value.status == 513
    long_line = b"OPTIONS sip:x SIP/2.0\r\nX: " + b"a" * MAX_LINE_BYTES + b"\r\n\r\n"
    with pytest.raises(SipParseError, match="too long") as ei:
        parse_message(long_line)
    assert ei.value.status == 513
    huge = b"OPTIONS sip:x SIP/2.0\r\n\r\n" + b"x" * MAX_MESSAGE_BYTES
    with pytest.raises(SipParseError, match="exceeds") as ei:
        parse_message(huge)
    assert ei.value.status == 513
    long_first = b"OPTIONS sip:" + b"a" * MAX_LINE_BYTES + b" SIP/2.0\r\n\r\n"
    with pytest.raises(SipParseError, match="too long"):
        parse_message(long_first)
    # LF-only and folded messages go through the slow path: same limits
    with pytest.raises(SipParseError, match="header lines"):
        parse_message(many.replace(b"\r\n", b"\n"))
    with pytest.raises(SipParseError, match="too long"):
        parse_message(long_line.replace(b"\r\n", b"\n"))


# ---- strict mode and check_mandatory -----------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        b"From: <sip:z@example.com>;tag=9",
        b"To: <sip:z@example.com>",
        b"Call-ID: other",
        b"i: other",
        b"CSeq: 2 INVITE",
        b"Content-Length: 2",
    ],
)
def test_strict_mode_rejects_duplicates_lenient_keeps_first(extra: bytes) -> None:
    data = GOOD.replace(b"\r\n\r\n", b"\r\n" + extra + b"\r\n\r\n")
    with pytest.raises(SipParseError, match="duplicate") as ei:
        parse_message(data, parser_mode=1)
    assert ei.value.status == 400
    m = parse_message(data, parser_mode=0)
    assert m.callid == "c@h" and m.cseq is not None and m.cseq.num == 1
    assert m.from_ is not None and m.from_.tag == "1"
    assert m.check_mandatory() is None


def test_duplicate_list_headers_fine_in_strict_mode() -> None:
    data = GOOD.replace(b"\r\n\r\n", b"\r\nVia: SIP/2.0/TCP h2\r\nRoute: <sip:q;lr>\r\n\r\n")
    m = parse_message(data, parser_mode=1)
    assert len(m.vias) == 2 and len(m.routes) == 2


def test_good_message_fully_parses() -> None:
    m = parse_message(GOOD, parser_mode=1)
    assert m.check_mandatory() is None
    m.parse_all()
    assert m.authorization[0].username == "a"


@pytest.mark.parametrize("name", ["Via", "From", "To", "Call-ID", "CSeq"])
def test_check_mandatory_missing(name: str) -> None:
    lines = [ln for ln in GOOD.split(b"\r\n") if not ln.startswith(name.encode() + b":")]
    m = parse_message(b"\r\n".join(lines))
    err = m.check_mandatory()
    assert err is not None
    assert err.status == 400 and err.header == name and "missing" in err.reason


@pytest.mark.parametrize(
    ("old", "new", "header"),
    [
        (b"CSeq: 1 INVITE", b"CSeq: 1 BYE", "CSeq"),
        (b"CSeq: 1 INVITE", b"CSeq: x INVITE", "CSeq"),
        (b"CSeq: 1 INVITE", b"CSeq: 4294967296 INVITE", "CSeq"),
        (b"Max-Forwards: 70", b"Max-Forwards: 256", "Max-Forwards"),
        (b"Max-Forwards: 70", b"Max-Forwards: -1", "Max-Forwards"),
        (b"Max-Forwards: 70", b"Max-Forwards: ", "Max-Forwards"),
        (b"Via: SIP/2.0/UDP 192.0.2.1:5060", b"Via: garbage", "Via"),
        (b"Via: SIP/2.0/UDP 192.0.2.1:5060", b"Via: SIP/2.0/UDP h:99999", "Via"),
        (b'From: "A, B" <sip:a@example.com>', b'From: "A, B <sip:a@example.com>', "From"),
        (b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com", "To"),
        (b"Call-ID: c@h", b"Call-ID: c h", "Call-ID"),
    ],
)
def test_check_mandatory_malformed(old: bytes, new: bytes, header: str) -> None:
    data = GOOD.replace(old, new)
    assert data != GOOD
    m = parse_message(data)  # the message itself parses: the core can still answer 400
    err = m.check_mandatory()
    assert err is not None and err.status == 400
    assert err.header == header
    assert err.reason.startswith(header + ":") or header in err.reason


def test_max_forwards_bounds() -> None:
    for v, ok in ((b"0", True), (b"255", True), (b"00070", True), (b"256", False)):
        m = parse_message(GOOD.replace(b"Max-Forwards: 70", b"Max-Forwards: " + v))
        assert (m.check_mandatory() is None) is ok, v


def test_reply_mandatory_does_not_need_max_forwards() -> None:
    data = GOOD.replace(b"INVITE sip:bob@example.com SIP/2.0", b"SIP/2.0 200 OK").replace(
        b"Max-Forwards: 70\r\n", b"Max-Forwards: x\r\n"
    )
    assert parse_message(data).check_mandatory() is None


def test_lazy_header_error_names_the_header_and_is_not_cached_as_good() -> None:
    m = parse_message(GOOD.replace(b"Supported: timer", b"Supported: a b"))
    for _ in range(2):
        with pytest.raises(SipParseError, match=r"^Supported: ") as ei:
            m.supported  # noqa: B018
        assert ei.value.header == "Supported"
    assert m.check_mandatory() is None  # not a routing header


def test_bad_uri_inside_name_addr_is_a_sip_parse_error() -> None:
    m = parse_message(GOOD.replace(b"<sip:bob@example.com>", b"<sip:@@@>"))
    assert m.to is not None and m.to.uri_text == "sip:@@@"
    with pytest.raises(SipParseError, match="URI"):
        m.to.uri  # noqa: B018


def test_parse_error_fields() -> None:
    e = SipParseError("x", 505, header="Via", offset=3)
    assert (e.reason, e.status, e.header, e.offset) == ("x", 505, "Via", 3)
    assert e.reason_phrase == "Version Not Supported"
    assert isinstance(e, ValueError)
    assert "505" in repr(e)


# ---- fuzz -----------------------------------------------------------------------------------


def _touch_everything(data: bytes) -> None:
    for transport in ("udp", "tcp"):
        try:
            m = parse_message(data, transport=transport, parser_mode=1)
        except SipParseError:
            continue
        m.check_mandatory()
        for f in m.header_fields:
            with contextlib.suppress(SipParseError):
                m.parsed(f.index)
            assert m.data[f.start : f.end].startswith(f.name.encode("utf-8", "surrogateescape"))
        with contextlib.suppress(SipParseError):
            m.values("Contact")
        for attr in ("vias", "contacts", "routes", "www_authenticate", "event", "content_type"):
            with contextlib.suppress(SipParseError):
                getattr(m, attr)
        with contextlib.suppress(SipParseError):
            for c in m.contacts:
                _ = (c.expires, c.q, c.instance, c.reg_id, c.display)
        with contextlib.suppress(SipParseError):
            for v in m.vias:
                _ = (v.rport, v.ttl, v.param_span("branch"), v.host_bare)
    with contextlib.suppress(SipParseError):
        frame_length(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    _touch_everything(data)


_PIECES = [
    b"\r\n",
    b"\n",
    b" ",
    b"\t",
    b":",
    b";",
    b",",
    b'"',
    b"\\",
    b"<",
    b">",
    b"=",
    b"[",
    b"]",
    b"@",
    b"/",
    b"0",
    b"SIP/2.0",
    b"Via",
    b"v",
    b"Contact",
    b"m",
    b"l",
    b"CSeq",
    b"*",
    b"\x00",
    b"branch",
    b"rport",
    b"tag",
    b"q",
    b"expires",
    b"Digest",
    b"\xff",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(GOOD)), st.integers(0, 8), st.sampled_from(_PIECES)),
        min_size=1,
        max_size=6,
    )
)
def test_fuzz_mutations_of_a_good_message(edits: list[tuple[int, int, bytes]]) -> None:
    data = GOOD
    for pos, cut, piece in edits:
        pos = min(pos, len(data))
        data = data[:pos] + piece + data[pos + cut :]
    _touch_everything(data)


def test_header_ids_are_stable_and_unique() -> None:
    ids = [hid for hid in H.ID_TO_NAME if hid]
    assert len(ids) == len(set(ids))
    assert H.lookup("VIA") == H.VIA and H.lookup(b" via ") == H.VIA
    assert H.lookup("X-Unknown") == H.OTHER
    assert H.canonical(H.CALL_ID) == "Call-ID"
    assert H.is_list_header(H.CONTACT) and not H.is_list_header(H.FROM)
    assert not H.is_list_header(H.AUTHORIZATION)  # commas inside credentials


@pytest.mark.parametrize(
    "data",
    [
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h" + b";a=b" * 3000 + b';"\r\n\r\n',
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h" + b";a" * 6000 + b" x\r\n\r\n",
        b'OPTIONS sip:x SIP/2.0\r\nFrom: "' + b"\\\\a" * 4000 + b"\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nContact: " + b"<sip:a@b>," * 1500 + b"<\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP" + b" " * 15000 + b"h\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP" + b" / 2.0" * 2000 + b"\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nAuthorization: Digest " + b"a=b, " * 3000 + b"c\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nSubject: a\r\n" + b" b\r\n" * 3000 + b"\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nCSeq: " + b"1" * 10000 + b" \r\n\r\n",
    ],
    ids=[
        "params",
        "params-no-eq",
        "quotes",
        "commas",
        "blanks",
        "slashes",
        "auth",
        "folds",
        "cseq",
    ],
)
def test_adversarial_inputs_end_in_a_result_or_a_parse_error(data: bytes) -> None:
    """Long pathological values: the regexes must not backtrack into a hang (pytest-timeout)."""
    _touch_everything(data)


def test_raw_spelling_table_agrees_with_the_lowercase_table() -> None:
    for raw, hid in H.RAW_NAME_TO_ID.items():
        assert H.NAME_TO_ID[raw.lower()] == hid, raw
    m = parse_message(b"OPTIONS sip:x SIP/2.0\r\nCALL-id: a\r\nCall-ID: b\r\nl: 0\r\n\r\n")
    assert m.headers("call-id") == [b"a", b"b"]
