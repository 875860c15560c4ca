"""engine/ipmatch.py and the src_ip/dst_ip comparisons compiled through it (no network:
names resolve through /etc/hosts `localhost` only)."""

from __future__ import annotations

import pytest
from conftest import REQUEST, compile_text

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.engine.ipmatch import ip_int, net_from_text, parse_net, same_ip
from siprouter.sip.message import parse_message


@pytest.mark.parametrize(
    ("net", "mask", "ip", "inside"),
    [
        ("127.0.0.1", None, "127.0.0.1", True),
        ("127.0.0.1", None, "127.0.0.2", False),
        ("127.0.0.0", "8", "127.9.9.9", True),
        ("127.0.0.0", "8", "128.0.0.1", False),
        ("127.0.0.0", "255.0.0.0", "127.1.2.3", True),
        ("127.1.2.3", "8", "127.200.0.1", True),  # host bits masked away
        ("10.0.0.0", "255.0.255.0", "10.7.0.9", True),  # non-contiguous mask, bitwise
        ("10.0.0.0", "255.0.255.0", "10.7.1.9", False),
        ("0.0.0.0", "0", "1.2.3.4", True),
        ("0.0.0.0", "0", "::1", False),  # other family never matches
        ("::1", None, "::1", True),
        ("::1", None, "0:0::1", True),
        ("[::1]", None, "[::1]", True),
        ("::", "0", "127.0.0.1", False),
        ("2001:db8::", "32", "2001:db8:1::5", True),
        ("2001:db8::", "32", "2001:db9::5", False),
        ("10.0.0.0", "8", "not-an-ip", False),
    ],
)
def test_net_contains(net: str, mask: str | None, ip: str, inside: bool) -> None:
    assert parse_net(net, mask).contains(ip) is inside


@pytest.mark.parametrize(
    ("net", "mask"), [("127.0.0.1", "33"), ("::1", "129"), ("::1", "255.0.0.0")]
)
def test_bad_networks(net: str, mask: str) -> None:
    with pytest.raises(ValueError):
        parse_net(net, mask)


def test_ip_int_and_same_ip() -> None:
    assert ip_int("[::1]") == ip_int("0:0::1") == (6, 1)
    assert ip_int("localhost") is None
    assert same_ip("::1", "[0::1]") and same_ip("127.0.0.1", "127.0.0.1")
    assert not same_ip("127.0.0.1", "localhost")  # runtime values are not resolved
    assert not same_ip("127.0.0.1", 2130706433)
    assert same_ip("127.0.0.1", "127.0.0.0/8")  # a network in a runtime value


def test_string_constants() -> None:
    n = net_from_text("0:0::1")
    assert n is not None and n.contains("::1")
    n = net_from_text("127.0.0.0/8")  # quoted network: still a network
    assert n is not None and n.contains("127.1.1.1")
    assert net_from_text("localhost") is None
    assert net_from_text("127.0.0.1/40") is None


def _run(cond: str, src: str, dst: str = "127.0.0.1") -> bool:
    cc = compile_text(
        "auto_aliases=no\nlisten=udp:127.0.0.1:5060\n"
        f'request_route {{\n if ({cond}) {{ mark("1"); }} else {{ mark("0"); }}\n}}\n'
    )
    af = 6 if ":" in src else 4
    ctx = MsgContext(
        parse_message(REQUEST), ReceiveInfo(src, 5070, dst, 5060, "udp", af), ScriptState()
    )
    ctx.log = []
    cc.run("request", "", ctx)
    return ctx.log == [("mark", "1")]


@pytest.mark.parametrize(
    ("cond", "src", "expected"),
    [
        ("src_ip == 127.0.0.0/8", "127.0.0.1", True),
        ("src_ip != 10.0.0.0/8", "::1", True),
        ("src_ip == [::1]", "::1", True),
        ("src_ip eq 127.0.0.1", "127.0.0.1", True),
        ("src_ip ne 127.0.0.1", "127.0.0.1", False),
        ('src_ip == "0:0::1"', "::1", True),
        ("src_ip == localhost", "127.0.0.1", False),  # names are not resolved
        ("src_ip != localhost", "127.0.0.1", True),
        ('src_ip == "127.0.0.0/8"', "127.0.0.1", True),
        ('src_ip =~ "^127\\."', "127.0.0.1", True),
        ("dst_ip == 127.0.0.1/32", "::1", True),
    ],
)
def test_compiled_comparisons(cond: str, src: str, expected: bool) -> None:
    assert _run(cond, src) is expected


@pytest.mark.parametrize(("value", "expected"), [("[0::1]", True), ("localhost", False)])
def test_runtime_value_is_compared_as_an_address(value: str, expected: bool) -> None:
    cc = compile_text(
        "auto_aliases=no\nlisten=udp:127.0.0.1:5060\nrequest_route {\n"
        f'$tv(ip) = "{value}";\n'
        ' if (src_ip == $tv(ip)) { mark("1"); } else { mark("0"); }\n}\n'
    )
    ctx = MsgContext(
        parse_message(REQUEST), ReceiveInfo("::1", 1, "::1", 5060, "udp", 6), ScriptState()
    )
    ctx.log = []
    cc.run("request", "", ctx)
    assert ctx.log == [("mark", "1" if expected else "0")]


def test_regex_with_network_is_refused() -> None:
    with pytest.raises(ConfigError, match="network"):
        compile_text("request_route {\n if (src_ip =~ 127.0.0.0/8) { exit; }\n}\n")
    with pytest.raises(ConfigError, match="netmask"):
        compile_text("request_route {\n if (src_ip == 127.0.0.1/33) { exit; }\n}\n")
