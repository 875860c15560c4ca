"""engine/myself.py: the matcher built from a config and `myself` compiled in routes.
Configs use auto_aliases=no or loopback addresses only (no DNS queries)."""

from __future__ import annotations

import pytest
from conftest import REQUEST, compile_text

from siprouter.cfg.listen import parse_listen
from siprouter.cfg.parser import parse_string
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.engine.myself import Alias, LocalSocket, SelfMatcher, build_matcher, is_myself
from siprouter.options import Alias as OptAlias
from siprouter.options import Options
from siprouter.sip.message import parse_message

CFG = """auto_aliases=no
listen=udp:127.0.0.1:5070
listen=udp:[::1]:5070
listen=udp:127.0.0.1:5072 advertise 127.0.0.9:5099
alias="Alias.Example.com"
alias=portal.example.com:5080
alias="quoted.example.com:5081"
alias=[::2]
"""


@pytest.fixture(scope="module")
def matcher() -> SelfMatcher:
    return build_matcher(parse_string(CFG, "/t.cfg"))


@pytest.mark.parametrize(
    ("uri", "mine"),
    [
        ("sip:x@127.0.0.1:5070", True),
        ("sip:x@127.0.0.1", False),  # no port = 5060, not a listen port
        ("sip:x@127.0.0.1:5099", True),  # the advertised port of the 5072 socket
        ("sip:x@127.0.0.9:5072", True),  # advertised address, socket port
        ("sip:x@127.0.0.9:5070", False),
        ("sip:x@[::1]:5070", True),
        ("sip:x@[0::1]:5070", True),  # a listen IPv6 matches as an address
        ("sip:x@alias.example.COM", True),  # alias without port: any port
        ("sip:x@alias.example.com:1234", True),
        ("sip:x@portal.example.com:5080", True),
        ("sip:x@portal.example.com", False),
        ("sip:x@quoted.example.com:5081", False),  # quoted: the whole text is the name
        ("sip:x@[::2]", True),
        ("sip:x@[0::2]", False),  # aliases compare as text
        ("sip:x@other.example.com", False),
        ("tel:+1234", False),
        ("not a uri", None),
    ],
)
def test_check_uri(matcher: SelfMatcher, uri: str, mine: bool | None) -> None:
    assert matcher.check_uri(uri) is mine


def test_tls_transport_default_port() -> None:
    m = SelfMatcher([], [Alias("s", 5061)])
    assert m.check_uri("sip:x@s;transport=TLS") is True
    assert m.check_uri("sips:x@s") is False  # 5.6.3: sips alone still means 5060
    assert m.check_uri("sip:x@s;transport=tcp") is False


def test_ip_checks_any_port(matcher: SelfMatcher) -> None:
    assert matcher.check("127.0.0.1") and matcher.check("::1") and matcher.check("127.0.0.9")
    assert not matcher.check("127.0.0.2")


def test_options_listen_and_alias() -> None:
    opts = Options(
        listen=(parse_listen("udp:127.0.0.5:5090", cli=True),),
        aliases=(OptAlias("cli.example.com", 5090),),
        auto_aliases=False,
    )
    m = build_matcher(parse_string("request_route { exit; }\n", "/t.cfg"), opts)
    assert m.check_uri("sip:a@127.0.0.5:5090") and m.check_uri("sip:a@CLI.example.com:5090")
    assert not m.check_uri("sip:a@cli.example.com")


def test_is_myself_helper() -> None:
    cc = compile_text(CFG + "request_route { exit; }\n")
    ctx = MsgContext(parse_message(REQUEST), script=ScriptState())
    ctx.script.compiled = cc
    assert is_myself(ctx, "sip:a@127.0.0.1:5070") and is_myself(ctx, "127.0.0.1:5070")
    assert is_myself(ctx, "[0::1]:5070") and is_myself(ctx, "alias.example.com")
    assert is_myself(ctx, "::1") and not is_myself(ctx, "127.0.0.1:5071")
    assert not is_myself(ctx, "sip:a@127.0.0.1")


def _hosts_has_loopback() -> bool:
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            return any(line.split()[:1] == ["127.0.0.1"] for line in fh)
    except OSError:
        return False


@pytest.mark.skipif(not _hosts_has_loopback(), reason="no 127.0.0.1 line in /etc/hosts")
def test_auto_aliases_from_hosts_file() -> None:
    # reverse lookup of 127.0.0.1 through /etc/hosts, with the socket's port
    m = build_matcher(parse_string("listen=udp:127.0.0.1:5077\n", "/t.cfg"))
    assert m.check_uri("sip:a@localhost:5077") is True
    assert m.check_uri("sip:a@localhost:5078") is False


def test_virtual_socket_needs_a_local_ip() -> None:
    m = SelfMatcher(
        [
            LocalSocket(("192.0.2.200",), 5060, None, "192.0.2.200"),
            LocalSocket(("127.0.0.1",), 5060, None, "127.0.0.1"),
        ]
    )
    assert not m.check("192.0.2.200") and m.check("127.0.0.1")


def test_no_listen_uses_interface_addresses() -> None:
    m = build_matcher(parse_string("auto_aliases=no\n", "/t.cfg"))
    assert m.check_uri("sip:a@127.0.0.1") and not m.check_uri("sip:a@127.0.0.1:5070")


def _marks(cond: str, data: bytes = REQUEST, src: str = "127.0.0.1") -> list[str]:
    cc = compile_text(
        CFG + f'request_route {{\n if ({cond}) {{ mark("1"); }} else {{ mark("0"); }}\n}}\n'
    )
    ctx = MsgContext(
        parse_message(data), ReceiveInfo(src, 5, "127.0.0.1", 5070, "udp", 4), ScriptState()
    )
    ctx.log = []
    cc.run("request", "", ctx)
    return [t for _k, t in ctx.log]


def _req(ruri: str, frm: str = "sip:a@example.com") -> bytes:
    return REQUEST.replace(b"sip:bob@example.org SIP", ruri.encode() + b" SIP").replace(
        b"<sip:alice@example.com>", f"<{frm}>".encode()
    )


@pytest.mark.parametrize(
    ("cond", "data", "src", "out"),
    [
        ("uri == myself", _req("sip:b@127.0.0.1:5070"), "127.0.0.1", "1"),
        ("uri != myself", _req("sip:b@127.0.0.1:5070"), "127.0.0.1", "0"),
        ("myself == uri", _req("sip:b@alias.example.com"), "127.0.0.1", "1"),
        ("uri eq myself", _req("sip:b@nope.example.com"), "127.0.0.1", "0"),
        ("uri != myself", _req("tel:+123"), "127.0.0.1", "1"),  # no host: not myself
        ("from_uri == myself", _req("sip:b@x", "sip:a@Alias.example.com"), "127.0.0.1", "1"),
        ("to_uri != myself", REQUEST, "127.0.0.1", "1"),
        ("src_ip == myself", REQUEST, "127.0.0.1", "1"),
        ("myself != src_ip", REQUEST, "127.0.0.2", "1"),
        ("dst_ip == myself", REQUEST, "127.0.0.2", "1"),
    ],
)
def test_compiled_myself(cond: str, data: bytes, src: str, out: str) -> None:
    assert _marks(cond, data, src) == [out]


def test_new_ruri_is_checked() -> None:
    cc = compile_text(
        CFG + 'loadmodule "pv"\nrequest_route {\n $ru = "sip:b@127.0.0.1:5070";\n'
        ' if (uri == myself) { mark("1"); } else { mark("0"); }\n}\n'
    )
    ctx = MsgContext(parse_message(REQUEST), script=ScriptState())
    ctx.log = []
    cc.run("request", "", ctx)
    assert ctx.log == [("mark", "1")]
    assert cc.myself is not None and cc.myself.check("127.0.0.1", 5070)


def test_cached_verdicts_stay_right(matcher: SelfMatcher) -> None:
    for _ in range(3):
        assert matcher.check_uri("sip:x@127.0.0.1:5070") is True
        assert matcher.check_uri("sip:x@127.0.0.1:5071") is False
        assert matcher.check_uri("sip:x@[::1") is None


def test_registered_check_extends_myself() -> None:
    m = SelfMatcher([LocalSocket(("127.0.0.1",), 5060)])
    assert m.check_uri("sip:a@Domain.example") is False
    table = {"domain.example"}
    m.register_check(lambda host, port: host in table)
    assert m.check_uri("sip:a@Domain.example") is True
    table.clear()  # a table that changes: no stale cached verdict
    assert m.check_uri("sip:a@Domain.example") is False
