"""The stateless reply's fast paths give what the general code gives.

`via.reply_via1_fix` (one scan: the top Via's reply edits and whether it has rport) against
`via_fix` + `reply_via1_edits` and `has_param(parse_params(...))`; `Via.has_rport` without
splitting the parameters against the split list; `build_reply` (copied header runs joined,
precomputed Via edits) against a line-by-line reference written here.
"""

from __future__ import annotations

import zlib

import pytest

from siprouter.sip import headers as H
from siprouter.sip.hdr_params import has_param, parse_params
from siprouter.sip.message import parse_message
from siprouter.sip.reply import SL_TAG_PREFIX, build_reply
from siprouter.sip.via import reply_address, reply_via1_edits, reply_via1_fix, via_fix

VIAS = [
    b"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776;rport",
    b"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776",
    b"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776",
    b"SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK776",
    b"SIP/2.0/UDP host.example.com;RPORT;branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;rport=1234;branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;rport=;branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;rport;received=10.1.1.1;branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;received=10.1.1.1;branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKrport;xrport;rportx=1",
    b"SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1;x=rport",
    b"SIP/2.0/UDP 192.0.2.10 ; rport ; branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1;rport",
    b'SIP/2.0/UDP 192.0.2.10;x="a;rport";branch=z9hG4bK1',
    b"SIP/2.0/TCP [2001:db8::1]:5070;rport;branch=z9hG4bK1",
    b"SIP/2.0/UDP [::1];branch=z9hG4bK1",
    b"SIP/2.0/UDP 192.0.2.10:5060",
    b"SIP/2.0/UDP 192.0.2.10;RECEIVED=10.1.1.1;x=1;Rport=77;rport;received",
    b"SIP/2.0/UDP 192.0.2.10;rport;received=;branch=z9hG4bK1",
    b"SIP / 2.0 / UDP 192.0.2.10 : 5060;rport",
]
SOURCES = [("192.0.2.10", 5060), ("127.0.0.1", 40000), ("::1", 5062), ("[2001:db8::1]", 7)]


def _request(via: bytes, to: bytes = b"<sip:bob@example.com>", extra: bytes = b"") -> bytes:
    return (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: " + via + b"\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: " + to + b"\r\n"
        b"From: <sip:alice@example.com>;tag=1\r\n"
        b"Call-ID: c1@example.com\r\n"
        b"CSeq: 1 INVITE\r\n" + extra + b"Content-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize("force_rport", [False, True])
@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("via_text", VIAS)
def test_reply_via1_fix_equals_the_general_path(
    via_text: bytes, src: tuple[str, int], force_rport: bool
) -> None:
    via = parse_message(_request(via_text)).via1
    assert via is not None
    edits, has_rport = reply_via1_fix(via, src[0], src[1], force_rport=force_rport)
    general = reply_via1_edits(via, via_fix(via, src[0], src[1], force_rport=force_rport))
    assert edits == general
    assert has_rport == has_param(parse_params(via._data, via.params_start, via.end), "rport")
    assert reply_address(
        via, src[0], src[1], "udp", force_rport=force_rport, has_rport=has_rport
    ) == reply_address(via, src[0], src[1], "udp", force_rport=force_rport)


@pytest.mark.parametrize("via_text", VIAS)
def test_has_rport_without_splitting_equals_the_split_params(via_text: bytes) -> None:
    fresh = parse_message(_request(via_text)).via1
    split = parse_message(_request(via_text)).via1
    assert fresh is not None and split is not None
    expected = has_param(split.params, "rport")  # forces the split on this one
    assert fresh.has_rport is expected
    assert split.has_rport is expected


_COPY = {H.VIA, H.FROM, H.TO, H.CALL_ID, H.CSEQ}


def _reference(data: bytes, code: int, src: tuple[str, int]) -> bytes:
    """The reply built one header line at a time, the way the layout is described."""
    msg = parse_message(data)
    copy = _COPY | {H.RECORD_ROUTE} if 180 <= code < 300 else _COPY
    fields = msg.header_fields
    crc = 0
    for hid in (H.VIA, H.FROM, H.CALL_ID, H.CSEQ):
        f = next((f for f in fields if f.hid == hid), None)
        if f is not None:
            crc = zlib.crc32(f.raw, crc)
    tag = f"{SL_TAG_PREFIX}.{crc:08x}".encode()
    out = [b"SIP/2.0 %d Reason\r\n" % code]
    first_via = first_to = True
    for f in fields:
        if f.hid not in copy:
            continue
        line = f.raw
        if f.hid == H.VIA and first_via:
            first_via = False
            via = msg.via1
            assert via is not None
            pos = f.start
            pieces = []
            for s, e, new in reply_via1_edits(via, via_fix(via, *src)):
                pieces += [data[pos:s], new]
                pos = e
            line = b"".join(pieces) + data[pos : f.end]
        elif f.hid == H.TO and first_to and code >= 180:
            first_to = False
            assert msg.to is not None
            if not msg.to.tag:
                body = line.rstrip(b"\r\n")
                line = body + b";tag=" + tag + line[len(body) :]
        out.append(line)
    out.append(b"Content-Length: 0\r\n\r\n")
    return b"".join(out)


REQUESTS = [
    _request(VIAS[0]),
    _request(VIAS[1], to=b"<sip:bob@example.com>;tag=abc"),
    _request(VIAS[2], extra=b"Record-Route: <sip:p1;lr>\r\nContact: <sip:a@b>\r\n"),
    _request(VIAS[7], extra=b"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"),
    # the copied headers spread between others, a second To, Record-Route before Via
    b"OPTIONS sip:x@example.com SIP/2.0\r\n"
    b"Record-Route: <sip:p0;lr>\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10;rport;branch=z9hG4bK1\r\n"
    b"X-A: 1\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
    b"t: <sip:x@example.com>\r\n"
    b"X-B: 2\r\n"
    b"i: c2\r\n"
    b"f: <sip:y@example.com>;tag=9\r\n"
    b"CSeq: 2 OPTIONS\r\n"
    b"To: <sip:other@example.com>\r\n"
    b"Content-Length: 0\r\n\r\n",
]


@pytest.mark.parametrize("code", [100, 180, 200, 299, 300, 404, 699])
@pytest.mark.parametrize("index", range(len(REQUESTS)))
@pytest.mark.parametrize("src", SOURCES[:2])
def test_build_reply_equals_line_by_line_reference(
    index: int, code: int, src: tuple[str, int]
) -> None:
    data = REQUESTS[index]
    expected = _reference(data, code, src)
    msg = parse_message(data)
    assert build_reply(msg, code, "Reason", server_header=None, src=src) == expected
    via = msg.via1
    assert via is not None
    edits = reply_via1_fix(via, *src)[0]
    got = build_reply(msg, code, "Reason", server_header=None, src=src, via1_edits=edits)
    assert got == expected
