"""corex module in-process: append_branch, xflags and internal flags, files, sending
(recorded in ctx.sent without sockets), alias_subdomains, is_faked_msg, $cfg."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import corex
from siprouter.modules.corex_alias import SubdomainMatcher, parse_alias
from siprouter.modules.corex_branch import parse_q
from siprouter.modules.corex_sock import split_socket
from siprouter.runtime import lifecycle
from siprouter.sip.message import parse_message

HEAD = 'listen=udp:127.0.0.1:5088\nloadmodule "pv"\nloadmodule "kex"\nloadmodule "corex"\n'

REQ = (
    b"INVITE sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
    b"Call-ID: corex-1\r\nCSeq: 1 INVITE\r\nX-Q: 0.25\r\nContent-Length: 0\r\n\r\n"
)
REPLY = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5088;branch=z9hG4bK-top\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;received=127.0.0.2;rport=5071;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.org>;tag=2\r\n"
    b"Call-ID: corex-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    corex.reset()
    yield
    corex.reset()


def run(body: str, head: str = "", data: bytes = REQ, kind: str = "request") -> MsgContext:
    block = "request_route" if kind == "request" else "reply_route"
    text = HEAD + head + f"{block} {{\n" + body + "\n}\n"
    if kind != "request":
        text += "request_route { exit; }\n"
    cc = compile_config(parse_string(text, "t.cfg"))
    ctx = MsgContext(parse_message(data), script=ScriptState())
    ctx.sent = []
    cc.run("request" if kind == "request" else "reply", "", ctx)
    return ctx


def rv(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


@pytest.mark.parametrize(
    ("text", "q"),
    [("1", 1000), ("1.0", 1000), ("0.5", 500), (".25", 250), ("0", 0), ("0.125", 125)],
)
def test_parse_q(text: str, q: int) -> None:
    assert parse_q(text) == q


@pytest.mark.parametrize("text", ["abc", "1.5", "2", "0.1234", "-1", ""])
def test_parse_q_refuses(text: str) -> None:
    assert parse_q(text) is None


def test_append_branch_moves_ruri_attributes() -> None:
    ctx = run(
        '$du = "sip:p.example.com"; setbflag("3"); $fs = "udp:127.0.0.1:5088";'
        "$var(a) = append_branch();"
    )
    assert rv(ctx, "a") == 1
    (b,) = ctx.branches
    assert (b.uri, b.dst_uri, b.flags, b.force_socket, b.q) == (
        "sip:bob@example.org",
        "sip:p.example.com",
        8,
        "udp:127.0.0.1:5088",
        -1,
    )
    assert (ctx.dst_uri, ctx.bflags, ctx.force_socket) == (None, 0, None)


def test_append_branch_with_uri_keeps_ruri_attributes() -> None:
    ctx = run(
        '$du = "sip:p.example.com"; setbflag("4");'
        '$var(a) = append_branch("sip:$rU@gw.example.com", "$hdr(X-Q)");'
        '$var(b) = append_branch("sip:x@example.com", "abc");'
    )
    assert (rv(ctx, "a"), rv(ctx, "b")) == (1, -1)
    (b,) = ctx.branches
    assert (b.uri, b.dst_uri, b.flags, b.q) == (
        "sip:bob@gw.example.com",
        "sip:p.example.com",
        16,
        250,
    )
    assert (ctx.dst_uri, ctx.bflags) == ("sip:p.example.com", 16)


def test_append_branch_honours_max_branches() -> None:
    ctx = run(
        "$var(i) = 0; $var(r) = 0;"
        'while ($var(i) < 14) { if (append_branch("sip:n@example.com") > 0) { $var(r) = $var(r) + 1; }'
        " $var(i) = $var(i) + 1; }"
    )
    assert rv(ctx, "r") == 11
    assert len(ctx.branches) == 11


def test_xflags() -> None:
    ctx = run(
        '$var(n) = 40; $var(a) = setxflag("63"); $var(b) = setxflag("$var(n)");'
        '$var(c) = setxflag("64"); $var(d) = isxflagset("40"); $var(e) = resetxflag("40");'
        '$var(f) = isxflagset("40"); $var(g) = isxflagset("63"); $var(mf) = $mf;'
    )
    assert [rv(ctx, k) for k in "abcdefg"] == [1, 1, -1, 1, 1, -1, 1]
    assert rv(ctx, "mf") == 0


def test_internal_flags() -> None:
    ctx = run(
        '$var(a) = msg_iflag_set("UAC_AUTH"); $var(b) = msg_iflag_is_set("UAC_AUTH");'
        '$var(c) = msg_iflag_is_set("USE_UAC_TO"); $var(d) = msg_iflag_is_set("NOPE");'
        '$var(e) = msg_iflag_reset("UAC_AUTH"); $var(f) = msg_iflag_is_set("UAC_AUTH");'
    )
    assert [rv(ctx, k) for k in "abcdef"] == [1, 1, -2, -1, 1, -2]


def test_internal_flag_set_with_unknown_name_ends_the_script() -> None:
    ctx = run('$var(a) = 1; msg_iflag_set("UAC_FROM"); $var(a) = 2;')
    assert rv(ctx, "a") == 1


def test_files(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    ctx = run(
        f'$var(a) = file_write("{path}", "hi $rU"); $var(b) = file_read("{path}", "$var(c)");'
        f'$var(d) = file_read("{tmp_path}/missing", "$var(e)");'
        f'$var(f) = file_write("{tmp_path}/no/dir", "x");'
    )
    assert [rv(ctx, k) for k in "abdf"] == [1, 1, -1, -1]
    assert rv(ctx, "c") == "hi bob"
    assert path.read_text() == "hi bob"


def test_send_udp_sends_the_message_unchanged() -> None:
    ctx = run(
        '$var(a) = send_udp("127.0.0.1:5999");'
        '$du = "sip:127.0.0.2:6000"; $var(b) = send_udp(); $var(c) = send_udp("[::1]:7000");'
    )
    assert [rv(ctx, k) for k in "abc"] == [1, 1, 1]
    assert ctx.sent == [
        ("request", ("127.0.0.1", 5999), REQ),
        ("request", ("127.0.0.2", 6000), REQ),
        ("request", ("::1", 7000), REQ),
    ]


def test_send_udp_to_the_ruri_and_bad_destinations(monkeypatch: pytest.MonkeyPatch) -> None:
    from siprouter.runtime import forward

    real = forward.resolve
    # no DNS query leaves the machine: a name resolves to nothing here
    monkeypatch.setattr(forward, "resolve", lambda h: None if h == "unknown.test" else real(h))
    ctx = run(
        '$var(a) = send_udp("unknown.test"); $ru = "sip:u@127.0.0.3"; $var(b) = send_udp();'
        '$var(c) = send_udp("127.0.0.1:99999"); $var(d) = send_udp("127.0.0.1:x");'
    )
    assert [rv(ctx, k) for k in "abcd"] == [-1, 1, -1, -1]
    assert ctx.sent == [("request", ("127.0.0.3", 5060), REQ)]


def test_send_data_and_sendx() -> None:
    ctx = run(
        '$var(a) = send_data("sip:127.0.0.1:5999", "PING $rU");'
        '$var(b) = send_data("no uri", "x");'
        '$var(c) = sendx("sip:127.0.0.1:5999", "udp:127.0.0.1:1", "x");'
    )
    assert [rv(ctx, k) for k in "abc"] == [1, -1, 1]
    assert ctx.sent == [
        ("data", ("127.0.0.1", 5999), b"PING bob"),
        ("data", ("127.0.0.1", 5999), b"x"),
    ]


def test_forward_reply_uses_the_second_via() -> None:
    ctx = run("$var(a) = forward_reply(); drop;", data=REPLY, kind="reply")
    assert rv(ctx, "a") == 1
    ((kind, dest, data),) = ctx.sent
    assert (kind, dest) == ("reply", ("127.0.0.2", 5071))
    assert b"branch=z9hG4bK-top" not in data


def test_forward_reply_only_in_reply_route() -> None:
    with pytest.raises(ConfigError):
        run("forward_reply();")


def test_is_faked_msg() -> None:
    ctx = run("$var(a) = is_faked_msg();")
    assert rv(ctx, "a") == -1
    corex.mark_faked(ctx)
    assert corex.is_faked_msg(ctx) == 1


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("udp:127.0.0.1:5060", ("udp", "127.0.0.1", 5060)),
        ("TCP:[::1]:7000", ("tcp", "[::1]", 7000)),
        ("host.example.com", (None, "host.example.com", 0)),
        ("10.0.0.1:99", (None, "10.0.0.1", 99)),
    ],
)
def test_split_socket(text: str, parts: tuple[object, ...]) -> None:
    assert split_socket(text) == parts


@pytest.mark.parametrize("text", ["udp:", "[::1", "h:port", "", "1.2.3.4:65536"])
def test_split_socket_refuses(text: str) -> None:
    assert split_socket(text) is None


def test_alias_subdomains_matcher() -> None:
    m = SubdomainMatcher([parse_alias("example.net"), parse_alias("udp:sub.example.org:5070")])
    assert m("example.net", 0) and m("a.B.Example.NET", 5060)
    assert not m("badexample.net", 0)
    assert m("x.sub.example.org", 5070) and m("x.sub.example.org", 0)
    assert not m("x.sub.example.org", 5071)
    with pytest.raises(ValueError):
        parse_alias("udp::5060")


def test_alias_subdomains_join_myself_at_init() -> None:
    text = (
        HEAD + 'modparam("corex", "alias_subdomains", "example.net")\n'
        "request_route { if (uri == myself) { $var(a) = 1; } else { $var(a) = 2; }"
        ' $var(b) = is_myself("sip:x.example.net"); }\n'
    )
    cc = compile_config(parse_string(text, "t.cfg"))
    saved = lifecycle.COMPILED
    lifecycle.COMPILED = cc
    try:
        corex.EXPORTS.init(None)  # type: ignore[misc]
    finally:
        lifecycle.COMPILED = saved
    req = REQ.replace(b"sip:bob@example.org SIP", b"sip:bob@a.example.net SIP")
    ctx = MsgContext(parse_message(req), script=ScriptState())
    cc.run("request", "", ctx)
    assert (rv(ctx, "a"), rv(ctx, "b")) == (1, 1)


def test_cfg_pv() -> None:
    ctx = run(
        "$var(l) = $cfg(line); $var(f) = $cfg(file); $var(r) = $cfg(route); route(SUB);",
        head="route[SUB] { $var(sr) = $cfg(route); $var(sl) = $cfg(line); }\n",
    )
    assert rv(ctx, "l") == 7  # 4 HEAD lines, route[SUB], request_route {
    assert rv(ctx, "f") == "t.cfg"
    assert rv(ctx, "r") == "DEFAULT_ROUTE"
    assert (rv(ctx, "sr"), rv(ctx, "sl")) == ("SUB", 5)


def test_cfg_pv_unknown_key() -> None:
    with pytest.raises(ConfigError):
        run("$var(x) = $cfg(foo);")


def test_vbflags_are_their_own_set() -> None:
    ctx = run(
        '$var(f) = 31; $var(a) = msg_vbflag_set("1"); $var(b) = msg_vbflag_set("$var(f)");'
        '$var(c) = msg_vbflag_set("32"); $var(d) = msg_vbflag_is_set("1");'
        '$var(e) = msg_vbflag_reset("1"); $var(g) = msg_vbflag_is_set("1");'
        '$var(h) = msg_vbflag_is_set("31"); $var(i) = isxflagset("31");'
    )
    assert [rv(ctx, k) for k in "abcdeghi"] == [1, 1, -1, 1, 1, -1, 1, -1]


def test_forward_uac_keeps_only_our_via() -> None:
    req = REQ.replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n",
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-0\r\n",
    )
    ctx = run(
        '$ru = "sip:alice@127.0.0.5:5077"; $var(a) = forward_uac("3");'
        '$var(b) = forward_uac_uri("sip:127.0.0.6;transport=udp");'
        '$var(c) = forward_uac_uri("not a uri");',
        data=req,
    )
    assert [rv(ctx, k) for k in "abc"] == [1, 1, -1]
    (k1, d1, m1), (k2, d2, m2) = ctx.sent
    assert (k1, d1, k2, d2) == ("request", ("127.0.0.5", 5077), "request", ("127.0.0.6", 5060))
    lines = m1.split(b"\r\n")
    assert lines[0] == b"INVITE sip:alice@127.0.0.5:5077 SIP/2.0"
    vias = [x for x in lines if x.lower().startswith(b"via:")]
    assert len(vias) == 1 and vias[0].startswith(b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK")
    assert vias[0].endswith(b".3")
    assert b"10.0.0.9" not in m2 and m2.count(b"Via:") == 1


def test_forward_uac_only_in_request_route() -> None:
    with pytest.raises(ConfigError):
        run("forward_uac();", kind="reply")


class _FakeTcp:
    def __init__(self) -> None:
        self.calls: list[tuple[object, object]] = []

    def alias(self, src: object, addr: object) -> bool:
        self.calls.append((src, addr))
        return True


def test_add_tcp_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from siprouter.modules import corex_sock
    from siprouter.runtime import tcp_transport

    fake = _FakeTcp()
    monkeypatch.setattr(tcp_transport, "ACTIVE", fake)
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    assert corex_sock.add_tcp_alias(ctx, 5080) == -1  # received over UDP
    ctx.rcv = replace(ctx.rcv, proto="tcp", src_ip="127.0.0.9", src_port=40000)
    assert corex_sock.add_tcp_alias(ctx, 5080) == 1
    assert corex_sock.add_tcp_alias(ctx, 0) == 1  # the top Via's port
    assert corex_sock.add_tcp_alias(ctx, 70000) == -1
    assert fake.calls == [
        (("127.0.0.9", 40000), ("127.0.0.9", 5080)),
        (("127.0.0.9", 40000), ("127.0.0.9", 5070)),
    ]


@pytest.mark.parametrize(
    ("block", "kind", "name", "route"),
    [
        ("request_route", "request", "", "DEFAULT_ROUTE"),
        ("reply_route", "reply", "", "DEFAULT_ONREPLY"),
        ("onsend_route", "onsend", "", "DEFAULT_SEND"),
        ("event_route[htable:mod-init]", "event", "htable:mod-init", "htable:mod-init"),
    ],
)
def test_cfg_route_names_of_blocks(block: str, kind: str, name: str, route: str) -> None:
    text = HEAD + f"{block} {{ $var(r) = $cfg(route); }}\n"
    if kind != "request":
        text += "request_route { exit; }\n"
    cc = compile_config(parse_string(text, "t.cfg"))
    ctx = MsgContext(parse_message(REPLY if kind == "reply" else REQ), script=ScriptState())
    cc.run(kind, name, ctx)
    assert rv(ctx, "r") == route


def test_append_branch_reads_max_branches_of_the_config() -> None:
    ctx = run(
        "$var(i) = 0; $var(r) = 0;"
        'while ($var(i) < 5) { if (append_branch("sip:n@example.com") > 0) { $var(r) = $var(r) + 1; }'
        " $var(i) = $var(i) + 1; }",
        head="max_branches=3\n",
    )
    assert rv(ctx, "r") == 2


def test_via_params_on_forward_uac_and_forward() -> None:
    ctx = run(
        '$xavp(mvia=>a) = "x"; $xavp(mvia[0]=>b) = ""; via_add_srvid("1");'
        'via_add_xavp_params("1"); forward_uac_uri("sip:127.0.0.5:5077");'
        'forward("127.0.0.6", 5078); via_add_srvid("0"); forward("127.0.0.7", 5079);',
        head='server_id=7\nxavp_via_params="mvia"\n',
    )
    vias = [next(x for x in m.split(b"\r\n") if x.startswith(b"Via:")) for _k, _d, m in ctx.sent]
    assert [v.split(b";", 2)[-1] for v in vias] == [b"srvid=7;b;a=x", b"srvid=7;b;a=x", b"b;a=x"]
    assert vias[0].split(b";")[1].startswith(b"branch=z9hG4bK")


@pytest.mark.parametrize(
    ("assigned", "name"),
    [
        ([], None),
        ([("xavp_via_fields", "mvia")], None),  # 5.6.3: fields alone give no parameters
        ([("xavp_via_params", "xvia")], "xvia"),
        ([("xavp_via_params", "xvia"), ("xavp_via_fields", "customvia")], "cust"),
        ([("xavp_via_fields", "customvia"), ("xavp_via_params", "xvia")], "xvia"),
        ([("xavp_via_params", "customvia"), ("xavp_via_fields", "mv")], None),
        ([("xavp_via_params", "xvia"), ("xavp_via_params", "customvia")], "customvia"),
    ],
)
def test_xavp_params_name_as_kamailio_56(assigned: list[tuple[str, str]], name: str | None) -> None:
    from siprouter.modules.corex_via import xavp_params_name

    assert xavp_params_name(assigned) == name


def test_core_parameters_are_read_once_per_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from siprouter.runtime import latency

    calls: list[object] = []
    real = latency.params_of

    def counting(compiled: object) -> dict[str, object]:
        calls.append(compiled)
        return real(compiled)

    monkeypatch.setattr(latency, "params_of", counting)
    ctx = run('append_branch("sip:a@x"); append_branch("sip:b@x"); append_branch("sip:c@x");')
    assert len(ctx.branches) == 3
    assert len(calls) == 1
