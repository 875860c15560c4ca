"""kex module in-process: flags, $du, pv_printf, is_myself/is_myhost, setdebug, $sruid
and the compile-time checks of their arguments."""

from __future__ import annotations

import os
import re

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import kex_sruid
from siprouter.runtime.logging import LOG
from siprouter.sip.message import parse_message

HEAD = (
    "listen=udp:127.0.0.1:5088\nalias=proxy.example.net\n"
    'loadmodule "pv"\nloadmodule "kex"\nloadmodule "corex"\n'
)

REQ = (
    b"INVITE sip:bob@127.0.0.1:5088 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
    b"Call-ID: kex-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)


def run(body: str, head: str = "") -> MsgContext:
    cfg = HEAD + head + "request_route {\n" + body + "\n}\n"
    cc = compile_config(parse_string(cfg, "t.cfg"))
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    cc.run("request", "", ctx)
    return ctx


def rv(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


def test_script_flags_are_apart_from_message_flags() -> None:
    ctx = run(
        '$var(f) = 7; $var(a) = setsflag("3"); $var(b) = setsflag("$var(f)");'
        '$var(c) = issflagset("7"); $var(d) = resetsflag("3"); $var(e) = issflagset("3");'
        "$var(sf) = $sf; $var(mf) = $mf;"
    )
    assert [rv(ctx, k) for k in "abcde"] == [1, 1, 1, 1, -1]
    assert rv(ctx, "sf") == 1 << 7
    assert rv(ctx, "mf") == 0


@pytest.mark.parametrize("flag", ['"32"', '"-1"'])
def test_flag_out_of_range_is_false(flag: str) -> None:
    ctx = run(f"$var(a) = setsflag({flag}); $var(b) = setbflag({flag});")
    assert (rv(ctx, "a"), rv(ctx, "b")) == (-1, -1)


def test_flag_pv_without_int_is_false() -> None:
    ctx = run('$var(s) = "abc"; $var(a) = setsflag("$var(s)"); $var(b) = isbflagset("$var(s)");')
    assert (rv(ctx, "a"), rv(ctx, "b")) == (-1, -1)


def test_branch_flags_by_index() -> None:
    ctx = run(
        '$var(a) = setbflag("2", "1");'  # no branch 1 yet
        'append_branch("sip:x@example.com");'
        '$var(b) = setbflag("2", "1"); $var(c) = isbflagset("2", "1"); $var(d) = isbflagset("2");'
        '$var(e) = resetbflag("2", "1"); $var(f) = isbflagset("2", "1");'
        '$var(g) = setbflag("31"); $var(bf) = $bf;'
    )
    assert [rv(ctx, k) for k in "abcdefg"] == [-1, 1, 1, -1, 1, -1, 1]
    assert rv(ctx, "bf") == 1 << 31
    assert ctx.branches[0].flags == 0


def test_dst_uri_functions() -> None:
    ctx = run(
        '$var(a) = isdsturiset(); $var(b) = setdsturi("sip:$rU@10.0.0.1;transport=tcp");'
        "$var(c) = isdsturiset(); $var(du) = $du; $var(d) = resetdsturi(); $var(e) = isdsturiset();"
    )
    assert [rv(ctx, k) for k in "abcde"] == [-1, 1, 1, 1, -1]
    assert rv(ctx, "du") == "sip:bob@10.0.0.1;transport=tcp"
    assert ctx.dst_uri is None


def test_pv_printf_sets_any_writable_pv() -> None:
    ctx = run(
        '$var(a) = pv_printf("$var(x)", "u=$rU m=$rm"); $var(b) = avp_printf("$avp(y)", "f=$fU");'
        '$var(c) = pv_printf("$ru", "sip:new@$rd:5099"); $var(y) = $avp(y);'
    )
    assert [rv(ctx, k) for k in "abc"] == [1, 1, 1]
    assert rv(ctx, "x") == "u=bob m=INVITE"
    assert rv(ctx, "y") == "f=alice"
    assert ctx.new_uri == "sip:new@127.0.0.1:5099"


def test_pv_printf_needs_a_writable_pv() -> None:
    with pytest.raises(ConfigError):
        run('pv_printf("$rm", "x");')
    with pytest.raises(ConfigError):
        run('pv_printf("plain", "x");')


@pytest.mark.parametrize(
    ("text", "myself", "myhost"),
    [
        ("sip:127.0.0.1", 1, 1),  # no port: any port
        ("sip:u@127.0.0.1:5088", 1, 1),
        ("sip:127.0.0.1:5099", -1, 1),  # is_myhost ignores the port
        ("sip:127.0.0.1:5088;transport=udp", 1, 1),
        ("sip:127.0.0.1:5088;transport=sctp", -1, 1),  # no sctp socket
        ("sips:127.0.0.1", 1, 1),
        ("127.0.0.1", 1, 1),
        ("127.0.0.1:5088", -1, -1),  # not a host name
        ("sip:example.com", -1, -1),
        ("proxy.example.net", 1, 1),
        ("tel:+1234", -1, -1),
        ("", -1, -1),
    ],
)
def test_is_myself_and_is_myhost(text: str, myself: int, myhost: int) -> None:
    ctx = run(f'$var(a) = is_myself("{text}"); $var(b) = is_myhost("{text}");')
    assert (rv(ctx, "a"), rv(ctx, "b")) == (myself, myhost)


def test_setdebug_and_resetdebug_change_the_process_level() -> None:
    before = LOG.level
    try:
        ctx = run('$var(l) = 3; $var(a) = setdebug("$var(l)"); $var(x) = 0;')
        assert rv(ctx, "a") == 1
        assert LOG.level == 3
        ctx = run('$var(a) = setdebug("-1"); $var(b) = resetdebug();')
        assert (rv(ctx, "a"), rv(ctx, "b")) == (1, 1)
        assert LOG.level == before
    finally:
        LOG.level = before


def test_sruid_format_and_counter() -> None:
    ctx = run("$var(a) = $sruid; $var(b) = $sruid;")
    a, b = str(rv(ctx, "a")), str(rv(ctx, "b"))
    m = re.fullmatch(r"srid-([0-9a-f]+)-([0-9a-f]+)-([0-9a-f]+)", a)
    assert m is not None
    assert int(m.group(2), 16) == os.getpid()
    assert b.rsplit("-", 1)[0] == a.rsplit("-", 1)[0]
    assert int(b.rsplit("-", 1)[1], 16) == int(m.group(3), 16) + 1


def test_sruid_counter_is_hex_and_new_prefix_after_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    kex_sruid._STATE.clear()
    values = [kex_sruid.next_sruid() for _ in range(11)]
    assert values[-1].endswith("-b")
    monkeypatch.setattr(os, "getpid", lambda: 0xABCDE)
    assert kex_sruid.next_sruid().split("-")[2:] == ["abcde", "1"]


def test_flag_argument_must_be_int_or_pv() -> None:
    with pytest.raises(ConfigError):
        run('setsflag("abc");')
    with pytest.raises(ConfigError):
        run('setbflag("1", "x");')


def test_expression_arguments() -> None:
    ctx = run(
        '$var(f) = 4; $var(s) = "x"; $var(a) = setsflag($var(f) + 1); $var(b) = setsflag($var(s));'
        '$var(c) = setdsturi("sip:" + $rU + "@10.0.0.2"); $var(d) = is_myself($ru);'
        "$var(e) = setbflag(2, $var(f) - 4); $var(sf) = $sf;"
    )
    # setsflag("x"): the int conversion of the expression fails before the call, and
    # the call is worth -5 (E_UNSPEC) in an expression, as in Kamailio 5.6.3
    assert [rv(ctx, k) for k in "abcde"] == [1, -5, 1, 1, 1]
    assert rv(ctx, "sf") == 1 << 5
    assert ctx.dst_uri == "sip:bob@10.0.0.2"
    assert ctx.bflags == 4


def test_multi_argument_functions_keep_constant_arguments() -> None:
    with pytest.raises(ConfigError):  # Kamailio takes it; here the PV goes in the string
        run('pv_printf($var(x), "a");')
