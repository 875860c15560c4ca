"""Parsed Via header (RFC 3261 section 20.42, RFC 3581 rport): one ``Via`` per via-parm.

``parse_via(data, start, end)`` parses a whole Via header value (which may hold several
comma separated via-parms) and returns a list of :class:`Via`. Offsets (``start``, ``end``,
``params_start``) are absolute offsets into ``data`` so lumps can add ``;received=`` or
``;rport=`` later without re-parsing. The parameter run is validated at parse time but split
into (name, value) pairs only when a parameter is first read. ``transport`` is uppercased.
"""

from __future__ import annotations

import re

from .errors import SipParseError
from .hdr_params import (
    Params,
    check_params,
    get_param,
    has_param,
    param_spans,
    parse_params,
    split_commas,
)

_T = rb"[A-Za-z0-9.!%*_+`'~-]+"
_W = rb"[ \t\r\n]*"
_VIA_RE = re.compile(
    rb"("
    + _T
    + rb")"
    + _W
    + rb"/"
    + _W
    + rb"("
    + _T
    + rb")"
    + _W
    + rb"/"
    + _W
    + rb"("
    + _T
    + rb")[ \t\r\n]+(\[[0-9A-Fa-f:.]+\]|[^ \t\r\n:;\[\],\"<>]+)"
    + rb"(?:"
    + _W
    + rb":"
    + _W
    + rb"([0-9]{1,5}))?(?=[ \t\r\n;]|\Z)"
)
# the plain "SIP/2.0/UDP host[:port];simple=params" case without blanks around '/' and ':'
# and without quotes: one match parses sent-protocol/sent-by and validates the params
_VIA_FAST_RE = re.compile(
    rb"(SIP)/(2\.0)/(" + _T + rb") (\[[0-9A-Fa-f:.]+\]|[^ \t\r\n:;\[\],\"<>]+)"
    rb"(?::([0-9]{1,5}))?(?=[ \t\r\n;]|\Z)"
    rb'((?:[ \t]*;[ \t]*[^ \t\r\n;=,"<>]+(?:[ \t]*=[ \t]*[^ \t\r\n;,"<>]*)?)*)[ \t]*\Z'
)
_NUM_PARAM_RE = re.compile(rb"(?i);[ \t\r\n]*(?:rport|ttl)[ \t\r\n]*=")
# the hot case of a whole Via header value, leading/trailing blanks included: one via-parm,
# an upper-case common transport, a plain host, params without blanks or quotes
_VIA_HOT_RE = re.compile(
    rb"[ \t]*(SIP/2\.0/(UDP|TCP|TLS|SCTP|WSS|WS) (\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)"
    rb"(?::([0-9]{1,5}))?((?:;[A-Za-z0-9.!%*_+`'~-]+(?:=[^ \t\r\n;,\"<>]*)?)*))[ \t]*\Z"
)
_TRANSPORTS = {t.encode(): t for t in ("UDP", "TCP", "TLS", "SCTP", "WS", "WSS")}


class Via:
    """One via-parm: ``SIP/2.0/UDP host:port;branch=...;rport;received=...``.

    ``host`` keeps IPv6 brackets as written (``[2001:db8::1]``), ``host_bare`` drops them.
    ``port`` is None when absent. ``params`` is the ordered list of (name, value-or-None) as
    written. ``start``/``end`` delimit the via-parm text in the message buffer,
    ``params_start`` is where its parameters begin (just after host[:port]).
    """

    __slots__ = (
        "_data",
        "_params",
        "end",
        "host",
        "params_start",
        "port",
        "protocol",
        "start",
        "transport",
        "version",
    )

    def __init__(
        self,
        protocol: str,
        version: str,
        transport: str,
        host: str,
        port: int | None,
        params: Params | None,
        start: int,
        end: int,
        params_start: int,
        data: bytes,
    ) -> None:
        self.protocol = protocol
        self.version = version
        self.transport = transport
        self.host = host
        self.port = port
        self._params = params
        self.start = start
        self.end = end
        self.params_start = params_start
        self._data = data

    def __repr__(self) -> str:
        return f"Via({self.text!r})"

    @property
    def params(self) -> Params:
        """(name, value or None) pairs in message order, names as written."""
        p = self._params
        if p is None:
            p = self._params = parse_params(self._data, self.params_start, self.end)
        return p

    @property
    def text(self) -> str:
        """The via-parm as written in the message."""
        return self._data[self.start : self.end].decode("utf-8", "surrogateescape")

    @property
    def host_bare(self) -> str:
        """Host without IPv6 brackets."""
        h = self.host
        return h[1:-1] if h[:1] == "[" else h

    @property
    def sent_by(self) -> str:
        """host[:port] as in the message."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def param(self, name: str) -> str | None:
        """Value of parameter ``name`` (lowercase), None if absent or valueless."""
        return get_param(self.params, name)

    def has_param(self, name: str) -> bool:
        """True when parameter ``name`` (lowercase) is present, with or without a value."""
        return has_param(self.params, name)

    @property
    def branch(self) -> str | None:
        if self._params is None:  # not split yet: look for this one parameter only
            seg = self._data[self.params_start : self.end]
            if b" " not in seg and b"\t" not in seg:
                # a checked simple run without blanks is exactly (;name[=value])*
                for p in seg.split(b";")[1:]:
                    name, eq, value = p.partition(b"=")
                    if name.lower() == b"branch":
                        return value.decode("utf-8", "surrogateescape") if eq else None
                return None
        return get_param(self.params, "branch")

    def may_have(self, name: bytes) -> bool:
        """False when the parameters are not split yet and their text does not hold
        ``name`` (lowercase bytes) in any case: that parameter is surely absent, no split
        needed (the hot path asks for rport and received, usually absent). True means
        "maybe": look it up."""
        return self._params is not None or name in self._data[self.params_start : self.end].lower()

    @property
    def received(self) -> str | None:
        if not self.may_have(b"received"):
            return None
        return get_param(self.params, "received")

    @property
    def has_rport(self) -> bool:
        """True when ``rport`` is present, with or without a value."""
        if self._params is None:
            seg = self._data[self.params_start : self.end].lower()
            if b"rport" not in seg:
                return False
            if b" " not in seg and b"\t" not in seg:
                # a checked simple run without blanks is exactly (;name[=value])* and no
                # value holds a ';': a name is a ';'-led word followed by ';', '=' or the end
                seg += b";"
                return b";rport;" in seg or b";rport=" in seg
        return has_param(self.params, "rport")

    @property
    def rport(self) -> int | None:
        """The rport value when one is given (``;rport=5060``); None for bare ``;rport``."""
        if not self.may_have(b"rport"):
            return None
        v = get_param(self.params, "rport")
        return int(v) if v else None

    @property
    def maddr(self) -> str | None:
        return get_param(self.params, "maddr")

    @property
    def ttl(self) -> int | None:
        v = get_param(self.params, "ttl")
        return int(v) if v else None

    @property
    def has_alias(self) -> bool:
        return has_param(self.params, "alias")

    @property
    def i(self) -> str | None:
        """Kamailio's ``i`` param (connection id hint) when present."""
        return get_param(self.params, "i")

    def param_span(self, name: str) -> tuple[int, int] | None:
        """Absolute (start, end) of ``;name[=value]`` in the buffer, or None if absent."""
        for n, s, e in param_spans(self._data, self.params_start, self.end):
            if n == name:
                return s, e
        return None


def _check_numbers(params: Params, offset: int) -> None:
    for name, limit in (("rport", 65535), ("ttl", 255)):
        v = get_param(params, name)
        if v:
            if not v.isdigit() or not v.isascii() or len(v) > 5 or int(v) > limit:
                raise SipParseError(f"bad {name} value {v!r}", offset=offset)


def _parse_one(data: bytes, s: int, e: int) -> Via:
    m = _VIA_FAST_RE.match(data, s, e)
    params: Params | None
    if m is not None:
        pb = m.start(6)
        params = None if pb < e else []
    else:
        m = _VIA_RE.match(data, s, e)
        if m is None:
            raise SipParseError(
                f"bad via-parm {data[s:e][:60].decode('utf-8', 'surrogateescape')!r}", offset=s
            )
        pb = m.end()
        params = check_params(data, pb, e)
    if pb < e and _NUM_PARAM_RE.search(data, pb, e) is not None:
        if params is None:
            params = parse_params(data, pb, e)
        _check_numbers(params, s)
    port_b = m.group(5)
    port = None
    if port_b is not None:
        port = int(port_b)
        if port > 65535:
            raise SipParseError(f"bad port {port_b.decode()!r}", offset=m.start(5))
    transport = m.group(3).decode()
    return Via(
        m.group(1).decode(),
        m.group(2).decode(),
        transport if transport.isupper() else transport.upper(),
        m.group(4).decode("utf-8", "surrogateescape"),
        port,
        params,
        s,
        e,
        pb,
        data,
    )


def fast_via(data: bytes, start: int, end: int) -> list[Via] | None:
    """The hot case of ``parse_via`` (see ``_VIA_HOT_RE``) in one regex match, or None when
    the value has another shape (``parse_via`` then takes it, with the same result for the
    values this accepts). ``start``/``end`` may include surrounding blanks."""
    if data.find(b",", start, end) != -1:
        return None  # a list of via-parms (the regex never matches one): no failed match
    m = _VIA_HOT_RE.match(data, start, end)
    if m is None:
        return None
    s, e = m.span(1)
    pb = m.start(5)
    if pb < e and _NUM_PARAM_RE.search(data, pb, e) is not None:
        return None  # rport=/ttl= values are checked by the careful path
    port_b = m.group(4)
    port = None
    if port_b is not None:
        port = int(port_b)
        if port > 65535:
            return None
    return [
        Via(
            "SIP",
            "2.0",
            _TRANSPORTS[m.group(2)],
            m.group(3).decode(),
            port,
            None if pb < e else [],
            s,
            e,
            pb,
            data,
        )
    ]


def parse_via(data: bytes, start: int, end: int) -> list[Via]:
    """Parse a Via header value in data[start:end] into one Via per comma element."""
    if data.find(b",", start, end) < 0 and start < end and data[start] not in b" \t\r\n":
        while end > start and data[end - 1] in b" \t\r\n":
            end -= 1
        return [_parse_one(data, start, end)]
    spans = split_commas(data, start, end)
    if not spans:
        raise SipParseError("empty Via", offset=start)
    return [_parse_one(data, s, e) for s, e in spans]
