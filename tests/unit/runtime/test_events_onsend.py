"""onsend_route in-process (runtime/onsend.py through runtime/forward.py, no sockets: what
would be sent is recorded in ctx.sent): what the route sees, drop blocking the send,
the context restored for the route that forwarded; and `-c` refusing in onsend_route
what Kamailio 5.6.3 refuses there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import CompiledConfig, compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.runtime.onsend import E_ADM_PROHIBITED, SendInfo, run_onsend, send_info
from siprouter.sip.message import parse_message

HEAD = '#!KAMAILIO\nloadmodule "pv"\nloadmodule "textops"\n'
CFG = (
    HEAD
    + """
onsend_route {
    $var(o) = "";
    if (snd_ip == 127.0.0.1) $var(o) = $var(o) + "snd_ip ";
    if (snd_port == 5060) $var(o) = $var(o) + "snd_port ";
    if (snd_proto == UDP) $var(o) = $var(o) + "udp ";
    if (snd_af == INET) $var(o) = $var(o) + "inet ";
    if (to_ip == 10.0.0.0/8) $var(o) = $var(o) + "to_ip ";
    if (to_port == 5080) $var(o) = $var(o) + "to_port ";
    if (msg:len == $(snd(len))) $var(o) = $var(o) + "msglen ";
    $var(o) = $var(o) + $(sndto(ip)) + ":" + $(sndto(port)) + " " + $(sndfrom(ip));
    $var(o) = $var(o) + " " + $(snd(sproto)) + "/" + $(snd(proto)) + "/" + $(snd(af));
    if (is_present_hf("X-Drop")) { drop; }
}
request_route {
    $var(before) = "none";
    if (snd_port == 5060 || to_port == 5080) $var(before) = "snd";
    $var(r) = forward("10.1.2.3", 5080);
    $var(after) = "" + $var(o);
}
"""
)

REQ = (
    b"MESSAGE sip:a@10.1.2.3 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: o1\r\nCSeq: 1 MESSAGE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _run(compiled: CompiledConfig, data: bytes) -> MsgContext:
    ctx = MsgContext(
        parse_message(data), ReceiveInfo("127.0.0.1", 40000), ScriptState(compiled=compiled)
    )
    ctx.sent = []
    compiled.run("request", "", ctx)
    return ctx


def test_onsend_sees_the_message_as_sent() -> None:
    ctx = _run(compile_config(parse_string(CFG, "o.cfg")), REQ)
    v = ctx.script.vars
    assert v["r"] == 1 and len(ctx.sent or []) == 1
    assert v["o"] == (
        "snd_ip snd_port udp inet to_ip to_port msglen 10.1.2.3:5080 127.0.0.1 udp/1/2"
    )
    assert v["before"] == "none"  # snd_* match nothing outside onsend_route
    assert ctx.route_type == RouteType.REQUEST and not ctx.dropped
    assert send_info(ctx) is None


def test_drop_blocks_the_send() -> None:
    data = REQ.replace(b"Content-Length", b"X-Drop: 1\r\nContent-Length")
    ctx = _run(compile_config(parse_string(CFG, "o.cfg")), data)
    assert ctx.script.vars["r"] == E_ADM_PROHIBITED == -510
    assert ctx.sent == [] and not ctx.dropped and ctx.rc == 0


def test_without_onsend_route_nothing_runs() -> None:
    cfg = HEAD + 'request_route { $var(r) = forward("10.1.2.3", 5080); }\n'
    ctx = _run(compile_config(parse_string(cfg, "o.cfg")), REQ)
    assert ctx.script.vars["r"] == 1 and len(ctx.sent or []) == 1


def test_replies_run_it_only_with_onsend_route_reply() -> None:
    compiled = compile_config(parse_string(CFG, "o.cfg"))
    reply = parse_message(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x\r\n"
        b"X-Drop: 1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: o2\r\n"
        b"CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
    )
    ctx = MsgContext(reply, script=ScriptState(compiled=compiled))
    info = SendInfo("udp", "127.0.0.1", 5060, 4, "127.0.0.1", 40000, reply.data)
    assert run_onsend(ctx, info, reply=True)  # onsend_route_reply is off
    from siprouter.runtime import onsend

    onsend.configure(True)
    try:
        assert not run_onsend(ctx, info, reply=True)
    finally:
        onsend.configure(False)


ONSEND_STATEMENTS = [
    ("route(X);", False),
    ('sl_send_reply("200", "x");', False),
    ('forward("127.0.0.1", 5070);', False),
    ("strip(1);", False),
    ('xlog("x");', True),
    ("setflag(1);", True),
    ('search("x");', True),
    ('log(1, "x");', True),
    ("drop;", True),
    ("$var(a) = 1;", True),
]


REQUEST_STATEMENTS = [  # onsend keywords outside onsend_route: two are refused
    ("if (snd_ip == 127.0.0.1) drop;", False),
    ("if (to_ip == 10.0.0.0/8) drop;", False),
    ('if (to_ip == "127.0.0.1") drop;', False),
    ("if (snd_port == 5060) drop;", True),
    ("if (to_port == 5060) drop;", True),
    ("if (snd_proto == UDP) drop;", True),
    ("if (snd_af == INET) drop;", True),
]


def _cfg(stmt: str, block: str = "onsend_route") -> str:
    other = "request_route { exit; }" if block == "onsend_route" else "onsend_route { drop; }"
    return (
        '#!KAMAILIO\nloadmodule "pv"\nloadmodule "xlog"\nloadmodule "sl"\nloadmodule "textops"\n'
        f"route[X] {{ $var(b) = 1; }}\n{other}\n"
        f"{block} {{\n    {stmt}\n}}\n"
    )


CHECKS = [("onsend_route", s, ok) for s, ok in ONSEND_STATEMENTS] + [
    ("request_route", s, ok) for s, ok in REQUEST_STATEMENTS
]


@pytest.mark.parametrize(("block", "stmt", "ok"), CHECKS)
def test_check_in_onsend_route(block: str, stmt: str, ok: bool) -> None:
    try:
        compile_config(parse_string(_cfg(stmt, block), "c.cfg"))
        accepted = True
    except ConfigError:
        accepted = False
    assert accepted is ok


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize(("block", "stmt", "ok"), CHECKS)
def test_check_in_onsend_route_matches_kamailio(
    tmp_path: Path, block: str, stmt: str, ok: bool
) -> None:
    cfg = tmp_path / "c.cfg"
    cfg.write_text(_cfg(stmt, block))
    res = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=60, check=False
    )
    assert (res.returncode == 0) is ok
