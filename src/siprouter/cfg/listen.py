"""The listen-address grammar shared by `-l`, `listen=`, `socket={bind=...}` and aliases.

Forms accepted (checked against Kamailio 5.6.3):

- command line `-l` (`cli=True`):  ``[proto:]addr_lst[:port][/advaddr[:advport]]``
- config `listen=`:   ``[proto:]addr_lst[:port] [advertise addr[:port]] [name "s"] [virtual]``
  (several sockets may precede the keywords: ``listen=udp:a:5060 tcp:b:5060``; use
  `parse_listen_line` for that form)

where ``addr_lst`` is one address or a parenthesised list ``(addr, addr, ...)`` and an
address is a hostname, an interface name, an IPv4 address, a bracketed IPv6 address
``[::1]``, an IPv6 address without brackets (the longest valid one is taken, so
``0:0::3:5060`` is an address, not ``0:0::3`` port 5060) or (config form) a quoted
string. ``proto`` is udp, tcp, tls or sctp (case-insensitive). A port of 0 or ``*``
means "the default port". Keywords come in the order advertise, name, virtual, as
Kamailio's grammar requires; its lexer also knows ``ADVERTISE`` and ``NAME`` (not
``VIRTUAL``, nor mixed case).

Where Kamailio silently wraps an out-of-range port (``:70000`` listens on 4464) we
reject it: a config error is better than a socket on a port nobody asked for.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

PROTOS: tuple[str, ...] = ("udp", "tcp", "tls", "sctp")

_TOKEN = re.compile(r"[A-Za-z0-9_.\-]+")
_DOTTED_NUMERIC = re.compile(r"[0-9.]+")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
# Keyword spellings kamailio 5.6.3's lexer knows, mapped to the keyword.
_KEYWORDS = {
    "advertise": "advertise", "ADVERTISE": "advertise", "name": "name", "NAME": "name",
    "virtual": "virtual",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """One listen definition. `proto` None means every enabled protocol; `port` None the
    default port; `addrs` holds hostnames, interface names or IPs (IPv6 without brackets)."""

    proto: str | None
    addrs: tuple[str, ...]
    port: int | None = None
    advertise_host: str | None = None
    advertise_port: int | None = None
    name: str | None = None
    virtual: bool = False

    def __str__(self) -> str:
        addrs = [_bracket(a) for a in self.addrs]
        text = addrs[0] if len(addrs) == 1 else "(" + ", ".join(addrs) + ")"
        if self.proto:
            text = f"{self.proto}:{text}"
        if self.port is not None:
            text += f":{self.port}"
        if self.advertise_host is not None:
            text += f" advertise {_bracket(self.advertise_host)}"
            if self.advertise_port is not None:
                text += f":{self.advertise_port}"
        if self.name is not None:
            text += f' name "{self.name}"'
        if self.virtual:
            text += " virtual"
        return text


def parse_listen(text: str, cli: bool = False) -> ListenSpec:
    """Parse one listen definition, in the `-l` form or the config form (see module doc).
    With `cli`, only the `-l` form is accepted (no advertise/name/virtual keywords)."""
    if cli and len(_split(text)) > 1:
        raise ValueError(
            f"{text!r}: -l takes [proto:]addr_lst[:port][/advaddr[:port]] "
            "(advertise, name and virtual belong to listen= in the config)"
        )
    specs = parse_listen_line(text, cli=cli)
    if len(specs) != 1:
        raise ValueError(f"expected one listen address, found {len(specs)} in {text!r}")
    return specs[0]


def parse_listen_line(text: str, cli: bool = False) -> tuple[ListenSpec, ...]:
    """Parse a config `listen=` value: one or more sockets, then optional
    `advertise addr[:port]`, `name "s"`, `virtual` applying to all of them.
    With `cli`, the `-l` form's `/advaddr` is accepted (Kamailio's config grammar
    refuses it)."""
    tokens = _split(text)
    if not tokens:
        raise ValueError("empty listen address")
    keywords = ("advertise", "name", "virtual")
    tokens = [_KEYWORDS.get(t, t) for t in tokens]
    i = 0
    sockets: list[str] = []
    while i < len(tokens) and tokens[i] not in keywords:
        if tokens[i].lower() in keywords:
            raise ValueError(_keyword_case(tokens[i]))
        sockets.append(tokens[i])
        i += 1
    if not sockets:
        raise ValueError(f"listen value {text!r} has no address before {tokens[0]!r}")
    adv_host: str | None = None
    adv_port: int | None = None
    name: str | None = None
    virtual = False
    if i < len(tokens) and tokens[i] == "advertise":
        if i + 1 >= len(tokens) or tokens[i + 1] in keywords:
            raise ValueError(f"'advertise' needs an address[:port] in {text!r}")
        adv_host, adv_port = parse_hostport(tokens[i + 1], what="advertise address")
        i += 2
    if i < len(tokens) and tokens[i] == "name":
        if i + 1 >= len(tokens) or not _is_quoted(tokens[i + 1]):
            raise ValueError(f"'name' needs a quoted string (name \"s1\") in {text!r}")
        name = tokens[i + 1][1:-1]
        i += 2
    if i < len(tokens) and tokens[i] == "virtual":
        virtual = True
        i += 1
    if i < len(tokens):
        extra = tokens[i]
        if extra.lower() in keywords and extra not in keywords:
            raise ValueError(_keyword_case(extra))
        if extra in keywords:
            raise ValueError(
                f"misplaced {extra!r} in {text!r}: the order is advertise, name, virtual"
            )
        raise ValueError(f"unexpected {extra!r} after the listen address in {text!r}")

    specs: list[ListenSpec] = []
    for sock in sockets:
        bind, slash_adv = _split_slash(sock)
        a_host, a_port = adv_host, adv_port
        if slash_adv is not None and not cli:
            raise ValueError(
                f"'/' in {sock!r}: in the config the advertised address is given with "
                "'advertise addr[:port]' after the listen address"
            )
        if slash_adv is not None:
            if adv_host is not None or len(sockets) > 1:
                raise ValueError(f"use either '/advaddr' or 'advertise', not both, in {text!r}")
            a_host, a_port = parse_hostport(slash_adv, what="advertise address")
        proto, addrs, port = _parse_phostport(bind, bare_ipv6=not cli)
        specs.append(ListenSpec(proto, addrs, port, a_host, a_port, name, virtual))
    return tuple(specs)


def parse_alias(text: str, cli: bool = False) -> tuple[str, int | None, str | None]:
    """Parse an alias `[proto:]hostname[:port]` (-a is the auto-alias switch; this is for
    --alias and alias=). Returns (host, port or None for any, proto or None for any).
    With `cli` (--alias), an IPv6 address needs brackets, as in kamailio 5.6.3."""
    proto, addrs, port = _parse_phostport(text.strip(), allow_list=False, bare_ipv6=not cli)
    return addrs[0], port, proto


def parse_hostport(text: str, what: str = "address") -> tuple[str, int | None]:
    """Parse `host[:port]` (host may be [IPv6] or quoted); used for advertise addresses."""
    text = text.strip()
    if not text:
        raise ValueError(f"empty {what}")
    host, rest = _take_addr(text, what)
    port: int | None = None
    if rest:
        if not rest.startswith(":"):
            raise ValueError(f"unexpected {rest!r} after {what} {host!r}")
        port = _parse_port(rest[1:], text, allow_star=False)
    return host, port


def unresolved_addrs(spec: ListenSpec, resolves: Callable[[str], bool] | None = None) -> list[str]:
    """The bind addresses of `spec` that are neither IP addresses, nor local interface
    names, nor host names that resolve: Kamailio's `-c` refuses such a listen ("could not
    resolve"). Resolving a host name may ask DNS; `resolves` replaces the lookup."""
    check = resolves or host_resolves
    interfaces = _interface_names()
    return [a for a in spec.addrs if not (_is_ip(a) or a in interfaces or check(a))]


def host_resolves(host: str) -> bool:
    """True if the system resolver (hosts file, DNS) knows `host`."""
    try:
        return bool(socket.getaddrinfo(host, None))
    except (OSError, UnicodeError):
        return False


def _interface_names() -> set[str]:
    try:
        return {name for _, name in socket.if_nameindex()}
    except OSError:
        return set()


def _is_ip(addr: str) -> bool:
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return False
    return True


# --- internals ---------------------------------------------------------------------


def _split(text: str) -> list[str]:
    """Split on whitespace outside quotes, brackets and parentheses."""
    tokens: list[str] = []
    cur: list[str] = []
    close: str | None = None
    for ch in text:
        if close is not None:
            cur.append(ch)
            if ch == close:
                close = None
            continue
        if ch.isspace():
            if cur:
                tokens.append("".join(cur))
                cur = []
            continue
        cur.append(ch)
        if ch in "\"'":
            close = ch
        elif ch == "(":
            close = ")"
        elif ch == "[":
            close = "]"
    if close is not None:
        raise ValueError(f"missing {close!r} in listen value {text!r}")
    if cur:
        tokens.append("".join(cur))
    return tokens


def _split_slash(sock: str) -> tuple[str, str | None]:
    """Split `bind/advertise` at a '/' outside brackets and quotes."""
    depth = 0
    quote: str | None = None
    for i, ch in enumerate(sock):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "/" and depth == 0:
            adv = sock[i + 1 :]
            if not adv:
                raise ValueError(f"listen value {sock!r} has an empty advertise address after '/'")
            if "/" in adv:
                raise ValueError(f"listen value {sock!r} has more than one '/'")
            return sock[:i], adv
    return sock, None


def _parse_phostport(
    text: str, allow_list: bool = True, bare_ipv6: bool = True
) -> tuple[str | None, tuple[str, ...], int | None]:
    """`[proto:]addr_lst[:port]` -> (proto, addrs, port). `bare_ipv6`: an IPv6 address
    may come without brackets (the config grammar; the command line wants them)."""
    if not text:
        raise ValueError("empty listen address")
    proto: str | None = None
    rest = text
    if text[0] not in "([\"'" and not (bare_ipv6 and _take_ipv6(text)):
        m = _TOKEN.match(text)
        first = m.group(0) if m else ""
        after = text[len(first) :]
        if not first:
            raise ValueError(_bad_addr(text))
        if after.startswith(":") and not _is_port_tail(after[1:]):
            # `proto:...` unless what follows is only a port (then `host:port`)
            proto = _check_proto(first, text)
            rest = after[1:]
            if not rest:
                raise ValueError(f"no address after {first + ':'!r} in {text!r}")
            if rest[0] == ":":  # kamailio's lexer reads `udp:::1` as udp, `::`, `1`
                raise ValueError(_bad_addr(rest))
    if rest[0] == "(":
        if not allow_list:
            raise ValueError(f"an address list is not allowed here: {text!r}")
        end = rest.find(")")
        if end < 0:
            raise ValueError(f"missing ')' in {text!r}")
        items = [s.strip() for s in rest[1:end].split(",")]
        addrs: list[str] = []
        for item in items:
            if not item:
                continue  # Kamailio tolerates empty list elements: "(a,)"
            host, extra = _take_addr(item, "address", bare_ipv6)
            if extra:
                raise ValueError(f"unexpected {extra!r} after {host!r} in the list of {text!r}")
            addrs.append(host)
        if not addrs:
            raise ValueError(f"empty address list in {text!r}")
        tail = rest[end + 1 :]
    else:
        host, tail = _take_addr(rest, "address", bare_ipv6)
        addrs = [host]
    port: int | None = None
    if tail:
        if not tail.startswith(":"):
            raise ValueError(f"unexpected {tail!r} in listen address {text!r}")
        port = _parse_port(tail[1:], text, allow_star=True)
    return proto, tuple(addrs), port


def _take_addr(text: str, what: str, bare_ipv6: bool = True) -> tuple[str, str]:
    """Read one address at the start of `text`; return (address, remaining text)."""
    if text[0] == "[":
        end = text.find("]")
        if end < 0:
            raise ValueError(f"missing ']' in {text!r}")
        inner = text[1:end]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            raise ValueError(f"{inner!r} is not a valid IPv6 address in {text!r}") from None
        return inner, text[end + 1 :]
    if text[0] in "\"'":
        end = text.find(text[0], 1)
        if end < 0:
            raise ValueError(f"unclosed quote in {text!r}")
        inner = text[1:end]
        if not inner:
            raise ValueError(f"empty quoted {what} in {text!r}")
        return inner, text[end + 1 :]
    v6 = _take_ipv6(text) if bare_ipv6 else None
    if v6 is not None:
        return v6
    m = _TOKEN.match(text)
    if not m:
        raise ValueError(_bad_addr(text))
    host = m.group(0)
    rest = text[m.end() :]
    if _DOTTED_NUMERIC.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not a valid IPv4 address") from None
    if rest.startswith(":") and rest.count(":") > 1:
        raise ValueError(
            f"too many ':' in {text!r}; an IPv6 address must be in brackets, e.g. [::1]:5060"
        )
    return host, rest


def _take_ipv6(text: str) -> tuple[str, str] | None:
    """The longest IPv6 address (without brackets) at the start of `text`, cut at a
    ':', and the text after it; None if `text` does not start with one."""
    m = _IPV6_CHARS.match(text)
    cand = m.group(0) if m else ""
    while cand.count(":") >= 2:
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            cand = cand[: cand.rfind(":")]
            continue
        return cand, text[len(cand) :]
    return None


def _keyword_case(word: str) -> str:
    return (
        f"{word!r} is not a listen keyword (kamailio knows advertise/ADVERTISE, "
        f"name/NAME and virtual): use {word.lower()!r}"
    )


def _bad_addr(text: str) -> str:
    if text.startswith(":"):
        return f"{text!r} has no address; an IPv6 address must be in brackets, e.g. [::1]"
    return f"bad address in {text!r}: expected a hostname, interface, IP address or [IPv6]"


def _is_port_tail(text: str) -> bool:
    return text == "*" or (text.isdigit() and text.isascii())


def _check_proto(word: str, text: str) -> str:
    proto = word.lower()
    if not proto.isalpha():
        raise ValueError(
            f"bad listen address {text!r}: expected [proto:]addr[:port] "
            "(an IPv6 address must be in brackets, e.g. [::1]:5060)"
        )
    if proto not in PROTOS:
        raise ValueError(
            f"bad protocol {word!r} in {text!r} (expected udp, tcp, tls or sctp, "
            "or a port number after the address)"
        )
    return proto


def _parse_port(text: str, whole: str, allow_star: bool) -> int | None:
    if allow_star and text == "*":
        return None
    if not _is_port_tail(text) or text == "*":
        if ":" in text:
            raise ValueError(
                f"too many ':' in {whole!r}; an IPv6 address must be in brackets, e.g. [::1]:5060"
            )
        raise ValueError(f"bad port {text!r} in {whole!r}: expected a number 0-65535")
    port = int(text)
    if port > 65535:
        raise ValueError(f"port {port} out of range (0-65535) in {whole!r}")
    return port or None


def _is_quoted(tok: str) -> bool:
    return len(tok) >= 2 and tok[0] in "\"'" and tok[-1] == tok[0]


def _bracket(addr: str) -> str:
    return f"[{addr}]" if ":" in addr else addr
