"""SIP message parsing, sans-I/O: ``parse_message(bytes) -> SipMessage``, lazily.

Public API (stable; additions only)
-----------------------------------
``parse_message(data, *, transport="udp", tcp_accept_no_cl=False, parser_mode=0) -> SipMessage``
    Parses the start line and builds a header index (id, raw name, offsets) in one pass; no
    header value is parsed until asked for, and each at most once (cached). Raises only
    :class:`~siprouter.sip.errors.SipParseError` (``reason``, suggested ``status``).
    ``transport`` is ``udp``/``tcp``/``tls``/``sctp``/``ws``/``wss``: on ``tcp``/``tls``
    (stream transports) a Content-Length is required unless ``tcp_accept_no_cl``; elsewhere a
    missing Content-Length means "the body is the rest of the datagram". A Content-Length
    larger than the data is an error, a smaller one truncates (``msg.data`` then ends with the
    body). ``parser_mode`` is Kamailio's ``sip_parser_mode`` (the core default is 1); bit 1
    (``PARSER_MODE_STRICT``) rejects duplicate From/To/Call-ID/CSeq/Content-Length/
    Max-Forwards headers; in lenient mode the first one counts, except that a repeated
    Max-Forwards is refused in both modes (both as Kamailio 5.6.3 does, see
    tests/unit/sip/test_message_kamailio.py). Leading CRLFs before the start line are
    skipped (RFC 3261 7.5), trailing blanks after ``SIP/2.0`` on a request line ignored;
    CRLF-only input is a keep-alive, not a message: check with ``is_keepalive`` first.
``is_keepalive(data) -> bool``
    True for CRLF keep-alives (``\\r\\n``, ``\\r\\n\\r\\n``, any CR/LF-only data).
``frame_length(buf, *, accept_no_cl=False) -> int | None``
    For stream transports: how many bytes at the start of ``buf`` form one unit: a keep-alive
    (2 for a CRLF pong, 4 for a CRLFCRLF ping; a lone ``\\r\\n``/``\\r\\n\\r`` waits for more)
    or one whole message (headers + Content-Length body). None means "need more bytes".
    Raises SipParseError when the headers exceed ``MAX_HEADER_BYTES`` or Content-Length is
    missing (unless ``accept_no_cl``: then the body is taken as empty) or malformed.

``SipMessage`` (``__slots__``; all offsets are absolute offsets into ``msg.data``)
    ``data`` (bytes, the source of truth), ``transport``, ``is_request``, ``method`` (str; for
    replies the CSeq method), ``ruri`` (str, requests) with ``ruri_start``/``ruri_end``,
    ``status`` (int, replies; 0 for requests), ``reason`` (bytes), ``version`` (str),
    ``first_line`` (bytes) with ``first_line_start`` / ``first_line_end`` (offset of its
    line terminator), ``headers_start``, ``headers_end``
    (offset of the empty line), ``body_start``, ``body_end``, ``body`` (bytes),
    ``content_length`` (int or None when absent).
    Routing accessors (parsed on first use, cached): ``via1`` / ``via2`` / ``vias``
    (``hdr_via.Via``; its ``;params`` are checked at once and split on first read),
    ``from_`` / ``to`` (``hdr_nameaddr.NameAddr``: ``tag``, ``display``, ``uri_text``, ``uri``),
    ``callid`` (str), ``cseq`` (``hdr_cseq.CSeq``: ``num``, ``method``), ``max_forwards``
    (int or None), ``contacts`` (list of NameAddr; a ``*`` Contact has ``star`` True),
    ``routes``, ``record_routes``, ``path``, ``pai`` (P-Asserted-Identity), ``ppi``,
    ``diversion``, ``service_routes``, ``refer_to``, ``referred_by``, ``expires``,
    ``min_expires``, ``session_expires`` (``hdr_misc.SessionExpires``),
    ``content_type`` (``hdr_misc.ContentType``), ``event``
    (``hdr_misc.Event``), ``supported`` / ``require`` / ``proxy_require`` / ``unsupported`` /
    ``allow`` / ``allow_events`` (lists of str), ``authorization`` / ``proxy_authorization``
    (lists of ``hdr_auth.Credentials``), ``www_authenticate`` / ``proxy_authenticate``
    (lists of ``hdr_auth.Challenge``), ``user_agent``, ``server`` (str or None).
    Every absent single header reads as None, every absent list header as [].
    Generic access: ``header(name) -> bytes | None`` (first value, whitespace trimmed, folding
    turned into single spaces), ``headers(name) -> list[bytes]`` (one per header line),
    ``values(name) -> list[bytes]`` (list headers split at top-level commas), ``has_header``,
    ``header_fields`` (list of ``HeaderField``: ``hid``, ``name`` as written, ``start``/``end``
    of the whole line incl. its CRLF, ``value_start``/``value_end``, ``index``, ``value``),
    ``parsed(index)`` (the parsed form of one header field, by its index),
    ``header_ids`` / ``header_offsets()`` (the index as two lists, no per-header objects:
    ids, and line starts plus ``headers_end``; for lumps on the hot path),
    ``check_mandatory() -> SipParseError | None`` (what a proxy must reject with 400),
    ``parse_all()`` (parse every header with a known form; raises the first error).
    ``len(msg)`` is the number of header fields.
    Names are looked up case-insensitively, long or compact form (``headers.lookup``).
    Errors in one header's value raise SipParseError naming the header when that value is read.

Text: str values are decoded as UTF-8 with ``surrogateescape`` so any byte survives a round
trip (``s.encode("utf-8", "surrogateescape")``).

Where we differ from Kamailio 5.6.3 on purpose (RFC 3261 / RFC 4475 "should" items the
brief asked for): a Content-Length beyond the datagram is an error (Kamailio accepts it);
``check_mandatory`` flags a CSeq number above 2**32-1 and a Max-Forwards that is not
0..255 (Kamailio's core parser lets both through).

Speed: the index is built with C-level bytes operations (``find``, ``split``, ``partition``,
dict lookups; one ``re.findall`` over the block measured slower). The routing accessors try
one compiled regex for the common shape of their header (``hdr_via.fast_via``,
``hdr_nameaddr.fast_nameaddr``, the CSeq / Call-ID / Max-Forwards checks below) and fall back
to the careful parsers otherwise, with the same result for what the fast path accepts
(tests/unit/sip/test_message_fast.py). Numbers and where the time goes:
``bench/sip_bench.py --breakdown``.

Limits (fail fast, bounded memory): ``MAX_MESSAGE_BYTES`` (256 KiB) per message,
``MAX_HEADER_BYTES`` (64 KiB) before the empty line, ``MAX_HEADERS`` (512) header lines,
``MAX_LINE_BYTES`` (16 KiB) per line; exceeding one gives status 513 (message too large).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import partial
from itertools import accumulate, repeat
from operator import add, itemgetter
from typing import Any

from . import headers as H
from .errors import SipParseError
from .hdr_auth import Challenge, Credentials, parse_challenge, parse_credentials
from .hdr_cseq import CSeq, parse_cseq
from .hdr_misc import (
    ContentType,
    Event,
    parse_callid,
    parse_content_type,
    parse_event,
    parse_expires,
    parse_max_forwards,
    parse_session_expires,
    parse_token_list,
    parse_uint,
)
from .hdr_nameaddr import NameAddr, fast_nameaddr, parse_nameaddr, parse_nameaddr_list
from .hdr_params import split_commas, unfold
from .hdr_via import Via, fast_via, parse_via

__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_BYTES",
    "MAX_LINE_BYTES",
    "MAX_MESSAGE_BYTES",
    "PARSER_MODE_STRICT",
    "STREAM_TRANSPORTS",
    "HeaderField",
    "SipMessage",
    "SipParseError",
    "frame_length",
    "is_keepalive",
    "parse_message",
]

MAX_MESSAGE_BYTES = 256 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 512
MAX_LINE_BYTES = 16 * 1024
PARSER_MODE_STRICT = 1
STREAM_TRANSPORTS = frozenset({"tcp", "tls"})

_METHOD_RE = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+\Z")
_CL_RE = re.compile(rb"(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_METHODS = {
    m.encode(): m
    for m in [
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "REGISTER",
        "SUBSCRIBE",
        "NOTIFY",
        "PUBLISH",
        "MESSAGE",
        "INFO",
        "PRACK",
        "UPDATE",
        "REFER",
        "KDMQ",
    ]
}
_CTL = re.compile(rb"[\x00-\x20\x7f]")
# the hot CSeq shape (applied to the header line after the ':'): up to 9 digits (so always
# within 2**32-1), one space, a method; anything else goes to hdr_cseq.parse_cseq
# the hot request line: a known method, a Request-URI without blanks or controls, CRLF
_REQ_LINE_HOT_RE = re.compile(rb"([A-Z]+) ([^\x00-\x20\x7f]+) SIP/2\.0\r\n")
_CSEQ_HOT_RE = re.compile(rb"[ \t]*([0-9]{1,9}) ([A-Z]+)[ \t]*\Z")

_NAME_TO_ID = H.NAME_TO_ID
_RAW_NAME_TO_ID = H.RAW_NAME_TO_ID
VIA_ID = H.VIA
FROM_ID = H.FROM
TO_ID = H.TO
CALL_ID_ID = H.CALL_ID
CSEQ_ID = H.CSEQ
MAX_FORWARDS_ID = H.MAX_FORWARDS
CONTENT_LENGTH_ID = H.CONTENT_LENGTH
_WS = b" \t\r\n"
_WSI = (32, 9, 13, 10)
_BAD_NAME = re.compile(rb"[\x00-\x20\x7f\"(),/:;<=>?@\[\\\]{}]")
_partition = bytes.partition
_lower = bytes.lower
_ig0 = itemgetter(0)
_ig1 = itemgetter(1)
_new = object.__new__
_add2 = partial(add, 2)
_UNIQUE = H.UNIQUE_HEADERS
_LIST = H.LIST_HEADERS


def _contact_list(data: bytes, start: int, end: int) -> list[NameAddr]:
    return parse_nameaddr_list(data, start, end, True)


def _min_se(data: bytes, start: int, end: int) -> Any:
    return parse_session_expires(data, start, end)


def _text_value(data: bytes, start: int, end: int) -> str:
    return unfold(data[start:end].strip(_WS)).decode("utf-8", "surrogateescape")


#: header id -> function(data, value_start, value_end) returning the parsed form
PARSERS: dict[int, Any] = {
    H.VIA: parse_via,
    H.FROM: parse_nameaddr,
    H.TO: parse_nameaddr,
    H.REFER_TO: parse_nameaddr,
    H.REFERRED_BY: parse_nameaddr,
    H.REPLY_TO: parse_nameaddr,
    H.P_CALLED_PARTY_ID: parse_nameaddr,
    H.CONTACT: _contact_list,
    H.ROUTE: parse_nameaddr_list,
    H.RECORD_ROUTE: parse_nameaddr_list,
    H.PATH: parse_nameaddr_list,
    H.SERVICE_ROUTE: parse_nameaddr_list,
    H.P_ASSERTED_IDENTITY: parse_nameaddr_list,
    H.P_PREFERRED_IDENTITY: parse_nameaddr_list,
    H.P_ASSOCIATED_URI: parse_nameaddr_list,
    H.DIVERSION: parse_nameaddr_list,
    H.REMOTE_PARTY_ID: parse_nameaddr_list,
    H.HISTORY_INFO: parse_nameaddr_list,
    H.CSEQ: parse_cseq,
    H.CALL_ID: parse_callid,
    H.MAX_FORWARDS: parse_max_forwards,
    H.CONTENT_LENGTH: parse_uint,
    H.EXPIRES: parse_expires,
    H.MIN_EXPIRES: parse_expires,
    H.CONTENT_TYPE: parse_content_type,
    H.ALLOW: parse_token_list,
    H.SUPPORTED: parse_token_list,
    H.REQUIRE: parse_token_list,
    H.PROXY_REQUIRE: parse_token_list,
    H.UNSUPPORTED: parse_token_list,
    H.ALLOW_EVENTS: parse_token_list,
    H.EVENT: parse_event,
    H.SESSION_EXPIRES: parse_session_expires,
    H.MIN_SE: _min_se,
    H.AUTHORIZATION: parse_credentials,
    H.PROXY_AUTHORIZATION: parse_credentials,
    H.WWW_AUTHENTICATE: parse_challenge,
    H.PROXY_AUTHENTICATE: parse_challenge,
    H.USER_AGENT: _text_value,
    H.SERVER: _text_value,
    H.SUBJECT: _text_value,
    H.ORGANIZATION: _text_value,
}


#: parsers whose forms carry no buffer offsets: they may run on the header's own line
_LINE_PARSERS: dict[int, Any] = {
    hid: fn
    for hid, fn in PARSERS.items()
    if fn
    in (
        parse_cseq,
        parse_callid,
        parse_max_forwards,
        parse_uint,
        parse_expires,
        parse_content_type,
        parse_token_list,
        parse_event,
        parse_session_expires,
        _min_se,
        parse_credentials,
        parse_challenge,
        _text_value,
    )
}


def is_keepalive(data: bytes) -> bool:
    """True when ``data`` is a CRLF keep-alive (non-empty and only CR/LF bytes)."""
    return bool(data) and not data.strip(b"\r\n")


class HeaderField:
    """One header line of the index (a folded header counts as one field).

    ``start``/``end``: the whole field including its line terminator(s); ``value_start``/
    ``value_end``: the value with surrounding whitespace trimmed (may contain folding).
    """

    __slots__ = ("_data", "end", "hid", "index", "name", "start", "value_end", "value_start")

    def __init__(
        self, data: bytes, index: int, hid: int, name: str, start: int, end: int, vs: int, ve: int
    ) -> None:
        self._data = data
        self.index = index
        self.hid = hid
        self.name = name
        self.start = start
        self.end = end
        self.value_start = vs
        self.value_end = ve

    @property
    def canonical_name(self) -> str:
        """Long canonical name for known headers, else the name as written."""
        return H.ID_TO_NAME[self.hid] if self.hid else self.name

    @property
    def raw(self) -> bytes:
        """The whole header field as written, including its line terminator."""
        return self._data[self.start : self.end]

    @property
    def value(self) -> bytes:
        """The value, trimmed, with folded line breaks turned into single spaces."""
        return unfold(self._data[self.value_start : self.value_end])

    def __repr__(self) -> str:
        return f"HeaderField({self.name!r}, {self.value!r}, {self.start}..{self.end})"


class SipMessage:
    """A parsed SIP request or reply over its raw bytes; see the module docstring.

    Built by ``parse_message`` only. The header index is four parallel lists: ``_lines``
    (each header's text without its final line terminator, folding included), ``_names``
    (text before the first ':', as written), ``_hids`` (header ids) and, computed on first
    use, ``_starts`` (offset of each header line; one extra entry = ``headers_end``).
    """

    __slots__ = (
        "_cache",
        "_first",
        "_hids",
        "_lines",
        "_method",
        "_names",
        "_starts",
        "body_end",
        "body_start",
        "content_length",
        "data",
        "first_line_end",
        "first_line_start",
        "headers_end",
        "headers_start",
        "is_request",
        "reason",
        "ruri",
        "ruri_end",
        "ruri_start",
        "status",
        "transport",
        "version",
    )

    data: bytes
    transport: str
    is_request: bool
    _method: str
    ruri: str | None
    ruri_start: int
    ruri_end: int
    status: int
    reason: bytes
    version: str
    first_line_start: int
    first_line_end: int
    headers_start: int
    headers_end: int
    body_start: int
    body_end: int
    content_length: int | None
    _lines: list[bytes]
    _names: list[bytes]
    _hids: list[int]
    _first: dict[int, int] | None
    _starts: list[int] | None
    _cache: dict[int, Any]

    def __repr__(self) -> str:
        if self.is_request:
            return f"<SipMessage {self._method} {self.ruri} ({len(self.data)} bytes)>"
        return f"<SipMessage {self.status} {self.reason!r} ({len(self.data)} bytes)>"

    # ---- first line / body -------------------------------------------------------------

    @property
    def method(self) -> str:
        """Request method; for a reply the CSeq method ('' if the CSeq is missing)."""
        if self.is_request:
            return self._method
        cs = self.cseq
        return cs.method if cs is not None else ""

    @property
    def body(self) -> bytes:
        return self.data[self.body_start : self.body_end]

    @property
    def first_line(self) -> bytes:
        """The start line without its line terminator."""
        return self.data[self.first_line_start : self.first_line_end]

    # ---- header index ------------------------------------------------------------------

    def _firsts(self) -> dict[int, int]:
        """Header id -> index of its first header field (built on first use)."""
        f = self._first
        if f is None:
            hids = self._hids
            f = self._first = dict(zip(reversed(hids), range(len(hids) - 1, -1, -1), strict=True))
        return f

    def _offsets(self) -> list[int]:
        st = self._starts
        if st is None:
            # CRLF everywhere (the fast path): line i starts after i lines and i CRLFs
            lens = map(_add2, map(len, self._lines))
            st = self._starts = list(accumulate(lens, initial=self.headers_start))
        return st

    @property
    def header_ids(self) -> list[int]:
        """Header id of each header field, in message order (the index's own list: read only)."""
        return self._hids

    def header_offsets(self) -> list[int]:
        """Start offset of each header field in ``data``, plus one last entry: ``headers_end``
        (so field i spans ``[o[i], o[i + 1])`` including its line terminator). Read only."""
        return self._offsets()

    def header_start(self, i: int) -> int:
        """Offset of header field i's line (``header_offsets()[i]``), without building the
        whole offset table for one of the first few headers."""
        st = self._starts
        if st is not None:
            return st[i]
        if i < 8:  # see _span
            return self.headers_start + sum(map(len, self._lines[:i])) + 2 * i
        return self._offsets()[i]

    def replaced(self, start: int, end: int, new: bytes) -> SipMessage:
        """This message with ``data[start:end]`` replaced by ``new`` of the same length (an
        in-place edit, like Kamailio's maxfwd rewriting Max-Forwards in the buffer).

        When the span lies inside one header's value (not Content-Length) and ``new`` holds
        no line break, nothing moves: the copy keeps the header index and the parsed forms
        of the other headers, and parses the edited header again when it is read. Otherwise
        the new bytes are parsed from scratch (``parse_message``, which may raise
        SipParseError). Raises ValueError when the lengths differ or the span is outside."""
        data = self.data
        if len(new) != end - start or not 0 <= start <= end <= len(data):
            raise ValueError("replaced(): the new bytes must fill the span exactly")
        new_data = b"".join((data[:start], new, data[end:]))
        i = -1
        if self.headers_start <= start and end <= self.headers_end and b"\n" not in new:
            offsets = self._offsets()
            i = bisect_right(offsets, start) - 1
            if (
                i < 0
                or i >= len(self._hids)
                or self._hids[i] == CONTENT_LENGTH_ID
                or b"\r" in new
                or start < offsets[i] + len(self._names[i]) + 1
                or end > offsets[i] + len(self._lines[i])
            ):
                i = -1
        if i < 0:
            return parse_message(new_data, transport=self.transport)
        m = _new(SipMessage)
        m.data = new_data
        m.transport = self.transport
        m.is_request = self.is_request
        m._method = self._method
        m.ruri = self.ruri
        m.ruri_start = self.ruri_start
        m.ruri_end = self.ruri_end
        m.status = self.status
        m.reason = self.reason
        m.version = self.version
        m.first_line_start = self.first_line_start
        m.first_line_end = self.first_line_end
        m.headers_start = self.headers_start
        m.headers_end = self.headers_end
        m.body_start = self.body_start
        m.body_end = self.body_end
        m.content_length = self.content_length
        m._names = self._names
        m._hids = self._hids
        m._first = self._first
        m._starts = self._starts
        lines = self._lines.copy()
        off = self._starts[i]  # type: ignore[index] # set by _offsets() above
        lines[i] = new_data[off : off + len(lines[i])]
        m._lines = lines
        cache = self._cache.copy()
        cache.pop(i, None)
        m._cache = cache
        return m

    def _span(self, i: int) -> tuple[int, int]:
        """(value start, value end) of header i, surrounding whitespace trimmed."""
        st = self._starts
        if st is not None:
            base = st[i]
        elif i < 8:  # fast-path index (CRLF, no folds): sum the few lines before this one
            base = self.headers_start + sum(map(len, self._lines[:i])) + 2 * i
        else:
            base = self._offsets()[i]
        data = self.data
        s = base + len(self._names[i]) + 1
        e = base + len(self._lines[i])
        while s < e and data[s] in _WSI:
            s += 1
        while e > s and data[e - 1] in _WSI:
            e -= 1
        return s, e

    def _indices(self, name: str | bytes | int) -> list[int]:
        hids = self._hids
        if isinstance(name, int):
            hid = name
        else:
            if isinstance(name, str):
                name = name.encode("utf-8", "surrogateescape")
            key = name.strip().lower()
            hid = _NAME_TO_ID.get(key, 0)
            if not hid:
                names = self._names
                return [
                    i for i, h in enumerate(hids) if h == 0 and names[i].rstrip(_WS).lower() == key
                ]
        if hid not in self._firsts():
            return []
        return [i for i, h in enumerate(hids) if h == hid]

    def _value(self, i: int) -> bytes:
        s, e = self._span(i)
        return unfold(self.data[s:e])

    def header(self, name: str | bytes | int) -> bytes | None:
        """First value of header ``name`` (any case, long or compact, or a header id)."""
        if isinstance(name, int):
            i = self._firsts().get(name) if name else None
            return None if i is None else self._value(i)
        idx = self._indices(name)
        return self._value(idx[0]) if idx else None

    def headers(self, name: str | bytes | int) -> list[bytes]:
        """All values of header ``name``, one per header line, in message order."""
        return [self._value(i) for i in self._indices(name)]

    def values(self, name: str | bytes | int) -> list[bytes]:
        """Like ``headers`` but list headers are split at top-level commas into elements."""
        out: list[bytes] = []
        data = self.data
        for i in self._indices(name):
            s, e = self._span(i)
            if self._hids[i] in _LIST:
                try:
                    spans = split_commas(data, s, e)
                except SipParseError as exc:
                    raise self._wrap(i, exc) from None
                out.extend(unfold(data[a:b]) for a, b in spans)
            else:
                out.append(unfold(data[s:e]))
        return out

    def has_header(self, name: str | bytes | int) -> bool:
        if isinstance(name, int):
            return name != 0 and name in self._firsts()
        return bool(self._indices(name))

    @property
    def header_fields(self) -> list[HeaderField]:
        """The header index as HeaderField objects, in message order."""
        data = self.data
        st = self._offsets()
        out = []
        for i, hid in enumerate(self._hids):
            vs, ve = self._span(i)
            name = self._names[i].rstrip(_WS).decode("utf-8", "surrogateescape")
            out.append(HeaderField(data, i, hid, name, st[i], st[i + 1], vs, ve))
        return out

    def __len__(self) -> int:
        """Number of header fields."""
        return len(self._hids)

    # ---- parsed forms ------------------------------------------------------------------

    def _wrap(self, i: int, exc: SipParseError, line_relative: bool = False) -> SipParseError:
        hid = self._hids[i]
        if hid:
            hname = H.ID_TO_NAME[hid]
        else:
            hname = self._names[i].rstrip(_WS).decode("utf-8", "surrogateescape")
        off = exc.offset
        if line_relative and off is not None:
            off += self._offsets()[i]
        return SipParseError(f"{hname}: {exc.reason}", exc.status, header=hname, offset=off)

    def parsed(self, i: int) -> Any:
        """Parsed form of header field number ``i`` (cached); raw value bytes for headers
        without a parsed form."""
        cache = self._cache
        if i in cache:
            return cache[i]
        hid = self._hids[i]
        parser = _LINE_PARSERS.get(hid)
        if parser is not None:
            # forms without offsets: parse the header's own line, no offset table needed
            line = self._lines[i]
            try:
                form = parser(line, len(self._names[i]) + 1, len(line))
            except SipParseError as exc:
                raise self._wrap(i, exc, True) from None
        else:
            parser = PARSERS.get(hid)
            st = self._starts
            if st is not None:
                base = st[i]
            elif i < 8:  # see _span
                base = self.headers_start + sum(map(len, self._lines[:i])) + 2 * i
            else:
                base = self._offsets()[i]
            data = self.data
            s = base + len(self._names[i]) + 1
            e = base + len(self._lines[i])
            while s < e and data[s] in _WSI:
                s += 1
            while e > s and data[e - 1] in _WSI:
                e -= 1
            if parser is None:
                form = unfold(self.data[s:e])
            else:
                # a Via in its common shape: one regex (the same form, see fast_via)
                form = fast_via(data, s, e) if hid == VIA_ID else None
                if form is None:
                    try:
                        form = parser(self.data, s, e)
                    except SipParseError as exc:
                        raise self._wrap(i, exc) from None
        cache[i] = form
        return form

    def _one(self, hid: int) -> Any:
        i = self._firsts().get(hid)
        return None if i is None else self.parsed(i)

    def _all(self, hid: int) -> list[Any]:
        hids = self._hids
        if hid not in hids:
            return []
        cache = self._cache
        out: list[Any] = []
        for i, h in enumerate(hids):
            if h == hid:
                form = cache.get(i)
                out.extend(self.parsed(i) if form is None else form)
        return out

    def _each(self, hid: int) -> list[Any]:
        if hid not in self._hids:
            return []
        return [self.parsed(i) for i, h in enumerate(self._hids) if h == hid]

    # The routing accessors try one regex for the common shape of their header first (the
    # ``_hot_*`` helpers); anything else goes through ``parsed`` and the careful parsers,
    # which give the same forms for what the fast path accepts (tests/unit/sip/
    # test_message_fast.py compares both over every test message).

    def _value_bounds(self, i: int) -> tuple[int, int]:
        """(start, end) of header i's value in ``data``: after the ':' up to the end of the
        line, blanks not trimmed."""
        st = self._starts
        if st is not None:
            base = st[i]
        elif i < 8:  # see _span
            base = self.headers_start + sum(map(len, self._lines[:i])) + 2 * i
        else:
            base = self._offsets()[i]
        return base + len(self._names[i]) + 1, base + len(self._lines[i])

    def _hot_via(self, i: int) -> list[Via]:
        s, e = self._value_bounds(i)
        form = fast_via(self.data, s, e)
        if form is None:
            return self.parsed(i)  # type: ignore[no-any-return]
        self._cache[i] = form
        return form

    def _hot_nameaddr(self, i: int) -> NameAddr:
        s, e = self._value_bounds(i)
        data = self.data
        if s < e and data[s] == 32:
            s += 1
        form = None
        if s < e and data[s] not in _WSI and data[e - 1] not in _WSI:
            form = fast_nameaddr(data, s, e)
        if form is None:
            return self.parsed(i)  # type: ignore[no-any-return]
        self._cache[i] = form
        return form

    @property
    def via1(self) -> Via | None:
        """The topmost Via (first element of the first Via header)."""
        hids = self._hids
        if VIA_ID not in hids:
            return None
        i = hids.index(VIA_ID)
        form = self._cache.get(i)
        return (self._hot_via(i) if form is None else form)[0]

    @property
    def via2(self) -> Via | None:
        """The second Via across all Via headers (for reply routing)."""
        vias = self.vias
        return vias[1] if len(vias) > 1 else None

    @property
    def vias(self) -> list[Via]:
        """All Via elements across all Via headers, top first."""
        return self._all(H.VIA)

    @property
    def from_(self) -> NameAddr | None:
        hids = self._hids
        if FROM_ID not in hids:
            return None
        i = hids.index(FROM_ID)
        form = self._cache.get(i)
        return self._hot_nameaddr(i) if form is None else form

    @property
    def to(self) -> NameAddr | None:
        hids = self._hids
        if TO_ID not in hids:
            return None
        i = hids.index(TO_ID)
        form = self._cache.get(i)
        return self._hot_nameaddr(i) if form is None else form

    @property
    def callid(self) -> str | None:
        hids = self._hids
        if CALL_ID_ID not in hids:
            return None
        i = hids.index(CALL_ID_ID)
        form = self._cache.get(i)
        if form is None:
            line = self._lines[i]
            v = line[len(self._names[i]) + 1 :].strip(b" \t")
            if v and b" " not in v and b"\t" not in v and b"\n" not in v and b"\r" not in v:
                form = self._cache[i] = v.decode("utf-8", "surrogateescape")
            else:
                form = self.parsed(i)
        return form  # type: ignore[no-any-return]

    @property
    def cseq(self) -> CSeq | None:
        hids = self._hids
        if CSEQ_ID not in hids:
            return None
        i = hids.index(CSEQ_ID)
        form = self._cache.get(i)
        if form is None:
            m = _CSEQ_HOT_RE.match(self._lines[i], len(self._names[i]) + 1)
            method = None if m is None else _METHODS.get(m.group(2))
            if method is not None:
                form = self._cache[i] = CSeq(int(m.group(1)), method)  # type: ignore[union-attr]
            else:
                form = self.parsed(i)
        return form  # type: ignore[no-any-return]

    @property
    def max_forwards(self) -> int | None:
        hids = self._hids
        if MAX_FORWARDS_ID not in hids:
            return None
        i = hids.index(MAX_FORWARDS_ID)
        form = self._cache.get(i)
        if form is None:
            v = self._lines[i][len(self._names[i]) + 1 :].strip(b" \t")
            if v.isdigit() and len(v) <= 3 and int(v) <= 255:
                form = self._cache[i] = int(v)
            else:
                form = self.parsed(i)
        return form  # type: ignore[no-any-return]

    @property
    def expires(self) -> int | None:
        return self._one(H.EXPIRES)

    @property
    def min_expires(self) -> int | None:
        return self._one(H.MIN_EXPIRES)

    @property
    def content_type(self) -> ContentType | None:
        return self._one(H.CONTENT_TYPE)

    @property
    def event(self) -> Event | None:
        return self._one(H.EVENT)

    @property
    def contacts(self) -> list[NameAddr]:
        return self._all(H.CONTACT)

    @property
    def routes(self) -> list[NameAddr]:
        return self._all(H.ROUTE)

    @property
    def record_routes(self) -> list[NameAddr]:
        return self._all(H.RECORD_ROUTE)

    @property
    def path(self) -> list[NameAddr]:
        return self._all(H.PATH)

    @property
    def service_routes(self) -> list[NameAddr]:
        return self._all(H.SERVICE_ROUTE)

    @property
    def pai(self) -> list[NameAddr]:
        """P-Asserted-Identity entries."""
        return self._all(H.P_ASSERTED_IDENTITY)

    @property
    def ppi(self) -> list[NameAddr]:
        """P-Preferred-Identity entries."""
        return self._all(H.P_PREFERRED_IDENTITY)

    @property
    def diversion(self) -> list[NameAddr]:
        return self._all(H.DIVERSION)

    @property
    def refer_to(self) -> NameAddr | None:
        return self._one(H.REFER_TO)

    @property
    def referred_by(self) -> NameAddr | None:
        return self._one(H.REFERRED_BY)

    @property
    def supported(self) -> list[str]:
        return self._all(H.SUPPORTED)

    @property
    def require(self) -> list[str]:
        return self._all(H.REQUIRE)

    @property
    def proxy_require(self) -> list[str]:
        return self._all(H.PROXY_REQUIRE)

    @property
    def unsupported(self) -> list[str]:
        return self._all(H.UNSUPPORTED)

    @property
    def allow(self) -> list[str]:
        return self._all(H.ALLOW)

    @property
    def allow_events(self) -> list[str]:
        return self._all(H.ALLOW_EVENTS)

    @property
    def authorization(self) -> list[Credentials]:
        return self._each(H.AUTHORIZATION)

    @property
    def proxy_authorization(self) -> list[Credentials]:
        return self._each(H.PROXY_AUTHORIZATION)

    @property
    def www_authenticate(self) -> list[Challenge]:
        return self._each(H.WWW_AUTHENTICATE)

    @property
    def proxy_authenticate(self) -> list[Challenge]:
        return self._each(H.PROXY_AUTHENTICATE)

    @property
    def session_expires(self) -> Any:
        return self._one(H.SESSION_EXPIRES)

    @property
    def user_agent(self) -> str | None:
        return self._one(H.USER_AGENT)

    @property
    def server(self) -> str | None:
        return self._one(H.SERVER)

    # ---- validation --------------------------------------------------------------------

    def parse_all(self) -> None:
        """Parse every header that has a parsed form; raises the first SipParseError."""
        for i, h in enumerate(self._hids):
            if h in PARSERS:
                self.parsed(i)

    def check_mandatory(self) -> SipParseError | None:
        """What a proxy must reject: a missing or malformed Via/From/To/Call-ID/CSeq, a CSeq
        method that differs from the request method, a bad Max-Forwards. Returns the error
        (status 400) or None when the message is fit for routing."""
        for hid in H.MANDATORY_HEADERS:
            if hid not in self._firsts():
                name = H.ID_TO_NAME[hid]
                return SipParseError(f"missing {name} header", 400, header=name)
        try:
            self.via1  # noqa: B018 - parse for validation
            f = self.from_
            t = self.to
            self.callid  # noqa: B018
            cs = self.cseq
            if self.is_request:
                self.max_forwards  # noqa: B018
        except SipParseError as exc:
            return exc
        assert cs is not None and f is not None and t is not None
        if self.is_request and cs.method != self._method:
            return SipParseError(
                f"CSeq method {cs.method} does not match request method {self._method}",
                400,
                header="CSeq",
            )
        return None


def _fail(reason: str, status: int = 400, offset: int | None = None) -> SipParseError:
    return SipParseError(reason, status, offset=offset)


def _parse_first_line(msg: SipMessage, data: bytes, pos: int, eol: int) -> None:
    m = _REQ_LINE_HOT_RE.match(data, pos, eol + 1)
    if m is not None:
        name = _METHODS.get(m.group(1))
        if name is not None:  # the common request line: no checks left to make
            rs, re_ = m.span(2)
            msg.first_line_end = eol - 1
            msg.version = "SIP/2.0"
            msg.is_request = True
            msg.status = 0
            msg.reason = b""
            msg._method = name
            msg.ruri = data[rs:re_].decode("utf-8", "surrogateescape")
            msg.ruri_start = rs
            msg.ruri_end = re_
            return
    line_end = eol - 1 if eol > pos and data[eol - 1] == 0x0D else eol
    if line_end == pos:
        raise _fail("empty first line", 400, pos)
    msg.first_line_end = line_end
    line = data[pos:line_end]
    if line[:4].upper() == b"SIP/":
        sp = line.find(b" ")
        if sp < 0:
            raise _fail("status line without status code", offset=pos)
        ver = line[:sp]
        if ver.upper() != b"SIP/2.0":
            raise _fail(f"unsupported SIP version {ver[:20]!r}", 505, pos)
        code = line[sp + 1 : sp + 4]
        after = line[sp + 4 : sp + 5]
        if (
            len(code) != 3
            or not code.isdigit()
            or after not in (b"", b" ")
            or not 0x31 <= code[0] <= 0x36  # 100..699
        ):
            raise _fail(f"bad status code in {line[:40]!r}", 400, pos)
        msg.is_request = False
        msg._method = ""
        msg.ruri = None
        msg.ruri_start = msg.ruri_end = 0
        msg.status = int(code)
        msg.reason = line[sp + 5 :]
        msg.version = ver.decode()
        return
    if line[-1:] in (b" ", b"\t"):  # trailing blanks after SIP/2.0: ignored, like Kamailio
        line = line.rstrip(b" \t")
    sp1 = line.find(b" ")
    sp2 = line.rfind(b" ")
    if sp1 <= 0 or sp2 == sp1:
        raise _fail(f"bad request line {line[:60]!r}", 400, pos)
    method = line[:sp1]
    ver = line[sp2 + 1 :]
    if ver != b"SIP/2.0":
        if ver.upper() != b"SIP/2.0":
            if ver[:4].upper() == b"SIP/":
                raise _fail(f"unsupported SIP version {ver[:20]!r}", 505, pos)
            raise _fail(f"bad request line {line[:60]!r}", 400, pos)
        msg.version = ver.decode()
    else:
        msg.version = "SIP/2.0"
    name = _METHODS.get(method)
    if name is None:
        if _METHOD_RE.match(method) is None:
            raise _fail(f"bad method {method[:30]!r}", 400, pos)
        name = method.decode()
    ruri = line[sp1 + 1 : sp2]
    if not ruri or _CTL.search(ruri) is not None:
        raise _fail(f"bad Request-URI {ruri[:60]!r}", 400, pos)
    msg.is_request = True
    msg.status = 0
    msg.reason = b""
    msg._method = name
    msg.ruri = ruri.decode("utf-8", "surrogateescape")
    msg.ruri_start = pos + sp1 + 1
    msg.ruri_end = pos + sp2


def _check_names(lines: list[bytes], names: list[bytes], hids: list[int], hstart: int) -> bool:
    """Validate names that did not map to a known id (unknown or with blanks before ':').

    Returns True when a line starts with a blank (a folded header: the caller must use the
    slow path), else False after fixing the ids of names written with blanks before ':'."""
    get = _NAME_TO_ID.get
    for i, hid in enumerate(hids):
        name = names[i]
        if not hid and name[:1] in (b" ", b"\t"):
            return True
        if len(name) == len(lines[i]):
            raise _fail(f"header line without ':' {lines[i][:40]!r}", 400, hstart)
        if hid:
            continue
        bare = name.rstrip(b" \t")
        if not bare or _BAD_NAME.search(bare) is not None:
            raise _fail(f"bad header name {name[:40]!r}", 400, hstart)
        hids[i] = get(bare.lower(), 0)  # unusual spelling, blanks before ':', or unknown
    return False


def _index_slow(
    data: bytes, hstart: int
) -> tuple[list[bytes], list[bytes], list[int], list[int], int, int]:
    """Header index for LF-only or mixed line ends and folded headers (the rare path).

    Returns lines, names, ids, line starts (+ the empty line's offset), the empty line's
    offset and the body's offset."""
    lines: list[bytes] = []
    starts: list[int] = []
    pos = hstart
    cur = -1
    cur_end = -1
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            if len(data) - hstart > MAX_HEADER_BYTES:
                raise _fail("header section too large", 513, hstart)
            raise _fail("no empty line after the headers", 400, pos)
        if nl - hstart > MAX_HEADER_BYTES:
            raise _fail("header section too large", 513, hstart)
        le = nl - 1 if nl > pos and data[nl - 1] == 13 else nl
        if le - pos > MAX_LINE_BYTES:
            raise _fail("header line too long", 513, pos)
        if le == pos:
            break
        if data[pos] in (32, 9):
            if cur < 0:
                raise _fail("folded line before the first header", 400, pos)
            cur_end = le
        else:
            if cur >= 0:
                lines.append(data[cur:cur_end])
                starts.append(cur)
                if len(lines) >= MAX_HEADERS:
                    raise _fail(f"more than {MAX_HEADERS} header lines", 513, hstart)
            cur = pos
            cur_end = le
        pos = nl + 1
    if cur >= 0:
        lines.append(data[cur:cur_end])
        starts.append(cur)
    starts.append(pos)
    names = []
    for line in lines:
        c = line.find(b":")
        names.append(line if c < 0 else line[:c])
    hids = list(map(_NAME_TO_ID.get, map(_lower, names), repeat(0)))
    if _check_names(lines, names, hids, hstart):  # pragma: no cover - folds are joined above
        raise _fail("folded line in the header index", 400, hstart)
    return lines, names, hids, starts, pos, nl + 1


def parse_message(
    data: bytes,
    *,
    transport: str = "udp",
    tcp_accept_no_cl: bool = False,
    parser_mode: int = 0,
) -> SipMessage:
    """Parse one SIP message; see the module docstring. Raises SipParseError only."""
    if type(data) is not bytes:
        if isinstance(data, bytearray | memoryview):
            data = bytes(data)
        else:
            raise _fail(f"expected bytes, got {type(data).__name__}")
    n = len(data)
    if n > MAX_MESSAGE_BYTES:
        raise _fail(f"message of {n} bytes exceeds {MAX_MESSAGE_BYTES}", 513)
    pos = 0
    if n and data[0] in (13, 10):
        pos = n - len(data.lstrip(b"\r\n"))
        if pos == n:
            raise _fail("keep-alive (CRLF only), not a SIP message")
    eol = data.find(b"\n", pos)
    if eol < 0:
        raise _fail("no end of the first line" if n else "empty message", 400, pos)
    if eol - pos > MAX_LINE_BYTES:
        raise _fail("first line too long", 513, pos)
    msg = _new(SipMessage)
    msg.first_line_start = pos
    _parse_first_line(msg, data, pos, eol)
    hstart = eol + 1
    msg.headers_start = hstart
    # Fast path: CRLF everywhere, no folding. The empty line is the first CRLFCRLF.
    he = data.find(b"\r\n\r\n", eol - 1) if data[eol - 1] == 13 else -1
    starts: list[int] | None = None
    if he < 0:
        lines, names, hids, starts, hend, body_start = _index_slow(data, hstart)
    elif he < hstart:  # CRLFCRLF ends the first line: no headers at all
        lines, names, hids, starts, hend, body_start = [], [], [], [hstart], hstart, hstart + 2
    else:
        if he - hstart > MAX_HEADER_BYTES:
            raise _fail("header section too large", 513, hstart)
        block = data[hstart:he]
        lines = block.split(b"\r\n")
        if block.count(b"\n") != len(lines) - 1:  # a bare LF ends some line
            lines, names, hids, starts, hend, body_start = _index_slow(data, hstart)
        else:
            if len(lines) > MAX_HEADERS:
                raise _fail(f"more than {MAX_HEADERS} header lines", 513, hstart)
            if he - hstart > MAX_LINE_BYTES and max(map(len, lines)) > MAX_LINE_BYTES:
                raise _fail("header line too long", 513, hstart)
            parts = list(map(_partition, lines, repeat(b":")))
            names = list(map(_ig0, parts))
            hids = list(map(_RAW_NAME_TO_ID.get, names, repeat(0)))
            hend = he + 2
            body_start = he + 4
            # unknown names, folded lines (their "name" starts with a blank) or no ':'
            if (0 in hids or b"" in map(_ig1, parts)) and _check_names(lines, names, hids, hstart):
                lines, names, hids, starts, hend, body_start = _index_slow(data, hstart)
    if len(set(hids)) == len(hids):  # no header repeated: nothing to refuse below
        pass
    elif parser_mode & PARSER_MODE_STRICT:
        for hid in _UNIQUE:
            if hids.count(hid) > 1:
                raise _fail(f"duplicate {H.ID_TO_NAME[hid]} header", 400, hstart)
    elif hids.count(MAX_FORWARDS_ID) > 1:
        # Kamailio 5.6 refuses a repeated Max-Forwards whatever sip_parser_mode says
        raise _fail("duplicate Max-Forwards header", 400, hstart)
    msg._lines = lines
    msg._names = names
    msg._hids = hids
    msg._first = None
    msg._starts = starts
    msg._cache = {}
    msg.headers_end = hend
    msg.body_start = body_start
    msg.data = data
    cl: int | None = None
    if CONTENT_LENGTH_ID in hids:
        ci = hids.index(CONTENT_LENGTH_ID)
        v = lines[ci][len(names[ci]) + 1 :].strip(_WS)
        if v.isdigit() and len(v) <= 10 and hids.count(CONTENT_LENGTH_ID) == 1:
            cl = int(v)
        else:
            cl = _content_length(msg, ci)
    avail = n - body_start
    if cl is None:
        if transport in STREAM_TRANSPORTS and not tcp_accept_no_cl:
            raise _fail(f"missing Content-Length on {transport}", 400, hstart)
        msg.body_end = n
    elif cl > avail:
        raise _fail(f"Content-Length {cl} larger than the {max(avail, 0)} bytes of body", 400)
    else:
        msg.body_end = body_start + cl
        if cl < avail:
            msg.data = data[: body_start + cl]
    msg.content_length = cl
    msg.transport = transport
    return msg


def _content_length(msg: SipMessage, ci: int) -> int:
    """Validate every Content-Length header; the first one counts (as in Kamailio)."""
    data = msg.data
    values: list[int] = []
    for i in range(ci, len(msg._hids)):
        if msg._hids[i] != H.CONTENT_LENGTH:
            continue
        s, e = msg._span(i)
        try:
            v = parse_uint(data, s, e)
        except SipParseError as exc:
            raise _fail(f"Content-Length: {exc.reason}", 400, s) from None
        msg._cache[i] = v
        values.append(v)
    return values[0]


def frame_length(buf: bytes, *, accept_no_cl: bool = False) -> int | None:
    """Bytes taken by the first unit (keep-alive or message) in a stream buffer, or None."""
    if not buf:
        return None
    if buf[0] in (13, 10):
        if buf.startswith(b"\r\n\r\n"):
            return 4
        if buf in (b"\r", b"\r\n", b"\r\n\r"):
            return None
        if buf.startswith(b"\r\n"):
            return 2
        return 1  # a stray CR or LF: a one-byte keep-alive
    # the empty line: the first LF followed by CRLF or LF (as parse_message reads lines)
    he = buf.find(b"\n\r\n")
    # an LF LF that starts before that LF CR LF ("\n\n\r\n" ends at its first LF pair)
    he_lf = buf.find(b"\n\n", 0, he + 1 if he >= 0 else len(buf))
    if he_lf >= 0:
        hdr_end, body = he_lf, he_lf + 2
    elif he >= 0:
        hdr_end, body = he, he + 3
    else:
        if len(buf) > MAX_HEADER_BYTES:
            raise _fail("header section too large", 513)
        return None
    if hdr_end > MAX_HEADER_BYTES:
        raise _fail("header section too large", 513)
    m = _CL_RE.search(buf, 0, hdr_end + 1)
    if m is None:
        if not accept_no_cl:
            raise _fail("missing Content-Length on a stream transport")
        return body
    v = m.group(1).strip(b" \t")
    if not v.isdigit() or len(v) > 10:
        raise _fail(f"bad Content-Length {v[:20]!r}")
    cl = int(v)
    if cl > MAX_MESSAGE_BYTES:
        raise _fail(f"Content-Length {cl} too large", 513)
    total = body + cl
    return total if len(buf) >= total else None
