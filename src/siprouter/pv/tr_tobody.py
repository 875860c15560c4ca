"""The `tobody.*` transformations: display, uri, tag, user, host, params of a To-like body.

The value is parsed like a To/From header body (display name with its quotes, the URI,
header parameters); the URI must parse too, else the transformation fails.  `params` is
the text from the first parameter name to the end.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Step, Value, from_bytes, to_bytes
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_nameaddr import NameAddr, parse_nameaddr
from siprouter.sip.uri import SipUri, UriError, parse_uri

Parsed = tuple[NameAddr, SipUri, str]


def _parse(s: str) -> Parsed | None:
    data = to_bytes(s)
    try:
        na = parse_nameaddr(data, 0, len(data))
        uri = parse_uri(na.uri_text)
    except (SipParseError, UriError, ValueError):
        return None
    params = ""
    ps = getattr(na, "params_start", None)
    if isinstance(ps, int) and ps < len(data):
        params = from_bytes(data[ps:]).lstrip(" \t\r\n;").rstrip(" \t\r\n")
    return na, uri, params


_parsed = lru_cache(maxsize=256)(_parse)


def _tag(p: Parsed) -> Value:
    for name, value in p[0].params or []:
        if name.lower() == "tag":
            return value or ""
    return ""


_GETTERS: dict[str, Callable[[Parsed], Value]] = {
    "display": lambda p: p[0].display_raw or "",
    "uri": lambda p: p[0].uri_text,
    "tag": _tag,
    "user": lambda p: p[1].user,
    "host": lambda p: p[1].host,
    "params": lambda p: p[2],
}


def _factory(get: Callable[[Parsed], Value]) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if not isinstance(v, str) or not v:
                return None
            p = _parsed(v)
            return None if p is None else get(p)

        return step

    return factory


FACTORIES: dict[str, Factory] = {name: _factory(g) for name, g in _GETTERS.items()}
