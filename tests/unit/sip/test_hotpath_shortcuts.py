"""The hot path's shortcuts give the same answers as the careful code they skip.

Via's rport/received/branch accessors skip splitting the parameters when the text cannot hold
the name; forward.resolve caches IP literals. Each case compares with the unshortcut
result.
"""

from __future__ import annotations

import pytest

from siprouter.runtime import forward
from siprouter.sip.hdr_params import get_param, has_param, parse_params
from siprouter.sip.message import parse_message

VIAS = [
    "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
    "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport",
    "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;RPort=7",
    "SIP/2.0/UDP 10.0.0.1;Received=1.2.3.4;branch=z9hG4bK1",
    "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKrport",  # the name inside a value only
    "SIP/2.0/UDP 10.0.0.1;xreceived=1;rportx=2;branch=z9hG4bK1",
    "SIP/2.0/UDP 10.0.0.1",
    'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;x="a;rport"',
    "SIP/2.0/UDP 10.0.0.1;BRANCH=Z9hG4bKup;branch=second",
    "SIP/2.0/UDP 10.0.0.1;branch;branch=second",
    "SIP/2.0/UDP 10.0.0.1;xbranch=1;branch=",
    "SIP/2.0/UDP 10.0.0.1 ; branch = z9hG4bKb ; rport",
]


def _via(value: str):  # type: ignore[no-untyped-def]
    data = (
        f"OPTIONS sip:a@b SIP/2.0\r\nVia: {value}\r\nFrom: <sip:a@b>;tag=1\r\n"
        "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    ).encode()
    return parse_message(data).via1


@pytest.mark.parametrize("value", VIAS)
def test_via_rport_received_match_full_parse(value: str) -> None:
    via = _via(value)
    full = parse_params(via._data, via.params_start, via.end)
    rport = get_param(full, "rport")
    assert via.has_rport is has_param(full, "rport")
    assert via.rport == (int(rport) if rport else None)
    assert via.received == get_param(full, "received")
    assert via.branch == get_param(full, "branch")
    # and once the parameters are split, the same answers
    via.params  # noqa: B018
    assert via.has_rport is has_param(full, "rport")
    assert via.received == get_param(full, "received")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 4)),
        ("[::1]", ("::1", 6)),
        ("[2001:DB8:0::1]", ("2001:db8::1", 6)),
        ("2001:db8:0:0::1", ("2001:db8::1", 6)),
    ],
)
def test_resolve_literal_twice_same_answer(host: str, expected: tuple[str, int]) -> None:
    assert forward.resolve(host) == expected
    assert forward.resolve(host) == expected  # from the cache


def test_resolve_cache_stays_bounded() -> None:
    for i in range(forward._LITERALS_MAX + 10):
        forward.resolve(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
    assert len(forward._LITERALS) <= forward._LITERALS_MAX
    assert forward.resolve("10.0.0.1") == ("10.0.0.1", 4)


INVITE = (
    b"INVITE sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.2;rport=5062;branch=z9hG4bK2\r\n"
    b"From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.org>\r\n"
    b"Call-ID: c1\r\nCSeq: 7 INVITE\r\nMax-Forwards: 70\r\nSubject: hi\r\n"
    b"Content-Length: 4\r\n\r\nbody"
)


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.data == b.data
    assert a.header_ids == b.header_ids
    assert a.header_offsets() == b.header_offsets()
    assert [f.value for f in a.header_fields] == [f.value for f in b.header_fields]
    assert repr(a.vias) == repr(b.vias)
    assert a.via2.rport == b.via2.rport
    assert (a.from_.tag, a.to.tag, a.callid) == (b.from_.tag, b.to.tag, b.callid)
    assert (a.cseq.num, a.cseq.method, a.max_forwards) == (
        b.cseq.num,
        b.cseq.method,
        b.max_forwards,
    )
    assert a.header("Subject") == b.header("Subject")
    assert (a.body, a.content_length, a.ruri, a.method) == (
        b.body,
        b.content_length,
        b.ruri,
        b.method,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"Max-Forwards: 70", b"Max-Forwards: 69"),  # what maxfwd does
        (b"Subject: hi", b"Subject: ho"),
        (b"CSeq: 7", b"CSeq: 8"),
        (b"rport=5062", b"rport=5063"),  # a Via parsed before the edit
        (b"Content-Length: 4", b"Content-Length: 3"),  # re-parsed: the body changes
        (b"sip:bob@example.org SIP", b"sip:bib@example.org SIP"),  # first line: re-parsed
        (b"hi\r\nContent", b"hi\r\nXontent"),  # across lines: re-parsed
    ],
)
def test_replaced_matches_a_fresh_parse(old: bytes, new: bytes) -> None:
    msg = parse_message(INVITE)
    msg.via1, msg.vias, msg.cseq, msg.max_forwards, msg.to  # noqa: B018 - cached forms
    start = INVITE.index(old)
    edited = msg.replaced(start, start + len(old), new)
    _same(edited, parse_message(INVITE.replace(old, new)))
    _same(msg, parse_message(INVITE))  # the original is left as it was


def test_replaced_refuses_other_lengths() -> None:
    msg = parse_message(INVITE)
    start = INVITE.index(b"70")
    with pytest.raises(ValueError):
        msg.replaced(start, start + 2, b"9")


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_header_start_matches_the_offset_table(eol: bytes) -> None:
    extra = b"".join(b"X-%d: v\r\n" % n for n in range(9))
    data = INVITE.replace(b"Content-Length", extra + b"Content-Length").replace(b"\r\n", eol)
    fresh = parse_message(data)
    assert len(fresh.header_ids) > 12
    starts = [fresh.header_start(i) for i in range(len(fresh.header_ids))]  # before the table
    assert starts == parse_message(data).header_offsets()[:-1]
