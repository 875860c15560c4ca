"""The `urialias.*` transformations: `sip:host:port;transport=X` <-> `host~port~proto`.

encode: the proto number is 1 udp (also when absent or unknown), 2 tcp, 3 tls, 4 sctp,
5 ws; a missing port is 5061 for tls, else 5060.  decode: the reverse, with no
transport parameter for udp (Kamailio 5.6.3 prints proto 6 as "ws").  A value that
does not convert gives "" (Kamailio logs a warning).
"""

from __future__ import annotations

from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Step, Value
from siprouter.sip.uri import UriError, parse_uri

_PROTO_NUM = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5}
_PROTO_NAME = {1: "", 2: "tcp", 3: "tls", 4: "sctp", 5: "ws", 6: "ws"}


def alias_encode(s: str) -> str | None:
    try:
        u = parse_uri(s)
    except UriError:
        return None
    if not u.host:
        return None
    tr = (u.transport or "").lower()
    proto = _PROTO_NUM.get(tr, 1)
    port = u.port if u.port is not None else (5061 if proto == 3 else 5060)
    return f"{u.host}~{port}~{proto}"


def alias_decode(s: str) -> str | None:
    parts = s.split("~")
    if len(parts) != 3 or not parts[0]:
        return None
    host, port, proto = parts
    if not (port.isdigit() and proto.isdigit()) or int(proto) not in _PROTO_NAME:
        return None
    name = _PROTO_NAME[int(proto)]
    return f"sip:{host}:{port}" + (f";transport={name}" if name else "")


def _factory(fn: Any) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if not isinstance(v, str) or not v:
                return None
            out = fn(v)
            return "" if out is None else out

        return step

    return factory


FACTORIES: dict[str, Factory] = {"encode": _factory(alias_encode), "decode": _factory(alias_decode)}
