"""siputils Contact encoding: encode_contact / decode_contact(_header) and the
contact_param_* functions (Base64URL in a URI parameter), as Kamailio 5.6.3 does them.

* encode_contact(prefix, host): every URI of the first Contact header,
  `sip:user:pw@ip:port;transport=proto;...`, becomes
  `sip:prefix*user*pw*ip*port*proto@host` (`*` is the first character of the
  contact_flds_separator modparam; URI parameters other than transport are dropped,
  header parameters stay). `*` contacts are kept. 1; -1 without a Contact header;
  -509 (Kamailio's code) and no change when one URI is sips:. A tel: URI encodes
  as `tel:prefix*number****@host`.
* decode_contact(): the R-URI `sip:prefix*user*pw*ip*port*proto@host;params` becomes
  `sip:user:pw@ip:port;transport=proto;params`; 1, or -26 when the user part does not
  hold the six fields. decode_contact_header(): the same for the URIs of the first
  Contact header.
* contact_param_encode(pname, saddr): each URI of the first Contact header becomes
  `saddr;pname=<Base64URL of the URI, no padding>`; contact_param_decode(pname) puts
  the decoded URI back (URIs without the parameter stay); contact_param_decode_ruri(pname)
  does it for the R-URI; contact_param_rm(pname) removes the parameter. 1 (also
  without a Contact header), -1 when the edits collide with other pending ones.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from siprouter.engine.context import MsgContext
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_nameaddr import NameAddr
from siprouter.sip.lumps import LumpError

from .siputils_args import log
from .siputils_checks import parse_ok
from .siputils_uri import without_param

PARAMS: dict[str, str] = {"contact_flds_separator": "*"}

DECODE_ERROR = -26
ENCODE_SCHEME_ERROR = -509


def _sep() -> str:
    return (PARAMS["contact_flds_separator"] or "*")[0]


def first_contacts(ctx: MsgContext) -> list[NameAddr] | None:
    msg = ctx.msg
    try:
        i = msg.header_ids.index(H.CONTACT)
    except ValueError:
        return None
    try:
        return list(msg.parsed(i))
    except SipParseError:
        return None


def _rewrite_contacts(
    ctx: MsgContext, fname: str, new_uri: Callable[[str], str | None], missing: int = -1
) -> int:
    """Replace each non-star URI of the first Contact header by new_uri(text) (None:
    keep it); 1, `missing` without a Contact header, -1 on colliding edits."""
    contacts = first_contacts(ctx)
    if contacts is None:
        log.error("%s: no Contact header present", fname)
        return missing
    edits: list[tuple[int, int, str]] = []
    for na in contacts:
        if na.star:
            continue
        new = new_uri(na.uri_text)
        if new is not None:
            edits.append((na.uri_start, na.uri_end, new))
    try:
        for start, end, new in edits:
            ctx.changes.lumps.replace(start, end, new.encode(), what=fname)
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return -1
    return 1


def encode_uri(text: str, prefix: str, host: str) -> str | None:
    uri = parse_ok(text)
    if uri is None or uri.scheme not in ("sip", "tel"):
        return None
    s = _sep()
    fields = (prefix, uri.user, uri.password or "", uri.host, uri.port_text, uri.transport or "")
    return f"{uri.scheme}:{s.join(fields)}@{host}"


def encode_contact(ctx: MsgContext, prefix: str, host: str) -> int:
    contacts = first_contacts(ctx) or []
    if any(not na.star and na.uri_text[:5].lower() == "sips:" for na in contacts):
        log.error("encode_contact: sips: URIs cannot be encoded")
        return ENCODE_SCHEME_ERROR
    return _rewrite_contacts(ctx, "encode_contact", lambda t: encode_uri(t, prefix, host))


def decode_uri(text: str) -> str | None:
    """The URI encode_uri() encoded, None when `text` is not one."""
    colon = text.find(":")
    at = text.rfind("@")
    if colon < 0 or at < colon:
        return None
    fields = text[colon + 1 : at].split(_sep())
    if len(fields) != 6:
        return None
    _prefix, user, pw, ip, port, proto = fields
    if not ip:
        return None
    rest = text[at + 1 :]
    semi = rest.find(";")
    params = rest[semi:] if semi >= 0 else ""
    userinfo = (user + (f":{pw}" if pw else "") + "@") if user else ""
    hostport = ip + (f":{port}" if port else "")
    transport = f";transport={proto}" if proto else ""
    return f"{text[:colon]}:{userinfo}{hostport}{transport}{params}"


def decode_contact(ctx: MsgContext) -> int:
    new = decode_uri(ctx.ruri)
    if new is None:
        log.error("decode_contact: failed decoding contact [%s]", ctx.ruri)
        return DECODE_ERROR
    ctx.new_uri = new
    return 1


def decode_contact_header(ctx: MsgContext) -> int:
    contacts = first_contacts(ctx)
    if contacts is None:
        log.error("decode_contact_header: no Contact header present")
        return -1
    for na in contacts:
        if not na.star and decode_uri(na.uri_text) is None:
            log.error("decode_contact_header: failed decoding contact [%s]", na.uri_text)
            return DECODE_ERROR
    return _rewrite_contacts(ctx, "decode_contact_header", decode_uri)


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogateescape")).rstrip(b"=").decode()


def unb64url(text: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", "surrogateescape")


def contact_param_encode(ctx: MsgContext, pname: str, saddr: str) -> int:
    def encoded(text: str) -> str:
        return f"{saddr};{pname}={b64url(text)}"

    return _rewrite_contacts(ctx, "contact_param_encode", encoded, missing=1)


def _param_value(text: str, pname: str) -> str | None:
    uri = parse_ok(text)
    if uri is None:
        return None
    for n, v in uri.sip_param_list:
        if n == pname and v:
            return v
    return None


def _decoded(text: str, pname: str) -> str | None:
    value = _param_value(text, pname)
    return None if value is None else unb64url(value)


def contact_param_decode(ctx: MsgContext, pname: str) -> int:
    return _rewrite_contacts(ctx, "contact_param_decode", lambda t: _decoded(t, pname), missing=1)


def contact_param_decode_ruri(ctx: MsgContext, pname: str) -> int:
    new = _decoded(ctx.ruri, pname)
    if new is not None:
        ctx.new_uri = new
    return 1


def contact_param_rm(ctx: MsgContext, pname: str) -> int:
    return _rewrite_contacts(ctx, "contact_param_rm", lambda t: without_param(t, pname), missing=1)
