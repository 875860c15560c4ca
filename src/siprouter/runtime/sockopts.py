"""Socket options that core parameters ask for, set as Kamailio 5.6.3 sets them (checked
with strace on its UDP and TCP sockets).

UDP sockets (`apply_udp(sock)`, called by udp.bind_udp before the bind):

* tos: IP_TOS / IPV6_TCLASS, always set (default 0x10, IPTOS_LOWDELAY);
* pmtu_discovery: IP_MTU_DISCOVER, IP_PMTUDISC_DONT for 0 (the default: no DF bit, the
  kernel fragments), IP_PMTUDISC_DO for 1 and 2 (5.6.3 sets DO for both, although the
  cookbook documents 2 as "kernel default"); set at the IPv4 level on IPv6 sockets too,
  as Kamailio does;
* ip_free_bind: IP_FREEBIND (bind an address the machine does not have yet);
* mcast_loopback: IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP, always set (off by default,
  while Linux loops multicast back unless told not to);
* mcast_ttl: IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS when set (Kamailio 5.6.3 passes the
  IPv6 option at the IPv4 level, which sets another option; siprouter sets the hop limit).

TCP sockets (`apply_tcp(sock, listening=...)`, before bind/connect): tos, ip_free_bind
(IP_FREEBIND, listening sockets), tcp_defer_accept (TCP_DEFER_ACCEPT, listening
sockets), tcp_syncnt (TCP_SYNCNT), tcp_linger2 (TCP_LINGER2), tcp_reuse_port
(SO_REUSEPORT) and tcp_delayed_ack=no (TCP_QUICKACK on, connections). The TCP engine
does not call it yet, so core_param_support still refuses the tcp_* parameters'
non-default values.

`configure(params)` (main process, before any socket is made: runtime/lifecycle.init_core)
reads the core parameters into UDP / TCP; both start with Kamailio's defaults.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

IP_PMTUDISC_DONT = 0
IP_PMTUDISC_DO = 2
# Linux values, for Python builds whose socket module lacks the names
IP_MTU_DISCOVER = getattr(socket, "IP_MTU_DISCOVER", 10)
IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)
TCP_DEFER_ACCEPT = getattr(socket, "TCP_DEFER_ACCEPT", 9)
TCP_SYNCNT = getattr(socket, "TCP_SYNCNT", 7)
TCP_LINGER2 = getattr(socket, "TCP_LINGER2", 8)
TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)


DEFAULT_TOS = 0x10  # IPTOS_LOWDELAY, Kamailio's default tos


def _tos(params: dict[str, Any]) -> int:
    value = params.get("tos")
    return DEFAULT_TOS if value is None else int(value)


def _set_tos(sock: socket.socket, tos: int) -> None:
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)


@dataclass(frozen=True, slots=True)
class UdpOptions:
    """The core parameters behind the options of UDP sockets."""

    pmtu_discovery: int = 0
    ip_free_bind: bool = False
    mcast_loopback: bool = False
    mcast_ttl: int | None = None
    tos: int = DEFAULT_TOS

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> UdpOptions:
        ttl = params.get("mcast_ttl")
        return cls(
            pmtu_discovery=int(params.get("pmtu_discovery") or 0),
            ip_free_bind=bool(params.get("ip_free_bind")),
            mcast_loopback=bool(params.get("mcast_loopback")),
            mcast_ttl=None if ttl is None else int(ttl),
            tos=_tos(params),
        )


@dataclass(frozen=True, slots=True)
class TcpOptions:
    """The core parameters behind the options of TCP sockets."""

    defer_accept: int = 0
    syncnt: int | None = None
    linger2: int | None = None
    reuse_port: bool = False
    delayed_ack: bool = True
    tos: int = DEFAULT_TOS
    free_bind: bool = False

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TcpOptions:
        def opt(name: str) -> int | None:
            value = params.get(name)
            return None if value is None else int(value)

        return cls(
            defer_accept=int(params.get("tcp_defer_accept") or 0),
            syncnt=opt("tcp_syncnt"),
            linger2=opt("tcp_linger2"),
            reuse_port=bool(params.get("tcp_reuse_port")),
            delayed_ack=bool(params.get("tcp_delayed_ack", True)),
            tos=_tos(params),
            free_bind=bool(params.get("ip_free_bind")),
        )


UDP = UdpOptions()
TCP = TcpOptions()


def configure(params: dict[str, Any]) -> None:
    """Read the socket options of the running config's core parameters."""
    global UDP, TCP
    UDP = UdpOptions.from_params(params)
    TCP = TcpOptions.from_params(params)


def apply_udp(sock: socket.socket, opts: UdpOptions | None = None) -> None:
    """Set the UDP options on a socket not bound yet (OSError when the kernel refuses)."""
    o = UDP if opts is None else opts
    v6 = sock.family == socket.AF_INET6
    _set_tos(sock, o.tos)
    pmtu = IP_PMTUDISC_DO if o.pmtu_discovery else IP_PMTUDISC_DONT
    sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, pmtu)
    if o.ip_free_bind:
        sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
    if v6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, int(o.mcast_loopback))
        if o.mcast_ttl is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, o.mcast_ttl)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, bytes([o.mcast_loopback]))
        if o.mcast_ttl is not None:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, bytes([o.mcast_ttl]))


def apply_tcp(sock: socket.socket, *, listening: bool, opts: TcpOptions | None = None) -> None:
    """Set the TCP options on a listening socket (before listen()) or on a socket about to
    connect (before connect()), as Kamailio does."""
    o = TCP if opts is None else opts
    _set_tos(sock, o.tos)
    if o.reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if listening and o.free_bind:
        sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
    if listening and o.defer_accept:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_DEFER_ACCEPT, o.defer_accept)
    if o.syncnt is not None:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, o.syncnt)
    if o.linger2 is not None:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_LINGER2, o.linger2)
    if not o.delayed_ack and not listening:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)
