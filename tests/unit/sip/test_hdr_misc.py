"""Small parsed headers: CSeq, numbers, Content-Type, token lists, Event, Session-Expires,
Call-ID, and the shared scanners of hdr_params."""

from __future__ import annotations

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_cseq import CSeq, parse_cseq
from siprouter.sip.hdr_misc import (
    parse_callid,
    parse_content_type,
    parse_event,
    parse_expires,
    parse_max_forwards,
    parse_session_expires,
    parse_token_list,
    parse_uint,
)
from siprouter.sip.hdr_params import parse_params, split_commas, unfold, unquote


def call(fn, value: bytes):  # type: ignore[no-untyped-def]
    return fn(value, 0, len(value))


@pytest.mark.parametrize(
    ("value", "num", "method"),
    [
        (b"314159 INVITE", 314159, "INVITE"),
        (b"  0009 \r\n INVITE  ", 9, "INVITE"),
        (b"4294967295 FOO-bar.1", 2**32 - 1, "FOO-bar.1"),
        (b"0 ACK", 0, "ACK"),
    ],
)
def test_cseq(value: bytes, num: int, method: str) -> None:
    assert call(parse_cseq, value) == CSeq(num, method)


@pytest.mark.parametrize(
    "bad", [b"", b"INVITE", b"1", b"1INVITE", b"-1 INVITE", b"4294967296 INVITE", b"1 IN VITE"]
)
def test_bad_cseq(bad: bytes) -> None:
    with pytest.raises(SipParseError):
        call(parse_cseq, bad)


def test_cseq_value_semantics() -> None:
    assert CSeq(1, "A") == CSeq(1, "A") != CSeq(2, "A")
    assert len({CSeq(1, "A"), CSeq(1, "A")}) == 1
    assert repr(CSeq(1, "A")) == "CSeq(1, 'A')"


def test_numbers() -> None:
    assert call(parse_uint, b" 42 ") == 42
    assert call(parse_max_forwards, b"255") == 255
    with pytest.raises(SipParseError):
        call(parse_max_forwards, b"256")
    assert call(parse_expires, b"10000000000") == 2**32 - 1
    assert call(parse_expires, b"0") == 0
    for bad in (b"", b"1.5", b"-1", b"1 2", b"0x1", b"\xd9\xa3"):
        with pytest.raises(SipParseError):
            call(parse_uint, bad)


def test_content_type() -> None:
    ct = call(parse_content_type, b"Multipart/Mixed ; boundary=unique-boundary-1;charset=UTF-8")
    assert (ct.type, ct.subtype, ct.mime) == ("multipart", "mixed", "multipart/mixed")
    assert ct.param("boundary") == "unique-boundary-1" and ct.param("charset") == "UTF-8"
    assert call(parse_content_type, b"application/sdp").params == []
    for bad in (b"", b"text", b"/plain", b"text/plain junk"):
        with pytest.raises(SipParseError):
            call(parse_content_type, bad)


def test_token_lists() -> None:
    assert call(parse_token_list, b"timer, 100rel,replaces , path") == [
        "timer",
        "100rel",
        "replaces",
        "path",
    ]
    assert call(parse_token_list, b"") == []
    assert call(parse_token_list, b"presence.winfo") == ["presence.winfo"]
    with pytest.raises(SipParseError):
        call(parse_token_list, b"a b")
    with pytest.raises(SipParseError):
        call(parse_token_list, b'"quoted"')


def test_event() -> None:
    e = call(parse_event, b"presence.winfo;id=12;foo")
    assert e.package == "presence.winfo" and e.id == "12" and e.param("foo") is None
    assert call(parse_event, b"dialog").params == []
    with pytest.raises(SipParseError):
        call(parse_event, b";id=1")


def test_session_expires() -> None:
    s = call(parse_session_expires, b"1800;refresher=uas")
    assert s.delta == 1800 and s.refresher == "uas"
    assert call(parse_session_expires, b"90").refresher is None
    with pytest.raises(SipParseError):
        call(parse_session_expires, b"soon")


def test_callid() -> None:
    assert (
        call(parse_callid, b"  a84b4c76e66710@pc33.example.com ")
        == "a84b4c76e66710@pc33.example.com"
    )
    for bad in (b"", b"   ", b"a b"):
        with pytest.raises(SipParseError):
            call(parse_callid, bad)


# ---- hdr_params scanners -----------------------------------------------------------------


def test_split_commas_respects_quotes_and_brackets() -> None:
    v = b' "a,b" <sip:x,y>;p="1,2" , z ,, '
    assert [v[s:e] for s, e in split_commas(v, 0, len(v))] == [
        b'"a,b" <sip:x,y>;p="1,2"',
        b"z",
    ]
    assert split_commas(b"   ", 0, 3) == []
    with pytest.raises(SipParseError):
        split_commas(b"<sip:a, b", 0, 9)
    with pytest.raises(SipParseError):
        split_commas(b'"abc, d', 0, 7)
    # without a comma there is nothing to split: the element parser reports the damage
    assert split_commas(b" <sip:a ", 0, 8) == [(1, 7)]


def test_parse_params_both_paths_agree() -> None:
    simple = b" ; a=1;b ; c = x"
    quoted = b' ; a=1;b ; c = x;d="q;u,o\\"te"'
    assert call(parse_params, simple) == [("a", "1"), ("b", None), ("c", "x")]
    assert call(parse_params, quoted) == [
        ("a", "1"),
        ("b", None),
        ("c", "x"),
        ("d", '"q;u,o\\"te"'),
    ]
    folded = b";a=1\r\n ;b=2"
    assert call(parse_params, folded) == [("a", "1"), ("b", "2")]
    for bad in (b"x;a=1", b";", b";a b", b";a=b c", b";=1"):
        with pytest.raises(SipParseError):
            call(parse_params, bad)


def test_unquote_and_unfold() -> None:
    assert unquote('"a\\"b\\\\c"') == 'a"b\\c'
    assert unquote('"plain"') == "plain"
    assert unquote("token") == "token"
    assert unfold(b"a\r\n b\n\tc") == b"a b c"
    assert unfold(b"no folding") == b"no folding"
