"""runtime/sockopts.py on real sockets: the options each core parameter sets (read back
with getsockopt), and bind_udp applying the configured ones (ip_free_bind observed by
binding an address the machine does not have: no traffic is sent)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from siprouter.cfg import core_params as cp
from siprouter.cfg.parser import parse_string
from siprouter.runtime import sockopts
from siprouter.runtime.sockopts import TcpOptions, UdpOptions
from siprouter.runtime.udp import bind_udp

IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP = socket.IPPROTO_IP, socket.IPPROTO_IPV6, socket.IPPROTO_TCP


@pytest.fixture
def restore() -> Iterator[None]:
    udp, tcp = sockopts.UDP, sockopts.TCP
    yield
    sockopts.UDP, sockopts.TCP = udp, tcp


def _udp(family: int = socket.AF_INET) -> socket.socket:
    return socket.socket(family, socket.SOCK_DGRAM)


def _params(text: str) -> dict[str, object]:
    return cp.effective_params(parse_string(text + "\nrequest_route { drop; }\n", "t.cfg"))


def test_udp_defaults_are_kamailios() -> None:
    with _udp() as s:
        sockopts.apply_udp(s, UdpOptions())
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_MTU_DISCOVER) == sockopts.IP_PMTUDISC_DONT
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 0  # Linux default: 1
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_TTL) == 1  # untouched
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_FREEBIND) == 0
        assert s.getsockopt(IPPROTO_IP, socket.IP_TOS) == 0x10  # IPTOS_LOWDELAY


def test_tos_on_both_families(restore: None) -> None:
    sockopts.configure(_params("tos=IPTOS_RELIABILITY"))
    for family, level, opt in (
        (socket.AF_INET, IPPROTO_IP, socket.IP_TOS),
        (socket.AF_INET6, IPPROTO_IPV6, socket.IPV6_TCLASS),
    ):
        with _udp(family) as s:
            sockopts.apply_udp(s)
            assert s.getsockopt(level, opt) == 0x04
        with socket.socket(family) as s:
            sockopts.apply_tcp(s, listening=True)
            assert s.getsockopt(level, opt) == 0x04


@pytest.mark.parametrize("pmtu", [1, 2])
def test_pmtu_discovery_sets_df(pmtu: int) -> None:
    # Kamailio 5.6.3 sets IP_PMTUDISC_DO for both 1 and 2 (strace)
    with _udp() as s:
        sockopts.apply_udp(s, UdpOptions(pmtu_discovery=pmtu))
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_MTU_DISCOVER) == sockopts.IP_PMTUDISC_DO


def test_ipv4_multicast_and_free_bind() -> None:
    with _udp() as s:
        sockopts.apply_udp(s, UdpOptions(ip_free_bind=True, mcast_loopback=True, mcast_ttl=9))
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_FREEBIND) == 1
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 1
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_TTL) == 9


def test_ipv6_multicast_options() -> None:
    with _udp(socket.AF_INET6) as s:
        sockopts.apply_udp(s, UdpOptions(mcast_ttl=32))
        assert s.getsockopt(IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP) == 0
        assert s.getsockopt(IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS) == 32
        sockopts.apply_udp(s, UdpOptions(mcast_loopback=True, pmtu_discovery=1))
        assert s.getsockopt(IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP) == 1
        # set at the IPv4 level on IPv6 sockets too, as Kamailio does
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_MTU_DISCOVER) == sockopts.IP_PMTUDISC_DO


def test_options_come_from_the_core_parameters(restore: None) -> None:
    params = _params("pmtu_discovery=2\nip_free_bind=1\nmcast_loopback=yes\nmcast_ttl=5")
    # the tcp_* rows are refused by -c until the TCP engine calls apply_tcp: set directly
    params.update(tcp_syncnt=3, tcp_linger2=7, tcp_defer_accept=4, tcp_reuse_port=True)
    params["tcp_delayed_ack"] = False
    sockopts.configure(params)
    assert UdpOptions(2, True, True, 5, 0x10) == sockopts.UDP
    assert TcpOptions(4, 3, 7, True, False, 0x10, True) == sockopts.TCP
    sockopts.configure(_params(""))
    assert (UdpOptions(), TcpOptions()) == (sockopts.UDP, sockopts.TCP)


def test_bind_udp_applies_the_configured_options(restore: None) -> None:
    sockopts.configure(_params("mcast_ttl=12\nmcast_loopback=on"))
    s = bind_udp("127.0.0.1", 0)
    try:
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_TTL) == 12
        assert s.getsockopt(IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 1
    finally:
        s.close()


def test_ip_free_bind_binds_an_address_the_machine_lacks(restore: None) -> None:
    sockopts.configure(_params(""))
    with pytest.raises(OSError):  # TEST-NET-1: not an address of this machine
        bind_udp("192.0.2.1", 0).close()
    sockopts.configure(_params("ip_free_bind=1"))
    s = bind_udp("192.0.2.1", 0)
    try:
        assert s.getsockname()[0] == "192.0.2.1"
    finally:
        s.close()


def test_tcp_listening_socket_options() -> None:
    with socket.socket() as s:
        opts = TcpOptions(defer_accept=4, syncnt=3, linger2=7, reuse_port=True, free_bind=True)
        sockopts.apply_tcp(s, listening=True, opts=opts)
        assert s.getsockopt(IPPROTO_IP, sockopts.IP_FREEBIND) == 1
        assert s.getsockopt(IPPROTO_TCP, sockopts.TCP_DEFER_ACCEPT) > 0
        assert s.getsockopt(IPPROTO_TCP, sockopts.TCP_SYNCNT) == 3
        assert s.getsockopt(IPPROTO_TCP, sockopts.TCP_LINGER2) == 7
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1


def test_tcp_defaults_leave_the_socket_alone() -> None:
    with socket.socket() as s, socket.socket() as ref:
        sockopts.apply_tcp(s, listening=True, opts=TcpOptions())
        for opt in (sockopts.TCP_DEFER_ACCEPT, sockopts.TCP_SYNCNT, sockopts.TCP_LINGER2):
            assert s.getsockopt(IPPROTO_TCP, opt) == ref.getsockopt(IPPROTO_TCP, opt)
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 0


def test_tcp_delayed_ack_off_sets_quickack_on_a_connection() -> None:
    with socket.socket() as s:
        sockopts.apply_tcp(s, listening=False, opts=TcpOptions(delayed_ack=False, defer_accept=4))
        assert s.getsockopt(IPPROTO_TCP, sockopts.TCP_QUICKACK) == 1
        assert s.getsockopt(IPPROTO_TCP, sockopts.TCP_DEFER_ACCEPT) == 0  # listening only
