"""Every core select (and textopsx's) reads without raising on every message the parser
accepts, however odd (RFC 4475 torture tests, captures): the value is text or None
(Kamailio logs a parse problem and the select has no value)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.engine.context import MsgContext
from siprouter.select import compile_select
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message

DATA = Path(__file__).parents[2] / "data" / "sip"
FILES = sorted(p for d in ("rfc4475", "captures") for p in (DATA / d).glob("*.sip"))

SELECTS = [
    "@ruri", "@ruri.user", "@ruri.host", "@ruri.port", "@ruri.params", "@ruri.params.x",
    "@ruri.type", "@ruri.pwd", "@ruri.hostport", "@ruri.transport", "@dst_uri.host",
    "@next_hop.user", "@from", "@from.uri", "@from.uri.user", "@from.tag", "@from.name",
    "@from.params.x", "@to.tag", "@to.uri.host", "@refer_to.uri", "@rpid.name",
    "@contact", "@contact.uri", "@contact.uri.port", "@contact.q", "@contact.expires",
    "@contact.instance", "@contact.name", "@contact.params.x", "@rr", "@rr.uri",
    "@rr.params.lr", "@via", "@via[1].host", "@via[2].port", "@via[-1].branch",
    "@via.received", "@via.rport", "@via.params.x", "@via.name", "@via.version",
    "@via.transport", "@cseq", "@cseq.num", "@cseq.method", "@call_id", "@expires",
    "@max_forwards", "@content_type", "@content_length", "@user_agent", "@event",
    "@msg", "@msg.first_line", "@msg.len", "@msg.type", "@msg.flags", "@msg.header",
    "@msg.header.via[2]", "@msg.h.contact.params.expires", "@msg.h.from.nameaddr.uri",
    "@msg.body", "@msg.request.method", "@msg.request.uri.user", "@msg.request.version",
    "@msg.response.status", "@msg.response.reason", "@method", "@version", "@status",
    '@proxy_authorization["r"].username.user', '@authorization["r"].nonce',
    "@src.ip_port", "@dst.port", "@received.proto_ip_port", "@branch.count",
    "@branch.uri[0].host", "@hf_value.via[2]", "@hf_value.contact.uri",
    "@hf_value.from[1].p.tag", "@hf_value.to.name", "@hf_value2.authorization[1]",
    "@hf_value_exists.supported.timer",
]  # fmt: skip
GETTERS = [compile_select(s).get for s in SELECTS]


def _message(path: Path) -> bytes:
    text = path.read_bytes()
    if b"\r\n" not in text:
        text = text.replace(b"\n", b"\r\n")
    return text


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_select_reads_without_error(path: Path) -> None:
    try:
        msg = parse_message(_message(path))
    except SipParseError:
        pytest.skip("the parser refuses it")
    ctx = MsgContext(msg)
    for text, get in zip(SELECTS, GETTERS, strict=True):
        value = get(ctx)
        assert value is None or isinstance(value, str), (text, value)
