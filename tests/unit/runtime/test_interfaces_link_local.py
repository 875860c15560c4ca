"""bind_ipv6_link_local: which addresses a server without listen binds (a fake interface
list), how they are named (without the scope, as Kamailio 5.6.3 lists them), and the
scope a link-local address is bound with. tests/integration/test_bind_link_local.py
runs a server in a network namespace whose lo has a link-local address."""

from __future__ import annotations

import socket

from siprouter.runtime import interfaces
from siprouter.runtime.interfaces import IfAddr

V4, V6 = socket.AF_INET, socket.AF_INET6
ADDRS = [
    IfAddr(1, "lo", V4, "127.0.0.1", False),
    IfAddr(1, "lo", V6, "::1", False),
    IfAddr(2, "eth0", V4, "192.0.2.10", False),
    IfAddr(2, "eth0", V6, "2001:db8::10", False),
    IfAddr(2, "eth0", V6, "fe80::1", True),
    IfAddr(3, "eth1", V6, "fe80::2", True),
]


def bindable(_ip: str) -> str | None:
    return None


def test_selection_with_and_without_the_parameter() -> None:
    plain = interfaces.auto_listen_ips(True, False, ADDRS)
    assert interfaces.listen_ips(plain, bindable) == (
        ["127.0.0.1", "192.0.2.10", "::1", "2001:db8::10"],
        [],
    )
    with_ll = interfaces.auto_listen_ips(True, True, ADDRS)
    assert interfaces.listen_ips(with_ll, bindable) == (
        ["127.0.0.1", "192.0.2.10", "::1", "2001:db8::10", "fe80::1", "fe80::2"],
        [],
    )
    # without auto_bind_ipv6 no IPv6 address at all, link-local or not
    assert interfaces.auto_listen_ips(False, True, ADDRS) == ["127.0.0.1", "192.0.2.10"]


def test_an_address_that_cannot_be_bound_is_left_out_with_a_warning() -> None:
    ips = interfaces.auto_listen_ips(True, True, ADDRS)
    got, warnings = interfaces.listen_ips(ips, lambda ip: "nope" if ip == "fe80::2" else None)
    assert got[-1] == "fe80::1" and "fe80::2" not in got
    assert warnings == ["bind_ipv6_link_local: cannot bind fe80::2%eth1: nope; not listening on it"]


def test_scope_and_bind_address() -> None:
    assert interfaces.is_link_local("fe80::1") and interfaces.is_link_local("fe80::1%eth0")
    assert not interfaces.is_link_local("2001:db8::10")
    assert not interfaces.is_link_local("127.0.0.1")
    assert interfaces.scope_id("fe80::1", ADDRS) == 2
    assert interfaces.scope_id("fe80:0::2", ADDRS) == 3  # any spelling of the address
    assert interfaces.scope_id("fe80::1%7", ADDRS) == 7  # a given zone wins
    assert interfaces.scope_id("fe80::99", ADDRS) == 0  # on no interface
    assert interfaces.scope_id("2001:db8::10", ADDRS) == 0
    assert interfaces.bind_address("fe80::1", 5060, ADDRS) == ("fe80::1", 5060, 0, 2)
    assert interfaces.bind_address("fe80::1%9", 5060, ADDRS) == ("fe80::1", 5060, 0, 9)
    assert interfaces.bind_address("fe80::99", 5060, ADDRS) == ("fe80::99", 5060)
    assert interfaces.bind_address("::1", 5060, ADDRS) == ("::1", 5060)
    assert interfaces.bind_address("127.0.0.1", 5060, ADDRS) == ("127.0.0.1", 5060)
