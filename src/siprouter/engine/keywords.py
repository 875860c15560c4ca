"""Core keywords as values (`method`, `uri`, `src_ip`, ...) and core value constants.

Each keyword compiles to a getter over the context; comparisons then follow the
normal operator rules (engine/ops.py), except two kinds that `address_compare` turns
into their own code: `myself` comparisons (`uri == myself`, `myself != src_ip`, see
engine/myself.py) and `src_ip`/`dst_ip` compared with an address, a network, a host
name or a runtime value (engine/ipmatch.py). The text keywords (`method`, `uri`,
`from_uri`, `to_uri`) compared with `==`, `!=`, `eq`, `ne` ignore ASCII case, like
Kamailio 5.6.3 (`method == "invite"` is true for an INVITE): `text_compare`.

The onsend_route keywords read the message being sent (runtime/onsend.py): snd_ip,
snd_port, snd_proto, snd_af (the local socket), to_ip, to_port (the destination), and
msg:len there is the length of the bytes as sent. Outside onsend_route the addresses
are "" (they match nothing) and the numbers undefined.

Protocol and address family values are Kamailio's numbers (PROTO_UDP = 1 ...,
AF_INET = 2, AF_INET6 = 10), so `proto == UDP` and `af == INET` compare ints.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError
from siprouter.runtime.onsend import send_info

from .ipmatch import net_from_text, parse_net, same_ip
from .ops import to_str

PROTO_NUMBERS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}
CORE_VALUES: dict[str, int | str] = {
    "UDP": 1,
    "TCP": 2,
    "TLS": 3,
    "SCTP": 4,
    "WS": 5,
    "WSS": 6,
    "INET": 2,
    "INET6": 10,
}


def _method(ctx: Any) -> str:
    return ctx.msg.method


def _uri(ctx: Any) -> str:
    return ctx.ruri


def _status(ctx: Any) -> Any:
    m = ctx.msg
    return None if m.is_request else str(m.status)


def _src_ip(ctx: Any) -> str:
    return ctx.rcv.src_ip


def _src_port(ctx: Any) -> int:
    return ctx.rcv.src_port


def _dst_ip(ctx: Any) -> str:
    return ctx.rcv.dst_ip


def _dst_port(ctx: Any) -> int:
    return ctx.rcv.dst_port


def _proto(ctx: Any) -> int:
    return PROTO_NUMBERS.get(ctx.rcv.proto, 0)


def _af(ctx: Any) -> int:
    return 10 if ctx.rcv.af == 6 else 2


def _from_uri(ctx: Any) -> Any:
    f = ctx.msg.from_
    return None if f is None else f.uri_text


def _to_uri(ctx: Any) -> Any:
    t = ctx.msg.to
    return None if t is None else t.uri_text


def _msg_len(ctx: Any) -> int:
    info = send_info(ctx)
    return len(info.buf) if info is not None else len(ctx.msg.data)


def _snd_ip(ctx: Any) -> str:
    info = send_info(ctx)
    return info.src_ip if info is not None else ""


def _snd_port(ctx: Any) -> int | None:
    info = send_info(ctx)
    return info.src_port if info is not None else None


def _snd_proto(ctx: Any) -> int | None:
    info = send_info(ctx)
    return info.proto_id if info is not None else None


def _snd_af(ctx: Any) -> int | None:
    info = send_info(ctx)
    return info.af_id if info is not None else None


def _to_ip(ctx: Any) -> str:
    info = send_info(ctx)
    return info.dst_ip if info is not None else ""


def _to_port(ctx: Any) -> int | None:
    info = send_info(ctx)
    return info.dst_port if info is not None else None


# keyword -> (getter, static type of its value)
KEYWORDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "method": (_method, "str"),
    "uri": (_uri, "str"),
    "status": (_status, "any"),
    "src_ip": (_src_ip, "str"),
    "src_port": (_src_port, "int"),
    "dst_ip": (_dst_ip, "str"),
    "dst_port": (_dst_port, "int"),
    "proto": (_proto, "int"),
    "af": (_af, "int"),
    "from_uri": (_from_uri, "any"),
    "to_uri": (_to_uri, "any"),
    "msg:len": (_msg_len, "int"),
    "snd_ip": (_snd_ip, "str"),
    "snd_port": (_snd_port, "any"),
    "snd_proto": (_snd_proto, "any"),
    "snd_af": (_snd_af, "any"),
    "to_ip": (_to_ip, "str"),
    "to_port": (_to_port, "any"),
}


# ---- myself and address comparisons -------------------------------------------------

URI_KEYWORDS = frozenset({"uri", "from_uri", "to_uri"})
# address keywords -> Python code reading them (None: call the keyword's getter)
IP_KEYWORDS: dict[str, str | None] = {
    "src_ip": "ctx.rcv.src_ip",
    "dst_ip": "ctx.rcv.dst_ip",
    "snd_ip": None,
    "to_ip": None,
}
_EQ = {"==": False, "eq": False, "!=": True, "ne": True}


def address_compare(
    node: ast.BinOp,
    const: Callable[[Any, str], str],
    matcher: Any,
    value: Callable[[Any], tuple[str, bool]],
) -> tuple[str, bool] | None:
    """(Python code of a bool expression, whether it can fail) for a `myself` comparison or an IP keyword
    compared with an address/network/name/runtime value; None for other nodes.
    `const(obj, prefix)` stores a compile-time object in the generated module, `value`
    compiles an operand to (script value code, can fail), `matcher` is the myself.SelfMatcher."""
    left, right, op = node.left, node.right, node.op
    if isinstance(left, ast.Keyword) and left.name == "myself":
        left, right = right, left
    if not isinstance(left, ast.Keyword):
        return None
    is_myself = isinstance(right, ast.Keyword) and right.name == "myself"
    if is_myself:
        if op not in _EQ:
            raise ConfigError(
                "invalid type for match: 'myself' is compared with == or !=", node.pos
            )
        if matcher is None:
            raise ConfigError("'myself' needs the config's listen addresses", node.pos)
        neg = _EQ[op]
        if left.name in URI_KEYWORDS:
            get = "ctx.ruri" if left.name == "uri" else f"{const(KEYWORDS[left.name][0], 'W')}(ctx)"
            check = const(matcher.check_uri, "MYU")
            return f"({check}({get}) is {not neg})", False
        if left.name in IP_KEYWORDS:
            check = const(matcher.check, "MY")
            return f"({'not ' if neg else ''}{check}({_ip_code(left.name, const)}))", False
        raise ConfigError(f"'myself' cannot be compared with {left.name} here", node.pos)
    if left.name not in IP_KEYWORDS:
        return None
    ip = _ip_code(left.name, const)
    if isinstance(right, ast.IPAddr):
        if op not in _EQ:
            raise ConfigError(f"invalid type for match: '{op}' with a network", right.pos)
        try:
            net = parse_net(right.addr, right.mask)
        except ValueError as e:
            raise ConfigError(f"bad network {right.raw or right.addr}: {e}", right.pos) from None
        return f"({'not ' if _EQ[op] else ''}{const(net, 'NET')}.contains({ip}))", False
    if op not in _EQ:
        return None  # =~ / !~: regex over the address text
    if isinstance(right, ast.Ident) or (isinstance(right, ast.Literal) and right.kind == "str"):
        text = right.name if isinstance(right, ast.Ident) else str(right.value)
        net = net_from_text(text)
        if net is None:  # a name: compared as text with the address, not resolved
            return f"({ip}.lower() {'!=' if _EQ[op] else '=='} {text.lower()!r})", False
        return f"({'not ' if _EQ[op] else ''}{const(net, 'NET')}.contains({ip}))", False
    code, fail = value(right)
    neg = "not " if _EQ[op] else ""
    return f"({neg}{const(same_ip, 'SAMEIP')}({ip}, {code}))", fail


def _ip_code(name: str, const: Callable[[Any, str], str]) -> str:
    """Python code reading address keyword `name` from ctx."""
    code = IP_KEYWORDS[name]
    return code if code is not None else f"{const(KEYWORDS[name][0], 'W')}(ctx)"


# ---- text keywords: case-insensitive equality ------------------------------------------

TEXT_KEYWORDS = frozenset({"method", "uri", "from_uri", "to_uri"})
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def text_equal(keyword_value: Any, value: Any) -> bool:
    """Kamailio's equality of a text keyword with a value: the value as a string, same
    length, ASCII letters compared without case (an int or undef value is its text)."""
    return to_str(keyword_value).translate(_ASCII_FOLD) == to_str(value).translate(_ASCII_FOLD)


def text_compare(
    node: ast.BinOp,
    const: Callable[[Any, str], str],
    value: Callable[[Any], tuple[str, bool]],
) -> tuple[str, bool] | None:
    """(Python code of a bool expression, whether it can fail) for `method`/`uri`/
    `from_uri`/`to_uri` compared with ==, !=, eq or ne (case-insensitive, checked with
    Kamailio 5.6.3); None for other nodes. `method == INVITE` compares with the name."""
    left, right, op = node.left, node.right, node.op
    if not (isinstance(left, ast.Keyword) and left.name in TEXT_KEYWORDS and op in _EQ):
        return None
    getter, typ = KEYWORDS[left.name]
    get = f"{const(getter, 'W')}(ctx)"
    neg = _EQ[op]
    text: str | None = None
    if isinstance(right, ast.Ident):
        text = right.name
    elif isinstance(right, ast.Literal) and right.kind == "str":
        text = str(right.value)
    if text is not None and typ == "str":
        fold = const(_ASCII_FOLD, "FOLD")
        pyop = "!=" if neg else "=="
        return f"({get}.translate({fold}) {pyop} {text.translate(_ASCII_FOLD)!r})", False
    code, fail = (repr(text), False) if text is not None else value(right)
    return f"({'not ' if neg else ''}{const(text_equal, 'TEQ')}({get}, {code}))", fail
