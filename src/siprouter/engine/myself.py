"""`myself`: is a host (and port) one of this server's addresses or aliases?

Kamailio's check_self semantics (verified with 5.6.3, tests/unit/engine/
test_myself_kamailio.py):

* A **listen socket** matches when the port is 0 (any) or equals the socket's port or
  its advertised port, and the host equals (case-insensitively) the socket's name, its
  IP text, the advertised name or address; an IPv6 host (brackets or not) also matches
  by address (`[0::1]` is `::1`). A socket marked `virtual` matches only while its IP
  is currently an address of this machine.
* An **alias** (`alias=`, `--alias`, auto aliases) matches when the names are equal
  case-insensitively as text (brackets stripped; `[0::2]` does not match alias `::2`),
  and its port is unset or equal. The protocol is not compared by `uri==myself`
  (Kamailio passes "any").
* `auto_aliases` (default on) adds the reverse-DNS names of the listen IPs, each with
  that socket's port; a listen given by host name adds the resolved canonical name
  and its aliases, also with the socket's port. These look-ups happen once, on the
  first check (never at `-c`).
* With no listen at all, the machine's IPv4 interface addresses (and IPv6 ones with
  `auto_bind_ipv6`) are the sockets, on the default port.
* URI checks use the URI's port, or 5060 when none is written (5061 only with
  `transport=tls`; a `sips:` URI without port still means 5060 here, as in 5.6.3).
  A URI that does not parse is neither myself nor not-myself (the condition is false
  both for `==` and `!=`); a URI without host (tel:) is not myself.

Per check: one dict lookup of the lowered host (plus a port test); URI verdicts are
cached by URI text (bounded, cleared when full; not with `virtual` sockets).
"""

from __future__ import annotations

import array
import fcntl
import ipaddress
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg.listen import ListenSpec

_MISSING: Any = object()
DEFAULT_PORT = 5060
TLS_PORT = 5061


@dataclass(frozen=True, slots=True)
class LocalSocket:
    """A listen socket as `myself` sees it. `names` are the texts it answers to
    (bind name, IP text, advertised name); `ips` its addresses (for IPv6 matching)."""

    names: tuple[str, ...]
    port: int
    adv_port: int | None = None
    virtual_ip: str | None = None  # set for `virtual` sockets: must be local to match


@dataclass(frozen=True, slots=True)
class Alias:
    """An alias name (lowercase, no brackets) with its port (0 = any)."""

    host: str
    port: int = 0


def norm_host(host: str) -> str:
    """Lowercase, without IPv6 brackets."""
    h = host.lower()
    if len(h) > 2 and h[0] == "[" and h[-1] == "]":
        return h[1:-1]
    return h


def _ipv6_canon(host: str) -> str | None:
    if ":" not in host:
        return None
    try:
        return ipaddress.IPv6Address(host).compressed
    except ValueError:
        return None


class SelfMatcher:
    """The set of local sockets and aliases, indexed by host for `check()`."""

    def __init__(
        self,
        sockets: Iterable[LocalSocket],
        aliases: Iterable[Alias] = (),
        *,
        auto_aliases: bool = False,
    ) -> None:
        self.sockets = tuple(sockets)
        self.aliases = list(aliases)
        self._by_host: dict[str, list[tuple[int, int, str | None]]] = {}
        self._alias_ports: dict[str, set[int]] = {}
        self._auto_pending = auto_aliases
        # URI text -> verdict (URIs repeat a lot); not with virtual sockets, whose
        # verdict changes when the address moves
        self._uri_cache: dict[str, bool | None] | None = (
            None if any(s.virtual_ip for s in self.sockets) else {}
        )
        for s in self.sockets:
            entry = (s.port, s.adv_port or 0, s.virtual_ip)
            for n in s.names:
                key = norm_host(n)
                self._by_host.setdefault(key, []).append(entry)
                v6 = _ipv6_canon(key)
                if v6 is not None and v6 != key:
                    self._by_host.setdefault(v6, []).append(entry)
        for a in self.aliases:
            self._add_alias(a)
        self._extra: list[Callable[[str, int], bool]] = []

    def register_check(self, fn: Callable[[str, int], bool]) -> None:
        """Add a check asked when no socket or alias matched (Kamailio's
        register_check_self_func: the domain module's `register_myself` makes its
        domain table part of `myself`). `fn(host, port)`; URI verdicts are then no
        longer cached, since such a table changes at run time."""
        self._extra.append(fn)
        self._uri_cache = None

    def _add_alias(self, a: Alias) -> None:
        self._alias_ports.setdefault(norm_host(a.host), set()).add(a.port)

    def _resolve_auto_aliases(self) -> None:
        """Reverse-DNS names of the socket IPs, each with the socket's port."""
        self._auto_pending = False
        for s in self.sockets:
            for n in s.names:
                try:
                    ipaddress.ip_address(n)
                except ValueError:
                    continue
                try:
                    name, others, _ips = socket.gethostbyaddr(n)
                except (OSError, UnicodeError):
                    continue
                for h in (name, *others):
                    a = Alias(h.lower(), s.port)
                    self.aliases.append(a)
                    self._add_alias(a)

    def check(self, host: str, port: int = 0) -> bool:
        """True if host[:port] is this server (port 0: any port)."""
        if self._auto_pending:
            self._resolve_auto_aliases()
        h = host.lower()
        if len(h) > 2 and h[0] == "[":
            h = h[1:-1] if h[-1] == "]" else h
        entries = self._by_host.get(h)
        if entries is None and ":" in h:
            v6 = _ipv6_canon(h)
            if v6 is not None:
                entries = self._by_host.get(v6)
        if entries:
            for sport, aport, vip in entries:
                if port and port != sport and port != aport:
                    continue
                if vip is not None and not is_local_ip(vip):
                    continue
                return True
        ports = self._alias_ports.get(h)
        if ports is not None and (0 in ports or port == 0 or port in ports):
            return True
        return any(fn(h, port) for fn in self._extra) if self._extra else False

    def check_uri(self, uri: Any) -> bool | None:
        """`uri == myself` for URI text or a parsed SipUri; None when it does not parse
        (a URI without host, as tel:, is simply not myself)."""
        if uri is None:
            return None
        if isinstance(uri, str):
            cache = self._uri_cache
            if cache is None:
                return self._check_uri_text(uri)
            v = cache.get(uri, _MISSING)
            if v is _MISSING:
                if self._auto_pending:
                    self._resolve_auto_aliases()
                if len(cache) >= 4096:
                    cache.clear()
                v = cache[uri] = self._check_uri_text(uri)
            return v  # type: ignore[return-value]
        return self._check_parsed(uri)

    def _check_uri_text(self, text: str) -> bool | None:
        from siprouter.sip.uri import UriError, parse_uri

        try:
            uri = parse_uri(text)
        except (UriError, ValueError):
            return None
        return self._check_parsed(uri)

    def _check_parsed(self, uri: Any) -> bool | None:
        host = getattr(uri, "host", "")
        if not host:
            return False
        port = uri.port
        if not port:
            t = uri.transport
            port = TLS_PORT if t is not None and t.lower() == "tls" else DEFAULT_PORT
        return self.check(host, port)


def is_myself(ctx: Any, text: str) -> bool:
    """For modules (is_myself(), loose_route, registrar...): `text` is a SIP URI or a
    `host[:port]`; True when it names this server under the running config."""
    compiled = ctx.script.compiled
    matcher: SelfMatcher | None = getattr(compiled, "myself", None)
    if matcher is None:
        return False
    if text[:4].lower() in ("sip:", "sips", "tel:"):
        return matcher.check_uri(text) is True
    host, port = text, 0
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1 :]
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 0
    elif text.count(":") == 1:
        h, _, p = text.partition(":")
        if p.isdigit():
            host, port = h, int(p)
    return matcher.check(host, port)


# ---- building from the config -------------------------------------------------------


def _param(config: ast.Config, *names: str) -> Any:
    """The last value set for one of `names` (int/str/bool), or None."""
    value: Any = None
    for p in config.params:
        if p.name in names:
            v = p.value
            if isinstance(v, ast.BoolLit | ast.Literal):
                value = v.value
            elif isinstance(v, ast.Ident):
                value = v.name
    return value


def _config_aliases(config: ast.Config) -> list[Alias]:
    out: list[Alias] = []
    for item in config.listens:
        if item.param == "alias" and isinstance(item.spec, tuple):
            host, port, _proto = item.spec
            out.append(Alias(_alias_host(host), port or 0))
    return out  # `domain=` is parsed into the same alias entries


def _alias_host(host: str) -> str:
    """An IPv6 alias is kept in canonical form (Kamailio parses the literal)."""
    return _ipv6_canon(host) or host


def _spec_sockets(
    spec: ListenSpec, default_port: int, ifaces: dict[str, list[str]]
) -> tuple[list[LocalSocket], list[Alias]]:
    socks: list[LocalSocket] = []
    aliases: list[Alias] = []
    port = spec.port or (TLS_PORT if spec.proto == "tls" else default_port)
    for addr in spec.addrs:
        if addr in ifaces:
            ips = ifaces[addr]
            names_list = [(ip, ip) for ip in ips]
        else:
            ip = addr
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                try:
                    canon, others, ips = socket.gethostbyname_ex(addr)
                except (OSError, UnicodeError):
                    ips, canon, others = [], addr, []
                ip = ips[0] if ips else addr
                for h in (canon, *others):
                    if h.lower() != addr.lower():
                        aliases.append(Alias(h.lower(), port))
            names_list = [(addr, ip)]
        for name, ip in names_list:
            names = [name, ip]
            if spec.advertise_host:
                names.append(spec.advertise_host)
            socks.append(
                LocalSocket(
                    tuple(dict.fromkeys(names)),
                    port,
                    spec.advertise_port,
                    ip if spec.virtual else None,
                )
            )
    return socks, aliases


def build_matcher(config: ast.Config, options: Any = None) -> SelfMatcher:
    """The matcher for a config plus the command line (Options: -l, --alias, -a).
    Listen host names are resolved now (as `-c` already requires); reverse look-ups
    for auto aliases wait for the first check."""
    default_port = int(_param(config, "port") or DEFAULT_PORT)
    specs: list[ListenSpec] = list(getattr(options, "listen", ()) or ())
    for item in config.listens:
        if item.param == "listen" and isinstance(item.spec, ListenSpec):
            specs.append(item.spec)
    for blk in config.sockets:
        if blk.bind is not None and isinstance(blk.bind.spec, ListenSpec):
            specs.append(blk.bind.spec)
    ifaces = interface_addresses()
    sockets: list[LocalSocket] = []
    aliases = _config_aliases(config)
    for a in getattr(options, "aliases", ()) or ():
        aliases.append(Alias(_alias_host(a.host), a.port or 0))
    for spec in specs:
        s, al = _spec_sockets(spec, default_port, ifaces)
        sockets += s
        aliases += al
    if not specs:
        want6 = bool(_param(config, "auto_bind_ipv6"))
        for ips in ifaces.values():
            for ip in ips:
                if ":" in ip and not want6:
                    continue
                sockets.append(LocalSocket((ip,), default_port))
    auto = _param(config, "auto_aliases", "auto_domains")
    opt_auto = getattr(options, "auto_aliases", None)
    if opt_auto is not None:
        auto = opt_auto
    return SelfMatcher(sockets, aliases, auto_aliases=True if auto is None else bool(auto))


# ---- local addresses ----------------------------------------------------------------

_SIOCGIFCONF = 0x8912


def interface_addresses() -> dict[str, list[str]]:
    """Interface name -> its IPv4 and (global/loopback) IPv6 addresses, read now."""
    out: dict[str, list[str]] = {}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            buf = array.array("B", b"\0" * 40 * 128)
            addr, _ = buf.buffer_info()
            req = struct.pack("iL", len(buf), addr)
            n = struct.unpack("iL", fcntl.ioctl(s.fileno(), _SIOCGIFCONF, req))[0]
            data = buf.tobytes()[:n]
            for i in range(0, n, 40):
                name = data[i : i + 16].split(b"\0", 1)[0].decode()
                ip = socket.inet_ntoa(data[i + 20 : i + 24])
                out.setdefault(name, []).append(ip)
    except OSError:
        pass
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 6 or parts[3] == "20":  # scope 0x20: link-local
                    continue
                ip = ipaddress.IPv6Address(bytes.fromhex(parts[0])).compressed
                out.setdefault(parts[5], []).append(ip)
    except OSError:
        pass
    return out


def is_local_ip(ip: str) -> bool:
    """Whether `ip` is an address of one of this machine's interfaces right now (for
    `virtual` sockets; read at each check, as the address may move)."""
    canon = _ipv6_canon(ip) or ip
    return any(canon in ips for ips in interface_addresses().values())
