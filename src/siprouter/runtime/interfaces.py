"""The addresses to listen on when the config and the command line give no listen:
every IPv4 address of the machine, plus the IPv6 ones with auto_bind_ipv6 (link-local
ones only with bind_ipv6_link_local), as Kamailio 5.6.3 does.

`machine_addresses()` reads the addresses with one rtnetlink RTM_GETADDR dump (the
kernel's order: by interface index, then address order within an interface, the order
Kamailio lists them in; interfaces that are down are included, as Kamailio does),
falling back to engine.myself.interface_addresses() when netlink is not available.
`auto_listen_ips(auto_bind_ipv6, link_local)` picks from them: IPv4 first, then IPv6;
a link-local IPv6 address carries its interface as scope (`fe80::1%eth0`).

bind_ipv6_link_local (Kamailio 5.6.3: "try to bind also IPv6 link local addresses by
discovering the scope of the interface"): `listen_ips(ips)` turns that selection into
the listen addresses the server names and lists, as Kamailio does, without the scope
(`udp: fe80::1:5060`), dropping with a warning a link-local address that cannot be
bound here; `bind_address(ip, port)` is the address to give bind(): for a link-local
IPv6 address the 4-tuple with the scope id of the interface that holds the address
(found again by address, as Kamailio's ipv6_get_netif_scope does; a `%zone` given wins),
since Python's bind() ignores a `%zone` in the address text.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

_RTM_GETADDR = 22
_RTM_NEWADDR = 20
_NLMSG_ERROR = 2
_NLMSG_DONE = 3
_DUMP_REQUEST = 0x1 | 0x300  # NLM_F_REQUEST | NLM_F_DUMP
_IFA_ADDRESS = 1
_IFA_LOCAL = 2
_NLMSG = struct.Struct("=IHHII")
_IFADDRMSG = struct.Struct("=BBBBI")
_RTATTR = struct.Struct("=HH")
_SCOPE_LINK = 253


@dataclass(frozen=True, slots=True)
class IfAddr:
    """One address of one interface."""

    index: int
    ifname: str
    family: int
    ip: str
    link_local: bool


def _align(n: int) -> int:
    return (n + 3) & ~3


def parse_dump(data: bytes) -> tuple[list[tuple[int, int, int, bytes]], bool]:
    """(index, family, scope, address bytes) of each RTM_NEWADDR in a netlink buffer,
    and whether the dump ended (NLMSG_DONE). OSError on an NLMSG_ERROR reply."""
    out: list[tuple[int, int, int, bytes]] = []
    off = 0
    while off + _NLMSG.size <= len(data):
        length, mtype, _flags, _seq, _pid = _NLMSG.unpack_from(data, off)
        if length < _NLMSG.size:
            break
        if mtype == _NLMSG_DONE:
            return out, True
        if mtype == _NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", data, off + _NLMSG.size)
            if err:
                raise OSError(-err, os.strerror(-err))
        elif mtype == _RTM_NEWADDR:
            body = off + _NLMSG.size
            family, _plen, _flags2, scope, index = _IFADDRMSG.unpack_from(data, body)
            attrs: dict[int, bytes] = {}
            a = body + _IFADDRMSG.size
            while a + _RTATTR.size <= off + length:
                alen, atype = _RTATTR.unpack_from(data, a)
                if alen < _RTATTR.size:
                    break
                attrs[atype] = data[a + _RTATTR.size : a + alen]
                a += _align(alen)
            # IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS the peer's on
            # point-to-point links); IPv6 has IFA_ADDRESS only
            raw = attrs.get(_IFA_LOCAL) or attrs.get(_IFA_ADDRESS)
            if raw is not None:
                out.append((index, family, scope, raw))
        off += _align(length)
    return out, False


def _netlink_addresses() -> list[IfAddr]:
    names = dict(socket.if_nameindex())
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as s:
        s.settimeout(2.0)  # never hang start-up on a silent kernel (Kamailio 5.6.3 does)
        s.bind((0, 0))
        req = _NLMSG.pack(_NLMSG.size + _IFADDRMSG.size, _RTM_GETADDR, _DUMP_REQUEST, 1, 0)
        s.send(req + _IFADDRMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0))
        rows: list[tuple[int, int, int, bytes]] = []
        done = False
        while not done:
            part, done = parse_dump(s.recv(65536))
            rows += part
    out = []
    for index, family, scope, raw in rows:
        if family == socket.AF_INET and len(raw) == 4:
            ip = socket.inet_ntop(socket.AF_INET, raw)
        elif family == socket.AF_INET6 and len(raw) == 16:
            ip = socket.inet_ntop(socket.AF_INET6, raw)
        else:
            continue
        link_local = family == socket.AF_INET6 and (
            scope == _SCOPE_LINK or ipaddress.IPv6Address(ip).is_link_local
        )
        out.append(IfAddr(index, names.get(index, str(index)), family, ip, link_local))
    return out


def _fallback_addresses() -> list[IfAddr]:
    from siprouter.engine.myself import interface_addresses

    out = []
    for n, (name, ips) in enumerate(interface_addresses().items(), start=1):
        for ip in ips:
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            out.append(IfAddr(n, name, family, ip, False))
    return out


def machine_addresses() -> list[IfAddr]:
    """Every address of every interface, in the kernel's order."""
    try:
        return _netlink_addresses()
    except OSError:
        return _fallback_addresses()


def auto_listen_ips(
    auto_bind_ipv6: bool, link_local: bool, addrs: list[IfAddr] | None = None
) -> list[str]:
    """The IPs to bind when no listen is given: IPv4, then (auto_bind_ipv6) IPv6."""
    addrs = machine_addresses() if addrs is None else addrs
    ips = [a.ip for a in addrs if a.family == socket.AF_INET]
    if auto_bind_ipv6:
        for a in addrs:
            if a.family != socket.AF_INET6:
                continue
            if a.link_local:
                if link_local:
                    ips.append(f"{a.ip}%{a.ifname}")
                continue
            ips.append(a.ip)
    return list(dict.fromkeys(ips))


def is_link_local(ip: str) -> bool:
    """Whether `ip` (an IPv6 literal, `%zone` allowed) is link-local (fe80::/10)."""
    try:
        return ipaddress.IPv6Address(ip.partition("%")[0]).is_link_local
    except ValueError:
        return False


def scope_id(ip: str, addrs: list[IfAddr] | None = None) -> int:
    """The interface index to bind link-local `ip` on: its `%zone` (a name or an index)
    when it has one, else the interface holding that address; 0 when none does or the
    address is not link-local."""
    text, _, zone = ip.partition("%")
    if zone:
        if zone.isdigit():
            return int(zone)
        try:
            return socket.if_nametoindex(zone)
        except OSError:
            return 0
    if not is_link_local(text):
        return 0
    want = ipaddress.IPv6Address(text)
    for a in machine_addresses() if addrs is None else addrs:
        if a.family == socket.AF_INET6 and ipaddress.IPv6Address(a.ip) == want:
            return a.index
    return 0


BindAddress = tuple[str, int] | tuple[str, int, int, int]


def bind_address(ip: str, port: int, addrs: list[IfAddr] | None = None) -> BindAddress:
    """What to pass to bind() for ip:port (see the module docstring)."""
    if ":" not in ip:
        return (ip, port)
    text = ip.partition("%")[0]
    if "%" not in ip and not is_link_local(text):
        return (ip, port)
    scope = scope_id(ip, addrs)
    return (text, port, 0, scope) if scope else (text, port)


def _probe_udp(ip: str) -> str | None:
    """Why a UDP socket cannot be bound on `ip` (port 0, closed at once), None if it can."""
    from .udp import bind_udp

    try:
        bind_udp(ip, 0).close()
    except OSError as e:
        return e.strerror or str(e)
    return None


def listen_ips(
    ips: list[str], probe: Callable[[str], str | None] = _probe_udp
) -> tuple[list[str], list[str]]:
    """(listen addresses, warnings) for the automatic selection `ips`: link-local ones
    named without their scope; one that cannot be bound (`probe` gives why) left out
    with a warning instead of stopping the start-up."""
    out: list[str] = []
    warnings: list[str] = []
    for ip in ips:
        if not is_link_local(ip):
            out.append(ip)
            continue
        name = ip.partition("%")[0]
        why = probe(name)
        if why is not None:
            warnings.append(f"bind_ipv6_link_local: cannot bind {ip}: {why}; not listening on it")
            continue
        if name not in out:
            out.append(name)
    return out, warnings
