"""siputils tests that change nothing: message kind, To tag, strings, URIs, Supported,
GRUU, first hop, credentials user and the Date header; Kamailio 5.6.3's return codes.

* has_totag(): 1 when the To header has a tag with a value, else -1;
* is_request() / is_reply(): 1 or -1;
* is_numeric(s): 1 when s is ASCII digits only, -2 otherwise (also when empty);
  is_alphanum(s) / is_alphanumex(s, extra): 1 when every char is an ASCII letter or digit
  (or one of `extra`), -3 at the first other char, -2 when s is empty;
  is_tel_number(s): 1 for an optional '+' and at least one digit, else -2;
* is_e164(s): 1 for '+' and 2..15 digits (e164_max_len - 1), else -1; is_uri_user_e164(uri):
  the same for the user part of a sip/sips URI (-1 when it does not parse or is tel);
* is_uri(s): 1 when s parses as a sip/sips/tel/urn URI, else -1;
* cmp_uri(a, b): 1 equal, -1 different, -2 when one does not parse. Kamailio's rule:
  same scheme, user and password (exact), host (any case) and port as written; the
  parameters only count when both URIs have some: a parameter both have must then have
  the same value (any case); cmp_aor(a, b) compares user, host and port only (no port
  is 5060; sip and sips alike);
* cmp_hdr_name(a, b): 1 when both name the same header (compact forms and case
  ignored); -1 when they name different known headers (or one is known), -2 for two
  different other names or an empty one;
* is_supported(option): 1 when a Supported header (any of them, `k:` included) lists the
  option (path, 100rel, timer, eventlist, gruu, outbound; a constant), else -1;
* is_gruu([uri]): 1 for a `gr=value` parameter (public GRUU), 2 for a bare `gr`
  (temporary GRUU), -1 otherwise (default: the R-URI);
* is_first_hop([mode]): for a request, 1 when it has exactly one Via; for a reply, 1
  when it has no Record-Route or the top Record-Route URI is this server (mode 0: and
  is an IP address while the source address and port are not one of our sockets),
  else -1;
* is_user(name): 1 when the credentials an auth module authorized for this message
  (`ctx.module_state()["auth_credentials"]`) carry that username, else -1; with no auth
  module in the config nothing is ever authorized, so -1 (as Kamailio without auth);
* hdr_date_check(tdiff): -1 when there is no Date header or it is not
  `Www, DD Mon YYYY HH:MM:SS GMT`, -4 when the date is more than tdiff seconds in the past,
  else 1.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
import time
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.engine.myself import is_myself
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.uri import SipUri, UriError, parse_uri

#: the most digits an E.164 number may have (the e164_max_len modparam minus the '+')
E164: dict[str, int] = {"max_digits": 15}


def set_e164_max_digits(n: int) -> None:
    E164["max_digits"] = n


def parse_ok(text: str) -> SipUri | None:
    """The URI when it parses (as Kamailio's parser would: tels: does not), else None."""
    try:
        uri = parse_uri(text)
    except (UriError, ValueError):
        return None
    return None if uri.scheme == "tels" else uri


def has_totag(ctx: MsgContext) -> int:
    try:
        to = ctx.msg.to
    except SipParseError:
        return -1
    return 1 if to is not None and to.tag else -1


def is_request(ctx: MsgContext) -> int:
    return 1 if ctx.msg.is_request else -1


def is_reply(ctx: MsgContext) -> int:
    return -1 if ctx.msg.is_request else 1


def _ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def is_numeric(value: str) -> int:
    if not value:
        return -2
    return 1 if value.isascii() and value.isdigit() else -2


def is_alphanumex(value: str, extra: str) -> int:
    if not value:
        return -2
    for c in value:
        if not _ascii_alnum(c) and c not in extra:
            return -3
    return 1


def is_alphanum(value: str) -> int:
    return is_alphanumex(value, "")


def is_tel_number(value: str) -> int:
    digits = value[1:] if value.startswith("+") else value
    return 1 if digits and digits.isascii() and digits.isdigit() else -2


def e164(value: str) -> bool:
    digits = value[1:]
    return (
        value.startswith("+")
        and 2 <= len(digits) <= E164["max_digits"]
        and digits.isascii()
        and digits.isdigit()
    )


def is_e164(value: str) -> int:
    return 1 if e164(value) else -1


def is_uri_user_e164(value: str) -> int:
    uri = parse_ok(value)
    if uri is None or uri.scheme not in ("sip", "sips"):
        return -1
    return 1 if e164(uri.user) else -1


def is_uri(value: str) -> int:
    return 1 if parse_ok(value) is not None else -1


def uris_match(a: SipUri, b: SipUri) -> bool:
    """Kamailio's cmp_uri rule (see the module docstring)."""
    if a.scheme != b.scheme or a.user != b.user or (a.password or "") != (b.password or ""):
        return False
    if a.host.lower() != b.host.lower() or a.port_text != b.port_text:
        return False
    if not a.sip_param_list or not b.sip_param_list:
        return True
    pa = {n.lower(): (v or "").lower() for n, v in a.sip_param_list}
    pb = {n.lower(): (v or "").lower() for n, v in b.sip_param_list}
    return all(pb[n] == v for n, v in pa.items() if n in pb)


def cmp_uri(a: str, b: str) -> int:
    ua, ub = parse_ok(a), parse_ok(b)
    if ua is None or ub is None:
        return -2
    return 1 if uris_match(ua, ub) else -1


def cmp_aor(a: str, b: str) -> int:
    ua, ub = parse_ok(a), parse_ok(b)
    if ua is None or ub is None:
        return -2
    same = ua.user == ub.user and ua.host.lower() == ub.host.lower()
    return 1 if same and (ua.port or 5060) == (ub.port or 5060) else -1


def cmp_hdr_name(a: str, b: str) -> int:
    a, b = a.strip(), b.strip()
    if not a or not b:
        return -2
    ha, hb = H.lookup(a), H.lookup(b)
    if ha != hb:
        return -1
    if ha:
        return 1
    return 1 if a.lower() == b.lower() else -2


SUPPORTED_OPTIONS = ("path", "100rel", "timer", "eventlist", "gruu", "outbound")


def fix_option(a: Any) -> str:
    text = str(a).strip().lower()
    if text not in SUPPORTED_OPTIONS:
        raise ValueError(f"unknown option <{a}> (known: {', '.join(SUPPORTED_OPTIONS)})")
    return text


def is_supported(ctx: MsgContext, option: str) -> int:
    try:
        listed = {t.lower() for t in ctx.msg.supported}
    except SipParseError:
        return -1
    return 1 if option in listed else -1


def gruu_kind(text: str) -> int:
    uri = parse_ok(text)
    if uri is None:
        return -1
    for name, value in uri.sip_param_list:
        if name.lower() == "gr":
            return 2 if value is None else 1
    return -1


def is_gruu(ctx: MsgContext, uri: str | None = None) -> int:
    return gruu_kind(ctx.ruri if uri is None else uri)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_first_hop(ctx: MsgContext, mode: int = 0) -> int:
    msg = ctx.msg
    try:
        if msg.is_request:
            return 1 if len(msg.vias) == 1 else -1
        rrs = msg.record_routes
    except SipParseError:
        return -1
    if not rrs:
        return 1
    uri = parse_ok(rrs[0].uri_text)
    if uri is None or not is_myself(ctx, rrs[0].uri_text):
        return -1
    if mode == 1:
        return 1
    if not _is_ip(uri.host):
        return -1
    src = ctx.rcv.src_ip
    src = f"[{src}]:{ctx.rcv.src_port}" if ":" in src else f"{src}:{ctx.rcv.src_port}"
    return -1 if is_myself(ctx, src) else 1


def is_user(ctx: MsgContext, name: str) -> int:
    cred = (ctx.mod or {}).get("auth_credentials")
    if cred is None:
        return -1
    return 1 if cred.username == name else -1


_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}
_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z][a-z]) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\Z"
)


def parse_date(text: str) -> int | None:
    """Seconds since the epoch of an RFC 1123 date in its one fixed form, else None."""
    m = _DATE_RE.match(text)
    if m is None or m.group(3) not in _MONTHS:
        return None
    day, year, hh, mm, ss = (int(m.group(i)) for i in (2, 4, 5, 6, 7))
    try:
        return calendar.timegm((year, _MONTHS[m.group(3)], day, hh, mm, ss, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


def hdr_date_check(ctx: MsgContext, tdiff: int, now: float | None = None) -> int:
    raw = ctx.msg.header(H.DATE)
    if raw is None:
        return -1
    when = parse_date(raw.decode("utf-8", "surrogateescape"))
    if when is None:
        return -1
    current = time.time() if now is None else now
    return -4 if current > when + tdiff else 1
