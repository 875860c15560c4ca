"""Body framing: Content-Length over datagram vs stream transports, and frame_length()."""

from __future__ import annotations

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.message import MAX_HEADER_BYTES, frame_length, parse_message

HEAD = (
    b"MESSAGE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n"
    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: c1\r\nCSeq: 1 MESSAGE\r\n"
)


def msg(cl: bytes | None, body: bytes) -> bytes:
    h = HEAD if cl is None else HEAD + b"Content-Length: " + cl + b"\r\n"
    return h + b"\r\n" + body


@pytest.mark.parametrize("transport", ["udp", "sctp", "ws", "wss"])
def test_missing_cl_on_datagram_means_rest_of_data(transport: str) -> None:
    m = parse_message(msg(None, b"hello world"), transport=transport)
    assert m.body == b"hello world"
    assert m.content_length is None
    assert m.transport == transport


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_missing_cl_on_stream_is_an_error(transport: str) -> None:
    with pytest.raises(SipParseError, match="missing Content-Length") as ei:
        parse_message(msg(None, b""), transport=transport)
    assert ei.value.status == 400


def test_tcp_accept_no_cl() -> None:
    m = parse_message(msg(None, b"xy"), transport="tcp", tcp_accept_no_cl=True)
    assert m.body == b"xy" and m.content_length is None


def test_exact_cl() -> None:
    m = parse_message(msg(b"5", b"hello"), transport="tcp")
    assert m.body == b"hello" and m.content_length == 5


def test_cl_larger_than_data_is_an_error() -> None:
    with pytest.raises(SipParseError, match="larger") as ei:
        parse_message(msg(b"6", b"hello"))
    assert ei.value.status == 400


def test_cl_smaller_truncates_body_and_data() -> None:
    data = msg(b"3", b"hello")
    m = parse_message(data)
    assert m.body == b"hel"
    assert m.data == data[:-2]
    assert m.body_end == len(m.data)


def test_cl_zero_with_trailing_noise() -> None:
    m = parse_message(msg(b"0", b"\r\n\r\nnoise"))
    assert m.body == b""


@pytest.mark.parametrize("bad", [b"-1", b"abc", b"1 2", b"", b"0x10", b"99999999999", b"+5"])
def test_broken_cl_rejected(bad: bytes) -> None:
    with pytest.raises(SipParseError, match="Content-Length") as ei:
        parse_message(msg(bad, b""))
    assert ei.value.status == 400


def test_cl_whitespace_and_compact_form() -> None:
    data = HEAD + b"l :   2  \r\n\r\nok"
    m = parse_message(data, transport="tcp")
    assert m.body == b"ok" and m.content_length == 2


def test_duplicate_cl_first_counts_in_lenient_mode_refused_in_strict_mode() -> None:
    same = HEAD + b"Content-Length: 2\r\nl: 2\r\n\r\nok"
    assert parse_message(same).content_length == 2
    with pytest.raises(SipParseError, match="duplicate Content-Length"):
        parse_message(same, parser_mode=1)
    diff = HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nok"
    assert parse_message(diff).body == b"o"
    with pytest.raises(SipParseError, match="duplicate Content-Length"):
        parse_message(diff, parser_mode=1)
    bad_second = HEAD + b"Content-Length: 1\r\nContent-Length: x\r\n\r\nok"
    with pytest.raises(SipParseError, match="Content-Length"):
        parse_message(bad_second)


def test_body_with_lf_only_headers() -> None:
    data = msg(b"4", b"a\r\nb").replace(b"\r\n", b"\n", 7)
    m = parse_message(data)
    assert m.body.endswith(b"b")


# ---- frame_length -----------------------------------------------------------------------


def test_frame_length_whole_message() -> None:
    data = msg(b"5", b"hello")
    assert frame_length(data) == len(data)


def test_frame_length_needs_more() -> None:
    data = msg(b"5", b"hello")
    for cut in (1, 10, len(HEAD), len(data) - 6, len(data) - 1):
        assert frame_length(data[:cut]) is None, cut


def test_frame_length_two_messages_back_to_back() -> None:
    one = msg(b"5", b"hello")
    two = msg(b"0", b"")
    buf = one + two
    n = frame_length(buf)
    assert n == len(one)
    assert frame_length(buf[n:]) == len(two)
    assert parse_message(buf[:n], transport="tcp").body == b"hello"


def test_frame_length_keepalives() -> None:
    assert frame_length(b"") is None
    assert frame_length(b"\r\n\r\n") == 4
    assert frame_length(b"\r\n\r\nINVITE") == 4
    assert frame_length(b"\r\nINVITE") == 2
    assert frame_length(b"\r\n") is None
    assert frame_length(b"\r\n\r") is None
    assert frame_length(b"\r") is None
    assert frame_length(b"\nX") == 1


def test_frame_length_missing_cl() -> None:
    with pytest.raises(SipParseError, match="missing Content-Length"):
        frame_length(msg(None, b""))
    assert frame_length(msg(None, b""), accept_no_cl=True) == len(msg(None, b""))


def test_frame_length_compact_and_case() -> None:
    data = HEAD + b"l: 3\r\n\r\nabc"
    assert frame_length(data) == len(data)
    data = HEAD + b"CONTENT-LENGTH:3\r\n\r\nabc"
    assert frame_length(data) == len(data)


def test_frame_length_ignores_cl_lookalike_in_other_headers() -> None:
    data = HEAD + b"X-Note: l: 99\r\nContent-Length: 1\r\n\r\nz"
    assert frame_length(data) == len(data)


def test_frame_length_bad_cl() -> None:
    with pytest.raises(SipParseError):
        frame_length(HEAD + b"Content-Length: -5\r\n\r\n")


def test_frame_length_lf_only() -> None:
    data = (HEAD + b"Content-Length: 2\r\n\r\n").replace(b"\r\n", b"\n") + b"ok"
    assert frame_length(data) == len(data)


@pytest.mark.parametrize(
    "end", [b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"], ids=["crlf", "lf", "crlf-lf", "lf-crlf"]
)
def test_frame_length_ends_headers_where_the_parser_does(end: bytes) -> None:
    data = HEAD + b"Content-Length: 2" + end + b"okNEXT"
    n = frame_length(data)
    assert n == len(data) - 4
    assert parse_message(data[:n], transport="tcp").body == b"ok"


def test_frame_length_header_flood() -> None:
    with pytest.raises(SipParseError) as ei:
        frame_length(b"INVITE sip:x SIP/2.0\r\n" + b"X: y\r\n" * (MAX_HEADER_BYTES // 6 + 10))
    assert ei.value.status == 513
