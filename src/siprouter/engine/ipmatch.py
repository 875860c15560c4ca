"""IP address and network comparisons of the `src_ip` / `dst_ip` keywords.

What Kamailio 5.6.3 does (tests/unit/engine/test_ipmatch_kamailio.py):

* **Address or network literal** (`src_ip == 127.0.0.1`, `== 10.0.0.0/8`,
  `== 10.0.0.0/255.0.0.0`, `== [::1]`, `== 2001:db8::/32`): the address is masked
  and compared with the masked network. A network whose address has host bits set
  (`127.1.2.3/8`) is fixed by masking (Kamailio warns). An address of the other
  family never matches: `==` is false, `!=` true. A prefix beyond 32/128 is a config
  error. `=~` with a network is refused (Kamailio fails at start-up).
* **String constant or bare name** (`src_ip == "127.0.0.1"`, `src_ip == localhost`):
  a text that is an address or a network (`"0:0::1"`, `"10.0.0.0/8"`) compares as
  that network; any other text is compared as a string with the address text, so a
  host name never matches: 5.6.3 does not resolve it (`src_ip == localhost` is false
  for 127.0.0.1).
* **Runtime value** (`src_ip == $var(ip)`): read like a string constant, at run time
  (an address or network in the value compares as such, IPv6 with or without
  brackets; parsed networks are cached).
* `=~` / `!~` with a string match the regex against the address text (engine regex
  path, not here); `eq`/`ne` act as `==`/`!=`.

A network is compiled once to (version, network int, mask int); per message the
address text is converted to an int (cached for recent addresses).
"""

from __future__ import annotations

import ipaddress
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
    """`src_ip == <runtime value>`: the value read as an address or network (as a
    string constant is), else compared as text; names are not resolved."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return False
    net = _cached_net(value)
    if net is None:
        return ip.lower() == value.lower()
    return net.contains(ip)


@lru_cache(maxsize=1024)
def _cached_net(text: str) -> Net | None:
    return net_from_text(text)


def net_from_text(text: str) -> Net | None:
    """A string constant as Kamailio 5.6.3 reads it after `src_ip ==`: an address or
    `addr/prefix` / `addr/netmask` network (IPv6 in brackets or not), else None."""
    addr, slash, mask = text.partition("/")
    if ip_int(addr) is None:
        return None
    try:
        return parse_net(addr, mask if slash else None)
    except ValueError:
        return None
