"""Stream framing of SIP over TCP (runtime/tcp_framing) and the PROXY protocol parser
(runtime/tcp_proxy): sans-I/O, bytes in, messages and events out."""

from __future__ import annotations

import pytest

from siprouter.runtime.tcp_framing import PING, FramingError, StreamFramer
from siprouter.runtime.tcp_proxy import (
    ProxyError,
    parse_proxy_header,
    proxy_v1,
    proxy_v2,
)


def msg(body: bytes = b"", cl: bool = True, compact: bool = False, callid: str = "c") -> bytes:
    head = (
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 127.0.0.1:5000;branch=z9hG4bK1\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\n"
    ).encode()
    if cl:
        head += (b"l: %d\r\n" if compact else b"Content-Length: %d\r\n") % len(body)
    return head + b"\r\n" + body


def test_one_message_in_one_piece() -> None:
    f = StreamFramer()
    assert f.feed(msg()) == [msg()]
    assert f.pending == 0


def test_message_split_byte_by_byte_comes_out_once_whole() -> None:
    f = StreamFramer()
    data = msg(b"v=0\r\n")
    out: list[bytes | None] = []
    for i in range(len(data)):
        out += f.feed(data[i : i + 1])
    assert out == [data]


def test_two_messages_in_one_read_and_a_partial_third() -> None:
    f = StreamFramer()
    a, b, c = msg(callid="a"), msg(b"xyz", callid="b"), msg(callid="c")
    assert f.feed(a + b + c[:10]) == [a, b]
    assert f.pending == 10
    assert f.feed(c[10:]) == [c]


def test_compact_content_length_and_body() -> None:
    f = StreamFramer()
    data = msg(b"hello", compact=True)
    assert f.feed(data + b"NEXT") == [data]
    assert f.pending == 4


def test_crlf_crlf_is_a_ping_single_crlf_is_skipped() -> None:
    f = StreamFramer()
    assert f.feed(b"\r\n\r\n") == [PING]
    assert f.feed(b"\r\n\r\n\r\n\r\n") == [PING, PING]
    assert f.feed(b"\r\n" + msg()) == [msg()]


def test_ping_split_over_two_reads() -> None:
    f = StreamFramer()
    assert f.feed(b"\r\n") == []
    assert f.feed(b"\r\n") == [PING]


def test_ping_between_messages() -> None:
    f = StreamFramer()
    assert f.feed(msg(callid="a") + b"\r\n\r\n" + msg(callid="b")) == [
        msg(callid="a"),
        PING,
        msg(callid="b"),
    ]


def test_missing_content_length_is_an_error_unless_accepted() -> None:
    with pytest.raises(FramingError, match="Content-Length"):
        StreamFramer().feed(msg(cl=False))
    assert StreamFramer(accept_no_cl=True).feed(msg(cl=False)) == [msg(cl=False)]


def test_bad_content_length_is_an_error() -> None:
    with pytest.raises(FramingError, match="bad Content-Length"):
        StreamFramer().feed(msg().replace(b"Content-Length: 0", b"Content-Length: x1"))


def test_message_over_the_limit_is_an_error() -> None:
    big = msg(b"x" * 5000)
    with pytest.raises(FramingError, match="overrun"):
        StreamFramer(max_size=4096).feed(big)
    assert StreamFramer(max_size=len(big)).feed(big) == [big]


def test_headers_without_end_over_the_limit_is_an_error() -> None:
    f = StreamFramer(max_size=100)
    assert f.feed(b"X" * 99) == []
    with pytest.raises(FramingError, match="no end of headers"):
        f.feed(b"Y")


def test_lf_only_line_ends() -> None:
    data = b"OPTIONS sip:a@b SIP/2.0\nCall-ID: x\nContent-Length: 2\n\nok"
    assert StreamFramer().feed(data) == [data]


# ---- PROXY protocol ----------------------------------------------------------------


def test_proxy_v1_tcp4() -> None:
    hdr = proxy_v1(("192.0.2.7", 40000), ("127.0.0.1", 5060))
    assert hdr == b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 5060\r\n"
    got = parse_proxy_header(hdr + b"OPTIONS")
    assert got is not None
    assert got.length == len(hdr)
    assert got.src == ("192.0.2.7", 40000)
    assert got.dst == ("127.0.0.1", 5060)


def test_proxy_v1_tcp6_and_unknown() -> None:
    got = parse_proxy_header(b"PROXY TCP6 2001:db8::1 ::1 1234 5060\r\n")
    assert got is not None and got.src == ("2001:db8::1", 1234)
    got = parse_proxy_header(b"PROXY UNKNOWN\r\n")
    assert got is not None and got.src is None and got.length == 15


def test_proxy_v1_partial_needs_more() -> None:
    assert parse_proxy_header(b"PRO") is None
    assert parse_proxy_header(b"PROXY TCP4 1.2.3.4") is None


@pytest.mark.parametrize(
    "bad",
    [
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
        b"PROXY TCP4 ::1 ::1 1 2\r\n",
        b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        b"PROXY TCP4 " + b"1" * 120,
    ],
)
def test_proxy_errors(bad: bytes) -> None:
    with pytest.raises(ProxyError):
        parse_proxy_header(bad)


def test_proxy_v2_ipv4_and_ipv6() -> None:
    hdr = proxy_v2(("198.51.100.9", 5080), ("127.0.0.1", 5060))
    assert parse_proxy_header(hdr[:15]) is None
    got = parse_proxy_header(hdr + b"rest")
    assert got is not None
    assert (got.length, got.src, got.dst) == (len(hdr), ("198.51.100.9", 5080), ("127.0.0.1", 5060))
    got6 = parse_proxy_header(proxy_v2(("2001:db8::5", 7), ("::1", 5060)))
    assert got6 is not None and got6.src == ("2001:db8::5", 7)


def test_proxy_v2_local_command_keeps_the_real_addresses() -> None:
    hdr = proxy_v2(("10.0.0.1", 1), ("10.0.0.2", 2))
    local = hdr[:12] + bytes([0x20]) + hdr[13:]
    got = parse_proxy_header(local)
    assert got is not None and got.src is None and got.length == len(hdr)


def test_no_proxy_signature_is_a_plain_connection() -> None:
    got = parse_proxy_header(b"OPTIONS sip:a@b SIP/2.0\r\n")
    assert got is not None and (got.length, got.src) == (0, None)


def test_proxy_v2_bad_version() -> None:
    hdr = proxy_v2(("10.0.0.1", 1), ("10.0.0.2", 2))
    with pytest.raises(ProxyError, match="version"):
        parse_proxy_header(hdr[:12] + bytes([0x11]) + hdr[13:])


def test_many_messages_in_one_feed_keep_their_order() -> None:
    msgs = [msg(b"x" * (i % 7), callid=f"c{i}") for i in range(500)]
    data = b"\r\n\r\n".join(msgs)
    f = StreamFramer()
    out = f.feed(data[:-5]) + f.feed(data[-5:])
    assert [m for m in out if m is not PING] == msgs
    assert out.count(PING) == 499
    assert f.pending == 0
