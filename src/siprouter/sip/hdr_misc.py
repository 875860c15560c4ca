"""Parsed forms of small headers: numbers (Content-Length, Max-Forwards, Expires, Min-Expires,
Min-SE), Content-Type, option-tag / token lists (Supported, Require, Allow, ...), Event,
Session-Expires and plain text values (Call-ID, User-Agent, Server).
"""

from __future__ import annotations

import re

from .errors import SipParseError
from .hdr_params import Params, get_param, parse_params, rskip_ws, skip_ws, split_commas, text

_TOKEN_RE = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+\Z")
_TOKEN_LIST_RE = re.compile(
    rb"[ \t\r\n,]*(?:[A-Za-z0-9.!%*_+`'~-]+(?:[ \t\r\n]*,[ \t\r\n,]*[A-Za-z0-9.!%*_+`'~-]+)*)?"
    rb"[ \t\r\n,]*\Z"
)
_MEDIA_RE = re.compile(
    rb"[ \t\r\n]*([A-Za-z0-9.!%*_+`'~-]+)[ \t\r\n]*/[ \t\r\n]*([A-Za-z0-9.!%*_+`'~-]+)"
)
_EVENT_RE = re.compile(rb"[ \t\r\n]*([A-Za-z0-9.!%*_+`'~-]+)")
_DELTA_RE = re.compile(rb"[ \t\r\n]*([0-9]+)")

MAX_UINT32 = 0xFFFFFFFF


def _show(data: bytes, start: int, end: int) -> str:
    return text(data[start:end][:40])


def parse_uint(
    data: bytes, start: int, end: int, limit: int = MAX_UINT32, cap: bool = False
) -> int:
    """data[start:end] is 1*DIGIT with optional surrounding whitespace.

    Values above ``limit`` are an error, or clipped to ``limit`` when ``cap`` (Expires).
    """
    s = skip_ws(data, start, end)
    e = rskip_ws(data, s, end)
    v = data[s:e]
    if not v or not v.isdigit():
        raise SipParseError(f"not a number: {_show(data, start, end)!r}", offset=start)
    if len(v) > 10 or int(v) > limit:
        if cap:
            return limit
        raise SipParseError(f"number too large: {text(v[:20])}", offset=start)
    return int(v)


def parse_max_forwards(data: bytes, start: int, end: int) -> int:
    """Max-Forwards: 0..255."""
    return parse_uint(data, start, end, 255)


def parse_expires(data: bytes, start: int, end: int) -> int:
    """Expires / Min-Expires: delta-seconds, values beyond 2**32-1 taken as 2**32-1."""
    return parse_uint(data, start, end, MAX_UINT32, cap=True)


class ContentType:
    """``Content-Type: application/sdp;charset=utf-8``; ``type``/``subtype`` are lowercased."""

    __slots__ = ("params", "subtype", "type")

    def __init__(self, type_: str, subtype: str, params: Params) -> None:
        self.type = type_
        self.subtype = subtype
        self.params = params

    @property
    def mime(self) -> str:
        """``type/subtype`` lowercased."""
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def __repr__(self) -> str:
        return f"ContentType({self.mime!r}, {self.params!r})"


def parse_content_type(data: bytes, start: int, end: int) -> ContentType:
    m = _MEDIA_RE.match(data, start, end)
    if m is None:
        raise SipParseError(f"bad media type {_show(data, start, end)!r}", offset=start)
    e = rskip_ws(data, m.end(), end)
    params = parse_params(data, m.end(), e) if m.end() < e else []
    return ContentType(m.group(1).decode().lower(), m.group(2).decode().lower(), params)


def parse_token_list(data: bytes, start: int, end: int) -> list[str]:
    """Comma separated tokens (option tags, methods, event packages); may be empty."""
    if _TOKEN_LIST_RE.match(data, start, end) is not None:
        return [t.decode() for t in map(bytes.strip, data[start:end].split(b",")) if t]
    out: list[str] = []
    for s, e in split_commas(data, start, end):
        t = data[s:e]
        if _TOKEN_RE.match(t) is None:
            raise SipParseError(f"bad token {text(t[:40])!r}", offset=s)
        out.append(t.decode())
    return out


class Event:
    """``Event: presence;id=1234`` -> package ``presence``, params; ``id`` is the id param."""

    __slots__ = ("package", "params")

    def __init__(self, package: str, params: Params) -> None:
        self.package = package
        self.params = params

    @property
    def id(self) -> str | None:
        return get_param(self.params, "id")

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def __repr__(self) -> str:
        return f"Event({self.package!r}, {self.params!r})"


def parse_event(data: bytes, start: int, end: int) -> Event:
    m = _EVENT_RE.match(data, start, end)
    if m is None:
        raise SipParseError(f"bad event {_show(data, start, end)!r}", offset=start)
    e = rskip_ws(data, m.end(), end)
    params = parse_params(data, m.end(), e) if m.end() < e else []
    return Event(m.group(1).decode(), params)


class SessionExpires:
    """``Session-Expires: 1800;refresher=uac`` (RFC 4028); also used for Min-SE."""

    __slots__ = ("delta", "params")

    def __init__(self, delta: int, params: Params) -> None:
        self.delta = delta
        self.params = params

    @property
    def refresher(self) -> str | None:
        return get_param(self.params, "refresher")

    def __repr__(self) -> str:
        return f"SessionExpires({self.delta}, {self.params!r})"


def parse_session_expires(data: bytes, start: int, end: int) -> SessionExpires:
    m = _DELTA_RE.match(data, start, end)
    if m is None:
        raise SipParseError(f"bad delta-seconds {_show(data, start, end)!r}", offset=start)
    e = rskip_ws(data, m.end(), end)
    params = parse_params(data, m.end(), e) if m.end() < e else []
    return SessionExpires(min(int(m.group(1)), MAX_UINT32), params)


def parse_callid(data: bytes, start: int, end: int) -> str:
    """Call-ID: a non-empty word[@word] without whitespace inside."""
    s = skip_ws(data, start, end)
    e = rskip_ws(data, s, end)
    v = data[s:e]
    if not v or b" " in v or b"\t" in v or b"\n" in v:
        raise SipParseError(f"bad Call-ID {_show(data, start, end)!r}", offset=start)
    return text(v)
