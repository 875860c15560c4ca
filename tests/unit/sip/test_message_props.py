"""Property tests: messages generated from known parts parse back to those parts, whatever
the spelling (compact or long names, any case, blanks, folding, LF-only line ends)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from siprouter.sip.message import frame_length, parse_message

TOKEN = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~",
    min_size=1,
    max_size=12,
)
HOST = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,8}(\.[a-z][a-z0-9-]{0,8}){0,2}", fullmatch=True),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.sampled_from(["[2001:db8::1]", "[::1]", "[fe80::1:2:3]"]),
)
PORT = st.one_of(st.none(), st.integers(1, 65535))
BLANK = st.sampled_from(["", " ", "  ", "\t"])
DISPLAY = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}( [A-Za-z0-9]{1,6}){0,2}", fullmatch=True),
    st.text('abc ,;<>:@xyz\\"é', min_size=0, max_size=10).map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
)


@st.composite
def vias(draw):  # type: ignore[no-untyped-def]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        host = draw(HOST)
        port = draw(PORT)
        transport = draw(st.sampled_from(["UDP", "TCP", "TLS", "SCTP", "WS", "udp"]))
        branch = "z9hG4bK" + draw(TOKEN)
        rport = draw(st.sampled_from([None, "", "5060"]))
        b = draw(BLANK)
        text = f"SIP{b}/{b}2.0{b}/{b}{transport} {host}" + (
            "" if port is None else f"{b}:{b}{port}"
        )
        text += f"{b};{b}branch{b}={b}{branch}"
        if rport is not None:
            text += ";rport" + (f"={rport}" if rport else "")
        out.append((text, host, port, transport.upper(), branch, rport))
    return out


@st.composite
def messages(draw):  # type: ignore[no-untyped-def]
    via_list = draw(vias())
    display = draw(DISPLAY)
    from_tag = draw(TOKEN)
    to_tag = draw(st.one_of(st.none(), TOKEN))
    callid = draw(TOKEN) + "@" + draw(TOKEN)
    cseq = draw(st.integers(0, 2**32 - 1))
    method = draw(st.sampled_from(["INVITE", "REGISTER", "OPTIONS", "X-CUSTOM.1"]))
    body = draw(st.binary(max_size=30))
    compact = draw(st.booleans())

    def name(long: str, short: str) -> str:
        n = short if compact and short else long
        return draw(st.sampled_from([n, n.lower(), n.upper()]))

    lines = [f"{method} sip:bob@example.com SIP/2.0"]
    # Vias: one header per via, or comma lists
    if draw(st.booleans()):
        lines += [f"{name('Via', 'v')}: {v[0]}" for v in via_list]
    else:
        lines.append(f"{name('Via', 'v')}: " + " , ".join(v[0] for v in via_list))
    d = "" if display is None else display + " "
    lines.append(f"{name('From', 'f')}:{draw(BLANK)}{d}<sip:alice@example.com>;tag={from_tag}")
    to = "<sip:bob@example.com>" + ("" if to_tag is None else f";tag={to_tag}")
    lines.append(f"{name('To', 't')} : {to}")
    lines.append(f"{name('Call-ID', 'i')}: {callid}")
    lines.append(f"CSeq: {cseq} {method}")
    lines.append("Max-Forwards: 70")
    lines.append(f"X-Extra: {draw(TOKEN)}")
    lines.append(f"{name('Content-Length', 'l')}: {len(body)}")
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    if draw(st.booleans()):  # fold the From value before its '<'
        lines = [
            ln.replace(" <sip:alice", eol + " <sip:alice", 1) if ln.lower()[:1] == "f" else ln
            for ln in lines
        ]
    data = (eol.join(lines) + eol + eol).encode() + body
    return data, via_list, display, from_tag, to_tag, callid, cseq, method, body


@settings(max_examples=250, deadline=None)
@given(messages())
def test_generated_messages_parse_back(case) -> None:  # type: ignore[no-untyped-def]
    data, via_list, display, from_tag, to_tag, callid, cseq, method, body = case
    for mode in (0, 1):
        m = parse_message(data, parser_mode=mode, transport="tcp")
        assert m.check_mandatory() is None
        assert m.method == method
        got = [(v.host, v.port, v.transport, v.branch) for v in m.vias]
        assert got == [(h, p, t, b) for _, h, p, t, b, _ in via_list]
        for v, (_, _, _, _, _, rport) in zip(m.vias, via_list, strict=True):
            assert v.has_rport == (rport is not None)
            assert v.rport == (int(rport) if rport else None)
            assert m.data[v.start : v.end].decode().startswith("SIP")
        assert m.from_ is not None and m.from_.tag == from_tag
        assert m.from_.display_raw == display
        assert m.from_.uri_text == "sip:alice@example.com"
        assert m.to is not None and m.to.tag == to_tag
        assert m.callid == callid
        assert m.cseq is not None and (m.cseq.num, m.cseq.method) == (cseq, method)
        assert m.max_forwards == 70
        assert m.body == body
        assert m.header("x-extra") is not None
        fields = m.header_fields
        assert fields[0].start == m.headers_start and fields[-1].end == m.headers_end
        for a, b in pairwise(fields):
            assert a.end == b.start
    assert frame_length(data + b"OPTIONS") == len(data)
