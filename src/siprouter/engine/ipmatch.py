"""IP address and network comparisons of the `src_ip` / `dst_ip` keywords.

What Kamailio 5.6.3 does (tests/unit/engine/test_ipmatch_kamailio.py):

* **Address or network literal** (`src_ip == 127.0.0.1`, `== 10.0.0.0/8`,
  `== 10.0.0.0/255.0.0.0`, `== [::1]`, `== 2001:db8::/32`): the address is masked
  and compared with the masked network. A network whose address has host bits set
  (`127.1.2.3/8`) is fixed by masking (Kamailio warns). An address of the other
  family never matches: `==` is false, `!=` true. A prefix beyond 32/128 is a config
  error. `=~` with a network is refused (Kamailio fails at start-up).
* **String constant or bare name** (`src_ip == "127.0.0.1"`, `src_ip == localhost`):
  equal when the text is the same address (an IP literal, compared as an address,
  so `"0:0::1"` is `::1`), or a host name that resolves to it (IPv4 first, IPv6 when
  the name has no IPv4 address). `"10.0.0.0/8"` in quotes is a name, not a network.
  Names are resolved once, on first use (never at `-c`).
* **Runtime value** (`src_ip == $var(ip)`): equal when the value is the same address
  (IPv6 with or without brackets); no name resolution.
* `=~` / `!~` with a string match the regex against the address text (engine regex
  path, not here); `eq`/`ne` act as `==`/`!=`.

A network is compiled once to (version, network int, mask int); per message the
address text is converted to an int (cached for recent addresses).
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache


class Net:
    """An IPv4/IPv6 network: address & mask == net."""

    __slots__ = ("mask", "net", "text", "version")

    def __init__(self, version: int, net: int, mask: int, text: str) -> None:
        self.version = version
        self.net = net
        self.mask = mask
        self.text = text

    def __repr__(self) -> str:
        return f"Net({self.text})"

    def contains(self, ip: str) -> bool:
        """True if address text `ip` is in the network (False for the other family or
        text that is no address)."""
        v = ip_int(ip)
        return v is not None and v[0] == self.version and (v[1] & self.mask) == self.net


def parse_net(addr: str, mask: str | None = None) -> Net:
    """`addr` with an optional mask (prefix length or dotted IPv4 netmask); ValueError
    with Kamailio's reason when invalid."""
    a = addr[1:-1] if addr.startswith("[") and addr.endswith("]") else addr
    ip = ipaddress.ip_address(a)
    bits = ip.max_prefixlen
    full = (1 << bits) - 1
    if mask is None:
        m = full
    elif mask.isdigit():
        n = int(mask)
        if n > bits:
            raise ValueError("invalid bit number in netmask")
        m = (full << (bits - n)) & full
    else:
        if ip.version != 4:
            raise ValueError("an IPv6 network needs a prefix length as mask")
        m = int(ipaddress.IPv4Address(mask))
    text = f"{ip.compressed}/{mask}" if mask is not None else ip.compressed
    return Net(ip.version, int(ip) & m, m, text)


@lru_cache(maxsize=4096)
def ip_int(text: str) -> tuple[int, int] | None:
    """(version, int) of an address text (IPv6 in brackets or not); None if not one."""
    t = text
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    try:
        ip = ipaddress.ip_address(t)
    except ValueError:
        return None
    return ip.version, int(ip)


def same_ip(ip: str, value: object) -> bool:
    """`src_ip == <runtime value>`: the value is the same address (no resolving)."""
    if not isinstance(value, str):
        return False
    a = ip_int(ip)
    return a is not None and a == ip_int(value)


class HostRef:
    """`src_ip == "name"` / `src_ip == name`: an address literal or a host name whose
    addresses are looked up once, on first use."""

    __slots__ = ("_addrs", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        lit = ip_int(text)
        self._addrs: frozenset[tuple[int, int]] | None = (
            frozenset({lit}) if lit is not None else None
        )

    def __repr__(self) -> str:
        return f"HostRef({self.text!r})"

    def addresses(self) -> frozenset[tuple[int, int]]:
        a = self._addrs
        if a is None:
            a = self._addrs = frozenset(resolve(self.text))
        return a

    def matches(self, ip: str) -> bool:
        v = ip_int(ip)
        if v is None:
            return ip.lower() == self.text.lower()
        return v in self.addresses()


def resolve(name: str) -> set[tuple[int, int]]:
    """Addresses of a host name as Kamailio's resolvehost gives them: the IPv4 ones,
    or the IPv6 ones when there is no IPv4 address."""
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            infos = socket.getaddrinfo(name, None, fam, socket.SOCK_DGRAM)
        except (OSError, UnicodeError):
            continue
        out = {v for info in infos if (v := ip_int(str(info[4][0]))) is not None}
        if out:
            return out
    return set()
