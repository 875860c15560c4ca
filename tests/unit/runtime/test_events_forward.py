"""The transport forward() picks (runtime/forward.py), in-process with no sockets (what
would be sent is recorded in ctx.sent): the destination URI's transport, else the one
the request came over for forward(host, port); forward_udp/forward_tcp force theirs.
tests/integration/test_onsend_tcp.py checks the same choices against Kamailio 5.6.3."""

from __future__ import annotations

import pytest

from siprouter.engine.context import MsgContext, ReceiveInfo
from siprouter.runtime.forward import E_SEND, forward_request, forward_tcp, forward_udp
from siprouter.sip.message import parse_message

REQ = (
    b"OPTIONS sip:a@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: f1\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _ctx(proto: str = "udp", du: str | None = None) -> MsgContext:
    ctx = MsgContext(parse_message(REQ), ReceiveInfo("127.0.0.1", 40000, proto=proto))
    ctx.dst_uri = du
    ctx.sent = []
    return ctx


def _via(ctx: MsgContext) -> str:
    assert ctx.sent and len(ctx.sent) == 1
    return ctx.sent[0][2].split(b"\r\n")[1].decode().split(";")[0]


@pytest.mark.parametrize(
    ("proto", "du", "host", "expected"),
    [
        ("udp", None, "10.0.0.2", "Via: SIP/2.0/UDP 127.0.0.1:5060"),
        ("tcp", None, "10.0.0.2", "Via: SIP/2.0/TCP 127.0.0.1:5060"),
        ("udp", "sip:10.0.0.2;transport=tcp", None, "Via: SIP/2.0/TCP 127.0.0.1:5060"),
        ("tcp", "sip:10.0.0.2", None, "Via: SIP/2.0/UDP 127.0.0.1:5060"),
        ("tcp", "sip:10.0.0.2;transport=TCP", None, "Via: SIP/2.0/TCP 127.0.0.1:5060"),
    ],
)
def test_forward_picks_the_transport(
    proto: str, du: str | None, host: str | None, expected: str
) -> None:
    ctx = _ctx(proto, du)
    assert forward_request(ctx, host, 5070 if host else None) == 1
    assert _via(ctx) == expected
    assert ctx.sent and ctx.sent[0][1] == ("10.0.0.2", 5070 if host else 5060)


def test_forward_udp_and_tcp_force_theirs() -> None:
    ctx = _ctx("udp", "sip:10.0.0.2;transport=tcp")
    assert forward_udp(ctx) == 1 and _via(ctx) == "Via: SIP/2.0/UDP 127.0.0.1:5060"
    ctx = _ctx("udp", "sip:10.0.0.2")
    assert forward_tcp(ctx) == 1 and _via(ctx) == "Via: SIP/2.0/TCP 127.0.0.1:5060"


def test_unsupported_transport_is_refused() -> None:
    ctx = _ctx("udp", "sip:10.0.0.2;transport=sctp")
    assert forward_request(ctx) == -1 and ctx.sent == []
    assert E_SEND == -477
