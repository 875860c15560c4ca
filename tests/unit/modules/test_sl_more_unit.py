"""sl's later exports in-process: the 3xx Contact text, default_reason, $ltt, the fixup
that leaves the common reply untouched, event_callback_* refused at load time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import Branch, MsgContext, ScriptState
from siprouter.modules import sl_reply_ext
from siprouter.modules.sl_redirect import q_text, redirect_contact
from siprouter.sip.message import parse_message
from siprouter.sip.reply import sl_to_tag

HEAD = 'loadmodule "pv"\nloadmodule "sl"\nloadmodule "corex"\n'
REQ = (
    b"INVITE sip:a@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
    b"Call-ID: sl-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    saved = dict(sl_reply_ext.EXT_PARAMS)
    yield
    sl_reply_ext.EXT_PARAMS.update(saved)


def run(body: str, head: str = "") -> MsgContext:
    cc = compile_config(parse_string(HEAD + head + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    ctx.sent = []
    cc.run("request", "", ctx)
    return ctx


def first_reply(ctx: MsgContext) -> bytes:
    assert ctx.sent
    return bytes(ctx.sent[0][2])


@pytest.mark.parametrize(
    ("q", "text"), [(1000, "1"), (500, "0.5"), (50, "0.05"), (0, "0"), (125, "0.125")]
)
def test_q_text(q: int, text: str) -> None:
    assert q_text(q) == text


def test_redirect_contact_lists_new_ruri_and_branches() -> None:
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    assert redirect_contact(ctx, 0) == b""
    ctx.new_uri = "sip:n@h"
    ctx.bflags = 2
    ctx.branches.append(Branch("sip:b@h2", q=500, flags=1))
    assert redirect_contact(ctx, 0) == b"Contact: <sip:n@h>, <sip:b@h2>;q=0.5\r\n"
    assert redirect_contact(ctx, 1) == b"Contact: <sip:n@h>;flags=2, <sip:b@h2>;q=0.5;flags=1\r\n"


def test_302_reply_carries_the_destination_set() -> None:
    ctx = run('append_branch("sip:x@10.0.0.9", "0.25"); sl_send_reply("302", "Moved");')
    assert b"\r\nContact: <sip:x@10.0.0.9>;q=0.25\r\n" in first_reply(ctx)


def test_non_redirect_keeps_sl_fixup_result() -> None:
    assert sl_reply_ext.fixup_reply(["200", "OK"]) == [200, "OK"]
    wrapped = sl_reply_ext.fixup_reply(["302", "Moved"])[1]
    assert isinstance(wrapped, sl_reply_ext.ReplyReason)


def test_default_reason_for_a_reason_pv_without_value() -> None:
    ctx = run('sl_send_reply("403", "$avp(none)");', 'modparam("sl", "default_reason", "Nope")\n')
    assert first_reply(ctx).startswith(b"SIP/2.0 403 Nope\r\n")
    ctx = run('sl_send_reply("403", "x $avp(none)");')
    assert first_reply(ctx).startswith(b"SIP/2.0 403 x <null>\r\n")


def test_ltt_is_the_stateless_reply_tag() -> None:
    ctx = run('$var(s) = $ltt(s); $var(x) = $ltt(x); if ($ltt(t) == $null) $var(t) = "none";')
    tag = sl_to_tag(parse_message(REQ))
    assert ctx.script.vars["s"] == tag and ctx.script.vars["x"] == tag
    assert ctx.script.vars["t"] == "none"


def test_ltt_bad_key_fails_load() -> None:
    with pytest.raises(ConfigError):
        run("$var(a) = $ltt(q);")


@pytest.mark.parametrize("param", ["event_callback_fl_ack", "event_callback_lres_sent"])
def test_kemi_callbacks_are_refused(param: str) -> None:
    with pytest.raises(ConfigError, match="KEMI"):
        run("exit;", f'modparam("sl", "{param}", "ksr_cb")\n')


def test_sl_forward_reply_only_in_onreply_route() -> None:
    with pytest.raises(ConfigError):
        run("sl_forward_reply();")
