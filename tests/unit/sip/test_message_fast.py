"""The fast paths of the SIP layer give what the careful parsers give.

``SipMessage``'s routing accessors (via1, from_, to, callid, cseq, max_forwards), the
request-line regex of ``parse_message`` and the Via parameter scan of ``via.via_fix`` take
one regex for the common shape and fall back to the careful code otherwise. Here both are
compared, on every message of the test corpus and on generated header variants (blanks,
case, tabs, odd forms), value by value and error by error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_cseq import parse_cseq
from siprouter.sip.hdr_misc import parse_callid, parse_max_forwards
from siprouter.sip.hdr_nameaddr import parse_nameaddr
from siprouter.sip.hdr_params import param_spans
from siprouter.sip.hdr_via import parse_via
from siprouter.sip.message import parse_message
from siprouter.sip.via import _rport_received_spans, via_fix

DATA = Path(__file__).resolve().parents[2] / "data" / "sip"
FILES = sorted(DATA.rglob("*.sip"))

CAREFUL: dict[str, tuple[int, Any]] = {
    "via1": (H.VIA, lambda d, s, e: parse_via(d, s, e)[0]),
    "from_": (H.FROM, parse_nameaddr),
    "to": (H.TO, parse_nameaddr),
    "callid": (H.CALL_ID, parse_callid),
    "cseq": (H.CSEQ, parse_cseq),
    "max_forwards": (H.MAX_FORWARDS, parse_max_forwards),
}


def _state(form: Any) -> Any:
    """A comparable picture of a parsed form (all public values, offsets included)."""
    if form is None or isinstance(form, str | int):
        return form
    if hasattr(form, "num"):  # CSeq
        return (form.num, form.method)
    if hasattr(form, "transport"):  # Via
        return (
            form.protocol,
            form.version,
            form.transport,
            form.host,
            form.port,
            form.params,
            form.start,
            form.end,
            form.params_start,
        )
    return (  # NameAddr
        form.display_raw,
        form.uri_text,
        form.params,
        form.start,
        form.end,
        form.uri_start,
        form.uri_end,
        form.params_start,
        form.bracketed,
        form.star,
    )


def _compare(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError:
        return
    fields = msg.header_fields
    for attr, (hid, careful) in CAREFUL.items():
        first = next((f for f in fields if f.hid == hid), None)
        fresh = parse_message(data)  # nothing cached: the accessor's own path runs
        if first is None:
            assert getattr(fresh, attr) is None
            continue
        try:
            want: Any = _state(careful(data, first.value_start, first.value_end))
        except SipParseError:
            with pytest.raises(SipParseError) as info:
                getattr(fresh, attr)
            assert info.value.header == H.ID_TO_NAME[hid]
            continue
        assert _state(getattr(fresh, attr)) == want, attr
    if msg.is_request:
        assert msg.first_line == data[msg.first_line_start : msg.first_line_end]
        assert data[msg.ruri_start : msg.ruri_end].decode("utf-8", "surrogateescape") == msg.ruri
    try:
        via = msg.via1
    except SipParseError:
        return
    if via is not None:
        spans = param_spans(data, via.params_start, via.end)
        rport = next(((s, e) for n, s, e in spans if n == "rport"), None)
        recv = next(((s, e) for n, s, e in spans if n == "received"), None)
        assert _rport_received_spans(via) == (rport, recv)
        fix = via_fix(via, "192.0.2.1", 5062)
        assert (fix.rport is not None) == via.has_rport


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fast_paths_match_the_careful_parsers_on_the_corpus(path: Path) -> None:
    _compare(path.read_bytes())


_VIAS = [
    b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport",
    b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5070;received=192.0.2.9",
    b"SIP/2.0/udp host.example.com;branch=z9hG4bK1",
    b"SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK1;RPORT;Received=x",
    b"SIP/2.0/UDP h:99999;branch=z9hG4bK1",
    b"SIP/2.0/UDP h;rport=abc",
    b"SIP/2.0/UDP h;ttl=300",
    b"SIP/2.0/UDP h ; branch = z9hG4bK1 ; rport",
    b'SIP/2.0/UDP h;x="a;rport";branch=1',
    b"SIP/2.0/UDP h;branch=1, SIP/2.0/TCP g",
    b"SIP / 2.0 / UDP h",
    b"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1;rport=",
    b"SIP/2.0/UDP h;;branch=1",
    b"SIP/2.0/UDP h:",
]
_NAMES = [
    b'"Alice" <sip:alice@a.example>;tag=1',
    b"Bob <sip:bob@b.example>",
    b"<sip:bob@b.example>;tag=x;foo",
    b"sip:bob@b.example;tag=x",
    b'"A \\"q\\"" <sip:a@b>',
    b"<bob@b>",
    b"<sip:a@b>;tag",
    b'"unterminated <sip:a@b>',
    b"  <sip:a@b> ",
    b"<sip:a@b> ;tag = 3",
]
_CSEQS = [b"1 INVITE", b"0009 INVITE", b"4294967296 INVITE", b"12 invite", b"1  BYE", b"x BYE"]
_CALLIDS = [b"abc@h", b"a b", b"", b"x\t", b"\xff\xfe@h"]
_MFS = [b"70", b"255", b"256", b"0070", b"-1", b"7 0", b""]


@settings(max_examples=150, deadline=None)
@given(
    via=st.sampled_from(_VIAS),
    frm=st.sampled_from(_NAMES),
    to=st.sampled_from(_NAMES),
    cseq=st.sampled_from(_CSEQS),
    callid=st.sampled_from(_CALLIDS),
    mf=st.sampled_from(_MFS),
    blank=st.sampled_from([b"", b" ", b"\t", b"  "]),
    trail=st.sampled_from([b"", b" ", b"\t"]),
    names=st.sampled_from(
        [
            (b"Via", b"From", b"To", b"CSeq", b"Call-ID", b"Max-Forwards"),
            (b"v", b"f", b"t", b"cseq", b"i", b"max-forwards"),
            (b"VIA ", b"FROM", b"tO", b"CSEQ", b"call-id", b"MAX-FORWARDS"),
        ]
    ),
    method=st.sampled_from([b"INVITE", b"BYE", b"FOO", b"invite"]),
    ruri=st.sampled_from([b"sip:bob@b", b"sip:b\xc3\xa9@b", b"tel:+1"]),
)
def test_fast_paths_match_on_generated_headers(
    via: bytes,
    frm: bytes,
    to: bytes,
    cseq: bytes,
    callid: bytes,
    mf: bytes,
    blank: bytes,
    trail: bytes,
    names: tuple[bytes, ...],
    method: bytes,
    ruri: bytes,
) -> None:
    values = (via, frm, to, cseq, callid, mf)
    lines = b"".join(
        n + b":" + blank + v + trail + b"\r\n" for n, v in zip(names, values, strict=True)
    )
    data = method + b" " + ruri + b" SIP/2.0\r\n" + lines + b"Content-Length: 0\r\n\r\n"
    _compare(data)
