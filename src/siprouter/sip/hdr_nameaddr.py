"""Parsed name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Path,
P-Asserted-Identity, P-Preferred-Identity, Diversion, Refer-To, Referred-By, Reply-To, ...

``parse_nameaddr(data, start, end)`` parses one value; ``parse_nameaddr_list`` a comma list
(``allow_star`` accepts the Contact ``*``). The URI is kept as text (``uri_text``) and parsed
only when ``.uri`` is read (via ``siprouter.sip.uri.parse_uri``). Following RFC 3261
section 20.10, when the URI is not in angle brackets every ``;param`` after it is a header
parameter, not a URI parameter. Offsets are absolute offsets into the message buffer.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import SipParseError
from .hdr_params import (
    WS,
    Params,
    check_params,
    get_param,
    has_param,
    parse_params,
    quoted_end_fast,
    rskip_ws,
    skip_ws,
    split_commas,
    unquote,
)

# The common shape in one match: ["display" | token display] <uri> followed by simple params
# (no quotes, no folding). Anything else takes the general path below. A token display name
# (group 2) keeps its trailing blanks here (no lazy repeat: faster); fast_nameaddr strips them.
_FAST_RE = re.compile(
    rb'(?:("[^"\\\r\n]*(?:\\[^\r\n][^"\\\r\n]*)*")[ \t]*|([^"<>;,\r\n]*))'
    rb"<([^<> \t\r\n]+)>"
    rb'((?:[ \t]*;[ \t]*[^ \t\r\n;=,"<>]+(?:[ \t]*=[ \t]*[^ \t\r\n;,"<>]*)?)*)[ \t]*\Z'
)


class NameAddr:
    """``"Display" <uri>;param=value`` (or ``uri;param`` or Contact ``*``).

    ``display_raw`` is the display name as written (quotes kept) or None; ``display`` is it
    unquoted. ``uri_text`` is the URI text (``*`` for a star Contact, ``star`` is then True).
    ``params`` are the header parameters in order. ``start``/``end`` delimit the whole element
    in the buffer, ``uri_start``/``uri_end`` the URI text, ``bracketed`` tells whether the URI
    was written inside ``<...>``.
    """

    __slots__ = (
        "_data",
        "_params",
        "_uri",
        "bracketed",
        "display_raw",
        "end",
        "params_start",
        "star",
        "start",
        "uri_end",
        "uri_start",
        "uri_text",
    )

    def __init__(
        self,
        display_raw: str | None,
        uri_text: str,
        params: Params | None,
        start: int,
        end: int,
        uri_start: int,
        uri_end: int,
        bracketed: bool,
        star: bool = False,
        params_start: int = 0,
        data: bytes = b"",
    ) -> None:
        self.display_raw = display_raw
        self.uri_text = uri_text
        self._params = params
        self.params_start = params_start
        self._data = data
        self.start = start
        self.end = end
        self.uri_start = uri_start
        self.uri_end = uri_end
        self.bracketed = bracketed
        self.star = star
        self._uri: Any = None

    def __repr__(self) -> str:
        d = f"{self.display_raw} " if self.display_raw else ""
        p = "".join(f";{n}" if v is None else f";{n}={v}" for n, v in self.params)
        return f"NameAddr({d}<{self.uri_text}>{p})"

    @property
    def params(self) -> Params:
        """Header parameters (name, value or None) in message order, names as written."""
        p = self._params
        if p is None:
            p = self._params = parse_params(self._data, self.params_start, self.end)
        return p

    @property
    def display(self) -> str | None:
        """Display name without quotes/escapes (None when absent)."""
        return None if self.display_raw is None else unquote(self.display_raw)

    @property
    def uri(self) -> Any:
        """The parsed URI (``siprouter.sip.uri.SipUri``), parsed on first use and cached."""
        if self._uri is None:
            from . import uri as urimod  # imported lazily: parsed only when someone asks

            try:
                self._uri = urimod.parse_uri(self.uri_text)
            except ValueError as exc:
                raise SipParseError(f"bad URI {self.uri_text!r}: {exc}") from None
        return self._uri

    def param(self, name: str) -> str | None:
        """Value of header parameter ``name`` (lowercase); None if absent or valueless."""
        return get_param(self.params, name)

    def has_param(self, name: str) -> bool:
        return has_param(self.params, name)

    @property
    def tag(self) -> str | None:
        return get_param(self.params, "tag")

    @property
    def expires(self) -> int | None:
        """Contact ``expires`` parameter as int (capped at 2**32-1), None if absent."""
        v = get_param(self.params, "expires")
        if v is None:
            return None
        if not v.isdigit() or not v.isascii():
            raise SipParseError(f"bad expires parameter {v!r}")
        return min(int(v), 0xFFFFFFFF)

    @property
    def q(self) -> float | None:
        """Contact ``q`` parameter (0.0 .. 1.0), None if absent."""
        v = get_param(self.params, "q")
        if v is None:
            return None
        try:
            q = float(v)
        except ValueError:
            q = -1.0
        if not 0.0 <= q <= 1.0 or not v.isascii() or v.strip(".0123456789"):
            raise SipParseError(f"bad q parameter {v!r}")
        return q

    @property
    def instance(self) -> str | None:
        """``+sip.instance`` value without the surrounding quotes (e.g. ``<urn:uuid:...>``)."""
        v = get_param(self.params, "+sip.instance")
        return None if v is None else unquote(v)

    @property
    def reg_id(self) -> int | None:
        v = get_param(self.params, "reg-id")
        if v is None:
            return None
        if not v.isdigit() or not v.isascii():
            raise SipParseError(f"bad reg-id parameter {v!r}")
        return int(v)


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def fast_nameaddr(data: bytes, s: int, e: int) -> NameAddr | None:
    """The common ``["display"] <uri>;simple=params`` form of data[s:e] (already trimmed) in
    one regex match, or None when the value has another shape (``parse_nameaddr`` then
    takes it, with the same result for the values this accepts)."""
    m = _FAST_RE.match(data, s, e)
    if m is None:
        return None
    us, ue = m.span(3)
    if data.find(b":", us, ue) < 0:
        return None
    d = m.group(1) or m.group(2).rstrip(b" \t")
    pb = m.start(4)
    return NameAddr(
        d.decode("utf-8", "surrogateescape") if d else None,
        data[us:ue].decode("utf-8", "surrogateescape"),
        None if pb < e else [],
        s,
        e,
        us,
        ue,
        True,
        False,
        pb,
        data,
    )


def parse_nameaddr(data: bytes, start: int, end: int, allow_star: bool = False) -> NameAddr:
    """Parse one name-addr or addr-spec with header params from data[start:end]."""
    s = start
    e = end
    while s < e and data[s] in WS:
        s += 1
    while e > s and data[e - 1] in WS:
        e -= 1
    if s >= e:
        raise SipParseError("empty name-addr", offset=start)
    na = fast_nameaddr(data, s, e)
    if na is not None:
        return na
    c = data[s]
    if c == 0x2A and allow_star and skip_ws(data, s + 1, e) == e:
        return NameAddr(None, "*", [], s, e, s, s + 1, False, True)
    display: str | None = None
    if c == 0x22:
        qe = quoted_end_fast(data, s, e)
        display = data[s:qe].decode("utf-8", "surrogateescape")
        lt = skip_ws(data, qe, e)
        if lt >= e or data[lt] != 0x3C:
            raise SipParseError("quoted display name not followed by <uri>", offset=lt)
    else:
        lt = data.find(b"<", s, e)
        if lt >= 0:
            if data.find(b";", s, lt) >= 0:
                lt = -1  # a ';' first: an addr-spec whose params hold a '<'
            elif lt > s:
                d = data[s:lt].strip(WS)
                display = d.decode("utf-8", "surrogateescape") if d else None
    if lt >= 0:
        gt = data.find(b">", lt + 1, e)
        if gt < 0:
            raise SipParseError("missing '>' after URI", offset=lt)
        us = lt + 1
        ue = gt
        if data[us] in WS or data[ue - 1] in WS:
            us = skip_ws(data, us, gt)
            ue = rskip_ws(data, us, gt)
        if ue <= us:
            raise SipParseError("empty URI in <>", offset=lt)
        if data.find(b":", us, ue) < 0:
            raise SipParseError(f"URI without a scheme {_text(data[us:ue])[:60]!r}", offset=us)
        pb = gt + 1
        params = check_params(data, pb, e)
        uri = data[us:ue].decode("utf-8", "surrogateescape")
        return NameAddr(display, uri, params, s, e, us, ue, True, False, pb, data)
    semi = data.find(b";", s, e)
    ue = e if semi < 0 else rskip_ws(data, s, semi)
    for bad in (0x20, 0x09, 0x0D, 0x0A, 0x22):
        if data.find(bad, s, ue) >= 0:
            raise SipParseError(
                f"bad addr-spec {_text(data[s:ue])[:60]!r} (URI with spaces needs <...>)",
                offset=s,
            )
    if data.find(b":", s, ue) < 0:
        raise SipParseError(f"URI without a scheme {_text(data[s:ue])[:60]!r}", offset=s)
    if semi < 0:
        return NameAddr(None, _text(data[s:ue]), [], s, e, s, ue, False, False, e, data)
    params = check_params(data, semi, e)
    return NameAddr(None, _text(data[s:ue]), params, s, e, s, ue, False, False, semi, data)


def parse_nameaddr_list(
    data: bytes, start: int, end: int, allow_star: bool = False
) -> list[NameAddr]:
    """Parse a comma separated list of name-addrs (Contact, Route, Record-Route, Path, ...)."""
    spans = split_commas(data, start, end)
    if not spans:
        raise SipParseError("empty value", offset=start)
    return [parse_nameaddr(data, s, e, allow_star) for s, e in spans]
