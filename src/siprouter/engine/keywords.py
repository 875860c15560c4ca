"""Core keywords as values (`method`, `uri`, `src_ip`, ...) and core value constants.

Each keyword compiles to a getter over the context; comparisons then follow the
normal operator rules (engine/ops.py). Not here yet (a ConfigError names them):
`myself` and IP-network comparisons (`src_ip == 10.0.0.0/8`), which need the listen
addresses and aliases of the network runtime, and the onsend_route keywords
(snd_*, to_ip, to_port).

Protocol and address family values are Kamailio's numbers (PROTO_UDP = 1 ...,
AF_INET = 2, AF_INET6 = 10), so `proto == UDP` and `af == INET` compare ints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    return len(ctx.msg.data)


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
}
