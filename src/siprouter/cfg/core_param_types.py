"""Value kinds of core parameters and their validators (numbers, booleans, strings, sockets).

The parser hands a parameter's value over as one of:

* `int` (or `bool`): a NUMBER token; Kamailio's lexer turns the lowercase words
  yes/no/on/off/true/false/enable/disable into 1/0 NUMBER tokens, so those arrive here
  as ints (or bools) too;
* `str`: a quoted STRING token;
* `Word`: an unquoted token or token sequence as written (an identifier such as
  LOG_LOCAL0, a path, an address such as udp:10.0.0.1:5060).

Each `Kind` says which of those Kamailio 5.6's grammar accepts for a parameter and
turns the accepted ones into a normalized Python value; anything else is a ValueError
whose text becomes the ConfigError message.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

from .listen import ListenSpec, parse_alias, parse_listen_line

BOOL_WORDS = {
    "yes": 1, "true": 1, "on": 1, "enable": 1,
    "no": 0, "false": 0, "off": 0, "disable": 0,
}  # fmt: skip


class Word(str):
    """An unquoted value as written in the config (identifier, path, address)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Word({str.__repr__(self)})"


class Kind(enum.Enum):
    """How a core parameter's value is written and what it normalizes to."""

    NUM = "number"  # NUMBER, not negative (yes/no count as 1/0)
    INT = "int"  # NUMBER or -NUMBER
    BOOL = "bool"  # NUMBER, any non-zero is true
    STR = "string"  # quoted string only
    STR_OR_ID = "string|id"  # quoted string or a bare word
    ID = "id"  # bare word only
    CHOICE = "choice"  # one of `choices` (written as `choice_as` says)
    ADDR = "address"  # ip, hostname, interface or string (advertised_address)
    PORT = "port"  # NUMBER 0..65535
    LISTEN = "listen"  # [proto:]addr[:port] [advertise addr[:port]] [name "s"] [virtual]
    ALIAS = "alias"  # one or more [proto:]host[:port]
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    PROTO = "proto"  # udp/tcp/tls/sctp (bare word)
    TOS = "tos"  # NUMBER or IPTOS_* name
    ASYNC_GROUP = "async_workers_group"  # "name=X;workers=N;nonblock=0|1;usleep=M"
    FLAGS = "flags"  # flags NAME[:bit], ...
    DIRECTIVE = "directive"  # loadmodule/modparam/...: own statement, checked elsewhere
    SOCKET = "socket"  # socket = { bind = ...; advertise = ...; name = ...; virtual = ...; }


class ParamValueError(ValueError):
    """A value the parameter does not accept; str() is the message for the user."""


def describe(value: object) -> str:
    """How a value was written, for error messages."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Word):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def as_number(value: object, *, negative: bool, what: str = "number") -> int:
    """A NUMBER token value (yes/no included); `negative` allows -N (Kamailio's intno)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if value < 0 and not negative:
            raise ParamValueError(f"{what} expected (not negative), got {value}")
        return value
    if isinstance(value, Word) and str(value) in BOOL_WORDS:
        return BOOL_WORDS[str(value)]
    raise ParamValueError(f"{what} expected, got {describe(value)}")


def as_string(value: object) -> str:
    """A quoted STRING token."""
    if isinstance(value, str) and not isinstance(value, Word):
        return value
    raise ParamValueError(f"string value expected (in double quotes), got {describe(value)}")


_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def as_string_or_id(value: object) -> str:
    """A quoted string or a bare identifier (a path or address must be quoted)."""
    if isinstance(value, Word):
        if not _ID.fullmatch(value):
            raise ParamValueError(f'string value expected; write "{value}" in double quotes')
        return str(value)
    if isinstance(value, str):
        return value
    raise ParamValueError(f"string value expected, got {describe(value)}")


def as_id(value: object) -> str:
    """A bare word (identifier), not quoted."""
    if isinstance(value, Word) and _ID.fullmatch(value):
        return str(value)
    raise ParamValueError(f"identifier expected (without quotes), got {describe(value)}")


# --- sockets and addresses (listen/alias grammar lives in listen.py) ---------------

PROTOS = ("udp", "tcp", "tls", "sctp")
_HOSTNAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


def check_host(host: str) -> str:
    """An IPv4/IPv6 address, hostname or interface name; returns it without [] brackets."""
    h = host.strip()
    if h.startswith("[") and h.endswith("]"):
        try:
            ipaddress.IPv6Address(h[1:-1])
        except ValueError:
            raise ParamValueError(f"bad IPv6 address {h}") from None
        return h[1:-1]
    if ":" in h:
        try:
            ipaddress.IPv6Address(h)
        except ValueError:
            raise ParamValueError(f"bad IPv6 address {h}") from None
        return h
    if re.fullmatch(r"[0-9.]+", h) and not h.isdigit():
        try:
            ipaddress.IPv4Address(h)
        except ValueError:
            raise ParamValueError(f"invalid ipv4 address {h}") from None
        return h
    if not _HOSTNAME.match(h):
        raise ParamValueError(f"ip address, interface name or hostname expected, got {h!r}")
    return h


def parse_listen_value(value: object) -> tuple[ListenSpec, ...]:
    """A `listen=` value (one or more sockets with advertise/name/virtual)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int)
        or (isinstance(value, int) and value < 0)
    ):
        raise ParamValueError(
            f"ip address, interface name or hostname expected, got {describe(value)}"
        )
    text = str(value) if isinstance(value, Word | int) else f'"{value}"'
    try:
        return parse_listen_line(text)
    except ValueError as e:
        raise ParamValueError(str(e)) from None


def parse_alias_value(value: object) -> tuple[tuple[str, int | None, str | None], ...]:
    """An `alias=` value: one or more [proto:]host[:port] separated by blanks."""
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int)
        or (isinstance(value, int) and value < 0)
    ):
        raise ParamValueError(f"hostname expected, got {describe(value)}")
    parts = str(value).split() if isinstance(value, Word | int) else [str(value)]
    if not parts:
        raise ParamValueError("hostname expected")
    try:
        return tuple(parse_alias(p) for p in parts)
    except ValueError as e:
        raise ParamValueError(str(e)) from None


def parse_address(value: object) -> str:
    """advertised_address: an ip, hostname or string (a number is taken as a host name)."""
    if isinstance(value, bool) or (isinstance(value, int) and value < 0):
        raise ParamValueError(f"ip address or hostname expected, got {describe(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Word):
        return check_host(str(value))
    return str(value)  # a quoted string is taken as given


def parse_ipv4(value: object) -> str:
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        raise ParamValueError(f"IPv4 address expected, got {describe(value)}") from None


def parse_ipv6(value: object) -> str:
    text = str(value)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise ParamValueError(f"IPv6 address expected, got {describe(value)}") from None


def parse_proto(value: object) -> str:
    if isinstance(value, Word) and str(value).lower() in PROTOS:
        return str(value).lower()
    raise ParamValueError(f"TCP, TLS, SCTP or UDP expected, got {describe(value)}")


TOS_NAMES = {
    "IPTOS_LOWDELAY": 0x10,
    "IPTOS_THROUGHPUT": 0x08,
    "IPTOS_RELIABILITY": 0x04,
    "IPTOS_LOWCOST": 0x02,
    "IPTOS_MINCOST": 0x02,
}


def parse_tos(value: object) -> int:
    if isinstance(value, Word):
        code = TOS_NAMES.get(str(value).upper())
        if code is None:
            raise ParamValueError(
                f"invalid tos value {value}; allowed: {', '.join(TOS_NAMES)} or a number"
            )
        return code
    return as_number(value, negative=False)


@dataclass(frozen=True, slots=True)
class AsyncGroup:
    """One async_workers_group definition."""

    name: str
    workers: int
    nonblock: bool = False
    usleep: int = 0


def parse_async_group(value: object) -> AsyncGroup:
    """Parse "name=X;workers=N;nonblock=0|1;usleep=M"."""
    text = as_string(value)
    fields: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in ("name", "workers", "nonblock", "usleep"):
            raise ParamValueError(
                f"bad item {item.strip()!r}; expected name=, workers=, nonblock= or usleep="
            )
        fields[key] = val.strip()
    if not fields.get("name"):
        raise ParamValueError("async_workers_group needs name=NAME")
    nums: dict[str, int] = {}
    for key in ("workers", "nonblock", "usleep"):
        if key in fields:
            if not fields[key].isdigit():
                raise ParamValueError(f"{key} must be a number, got {fields[key]!r}")
            nums[key] = int(fields[key])
    if nums.get("workers", 0) <= 0:
        raise ParamValueError("async_workers_group needs workers=N with N > 0")
    return AsyncGroup(
        fields["name"], nums["workers"], bool(nums.get("nonblock", 0)), nums.get("usleep", 0)
    )


@dataclass(frozen=True, slots=True)
class FlagDecl:
    """A named message flag from `flags NAME[:bit]`."""

    name: str
    bit: int | None = None


MAX_FLAG = 31  # message flags are 32 bits wide (Kamailio 5.6 rejects :32)


def parse_flags(value: object) -> tuple[FlagDecl, ...]:
    """Parse a flags list: a sequence of (name, bit-or-None) pairs or text "a, b:2"."""
    items: list[tuple[str, int | None]] = []
    if isinstance(value, str):
        for part in str(value).split(","):
            name, sep, bit = part.strip().partition(":")
            if not name:
                raise ParamValueError("flag list expected")
            if sep and not bit.strip().isdigit():
                raise ParamValueError(f"flag position must be a number, got {bit.strip()!r}")
            items.append((name.strip().strip('"'), int(bit) if sep else None))
    elif isinstance(value, list | tuple):
        for it in value:
            if isinstance(it, FlagDecl):
                items.append((it.name, it.bit))
            else:
                name, bit = it
                items.append((str(name), bit))
    else:
        raise ParamValueError(f"flag list expected, got {describe(value)}")
    out: list[FlagDecl] = []
    seen: set[str] = set()
    for name, bit in items:
        if bit is not None and not 0 <= bit <= MAX_FLAG:
            raise ParamValueError(f"flag {name}: position {bit} out of range 0..{MAX_FLAG}")
        if name in seen:
            raise ParamValueError(f"flag {name} already registered")
        seen.add(name)  # two names may share a bit, as in Kamailio
        out.append(FlagDecl(name, bit))
    return tuple(out)
