"""The `uri.*` transformations: parts of a SIP URI held in a value.

The value is parsed with `siprouter.sip.uri.parse_uri` (Kamailio's rules; one trailing
';' is ignored as Kamailio does).  A value that is not a URI, empty or undefined makes
the transformation fail.  Absent parts give "" (also ``{uri.port}``; a present port
is an int).  `saor`/`suri`/`duri` rebuild the AoR, the simple URI and the
destination URI; `tosocket` gives "proto:host:port" (needs a transport parameter).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Step, Value
from siprouter.pv.tr_param import split_params
from siprouter.sip.uri import SipUri, UriError, parse_uri

Parsed = tuple[SipUri, str, str]  # the URI, the raw sip params text, the raw headers text


def _parse(text: str) -> Parsed | None:
    if len(text) > 4 and text[-1] == ";":
        text = text[:-1]
    try:
        u = parse_uri(text)
    except UriError:
        return None
    colon = text.find(":")
    rest = text[colon + 1 :]
    params = headers = ""
    if u.scheme in ("tel", "tels", "urn"):
        return u, "", ""  # Kamailio keeps no sip params for tel URIs
    at = rest.find("@")
    if at >= 0:
        rest = rest[at + 1 :]
    semi = rest.find(";")
    q = rest.find("?")
    if semi >= 0 and (q < 0 or semi < q):
        params, _, headers = rest[semi + 1 :].partition("?")
    elif q >= 0:
        headers = rest[q + 1 :]
    return u, params, headers


_parsed = lru_cache(maxsize=256)(_parse)  # recent values parse once (Kamailio keeps one)


def _param(p: Parsed, name: str) -> str:
    if not p[1]:
        return ""
    plist = split_params(p[1])
    if plist is None:
        return ""
    low = name.lower()
    for pname, pval in reversed(plist):
        if pname.lower() == low:
            return pval
    return ""


def _known(name: str) -> Callable[[Parsed], Value]:
    def get(p: Parsed) -> Value:
        for pname, pval in p[0].sip_param_list:
            if pname.lower() == name:
                return pval or ""
        return ""

    return get


def _port(p: Parsed) -> Value:
    # Kamailio: an integer (0 when absent) printing as written ("" when absent).  Here: the
    # int when present, "" when absent (prints the same; `== ""`, `+ 1`, `if()` agree).
    u = p[0]
    return u.port if u.port is not None else ""


def _scheme(p: Parsed) -> Value:
    return p[0].scheme_text


def _build(p: Parsed, *, user: bool, port: bool) -> str:
    u = p[0]
    out = u.scheme_text + ":"
    if user and u.user:
        out += u.user + "@"
    out += u.host
    if port:
        if u.port_text:
            out += ":" + u.port_text
        tr = _known("transport")(p)
        if tr:
            out += ";transport=" + str(tr)
    return out


_PROTOS = {"udp": "udp", "tcp": "tcp", "tls": "tls", "sctp": "sctp", "ws": "ws", "wss": "ws"}


def _tosocket(p: Parsed) -> Value:
    tr = str(_known("transport")(p)).lower()
    proto = _PROTOS.get(tr)
    if proto is None:
        return ""
    u = p[0]
    return f"{proto}:{u.host}:{u.port or 5060}"


_GETTERS: dict[str, Callable[[Parsed], Value]] = {
    "user": lambda p: p[0].user,
    "host": lambda p: p[0].host,
    "domain": lambda p: p[0].host,
    "passwd": lambda p: p[0].password or "",
    "port": _port,
    "params": lambda p: p[1],
    "headers": lambda p: p[2],
    "transport": _known("transport"),
    "ttl": _known("ttl"),
    "uparam": _known("user"),
    "maddr": _known("maddr"),
    "method": _known("method"),
    "lr": _known("lr"),
    "r2": _known("r2"),
    "scheme": _scheme,
    "tosocket": _tosocket,
    "saor": lambda p: _build(p, user=True, port=False),
    "suri": lambda p: _build(p, user=True, port=True),
    "duri": lambda p: _build(p, user=False, port=True),
}


def _simple(get: Callable[[Parsed], Value]) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if not isinstance(v, str) or not v:
                return None
            p = _parsed(v)
            return None if p is None else get(p)

        return step

    return factory


def _param_factory(r: ArgReader) -> Step:
    r.comma("a parameter name")
    a = r.string()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if not isinstance(v, str) or not v:
            return None
        p = _parsed(v)
        if p is None:
            return None
        name = a.str_value(ctx)
        return None if name is None else _param(p, name)

    return step


FACTORIES: dict[str, Factory] = {name: _simple(g) for name, g in _GETTERS.items()}
FACTORIES["param"] = _param_factory
