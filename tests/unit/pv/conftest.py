"""Helpers of the pv tests: a context for a message, and PV reads/writes by text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules import pv as pv_module
from siprouter.pv.access import compile_pv
from siprouter.pv.pvclass import Value
from siprouter.sip.message import parse_message

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b'From: "Alice A" <sip:alice@a.example.com:5072;transport=udp>;tag=ft1\r\n'
    b"To: Bob <sip:bob@example.com>\r\n"
    b"Call-ID: cid1@x\r\nCSeq: 10 INVITE\r\nMax-Forwards: 70\r\n"
    b"Contact: <sip:alice@127.0.0.1:5070>;expires=30\r\n"
    b"User-Agent: probe/1\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
)


def make_ctx(data: bytes = INVITE, **rcv: object) -> MsgContext:
    """A context for `data` received from 127.0.0.1:5070 on 127.0.0.1:5060 (override
    with ReceiveInfo fields)."""
    info = ReceiveInfo(**{"src_ip": "127.0.0.1", "src_port": 5070, **rcv})  # type: ignore[arg-type]
    return MsgContext(parse_message(data), info, ScriptState())


def get(ctx: MsgContext, text: str) -> Value:
    return compile_pv(text).get(ctx)


def put(ctx: MsgContext, text: str, value: Value) -> None:
    setter = compile_pv(text).set
    assert setter is not None, f"{text} is read-only"
    setter(ctx, value)


class PVTool:
    """What the `pvt` fixture gives tests: make_ctx, get, put and the INVITE sample."""

    INVITE = INVITE
    make_ctx = staticmethod(make_ctx)
    get = staticmethod(get)
    put = staticmethod(put)


@pytest.fixture
def pvt() -> PVTool:
    return PVTool()


@pytest.fixture(autouse=True)
def _fresh_pv_module() -> Iterator[None]:
    """varset/shvset/avp_aliases values are process-wide: forget them around each test."""
    pv_module.reset()
    yield
    pv_module.reset()
