"""The size limits of the `sanity` module (the size_* parameters of Kamailio releases
after 5.6.3).

Kamailio 5.6.3 refuses every size_* parameter ("parameter <size_checks> ... not found"),
so there is no reference to run against, and the documentation available here only names
them. siprouter's reading, kept to what the names say:

* `size_checks` (int, default 0): 0 turns the size checks off (sanity_check behaves as in
  5.6.3); any other value makes every sanity_check() call run them first, before the
  check bits, on requests and replies alike.
* the limits (int, bytes unless said otherwise; 0 or less: that limit is not checked):

  ================= ======= ========================================== =================
  parameter         default what is measured                           failure reply
  ================= ======= ========================================== =================
  size_message      65535   the whole message                          513 Message Too
                                                                       Large
  size_body         65535   the body (after the empty line)            513 Message Too
                                                                       Large
  size_headers      128     the number of header fields                400 Too Many
                                                                       Headers
  size_header       2048    one header line (name, colon, value)       400 Header Too
                                                                       Large
  size_method       32      the request method (CSeq's method too)     400 Method Too
                                                                       Long
  size_ruri         1024    the Request-URI                            414 Request-URI
                                                                       Too Long
  size_from_uri     512     the From URI                               400 From URI Too
                                                                       Long
  size_to_uri       512     the To URI                                 400 To URI Too Long
  size_contact_uri  512     each URI of every Contact header           400 Contact URI
                                                                       Too Long
  size_pai_uri      512     each URI of every P-Asserted-Identity      400 PAI URI Too
                                                                       Long
  size_path_uri     512     each URI of every Path header              400 Path URI Too
                                                                       Long
  size_route_uri    512     each URI of every Route header             400 Route URI Too
                                                                       Long
  ================= ======= ========================================== =================

  The checks run in the table's order; the first limit exceeded is the failure, handled
  like any other sanity failure (reply unless noreply, autodrop). A header whose URI
  does not parse is not a size failure (the URI checks report it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import SipMessage

from .sanity_checks import Failure

DEFAULTS: dict[str, int] = {
    "size_checks": 0,
    "size_message": 65535,
    "size_body": 65535,
    "size_headers": 128,
    "size_header": 2048,
    "size_method": 32,
    "size_ruri": 1024,
    "size_from_uri": 512,
    "size_to_uri": 512,
    "size_contact_uri": 512,
    "size_pai_uri": 512,
    "size_path_uri": 512,
    "size_route_uri": 512,
}

_TOO_LARGE = Failure(513, "Message Too Large")


def _message(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    return _TOO_LARGE if len(msg.data) > limit else None


def _body(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    return _TOO_LARGE if len(msg.data) - msg.body_start > limit else None


def _headers(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    if len(msg.header_ids) > limit:
        return Failure(400, "Too Many Headers")
    return None


def _header(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    data = msg.data
    for f in msg.header_fields:
        if len(data[f.start : f.end].rstrip(b"\r\n")) > limit:
            return Failure(400, "Header Too Large")
    return None


def _method(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    if msg.is_request and len(msg.method) > limit:
        return Failure(400, "Method Too Long")
    raw = msg.header(H.CSEQ)
    parts = raw.split() if raw is not None else []
    if len(parts) == 2 and len(parts[1]) > limit:
        return Failure(400, "Method Too Long")
    return None


def _ruri(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
    if msg.is_request and len(ruri) > limit:
        return Failure(414, "Request-URI Too Long")
    return None


def _nameaddr_uri(hid: int, reason: str) -> Callable[[SipMessage, str, int], Failure | None]:
    def check(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
        try:
            na = msg.from_ if hid == H.FROM else msg.to
        except SipParseError:
            return None
        if na is not None and len(na.uri_text) > limit:
            return Failure(400, reason)
        return None

    return check


def _uri_list(hid: int, reason: str) -> Callable[[SipMessage, str, int], Failure | None]:
    """Every URI of every header `hid` (a list of name-addrs)."""

    def check(msg: SipMessage, ruri: str, limit: int) -> Failure | None:
        for i, h in enumerate(msg.header_ids):
            if h != hid:
                continue
            try:
                items = msg.parsed(i)
            except SipParseError:
                continue
            for na in items:
                if not getattr(na, "star", False) and len(na.uri_text) > limit:
                    return Failure(400, reason)
        return None

    return check


ORDER: tuple[tuple[str, Callable[[SipMessage, str, int], Failure | None]], ...] = (
    ("size_message", _message),
    ("size_body", _body),
    ("size_headers", _headers),
    ("size_header", _header),
    ("size_method", _method),
    ("size_ruri", _ruri),
    ("size_from_uri", _nameaddr_uri(H.FROM, "From URI Too Long")),
    ("size_to_uri", _nameaddr_uri(H.TO, "To URI Too Long")),
    ("size_contact_uri", _uri_list(H.CONTACT, "Contact URI Too Long")),
    ("size_pai_uri", _uri_list(H.P_ASSERTED_IDENTITY, "PAI URI Too Long")),
    ("size_path_uri", _uri_list(H.PATH, "Path URI Too Long")),
    ("size_route_uri", _uri_list(H.ROUTE, "Route URI Too Long")),
)


def run_size_checks(msg: SipMessage, ruri: str, limits: Mapping[str, int]) -> Failure | None:
    """The first limit `msg` exceeds (None: all within, or size_checks is 0)."""
    if not limits.get("size_checks"):
        return None
    for name, check in ORDER:
        limit = int(limits.get(name, 0))
        if limit > 0:
            failed = check(msg, ruri, limit)
            if failed is not None:
                return failed
    return None
