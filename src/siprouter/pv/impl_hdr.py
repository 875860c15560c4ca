"""Header and message pseudo-variables: $hdr(name) $hdrc(name) $hfl(Via), first-line
and common header values ($rm $rmid $rs $rr $rv $ci $cs $ct $ua $cT $cl), the body and
the whole message ($rb $bs $mb $ml $mt), identity headers ($di $dip $dir $rt $re $ai
$pu $pU $pd $pn) and digest credentials ($adu $aa $aU $au $ad $ar $Au).

Formats follow Kamailio 5.6.3 (tests/unit/pv/test_pv_kamailio.py):
* $hdr(name) is a header line's value as written (leading blanks skipped; trailing
  blanks and folding kept, as Kamailio 5.6.3 does); no index
  is the first line, [n] / [-n] count lines, [*] joins every line's value with ",";
  compact and long names match each other; $hdrc(name) counts lines;
* $hfl(name) counts the bodies of Via, Contact, Route and Record-Route one by one
  (several on one line count separately; the Contacts of one line in reverse order, as
  Kamailio's parser lists them): [n] is the n-th body as written (a via-parm up to and
  including the comma after it); negative indexes are $null; [*] is $hdr(name)[*];
  other headers count per line as $hdr; $hflc(name) is the number of bodies;
* $cs, $rs, $rmid, $cl, $bs, $ml, $mt are ints; $cl is $null without Content-Length;
  $rb is "" for an empty body; $ct is the first Contact line's value;
* credentials come from Authorization for REGISTER and from Proxy-Authorization for
  other requests (the other header when that one is missing); $ad is "" when the
  username has no domain, $aa/$adu/$ar are "" when the credentials lack them; $Au is the From URI's user@host (Kamailio gives the
  credentials' user@realm only once the auth module authorized them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from siprouter.modules.registry import PVSpec
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError

from .impl_uri import uri_of
from .pvclass import ALL, Getter, Index, PVClass, Value, pick

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext
    from siprouter.sip.hdr_auth import Credentials
    from siprouter.sip.hdr_nameaddr import NameAddr
    from siprouter.sip.message import SipMessage

_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+\Z")
_WS = b" \t\r\n"

# Kamailio's method ids ($rmid)
METHOD_IDS: dict[str, int] = {
    "INVITE": 1, "CANCEL": 2, "ACK": 4, "BYE": 8, "INFO": 16, "REGISTER": 32,
    "SUBSCRIBE": 64, "NOTIFY": 128, "MESSAGE": 256, "OPTIONS": 512, "PRACK": 1024,
    "UPDATE": 2048, "REFER": 4096, "PUBLISH": 8192, "KDMQ": 16384, "GET": 32768,
    "POST": 65536, "PUT": 131072, "DELETE": 262144,
}  # fmt: skip
METHOD_OTHER = 524288


# ---- header lines from the public index ---------------------------------------------------


def header_lines(msg: SipMessage, key: tuple[int, bytes]) -> list[tuple[int, int]]:
    """(line start, line end) of each header matching key = (header id, lower-case name)."""
    hid, lname = key
    hids = msg.header_ids
    offs = msg.header_offsets()
    if hid:
        return [(offs[i], offs[i + 1]) for i, h in enumerate(hids) if h == hid]
    data = msg.data
    out = []
    for i, h in enumerate(hids):
        if h == 0:
            s, e = offs[i], offs[i + 1]
            c = data.find(b":", s, e)
            if c > 0 and data[s:c].rstrip(_WS).lower() == lname:
                out.append((s, e))
    return out


def line_value(data: bytes, start: int, end: int) -> str:
    """A header line's value as written: after the ':' and the blanks that follow, up to
    the line end; trailing blanks stay, folding stays (as Kamailio's header body)."""
    c = data.find(b":", start, end)
    return data[c + 1 : end].lstrip(_WS).rstrip(b"\r\n").decode("utf-8", "surrogateescape")


def first_line_value(msg: SipMessage, hid: int) -> str | None:
    """Value of the first header with known id `hid` (the common case, no list built)."""
    try:
        i = msg.header_ids.index(hid)
    except ValueError:
        return None
    offs = msg.header_offsets()
    return line_value(msg.data, offs[i], offs[i + 1])


def _header_key(text: str) -> tuple[int, bytes]:
    name = text.strip()
    if not name or not _TOKEN.match(name):
        raise ValueError(f"invalid header name {name!r}")
    raw = name.encode("utf-8", "surrogateescape")
    return H.lookup(raw), raw.lower()


class HdrPV(PVClass):
    name = "hdr"
    indexed = True
    dynamic_name = True
    doc = "header value"

    def parse_name(self, text: str) -> Any:
        return _header_key(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        msg = ctx.msg
        if idx is None and name[0]:
            return first_line_value(msg, name[0])
        lines = header_lines(msg, name)
        if not lines:
            return None
        data = msg.data
        if idx is None:
            return line_value(data, *lines[0])
        return pick([line_value(data, s, e) for s, e in lines], idx)

    def bind_get(self, name: Any, idx: Index) -> Getter:
        hid = name[0]
        if idx is None and hid:
            return lambda ctx: first_line_value(ctx.msg, hid)
        return super().bind_get(name, idx)


class HdrcPV(PVClass):
    name = "hdrc"
    dynamic_name = True
    doc = "number of header lines"

    def parse_name(self, text: str) -> Any:
        return _header_key(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return len(header_lines(ctx.msg, name))


_BODY_LISTS = (H.VIA, H.CONTACT, H.ROUTE, H.RECORD_ROUTE)


def _bodies(msg: SipMessage, hid: int) -> list[tuple[int, int]] | None:
    """(start, end) of each body of a Via/Contact/Route/Record-Route, in Kamailio's
    $hfl order (the Contacts of each header line in reverse order); None if unparsable."""
    out: list[tuple[int, int]] = []
    try:
        for i, h in enumerate(msg.header_ids):
            if h != hid:
                continue
            items = msg.parsed(i)
            spans = [(x.start, x.end) for x in items]
            out.extend(reversed(spans) if hid == H.CONTACT else spans)
    except SipParseError:
        return None
    return out


def _via_text(data: bytes, start: int, end: int) -> str:
    """A via-parm as $hfl(Via) gives it: up to and including the comma after it."""
    j = end
    while j < len(data) and data[j] in b" \t":
        j += 1
    if j < len(data) and data[j] == 0x2C:
        end = j + 1
    return data[start:end].strip(_WS).decode("utf-8", "surrogateescape")


class HflPV(PVClass):
    """$hfl(name): the bodies of Via, Contact, Route and Record-Route one by one (other
    headers: one per line, as $hdr)."""

    name = "hfl"
    indexed = True
    dynamic_name = True
    doc = "header field body"

    def parse_name(self, text: str) -> Any:
        return _header_key(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        hid = name[0]
        if hid not in _BODY_LISTS or idx is ALL:
            return _HDR.get_at(ctx, name, idx)
        msg = ctx.msg
        spans = _bodies(msg, hid)
        i = 0 if idx is None else idx
        assert isinstance(i, int)
        if spans is None or not 0 <= i < len(spans):
            return None
        data = msg.data
        if hid == H.VIA:
            return _via_text(data, *spans[i])
        a, b = spans[i]
        return data[a:b].strip(_WS).rstrip(b",").strip(_WS).decode("utf-8", "surrogateescape")


class HflcPV(PVClass):
    """$hflc(name): how many bodies $hfl(name) has."""

    name = "hflc"
    dynamic_name = True
    doc = "number of header field bodies"

    def parse_name(self, text: str) -> Any:
        return _header_key(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        hid = name[0]
        if hid not in _BODY_LISTS:
            return len(header_lines(ctx.msg, name))
        spans = _bodies(ctx.msg, hid)
        return len(spans) if spans is not None else 0


_HDR = HdrPV()


def _first_value(hid: int) -> Getter:
    return lambda ctx: first_line_value(ctx.msg, hid)


# ---- first line, common headers -----------------------------------------------------------


def _method(ctx: MsgContext) -> str | None:
    try:
        return ctx.msg.method or None  # a reply's method comes from its CSeq
    except SipParseError:
        return None


def get_rm(ctx: MsgContext) -> Value:
    return _method(ctx)


def get_rmid(ctx: MsgContext) -> Value:
    m = _method(ctx)
    if not m:
        return None
    return METHOD_IDS.get(m, METHOD_OTHER)


def get_rs(ctx: MsgContext) -> Value:
    msg = ctx.msg
    return None if msg.is_request else msg.status


def get_rr(ctx: MsgContext) -> Value:
    msg = ctx.msg
    return None if msg.is_request else msg.reason.decode("utf-8", "surrogateescape")


def get_rv(ctx: MsgContext) -> Value:
    return ctx.msg.version


def get_ci(ctx: MsgContext) -> Value:
    try:
        return ctx.msg.callid
    except SipParseError:
        return None


def get_cs(ctx: MsgContext) -> Value:
    try:
        cs = ctx.msg.cseq
    except SipParseError:
        # Kamailio keeps the number as text: one too big for 32 bits still prints
        text = first_line_value(ctx.msg, H.CSEQ)
        num = text.split(None, 1)[0] if text else ""
        return num if num.isdigit() else None
    return cs.num if cs is not None else None


def get_cl(ctx: MsgContext) -> Value:
    return ctx.msg.content_length


def get_bs(ctx: MsgContext) -> Value:
    msg = ctx.msg
    return msg.body_end - msg.body_start


def get_rb(ctx: MsgContext) -> Value:
    return ctx.msg.body.decode("utf-8", "surrogateescape")


def get_mb(ctx: MsgContext) -> Value:
    return ctx.msg.data.decode("utf-8", "surrogateescape")


def get_ml(ctx: MsgContext) -> Value:
    return len(ctx.msg.data)


def get_mt(ctx: MsgContext) -> Value:
    return 1 if ctx.msg.is_request else 2


# ---- identity headers ----------------------------------------------------------------------


def _first_nameaddr(ctx: MsgContext, hid: int) -> NameAddr | None:
    msg = ctx.msg
    hids = msg.header_ids
    if hid not in hids:
        return None
    try:
        form = msg.parsed(hids.index(hid))
    except SipParseError:
        return None
    if isinstance(form, list):
        return form[0] if form else None
    return form  # type: ignore[no-any-return]


def _na_getter(hid: int, part: str) -> Getter:
    def get(ctx: MsgContext) -> Value:
        na = _first_nameaddr(ctx, hid)
        if na is None:
            return None
        if part == "uri":
            return na.uri_text or None
        if part == "display":
            return na.display_raw or None
        if part in ("user", "host"):
            u = uri_of(na.uri_text)
            return (getattr(u, part) or None) if u is not None else None
        v = na.param(part)
        return v if v else None

    return get


# ---- credentials ----------------------------------------------------------------------------


def _credentials(ctx: MsgContext) -> Credentials | None:
    msg = ctx.msg
    try:
        first, second = (
            (msg.authorization, msg.proxy_authorization)
            if _method(ctx) == "REGISTER"
            else (msg.proxy_authorization, msg.authorization)
        )
    except SipParseError:
        return None
    creds = first or second
    if not creds or not creds[0].is_digest:
        return None  # Kamailio parses Digest credentials only
    return creds[0]


def _cred_getter(part: str) -> Getter:
    def get(ctx: MsgContext) -> Value:
        c = _credentials(ctx)
        if c is None:
            return None
        if part == "username":
            return c.username
        if part in ("user", "domain"):
            un = c.username
            if un is None:
                return None
            user, _, dom = un.partition("@")
            return user if part == "user" else dom
        return c.get(part) or ""

    return get


def get_Au(ctx: MsgContext) -> Value:
    try:
        f = ctx.msg.from_
    except SipParseError:
        return None
    u = uri_of(f.uri_text) if f is not None else None
    if u is None or not u.user:
        return None
    return f"{u.user}@{u.host}"


def hdr_specs() -> list[PVSpec]:
    """The PVSpecs of this file."""
    return [
        _HDR.spec(),
        HdrcPV().spec(),
        HflPV().spec(),
        HflcPV().spec(),
        PVSpec("rm", get_rm, doc="method"),
        PVSpec("rmid", get_rmid, doc="method id"),
        PVSpec("rs", get_rs, doc="reply status"),
        PVSpec("rr", get_rr, doc="reply reason"),
        PVSpec("rv", get_rv, doc="SIP version"),
        PVSpec("ci", get_ci, doc="Call-ID"),
        PVSpec("cs", get_cs, doc="CSeq number"),
        PVSpec("ct", _first_value(H.CONTACT), doc="Contact"),
        PVSpec("ua", _first_value(H.USER_AGENT), doc="User-Agent"),
        PVSpec("cT", _first_value(H.CONTENT_TYPE), doc="Content-Type"),
        PVSpec("cl", get_cl, doc="Content-Length"),
        PVSpec("bs", get_bs, doc="body size"),
        PVSpec("rb", get_rb, doc="body"),
        PVSpec("mb", get_mb, doc="whole message"),
        PVSpec("ml", get_ml, doc="message length"),
        PVSpec("mt", get_mt, doc="message type: 1 request, 2 reply"),
        PVSpec("di", _na_getter(H.DIVERSION, "uri"), doc="Diversion URI"),
        PVSpec("dip", _na_getter(H.DIVERSION, "privacy"), doc="Diversion privacy"),
        PVSpec("dir", _na_getter(H.DIVERSION, "reason"), doc="Diversion reason"),
        PVSpec("rt", _na_getter(H.REFER_TO, "uri"), doc="Refer-To URI"),
        PVSpec("re", _na_getter(H.REMOTE_PARTY_ID, "uri"), doc="Remote-Party-ID URI"),
        PVSpec("ai", _na_getter(H.P_ASSERTED_IDENTITY, "uri"), doc="P-Asserted-Identity URI"),
        PVSpec("pu", _na_getter(H.P_PREFERRED_IDENTITY, "uri"), doc="P-Preferred-Identity URI"),
        PVSpec("pU", _na_getter(H.P_PREFERRED_IDENTITY, "user"), doc="P-Preferred-Identity user"),
        PVSpec("pd", _na_getter(H.P_PREFERRED_IDENTITY, "host"), doc="P-Preferred-Identity host"),
        PVSpec(
            "pn", _na_getter(H.P_PREFERRED_IDENTITY, "display"), doc="P-Preferred-Identity name"
        ),
        PVSpec("adu", _cred_getter("uri"), doc="credentials digest URI"),
        PVSpec("aa", _cred_getter("algorithm"), doc="credentials algorithm"),
        PVSpec("aU", _cred_getter("username"), doc="credentials username"),
        PVSpec("au", _cred_getter("user"), doc="credentials username's user"),
        PVSpec("ad", _cred_getter("domain"), doc="credentials username's domain"),
        PVSpec("ar", _cred_getter("realm"), doc="credentials realm"),
        PVSpec("Au", get_Au, doc="accounting user@domain"),
    ]
