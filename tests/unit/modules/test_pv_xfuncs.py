"""pv module functions over $xavp/$xavi/$xavu, the static branch and variables, run
in-process; the expected values are what Kamailio 5.6.3 gives for the same script
(tests/integration/test_mod_pv_more.py runs it through both)."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.sip.message import parse_message

HEAD = 'loadmodule "pv"\n'
REQ = (
    b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
    b"Call-ID: x-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)


def run(body: str) -> MsgContext:
    cc = compile_config(parse_string(HEAD + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    ctx.log = []
    cc.run("request", "", ctx)
    return ctx


def v(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


def test_xavp_copy() -> None:
    ctx = run(
        '$xavp(a=>x) = 1; $xavp(a[0]=>y) = "s"; $xavp(a=>x) = 2;'
        '$var(r1) = xavp_copy("a", "1", "b"); $var(r2) = xavp_copy("a", "0", "b");'
        '$var(r3) = xavp_copy("a", "0", "b", "1"); $var(r4) = xavp_copy("a", "5", "b");'
        "$var(b0y) = $xavp(b[0]=>y); $var(b1x) = $xavp(b[1]=>x); $var(n) = $cnt($xavp(b));"
    )
    assert [v(ctx, k) for k in ("r1", "r2", "r3", "r4", "b0y", "b1x", "n")] == [
        1, 1, 1, -1, "s", 2, 2,
    ]  # fmt: skip


def test_slist_explode() -> None:
    ctx = run(
        '$var(r) = xavp_slist_explode("u1,u2,,u3", ",", "", "sl");'
        "$var(a) = $xavp(sl=>v); $var(c) = $xavp(sl=>v[2]); $var(n) = $cnt($xavp(sl));"
    )
    assert [v(ctx, k) for k in ("r", "a", "c", "n")] == [1, "u1", "u3", 1]
    with pytest.raises(ConfigError, match="mode"):
        run('xavp_slist_explode("a", ",", "x", "sl");')


def test_xavu_params_and_xparams() -> None:
    ctx = run(
        '$var(r) = xavu_params_explode("a=1;b=x;a=3", "u"); $var(a) = $xavu(u=>a);'
        '$var(i) = xavu_params_implode("u", "$var(out)");'
        '$var(x) = xavp_xparams_explode("p=1&q=2", "&", "xp"); $var(q) = $xavp(xp=>q);'
        '$var(qv) = xavp_params_implode_qval("xp", "$var(qo)");'
    )
    assert (v(ctx, "r"), v(ctx, "a"), v(ctx, "i"), v(ctx, "out")) == (1, "1", 1, "b=x;a=1;")
    assert (v(ctx, "x"), v(ctx, "q"), v(ctx, "qo")) == (1, "2", 'q="2";p="1";')


def test_xavi_functions_ignore_case() -> None:
    ctx = run(
        '$var(r1) = xavi_child_sets("Ia", "Ch", "v"); $var(r2) = xavi_child_seti("ia", "CH2", "3");'
        "$var(a) = $xavi(IA=>ch); $var(b) = $xavi(ia=>ch2);"
        '$var(r3) = xavi_child_rm("IA", "ch"); $var(c) = $xavi(ia=>ch);'
        '$var(r4) = xavi_rm("ia"); $var(d) = $xavi(ia=>ch2);'
        '$xavi(z=>k) = 1; $xavi(z=>k) = 2; xavi_rm_all("Z"); $var(e) = $xavi(z=>k);'
    )
    got = [v(ctx, k) for k in ("r1", "r2", "a", "b", "r3", "c", "r4", "d", "e")]
    assert got == [
        1,
        1,
        "v",
        3,
        1,
        0,
        1,
        0,
        0,
    ]  # $var of $null reads 0


def test_var_xavp_round_trip() -> None:
    ctx = run(
        '$var(v1) = 5; $var(v2) = "t"; pv_var_to_xavp("v1", "vx"); pv_var_to_xavp("*", "all");'
        "$var(a) = $xavp(vx=>v1); $var(b) = $xavp(all=>v2);"
        '$xavp(tv=>p1) = "q1"; $xavp(tv[0]=>p2) = 7; $var(r) = pv_xavp_to_var("tv");'
    )
    assert (v(ctx, "a"), v(ctx, "b"), v(ctx, "p1"), v(ctx, "p2"), v(ctx, "r")) == (
        5, "t", "q1", 7, 1,
    )  # fmt: skip


def test_static_branch() -> None:
    ctx = run(
        '$sbranch(uri) = "sip:s@10.0.0.5"; $sbranch(dst_uri) = "sip:127.0.0.1:5077";'
        "$sbranch(q) = 300; $var(r1) = sbranch_append(); $var(r2) = sbranch_set_ruri();"
        "$var(ru) = $ru; $var(du) = $du; $var(q) = $branch(q); $var(r3) = sbranch_reset();"
        "$var(r4) = sbranch_append();"
    )
    assert [v(ctx, k) for k in ("r1", "r2", "ru", "du", "q", "r3", "r4")] == [
        1, 1, "sip:s@10.0.0.5", "sip:127.0.0.1:5077", 300, 1, -1,
    ]  # fmt: skip
    assert len(ctx.branches) == 1


def test_print_lists_log_lines() -> None:
    ctx = run('$xavp(p=>q) = 1; $xavu(u=>w) = "x"; pv_xavp_print(); pv_xavu_print();')
    text = "\n".join(t for _lvl, t in ctx.log or [])
    assert "name: p" in text and "name: q value (int): 1" in text
    assert "name: w value (str): x" in text


def test_pv_register_api_is_refused() -> None:
    with pytest.raises(ConfigError, match="C API"):
        run("pv_register_api();")
