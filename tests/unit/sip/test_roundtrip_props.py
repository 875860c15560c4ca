"""Round-trip properties of the SIP parser and lumps, with generated messages (hypothesis).

A message is generated as a model (start line, header lines with their spelling, spacing,
folding and comma lists, a body) and rendered to bytes by ``render``. Properties:

1. it parses, is fit for routing, every known header parses, and the parsed values are the
   model's values (Call-ID, CSeq, Vias, Contacts, folded values unfolded, the body);
2. applying no lumps gives back the input byte for byte;
3. applying generated changes (remove headers, add header lines at chosen places, a new
   Request-URI, a new body) gives exactly the bytes ``render`` builds from the changed model,
   independently of the lump code, and that result parses to the changed values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message
from siprouter.sip.msg_apply import MsgChanges

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- model ----------------------------------------------------------------------------

ALPHA = "abcdefghijklmnopqrstuvwxyz"
TOKEN_CHARS = ALPHA + ALPHA.upper() + "0123456789-.!%*_+`'~"

token = st.text(TOKEN_CHARS, min_size=1, max_size=12)
word = st.text(ALPHA + "0123456789", min_size=1, max_size=8)
hostname = st.lists(word, min_size=1, max_size=3).map(lambda p: ".".join(p) + ".example.com")
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
host = st.one_of(hostname, ipv4)
port = st.one_of(st.none(), st.integers(1, 65535))
hostport = st.tuples(host, port).map(lambda t: t[0] if t[1] is None else f"{t[0]}:{t[1]}")
sip_uri = st.tuples(st.one_of(st.none(), word), hostport).map(
    lambda t: f"sip:{t[1]}" if t[0] is None else f"sip:{t[0]}@{t[1]}"
)
display = st.one_of(
    st.none(),
    st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
)
METHODS = ["INVITE", "OPTIONS", "REGISTER", "BYE", "MESSAGE", "NOTIFY", "SUBSCRIBE", "INFO"]

# spellings: long name in a random case, or the compact form
SPELL = {
    "Via": ["Via", "v"],
    "From": ["From", "f"],
    "To": ["To", "t"],
    "Call-ID": ["Call-ID", "i"],
    "CSeq": ["CSeq"],
    "Max-Forwards": ["Max-Forwards"],
    "Contact": ["Contact", "m"],
    "Content-Length": ["Content-Length", "l"],
    "Content-Type": ["Content-Type", "c"],
    "Subject": ["Subject", "s"],
    "Supported": ["Supported", "k"],
}


@dataclass(frozen=True)
class Hdr:
    canon: str  # canonical name ("X-..." for extension headers)
    name: str  # as written
    gap: str  # whitespace between the name and ':'
    lead: str  # whitespace after ':'
    value: str  # logical (unfolded) value
    folds: tuple[int, ...]  # indexes of spaces in value written as CRLF + WSP
    fold_ws: str = " "
    tail: str = ""  # whitespace after the value, before CRLF

    def render(self) -> bytes:
        v = self.value
        out = []
        last = 0
        for i in sorted(self.folds):
            out.append(v[last:i])
            out.append("\r\n" + self.fold_ws)
            last = i + 1
        out.append(v[last:])
        return f"{self.name}{self.gap}:{self.lead}{''.join(out)}{self.tail}\r\n".encode()


@dataclass(frozen=True)
class Msg:
    first: str  # start line
    headers: tuple[Hdr, ...]
    body: bytes

    def render(self) -> bytes:
        return (
            self.first.encode() + b"\r\n" + b"".join(h.render() for h in self.headers) + b"\r\n"
            + self.body
        )  # fmt: skip


@st.composite
def header(draw: st.DrawFn, canon: str, value: str) -> Hdr:
    spellings = SPELL.get(canon, [canon])
    name = draw(st.sampled_from(spellings))
    if len(name) > 1:
        name = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)
    gap = draw(st.sampled_from(["", "", "", " ", "\t"]))
    lead = draw(st.sampled_from([" ", " ", "", "  ", "\t"]))
    spaces = [i for i, c in enumerate(value) if c == " " and 0 < i < len(value) - 1]
    folds = (
        tuple(draw(st.lists(st.sampled_from(spaces), unique=True, max_size=2))) if spaces else ()
    )
    fold_ws = draw(st.sampled_from([" ", "\t", "   "]))
    tail = draw(st.sampled_from(["", "", "", " ", "\t "]))
    return Hdr(canon, name, gap, lead, value, folds, fold_ws, tail)


@st.composite
def via_value(draw: st.DrawFn) -> tuple[str, list[str]]:
    n = draw(st.integers(1, 3))
    branches = [f"z9hG4bK{draw(token)}{i}" for i in range(n)]
    elems = [
        f"SIP/2.0/{draw(st.sampled_from(['UDP', 'TCP', 'TLS']))} {draw(hostport)};branch={b}"
        + draw(st.sampled_from(["", ";rport", ";received=192.0.2.1"]))
        for b in branches
    ]
    return ", ".join(elems), branches


@st.composite
def messages(draw: st.DrawFn) -> tuple[Msg, dict[str, object]]:
    """A valid message and the values a parser must find in it."""
    is_request = draw(st.booleans())
    method = draw(st.sampled_from(METHODS))
    if is_request:
        first = f"{method} {draw(sip_uri)} SIP/2.0"
    else:
        code = draw(st.integers(100, 699))
        first = (
            f"SIP/2.0 {code} {draw(st.sampled_from(['OK', 'Ringing', 'Not Found', 'Busy Here']))}"
        )
    facts: dict[str, object] = {}
    hdrs: list[Hdr] = []
    all_branches: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        v, branches = draw(via_value())
        all_branches += branches
        hdrs.append(draw(header("Via", v)))
    facts["branches"] = all_branches
    ftag = draw(token)
    hdrs.append(
        draw(header("From", f"{draw(display) or ''} <{draw(sip_uri)}>;tag={ftag}".lstrip()))
    )
    hdrs.append(draw(header("To", f"<{draw(sip_uri)}>")))
    callid = draw(token) + "@" + draw(host)
    hdrs.append(draw(header("Call-ID", callid)))
    cseq = draw(st.integers(0, 2**31))
    hdrs.append(draw(header("CSeq", f"{cseq} {method}")))
    if is_request:
        hdrs.append(draw(header("Max-Forwards", str(draw(st.integers(0, 255))))))
    contacts = draw(st.lists(sip_uri, max_size=3))
    if contacts:
        hdrs.append(
            draw(header("Contact", ", ".join(f"<{c}>;q=0.{i + 1}" for i, c in enumerate(contacts))))
        )
    extras = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("Subject"), st.lists(word, min_size=1, max_size=5).map(" ".join)),
                st.tuples(
                    st.just("Supported"), st.lists(word, min_size=1, max_size=4).map(", ".join)
                ),
                st.tuples(
                    st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
                    st.lists(token, min_size=1, max_size=4).map(" ".join),
                ),
            ),
            max_size=5,
        )
    )
    for canon, value in extras:
        hdrs.append(draw(header(canon, value)))
    body = draw(st.binary(max_size=200))
    if body:
        hdrs.append(draw(header("Content-Type", "application/octet-stream")))
    hdrs.append(draw(header("Content-Length", str(len(body)))))
    hdrs = list(draw(st.permutations(hdrs)))
    facts["branches"] = [
        b for h in hdrs if h.canon == "Via" for b in re.findall(r"branch=([^;, ]+)", h.value)
    ]
    facts.update(
        is_request=is_request, method=method, callid=callid, cseq=cseq, ftag=ftag,
        contacts=contacts, extras=extras,
    )  # fmt: skip
    return Msg(first, tuple(hdrs), body), facts


# ---- properties -----------------------------------------------------------------------


@SETTINGS
@given(messages())
def test_generated_message_parses_to_its_values(mf: tuple[Msg, dict[str, object]]) -> None:
    model, facts = mf
    data = model.render()
    m = parse_message(data)
    assert m.check_mandatory() is None
    m.parse_all()
    assert m.is_request == facts["is_request"]
    assert m.method == facts["method"]
    assert m.callid == facts["callid"]
    assert m.cseq is not None and m.cseq.num == facts["cseq"]
    assert m.from_ is not None and m.from_.tag == facts["ftag"]
    assert [v.branch for v in m.vias] == facts["branches"]
    assert [c.uri_text for c in m.contacts] == facts["contacts"]
    assert m.body == model.body and m.content_length == len(model.body)
    assert len(m.header_fields) == len(model.headers)
    for f, h in zip(m.header_fields, model.headers, strict=True):
        assert f.name == h.name
        assert f.value == h.value.encode()  # folding reads as one space
        assert f.raw == h.render()
    for canon, value in facts["extras"]:  # type: ignore[attr-defined]
        assert value.encode() in m.headers(canon)


@SETTINGS
@given(messages())
def test_no_lumps_is_byte_identical(mf: tuple[Msg, dict[str, object]]) -> None:
    data = mf[0].render()
    m = parse_message(data)
    assert m.data == data
    assert MsgChanges(m).apply() == data


@st.composite
def edits(draw: st.DrawFn, model: Msg) -> dict[str, object]:
    n = len(model.headers)
    # extension/Subject/Supported headers may go; the routing ones and Content-* stay
    removable = [i for i, h in enumerate(model.headers) if h.canon.startswith("X-")
                 or h.canon in ("Subject", "Supported")]  # fmt: skip
    remove = draw(st.lists(st.sampled_from(removable), unique=True)) if removable else []
    adds = draw(
        st.lists(
            st.tuples(
                st.integers(0, n),  # before header k; n = at the end of the headers
                st.from_regex(r"X-Added-[a-z]{1,6}", fullmatch=True),
                st.lists(token, min_size=1, max_size=3).map(" ".join),
            ),
            max_size=4,
        )
    )
    new_ruri = draw(st.one_of(st.none(), sip_uri)) if not model.first.startswith("SIP/") else None
    new_body = draw(st.one_of(st.none(), st.binary(max_size=120)))
    return {"remove": set(remove), "adds": adds, "ruri": new_ruri, "body": new_body}


def rebuild(model: Msg, ed: dict[str, object]) -> Msg:
    """The changed message built from the model alone (no lump code involved)."""
    adds = ed["adds"]
    remove = ed["remove"]
    out: list[Hdr] = []
    n = len(model.headers)
    for k in range(n + 1):
        for pos, name, value in adds:  # type: ignore[attr-defined]
            if pos == k:
                out.append(Hdr(name, name, "", " ", value, ()))
        if k < n and k not in remove:  # type: ignore[operator]
            out.append(model.headers[k])
    first = model.first
    if ed["ruri"] is not None:
        method, _old, version = first.split(" ")
        first = f"{method} {ed['ruri']} {version}"
    body = model.body
    if ed["body"] is not None:
        body = ed["body"]  # type: ignore[assignment]
        out = [
            replace(h, value=str(len(body)), folds=()) if h.canon == "Content-Length" else h
            for h in out
        ]
    return Msg(first, tuple(out), body)


@SETTINGS
@given(st.data())
def test_lumps_equal_a_rebuild_and_reparse(data: st.DataObject) -> None:
    model, facts = data.draw(messages())
    ed = data.draw(edits(model))
    m = parse_message(model.render())
    ch = MsgChanges(m)
    fields = m.header_fields
    for k in sorted(ed["remove"]):  # type: ignore[call-overload]
        ch.remove_header(fields[k])
    for pos, name, value in ed["adds"]:  # type: ignore[attr-defined]
        line = f"{name}: {value}"
        if pos < len(fields):
            ch.add_header(line, before=fields[pos])
        else:
            ch.add_header(line)
    if ed["ruri"] is not None:
        ch.set_request_uri(ed["ruri"])  # type: ignore[arg-type]
    if ed["body"] is not None:
        ch.set_body(ed["body"])  # type: ignore[arg-type]
    expected = rebuild(model, ed)
    got = ch.apply()
    assert got == expected.render()
    # and the result is a message with the changed values
    m2 = ch.apply_changes()
    assert m2.check_mandatory() is None
    m2.parse_all()
    assert m2.callid == facts["callid"]
    assert m2.body == expected.body and m2.content_length == len(expected.body)
    if ed["ruri"] is not None:
        assert m2.ruri == ed["ruri"]
    for _pos, name, value in ed["adds"]:  # type: ignore[attr-defined]
        assert value.encode() in m2.headers(name)
    assert len(m2.header_fields) == len(expected.headers)


# ---- the same properties over the real corpus ---------------------------------------------

CORPUS = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "data" / "sip").rglob("*.sip")
    if not p.read_bytes().startswith(b"SIP/")
)
RR = b"Record-Route: <sip:127.0.0.1;lr>\r\n"
VIA = b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfwd\r\n"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_forward_lumps_on_corpus_requests(path: Path) -> None:
    """On every routable request of the corpus: Record-Route + our Via + a new body, applied,
    give the original bytes with exactly those lines added and the body swapped, and parse."""
    data = path.read_bytes()
    try:
        m = parse_message(data)
    except SipParseError:
        return
    if m.check_mandatory() is not None:
        return
    ch = MsgChanges(m)
    ch.add_record_route(RR)
    ch.add_via(VIA)
    ch.set_body(b"new body\r\n")
    out = ch.apply()
    m2 = parse_message(out)
    assert len(m2.vias) == len(m.vias) + 1 and m2.vias[0].branch == "z9hG4bKfwd"
    assert len(m2.record_routes) == len(m.record_routes) + 1
    assert m2.record_routes[0].uri_text == "sip:127.0.0.1;lr"
    assert m2.body == b"new body\r\n" and m2.content_length == 10
    assert m2.callid == m.callid and m2.ruri == m.ruri
    # without the two added lines, the headers are the original ones byte for byte
    head = m.data[: m.body_start]
    head2 = out[: m2.body_start].replace(RR, b"", 1).replace(VIA, b"", 1)
    cl = (
        m.header_fields[[f.hid for f in m.header_fields].index(H.CONTENT_LENGTH)]
        if m.content_length is not None
        else None
    )
    if cl is not None:
        head = head[: cl.value_start] + b"10" + head[cl.value_end :]
    else:
        head = head[: m.headers_end] + b"Content-Length: 10\r\n" + head[m.headers_end :]
    assert head2 == head
