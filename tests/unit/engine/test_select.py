"""Selects without a network: resolution and its errors (the `-c` messages), values
over a parsed message, selects in compiled expressions, `$sel(...)`, and custom
global parameters read once per message. The values themselves are checked against
Kamailio 5.6.3 in tests/compat/cases/selects*.toml and custom_params.toml."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg import custom_params
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules import cfg_rpc
from siprouter.pv.access import PVCompiler
from siprouter.rpc import RpcError
from siprouter.select import compile_select
from siprouter.shared import space as space_mod
from siprouter.sip.message import parse_message

MSG = (
    b"INVITE sip:alice:pw@Example.COM:5070;transport=udp;lr;x=1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-aa;rport;received=1.1.1.1;i=7\r\n"
    b"Via: SIP/2.0/TCP h2.example.org:5080;branch=z9hG4bK-bb, SIP/2.0/UDP h3;branch=cc\r\n"
    b'From: "Bob B" <sip:bob@b.example.com;user=phone>;tag=ft1;p=q\r\n'
    b"To: <sip:alice@example.com>\r\n"
    b"Call-ID: cid-1\r\nCSeq: 17 INVITE\r\nMax-Forwards: 70\r\n"
    b'Contact: "C" <sip:c@10.0.0.1:5062>;expires=60, <sip:d@h>;q=0.5\r\n'
    b'Proxy-Authorization: Digest username="bob@dom", realm="r1", nonce="n1", qop=auth\r\n'
    b"X-H: a;p1=v1;p2\r\nX-H: second\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _ctx() -> MsgContext:
    rcv = ReceiveInfo(src_ip="10.0.0.1", src_port=5062, dst_ip="127.0.0.1", dst_port=5060)
    return MsgContext(parse_message(MSG), rcv, ScriptState())


@pytest.mark.parametrize(
    ("select", "value"),
    [
        ("@ruri", "sip:alice:pw@Example.COM:5070;transport=udp;lr;x=1"),
        ("@ruri.user", "alice"),
        ("@request_uri.host", "Example.COM"),
        ("@ruri.port", "5070"),
        ("@ruri.pwd", "pw"),
        ("@ruri.params", "transport=udp;lr;x=1"),
        ("@ruri.params.x", "1"),
        ("@ruri.params.lr", None),
        ("@ruri.transport", "udp"),
        ("@from.uri", "sip:bob@b.example.com;user=phone"),
        ("@from.tag", "ft1"),
        ("@f.name", '"Bob B"'),
        ("@from.params.p", "q"),
        ("@from.uri.params", None),
        ("@to.tag", None),
        ("@to.name", None),
        ("@via.host", "10.0.0.1"),
        ("@via[1].received", "1.1.1.1"),
        ("@via[1].rport", None),
        ("@via[2].port", "5080"),
        ("@via[3].host", "h3"),
        ("@via[-1].branch", "cc"),
        ("@via[4].host", None),
        ("@v[2].transport", "TCP"),
        ("@contact.uri", "sip:d@h"),  # the last contact of the header, as 5.6.3
        ("@contact.q", "0.5"),
        ("@contact.name", ""),
        ("@cseq.num", "17"),
        ("@cseq.method", "INVITE"),
        ("@call_id", "cid-1"),
        ("@max_forwards", "70"),
        ("@msg.type", "1"),
        ("@msg.first_line", "INVITE sip:alice:pw@Example.COM:5070;transport=udp;lr;x=1 SIP/2.0"),
        ("@msg.header.x_h", "a;p1=v1;p2"),
        ("@msg.h.x_h[2]", "second"),
        ("@msg.h.x_h.params.p1", "v1"),
        ("@msg.request.uri.host", "Example.COM"),
        ("@method", "INVITE"),
        ("@status", None),
        ('@proxy_authorization["r1"].username.domain', "dom"),
        ('@proxy_authorization["r1"].qop', "auth"),
        ('@proxy_authorization["r9"].nonce', None),
        ("@src.ip_port", "10.0.0.1:5062"),
        ("@received.proto_ip_port", "udp:127.0.0.1:5060"),
        ("@branch.count", "0"),
    ],
)
def test_values(select: str, value: str | None) -> None:
    assert compile_select(select).get(_ctx()) == value


def test_ruri_follows_rewrites_and_text_is_empty_without_value() -> None:
    ctx = _ctx()
    ctx.new_uri = "sip:new@other.example.net"
    assert compile_select("@ruri.user").get(ctx) == "new"
    assert compile_select("@msg.request.uri.user").get(ctx) == "alice"
    assert compile_select("@to.tag").text(ctx) == ""


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("@nosuch.thing", "no 'nosuch' at the start"),
        ("@rui.user", "did you mean 'ruri'?"),
        ("@ruri.usr", "no 'usr' after @ruri"),
        ("@src", "incomplete select @src"),
        ("@from.params", "incomplete select @from.params"),
        ("@cseq[1]", "'cseq' takes no index"),
        ('@via["x"].host', "'via' takes an int index"),
        ("@proxy_authorization.nonce", "needs the realm as index"),
    ],
)
def test_resolution_errors(select: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        compile_select(select)
    assert message in str(e.value)


def test_module_selects_need_their_module() -> None:
    with pytest.raises(ConfigError, match="needs module textopsx"):
        compile_select("@hf_value.x_h", ["pv"])
    assert compile_select("@hf_value.x_h[2]", ["textopsx"]).get(_ctx()) == "second"


def test_sel_pv_and_its_name_ending() -> None:
    comp = PVCompiler()
    ctx = _ctx()
    assert comp.compile_text("$sel(via[2].host)").get(ctx) == "h2.example.org"
    assert comp.compile_text("$sel(msg.header.X-H)").get(ctx) is None  # reads header X
    assert comp.compile_text("$sel(to.tag)").get(ctx) is None
    assert comp.compile_text("$sel(via[1].host)").set is None
    with pytest.raises(ConfigError, match='pvar "sel" has an invalid name param'):
        comp.compile_text("$sel(ruri.nope)")


CFG = """\
loadmodule "pv"
request_route {
    $var(a) = @cseq.num + 1;
    $var(b) = (int)@cseq.num + 1;
    $var(c) = @to.tag;
    if (@ruri.user == "alice" && defined @to.tag) { $var(d) = "yes"; }
    $var(e) = $sel(cfg_get.grp.s) + "/" + @cfg_get.grp.n;
}
grp.s = "text"
grp.n = 3 desc "declared after the route: still known"
"""


@pytest.fixture
def shared() -> Iterator[None]:
    space_mod.reset()
    try:
        yield
    finally:
        space_mod.reset()


def test_selects_in_compiled_expressions(shared: None) -> None:
    compiled = compile_config(parse_string(CFG, "t.cfg"))
    ctx = _ctx()
    compiled.run("request", "", ctx)
    v = ctx.script.vars
    assert (v["a"], v["b"], v["c"], v["d"], v["e"]) == ("171", 18, "", "yes", "text/3")


@pytest.mark.parametrize(
    ("body", "line", "col", "message"),
    [
        ("\n    $var(x) = @ruri.usr;\n", 4, 15, "unknown select @ruri.usr"),
        ("\n    if (17 == @cseq.num) { exit; }\n", 4, 15, "type mismatch"),
        ("\n    $var(x) = @cfg_get.grp.zz;\n", 4, 15, "unknown custom parameter grp.zz"),
        ('\n    xlog("$sel(cfg_get.no.x)");\n', 4, 5, "unknown custom parameter no.x"),
    ],
)
def test_check_errors_have_positions(body: str, line: int, col: int, message: str) -> None:
    text = f'loadmodule "pv"\nloadmodule "xlog"\nrequest_route {{{body}}}\ngrp.n = 1\n'
    with pytest.raises(ConfigError) as e:
        compile_config(parse_string(text, "t.cfg"))
    err = e.value
    assert message in str(err)
    assert err.pos is not None and (err.pos.file, err.pos.line, err.pos.col) == ("t.cfg", line, col)


def test_custom_values_read_once_per_message(shared: None) -> None:
    compile_config(parse_string('loadmodule "pv"\ng.n = 5\ng.s = "a"\nrequest_route { exit; }\n'))
    get = compile_select("@cfg_get.g.n").get
    first = _ctx()
    assert get(first) == "5"
    custom_params.set_value("g", "n", "7")
    assert get(first) == "5"  # the message being routed keeps its values
    assert get(_ctx()) == "7"
    with pytest.raises(ValueError):
        custom_params.set_value("g", "n", "seven")
    custom_params.set_value("g", "s", 12)
    assert custom_params.current("g.s") == "12"
    custom_params.set_value("g", "n", 2**40)
    assert custom_params.current("g.n") == -(2**31)


def test_cfg_rpc_commands(shared: None) -> None:
    compile_config(parse_string('loadmodule "pv"\ng.n = 5\nh.s = "a"\nrequest_route { exit; }\n'))
    cfg_rpc.rpc_set_int("g", "n", "8")  # a string for an integer command counts as 0
    assert cfg_rpc.rpc_get("g", "n") == 0
    cfg_rpc.rpc_set_str("g", "n", "-3")
    assert cfg_rpc.rpc_get("g") == {"n": -3}
    cfg_rpc.rpc_set_str("g", "n", 4)  # not a string: nothing changes
    assert cfg_rpc.rpc_get("g", "n") == -3
    with pytest.raises(RpcError, match="Failed to set the variable"):
        cfg_rpc.rpc_set_str("g", "n", "abc")
    with pytest.raises(RpcError, match="Failed to get the variable"):
        cfg_rpc.rpc_get("g", "zz")
    with pytest.raises(RpcError, match="Failed to get the parameters"):
        cfg_rpc.rpc_get()
    assert cfg_rpc.rpc_help("h", "s") == "(parameter type is string)"
    assert cfg_rpc.rpc_list()[-2:] == ["h: s", "g: n"]  # after the tcp and core groups
