"""corex via_use_xavp_fields and the evcb_reply_out parameter in-process (the forward's
Via and the return codes are compared with Kamailio 5.6.3 in
tests/compat/cases/corex_via_fields.toml)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules import corex
from siprouter.modules import corex_via as via
from siprouter.sip.message import parse_message

DATA = (
    b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    corex.reset()
    yield
    corex.reset()


def _run(head: str, body: str) -> MsgContext:
    cc = compile_config(
        parse_string(
            'loadmodule "pv"\nloadmodule "corex"\n' + head + "request_route {\n" + body + "\n}\n",
            "t.cfg",
        )
    )
    ctx = MsgContext(parse_message(DATA), ReceiveInfo(), ScriptState())
    cc.run("request", "", ctx)
    return ctx


def test_flag_set_and_cleared_without_via_params() -> None:
    ctx = _run("", 'via_use_xavp_fields("1");')
    assert via.uses_xavp_fields(ctx) and via.via_params(ctx) == ""
    ctx = _run("", 'via_use_xavp_fields("1"); via_use_xavp_fields("0");')
    assert not via.uses_xavp_fields(ctx)


def test_bad_flag_is_false() -> None:
    ctx = _run("", '$var(s) = "x"; $var(r) = via_use_xavp_fields("$var(s)");')
    assert ctx.script.vars["r"] == -1 and not via.uses_xavp_fields(ctx)


def test_evcb_reply_out_is_stored() -> None:
    cc = compile_config(
        parse_string(
            'loadmodule "corex"\nmodparam("corex", "evcb_reply_out", "ksr_reply_out")\n'
            "request_route { exit; }\n",
            "t.cfg",
        )
    )
    assert cc is not None and corex.REPLY_OUT_CALLBACK[0] == "ksr_reply_out"
