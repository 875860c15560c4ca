"""The checks of the `sanity` module, as pure functions over a parsed SIP message.

`run_checks(msg, ruri, checks, uri_checks, proxy_require)` runs the checks whose bits are
set in `checks`, in Kamailio 5.6.3's order, and returns the first `Failure` (None when
every selected check passes). A Failure carries the reply Kamailio sends for it (code,
reason, extra reply header text) or code 0 when Kamailio fails the check without a reply.
The bits, reasons and edge cases below were read off Kamailio 5.6.3 (see
tests/compat/cases/sanity*.toml):

====== ===================== =============================================================
bit    check                 failure reply
====== ===================== =============================================================
1      R-URI SIP version     505 Version Not Supported (R-URI) (not 2.0)
2      R-URI scheme          400 Bad Request URI (does not parse; tels: does not either),
                             416 Unsupported URI Scheme in Request URI
4      required headers      400 Missing Required Header in Request (To From CSeq Call-ID
                             Via)
8, 16  Via version/protocol  disabled in Kamailio: always pass
32     CSeq method           400 CSeq method does not match request method (case matters)
64     CSeq number           400 CSeq number is illegal (digits only, at most 10, the
                             10-digit ones compared as text with 4294967296, which passes)
128    Content-Length        400 Content-Length mis-match (datagrams: body size differs)
256    Expires               400 Bad Expires Header (empty), 400 Expires value is illegal
                             (first token not a number as for CSeq)
512    Proxy-Require         420 Bad Proxy Require Extension + `Unsupported: <first token
                             not in the proxy_require list>` in the reply (first header)
1024   URIs (uri_checks)     1 R-URI 400 Bad Request URI, 2 From 400 Invalid From Header,
                             4 To 400 Ivalid To Header (sic), 8 first Contact header:
                             400 Bad Contact Header / 400 Bad Contact URI (`*` passes)
2048   digest credentials    every Authorization/Proxy-Authorization: not Digest or not
                             parsable fails with no reply; a missing username/realm/nonce/
                             uri/response (or cnonce/nc with qop auth/auth-int) 400 Bad
                             Auth Credentials; empty username/nonce/response 400 Auth
                             Empty User / Nonce / Response
4096   duplicate tags        400 Many From Tag Params, 400 Many To Tag Params
8192   Authorization         as 2048 for the first Authorization and Proxy-Authorization
                             header, but another scheme or a Digest without parameters
                             passes
16384  first Via             the top Via must parse and have a host (no reply)
====== ===================== =============================================================

On a reply, the checks that need a request (1, 2, 32, and URI bit 1) fail without a
reply, as in Kamailio 5.6.3; the others run as for requests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_auth import Credentials
from siprouter.sip.message import SipMessage
from siprouter.sip.uri import UriError, parse_uri

RURI_SIP_VERSION = 1
RURI_SCHEME = 2
REQUIRED_HEADERS = 4
VIA_SIP_VERSION = 8
VIA_PROTOCOL = 16
CSEQ_METHOD = 32
CSEQ_VALUE = 64
CONTENT_LENGTH = 128
EXPIRES_VALUE = 256
PROXY_REQUIRE = 512
PARSE_URIS = 1024
CHECK_DIGEST = 2048
CHECK_DUPTAGS = 4096
CHECK_AUTHORIZATION = 8192
VIA1_HEADER = 16384

#: the range Kamailio 5.6.3 accepts for the check bits and the URI bits (else -1)
MAX_CHECKS = 32767
MAX_URI_CHECKS = 15

URI_RURI = 1
URI_FROM = 2
URI_TO = 4
URI_CONTACT = 8

DEFAULT_CHECKS = 3047
DEFAULT_URI_CHECKS = 7


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed check: the reply to send (code 0: none) and header text for it."""

    code: int
    reason: str
    header: bytes = b""


SILENT = Failure(0, "")
_UINT_MAX_TEXT = "4294967296"


def valid_uint(text: str) -> bool:
    """Kamailio's number rule for CSeq and Expires: 1..10 ASCII digits, a 10-digit value
    compared as text with 4294967296 (that value itself passes, as in Kamailio)."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return False
    return len(text) < 10 or text <= _UINT_MAX_TEXT


@functools.lru_cache(maxsize=1024)
def _uri_scheme(text: str) -> str | None:
    """The scheme of a URI that parses as Kamailio's parser would (tels: does not), else
    None; cached by text, as the same URIs come back message after message."""
    try:
        uri = parse_uri(text)
    except (UriError, ValueError):
        return None
    return None if uri.scheme == "tels" else uri.scheme


# ---- the checks, each (msg, ruri, uri_checks, proxy_require) -> Failure | None -----------


def _ruri_version(msg: SipMessage) -> Failure | None:
    if not msg.is_request:
        return SILENT
    if msg.version.upper() != "SIP/2.0":
        return Failure(505, "Version Not Supported (R-URI)")
    return None


def _ruri_scheme(msg: SipMessage, ruri: str) -> Failure | None:
    if not msg.is_request:
        return SILENT
    scheme = _uri_scheme(ruri)
    if scheme is None:
        return Failure(400, "Bad Request URI")
    if scheme not in ("sip", "sips", "tel", "tels", "urn"):
        return Failure(416, "Unsupported URI Scheme in Request URI")
    return None


_REQUIRED = (H.TO, H.FROM, H.CSEQ, H.CALL_ID, H.VIA)


def _required_headers(msg: SipMessage) -> Failure | None:
    ids = msg.header_ids
    if msg.is_request and not all(h in ids for h in _REQUIRED):
        return Failure(400, "Missing Required Header in Request")
    return None


def _cseq_parts(msg: SipMessage) -> list[str] | None:
    raw = msg.header(H.CSEQ)
    if raw is None:
        return None
    return raw.decode("utf-8", "surrogateescape").split()


def _cseq_method(msg: SipMessage) -> Failure | None:
    if not msg.is_request:
        return SILENT
    parts = _cseq_parts(msg)
    if parts is None or len(parts) != 2:
        return Failure(400, "Bad CSeq Header")
    if parts[1] != msg.method:
        return Failure(400, "CSeq method does not match request method")
    return None


def _cseq_value(msg: SipMessage) -> Failure | None:
    parts = _cseq_parts(msg)
    if parts is None or len(parts) != 2:
        return Failure(400, "Bad CSeq Header")
    if not valid_uint(parts[0]):
        return Failure(400, "CSeq number is illegal")
    return None


def _content_length(msg: SipMessage) -> Failure | None:
    cl = msg.content_length
    if cl is None or msg.transport != "udp":
        return None
    if len(msg.data) - msg.body_start != cl:
        return Failure(400, "Content-Length mis-match")
    return None


def _expires(msg: SipMessage) -> Failure | None:
    raw = msg.header(H.EXPIRES)
    if raw is None:
        return None
    tokens = raw.decode("utf-8", "surrogateescape").split()
    if not tokens:
        return Failure(400, "Bad Expires Header")
    if not valid_uint(tokens[0]):
        return Failure(400, "Expires value is illegal")
    return None


def _proxy_require(msg: SipMessage, supported: Collection[str]) -> Failure | None:
    """Only the first Proxy-Require header counts (as in Kamailio 5.6.3)."""
    values = msg.headers(H.PROXY_REQUIRE)
    if not values:
        return None
    for item in values[0].decode("utf-8", "surrogateescape").split(","):
        token = item.strip()
        if token and token not in supported:
            return Failure(420, "Bad Proxy Require Extension", f"Unsupported: {token}\r\n".encode())
    return None


def _first_index(msg: SipMessage, hid: int) -> int | None:
    try:
        return msg.header_ids.index(hid)
    except ValueError:
        return None


def _nameaddr_uri_ok(msg: SipMessage, hid: int) -> bool:
    try:
        na = msg.from_ if hid == H.FROM else msg.to
    except SipParseError:
        return False
    return na is not None and _uri_scheme(na.uri_text) is not None


def _parse_uris(msg: SipMessage, ruri: str, uri_checks: int) -> Failure | None:
    if uri_checks & URI_RURI:
        if not msg.is_request:
            return SILENT
        if _uri_scheme(ruri) is None:
            return Failure(400, "Bad Request URI")
    if uri_checks & URI_FROM and not _nameaddr_uri_ok(msg, H.FROM):
        return Failure(400, "Invalid From Header")
    if uri_checks & URI_TO and not _nameaddr_uri_ok(msg, H.TO):
        return Failure(400, "Ivalid To Header")
    if uri_checks & URI_CONTACT:
        i = _first_index(msg, H.CONTACT)
        if i is not None:
            try:
                contacts = msg.parsed(i)
            except SipParseError:
                return Failure(400, "Bad Contact Header")
            for na in contacts:
                if not na.star and _uri_scheme(na.uri_text) is None:
                    return Failure(400, "Bad Contact URI")
    return None


def _credentials_failure(cred: Credentials) -> Failure | None:
    """Kamailio's digest credential rules (the caller has checked the scheme)."""
    p = cred.params
    needed = ("username", "realm", "nonce", "uri", "response")
    if any(name not in p for name in needed):
        return Failure(400, "Bad Auth Credentials")
    qop = p.get("qop", "").lower()
    if qop in ("auth", "auth-int") and ("cnonce" not in p or "nc" not in p):
        return Failure(400, "Bad Auth Credentials")
    if not p["username"]:
        return Failure(400, "Auth Empty User")
    if not p["nonce"]:
        return Failure(400, "Auth Empty Nonce")
    if not p["response"]:
        return Failure(400, "Auth Empty Response")
    return None


_AUTH_HDRS = (H.AUTHORIZATION, H.PROXY_AUTHORIZATION)


def _digest(msg: SipMessage) -> Failure | None:
    for i, hid in enumerate(msg.header_ids):
        if hid not in _AUTH_HDRS:
            continue
        try:
            cred = msg.parsed(i)
        except SipParseError:
            return SILENT
        if cred.scheme.lower() != "digest" or not cred.params:
            return SILENT
        bad = _credentials_failure(cred)
        if bad is not None:
            return bad
    return None


def _authorization(msg: SipMessage) -> Failure | None:
    for hid in _AUTH_HDRS:
        i = _first_index(msg, hid)
        if i is None:
            continue
        try:
            cred = msg.parsed(i)
        except SipParseError:
            return None
        if cred.scheme.lower() != "digest" or not cred.params:
            return None
        bad = _credentials_failure(cred)
        if bad is not None:
            return bad
    return None


def _tag_count(msg: SipMessage, hid: int) -> int:
    try:
        na = msg.from_ if hid == H.FROM else msg.to
    except SipParseError:
        return 0
    if na is None:
        return 0
    return sum(1 for name, _v in na.params if name.lower() == "tag")


def _duptags(msg: SipMessage) -> Failure | None:
    if _tag_count(msg, H.FROM) > 1:
        return Failure(400, "Many From Tag Params")
    if _tag_count(msg, H.TO) > 1:
        return Failure(400, "Many To Tag Params")
    return None


def _via1(msg: SipMessage) -> Failure | None:
    try:
        via = msg.via1
    except SipParseError:
        return SILENT
    if via is None or not via.host:
        return SILENT
    return None


Check = Callable[[SipMessage, str, int, Collection[str]], Failure | None]

#: (bit, check) in the order Kamailio 5.6.3 runs them
ORDER: tuple[tuple[int, Check], ...] = (
    (RURI_SIP_VERSION, lambda m, r, u, p: _ruri_version(m)),
    (RURI_SCHEME, lambda m, r, u, p: _ruri_scheme(m, r)),
    (REQUIRED_HEADERS, lambda m, r, u, p: _required_headers(m)),
    (VIA1_HEADER, lambda m, r, u, p: _via1(m)),
    (CSEQ_METHOD, lambda m, r, u, p: _cseq_method(m)),
    (CSEQ_VALUE, lambda m, r, u, p: _cseq_value(m)),
    (CONTENT_LENGTH, lambda m, r, u, p: _content_length(m)),
    (EXPIRES_VALUE, lambda m, r, u, p: _expires(m)),
    (PROXY_REQUIRE, lambda m, r, u, p: _proxy_require(m, p)),
    (PARSE_URIS, lambda m, r, u, p: _parse_uris(m, r, u)),
    (CHECK_DIGEST, lambda m, r, u, p: _digest(m)),
    (CHECK_DUPTAGS, lambda m, r, u, p: _duptags(m)),
    (CHECK_AUTHORIZATION, lambda m, r, u, p: _authorization(m)),
)


def run_checks(
    msg: SipMessage, ruri: str, checks: int, uri_checks: int, proxy_require: Collection[str]
) -> Failure | None:
    """The first failing check among the `checks` bits, None when all pass."""
    for bit, check in ORDER:
        if checks & bit:
            failed = check(msg, ruri, uri_checks, proxy_require)
            if failed is not None:
                return failed
    return None
