"""Via rules: the Via we add when forwarding, received/rport on receipt, where replies go.

What Kamailio 5.6 does, checked against the installed binary
(tests/unit/sip/test_via_kamailio.py):

* **Our Via** (`build_via`): ``Via: SIP/2.0/<PROTO> host:port;branch=z9hG4bK...``
  with the port always written, the advertised address/port when set, and
  ``;rport`` appended last when ``local_rport`` / ``add_local_rport()`` is on.
* **received** (`via_fix`): added when the top Via host, compared as text
  (IPv6 brackets dropped, case-insensitively) differs from the source IP,
  *or* when the Via carries an ``rport`` parameter.  Its value is the source
  IP without brackets (``received=::1``).  ``force_rport`` does not by
  itself add received.
* **rport**: filled with the source port when the Via has ``rport`` (with
  or without a value: a value is overwritten), or added when
  ``force_rport()`` / ``force_rport=yes``.
* **Placement when forwarding** (`add_via_fix_lumps`): a parameter that is
  already there is replaced in place (from its ``;`` to the end of its
  value); a new received is inserted at the first ``;`` of the Via params
  (or after host[:port] when there are none), a new rport just before the
  received (new or replaced).
* **Placement in a local reply** (`reply_via1_edits`): rport replaced in
  place; a forced rport and then received are appended at the end of the
  top Via.  Kamailio appends a second ``received`` when one is already
  there and, with two Vias on one line, appends after the *second* one; we
  replace an existing received in place and always edit the top Via.
* **Reply destination** (`reply_address`): over the receiving connection for
  stream transports; otherwise the source IP (or, with ``reply_to_via``,
  the Via host: Kamailio ignores maddr and received there) and the source
  port when rport is in the Via or forced, else the Via port, else 5060
  (5061 for TLS).
* **Forwarding a received reply** (`forward_reply_address`, on the second
  Via): the ``received`` address if there is one, else the Via host; the
  ``rport`` value if it has one, else the Via port, else the default port.
  ``maddr`` is ignored, as Kamailio does.
"""

from __future__ import annotations

import functools
import hashlib
import re

from .hdr_params import param_spans
from .hdr_via import Via
from .lumps import LumpList

__all__ = [
    "MAGIC_COOKIE",
    "ViaFix",
    "add_via_fix_lumps",
    "build_via",
    "cookie_branch",
    "default_port",
    "forward_reply_address",
    "forward_via1_edits",
    "host_matches_ip",
    "reply_address",
    "reply_via1_edits",
    "reply_via1_fix",
    "reply_via1_fix_edits",
    "stateless_branch",
    "via_fix",
    "via_prefix",
]

MAGIC_COOKIE = "z9hG4bK"
_md5 = functools.partial(hashlib.md5, usedforsecurity=False)
STREAM_PROTOS = frozenset({"TCP", "TLS", "SCTP", "WS", "WSS"})


def default_port(transport: str) -> int:
    """The port a sent-by without one means: 5061 for TLS/WSS, else 5060."""
    return 5061 if transport.upper() in ("TLS", "WSS") else 5060


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# (transport, host, port) -> b"Via: SIP/2.0/<T> host:port;branch=": our Via's constant
# start, the same for every message sent from one socket (bounded, cleared when full)
_PREFIXES: dict[tuple[str, str, int], bytes] = {}
_PREFIXES_MAX = 1024


def via_prefix(transport: str, host: str, port: int) -> bytes:
    """``Via: SIP/2.0/<TRANSPORT> host:port;branch=`` as bytes (IPv6 in brackets): what
    `build_via` writes before the branch, made once per socket address."""
    key = (transport, host, port)
    found = _PREFIXES.get(key)
    if found is None:
        text = f"Via: SIP/2.0/{transport.upper()} {_bracket(host)}:{port};branch="
        found = text.encode("utf-8", "surrogateescape")
        if len(_PREFIXES) >= _PREFIXES_MAX:
            _PREFIXES.clear()
        _PREFIXES[key] = found
    return found


def build_via(
    transport: str,
    host: str,
    port: int,
    branch: str,
    *,
    rport: bool = False,
    extra_params: str = "",
) -> bytes:
    """Our Via header line (with CRLF) for a request we forward.

    ``host``/``port`` are the sending socket's address or the advertised ones;
    an IPv6 address is written in brackets.  ``extra_params`` (e.g. ``;i=3``)
    go after the branch, ``;rport`` (local_rport) last.
    """
    tail = (branch + extra_params).encode("utf-8", "surrogateescape")
    return via_prefix(transport, host, port) + tail + (b";rport\r\n" if rport else b"\r\n")


def stateless_branch(via1: Via | None, callid: str | None, cseq_num: int | None, ruri: str) -> str:
    """A branch for stateless forwarding, the same for every retransmission (RFC 3261 16.11).

    Derived from the top Via (its branch, or its text when the branch lacks the
    magic cookie), Call-ID, CSeq number and the outgoing Request-URI.
    """
    branch = via1.branch if via1 is not None else None
    if branch is not None and branch.startswith(MAGIC_COOKIE):
        return cookie_branch(branch, via1.sent_by, ruri)  # type: ignore[union-attr]
    top = via1.text if via1 is not None else ""
    seed = f"{top}|{callid}|{cseq_num}|{ruri}"
    return MAGIC_COOKIE + "sr" + _md5(seed.encode("utf-8", "surrogateescape")).hexdigest()


def cookie_branch(branch: str, sent_by: str, ruri: str) -> str:
    """`stateless_branch` of a top Via whose branch (``branch``, with the magic cookie)
    and sent-by are known: the Call-ID and CSeq do not enter it."""
    seed = f"{branch}|{sent_by}|{ruri}".encode("utf-8", "surrogateescape")
    return MAGIC_COOKIE + "sr" + _md5(seed).hexdigest()


def host_matches_ip(host: str, src_ip: str) -> bool:
    """Kamailio's test: the Via host, as text without IPv6 brackets, equals the source IP."""
    if host[:1] == "[" and host[-1:] == "]":
        host = host[1:-1]
    return host.lower() == src_ip.lower()


class ViaFix:
    """What receiving a request changes in its top Via: the received and rport values."""

    __slots__ = ("received", "rport")

    def __init__(self, received: str | None, rport: int | None) -> None:
        self.received = received
        self.rport = rport

    def __bool__(self) -> bool:
        return self.received is not None or self.rport is not None

    def __repr__(self) -> str:
        return f"ViaFix(received={self.received!r}, rport={self.rport!r})"


_BLANK_OR_QUOTE = re.compile(rb'[ \t\r\n"]')


def _rport_received_spans(via: Via) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Written spans (';' .. value end) of the first ``rport`` and the first ``received``
    parameter of ``via`` (names compared case-insensitively), None where absent.

    A parsed Via's parameter run is valid, so when it holds no blanks and no quotes it is
    exactly ``(;name[=value])*`` and a split finds the spans; otherwise ``param_spans``."""
    data = via._data
    ps = via.params_start
    end = via.end
    if ps >= end:
        return None, None
    rport = recv = None
    seg = data[ps:end]
    if seg[:1] == b";" and _BLANK_OR_QUOTE.search(seg) is None:
        # no value holds a ';': each parameter is a ';'-led name up to the next ';'
        low = seg.lower()
        return _simple_span(low, b";rport", ps), _simple_span(low, b";received", ps)
    for name, start, stop in param_spans(data, ps, end):
        if name == "rport" and rport is None:
            rport = (start, stop)
        elif name == "received" and recv is None:
            recv = (start, stop)
    return rport, recv


def _simple_span(low: bytes, name: bytes, base: int) -> tuple[int, int] | None:
    """Span (offset ``base`` added) of the first ``;name`` or ``;name=value`` parameter in a
    lowercased simple parameter run (``(;name[=value])*``, no blanks or quotes), or None."""
    n = len(name)
    i = low.find(name)
    while i >= 0:
        j = i + n
        if j == len(low) or low[j] == 59 or low[j] == 61:  # ';' or '='
            e = low.find(b";", j)
            return base + i, base + (len(low) if e < 0 else e)
        i = low.find(name, j)
    return None


def via_fix(via: Via, src_ip: str, src_port: int, *, force_rport: bool = False) -> ViaFix:
    """RFC 3261 18.2.1 + RFC 3581 as Kamailio applies them to a received request."""
    has_rport = via.may_have(b"rport") and _rport_received_spans(via)[0] is not None
    return _fix(via, has_rport, src_ip, src_port, force_rport)


def _fix(via: Via, has_rport: bool, src_ip: str, src_port: int, force_rport: bool) -> ViaFix:
    ip = src_ip[1:-1] if src_ip[:1] == "[" else src_ip
    received = ip if has_rport or not host_matches_ip(via.host, ip) else None
    rport = src_port if has_rport or force_rport else None
    return ViaFix(received, rport)


def _spans(via: Via, fix: ViaFix) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Written spans (';' .. value end) of the rport and received params that ``fix``
    rewrites in place (None for a param that is absent or that ``fix`` leaves alone)."""
    if fix.rport is None and fix.received is None:
        return None, None
    return _wanted(fix, *_rport_received_spans(via))


def _wanted(
    fix: ViaFix, rport: tuple[int, int] | None, recv: tuple[int, int] | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    return (rport if fix.rport is not None else None), (recv if fix.received is not None else None)


def _anchor(via: Via) -> int:
    """Where new Via params go when forwarding: the first ';' of the params, or after host:port."""
    data = via._data
    pos = data.find(b";", via.params_start, via.end)
    return pos if pos >= 0 else via.params_start


def add_via_fix_lumps(lumps: LumpList, via: Via, fix: ViaFix) -> None:
    """Record ``fix`` as lumps on ``via`` the way Kamailio writes them in a forwarded request."""
    if not fix:
        return
    for start, end, data in _forward_edits(via, fix, *_spans(via, fix)):
        what = "Via rport" if data.startswith(b";rport") else "Via received"
        lumps.replace(start, end, data, what=what)


def forward_via1_edits(
    via: Via, src_ip: str, src_port: int, *, force_rport: bool = False
) -> list[tuple[int, int, bytes]]:
    """The edits (start, end, new bytes; offsets into the message) that
    ``add_via_fix_lumps(lumps, via, via_fix(via, src_ip, src_port, force_rport=...))``
    records, in the order the lumps apply them (by offset; at one offset, as recorded),
    from at most one scan of the Via parameters (the stateless forward's hot path
    splices them itself, sip/lumps.splice)."""
    if via.may_have(b"rport"):
        rport, recv = _rport_received_spans(via)
        fix = _fix(via, rport is not None, src_ip, src_port, force_rport)
    else:
        fix = _fix(via, False, src_ip, src_port, force_rport)
        if not fix:
            return []
        # no rport parameter: only a received parameter can be there to replace
        rport = recv = None
        if fix.received is not None and via.may_have(b"received"):
            recv = _rport_received_spans(via)[1]
    if not fix:
        return []
    edits = _forward_edits(via, fix, *_wanted(fix, rport, recv))
    if len(edits) > 1:
        edits.sort(key=_start)  # stable: at one offset, in the order recorded
    return edits


def _start(edit: tuple[int, int, bytes]) -> int:
    return edit[0]


def _forward_edits(
    via: Via, fix: ViaFix, rport_span: tuple[int, int] | None, recv_span: tuple[int, int] | None
) -> list[tuple[int, int, bytes]]:
    """The forwarded request's edits of ``via`` for ``fix``, in Kamailio's order: a new
    rport goes just before received (the new one at the anchor, or the old one replaced
    in place), then an rport replaced in place."""
    anchor = -1
    edits: list[tuple[int, int, bytes]] = []
    if fix.rport is not None and rport_span is None:
        if recv_span is not None:
            at = recv_span[0]
        else:
            at = anchor = _anchor(via)
        edits.append((at, at, b";rport=%d" % fix.rport))
    if fix.received is not None:
        value = f";received={fix.received}".encode()
        if recv_span is not None:
            edits.append((recv_span[0], recv_span[1], value))
        else:
            if anchor < 0:
                anchor = _anchor(via)
            edits.append((anchor, anchor, value))
    if rport_span is not None:
        edits.append((rport_span[0], rport_span[1], b";rport=%d" % fix.rport))  # type: ignore[str-format]
    return edits


def reply_via1_edits(via: Via, fix: ViaFix) -> list[tuple[int, int, bytes]]:
    """Edits (start, end, new bytes; offsets into the message) of the top Via for a local reply."""
    if not fix:
        return []
    return _edits(via, fix, *_spans(via, fix))


def reply_via1_fix_edits(
    via: Via, src_ip: str, src_port: int, *, force_rport: bool = False
) -> list[tuple[int, int, bytes]]:
    """``reply_via1_edits(via, via_fix(via, src_ip, src_port, force_rport=...))`` with at
    most one scan of the Via parameters (the stateless reply's hot path)."""
    return reply_via1_fix(via, src_ip, src_port, force_rport=force_rport)[0]


def reply_via1_fix(
    via: Via, src_ip: str, src_port: int, *, force_rport: bool = False
) -> tuple[list[tuple[int, int, bytes]], bool]:
    """(`reply_via1_fix_edits`, whether the Via has an ``rport`` parameter) from one scan of
    the parameters: the second part is ``via.has_rport``, which `reply_address` needs."""
    if not via.may_have(b"rport"):
        # the usual Via (no rport, host = source address) needs no edit: decided without
        # locating the parameters
        ip = src_ip[1:-1] if src_ip[:1] == "[" else src_ip
        if not force_rport and host_matches_ip(via.host, ip):
            return [], False
        fix = _fix(via, False, src_ip, src_port, force_rport)
        return _edits(via, fix, *_wanted(fix, *_rport_received_spans(via))), False
    rport, recv = _rport_received_spans(via)
    has_rport = rport is not None
    if rport is not None and recv is None and src_ip[:1] != "[":
        # the common NAT case (";rport", no received): rport filled in place, received
        # appended at the end of the Via
        # (the rport span lies inside the Via, so these two are in offset order)
        return [
            (rport[0], rport[1], b";rport=%d" % src_port),
            (via.end, via.end, b";received=" + src_ip.encode()),
        ], True
    fix = _fix(via, has_rport, src_ip, src_port, force_rport)
    if not fix:
        return [], has_rport
    return _edits(via, fix, *_wanted(fix, rport, recv)), has_rport


def _edits(
    via: Via, fix: ViaFix, rport_span: tuple[int, int] | None, recv_span: tuple[int, int] | None
) -> list[tuple[int, int, bytes]]:
    edits: list[tuple[int, int, bytes]] = []
    tail: list[bytes] = []
    if fix.rport is not None:
        value = b";rport=%d" % fix.rport
        if rport_span is not None:
            edits.append((rport_span[0], rport_span[1], value))
        else:
            tail.append(value)
    if fix.received is not None:
        value = f";received={fix.received}".encode()
        if recv_span is not None:
            edits.append((recv_span[0], recv_span[1], value))
        else:
            tail.append(value)
    if tail:
        edits.append((via.end, via.end, b"".join(tail)))
    if len(edits) > 1:
        edits.sort()
    return edits


def reply_address(
    via: Via,
    src_ip: str,
    src_port: int,
    transport: str,
    *,
    force_rport: bool = False,
    reply_to_via: bool = False,
    has_rport: bool | None = None,
) -> tuple[str, int]:
    """(host, port) a local reply to a request is sent to (RFC 3261 18.2.2, RFC 3581).

    ``host`` may be a name when ``reply_to_via`` picks the Via host; the
    transport layer resolves it.  For TCP/TLS/SCTP/WS the reply goes back
    over the connection the request came in on, i.e. to the source.
    ``has_rport`` is ``via.has_rport`` when the caller knows it already.
    """
    proto = transport.upper()
    if proto in STREAM_PROTOS:
        return src_ip, src_port
    if reply_to_via:
        host = via.host_bare  # Kamailio ignores the Via's maddr and received here
    else:
        host = src_ip
    if has_rport is None:
        has_rport = via.has_rport
    if has_rport or force_rport:
        port = src_port
    else:
        port = via.port if via.port is not None else default_port(via.transport)
    return host, port


def forward_reply_address(via: Via) -> tuple[str, int]:
    """(host, port) a reply is forwarded to, from the Via below ours (Kamailio's rules)."""
    host = via.received or via.host_bare
    rport = via.rport
    if rport:
        return host, rport
    return host, via.port if via.port is not None else default_port(via.transport)
