"""siputils Remote-Party-ID functions over the RPID value an auth backend (or the
script) stored in the `rpid_avp` AVP (default `$avp(s:rpid)`).

* append_rpid_hf() / append_rpid_hf(prefix, suffix): appends
  `Remote-Party-ID: <prefix><value><suffix>` after the last header (the rpid_prefix /
  rpid_suffix modparams without arguments); 1, or -1 when the AVP is not set or
  rpid_avp is empty.
* is_rpid_user_e164(): 1 when the value (a name-addr or a bare URI, sip or tel) has an
  E.164 user part (`+` and 2..15 digits), -1 otherwise, when it does not parse or when
  the AVP is not set.
"""

from __future__ import annotations

from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.pv.access import PVAccess, compile_pv
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_nameaddr import parse_nameaddr
from siprouter.sip.lumps import LumpError

from .siputils_args import log
from .siputils_checks import e164, parse_ok

PARAMS: dict[str, str] = {
    "rpid_prefix": "",
    "rpid_suffix": ";party=calling;id-type=subscriber;screen=yes",
    "rpid_avp": "$avp(s:rpid)",
}
_ACCESS: dict[str, PVAccess | None] = {}


def validate_avp(value: Any) -> str:
    """rpid_avp must be empty or one AVP spec ($avp(name))."""
    text = str(value).strip()
    if text and not text.startswith("$avp("):
        raise ValueError(f"{text!r} is not an AVP ($avp(name))")
    if text:
        try:
            compile_pv(text)
        except ConfigError as e:
            raise ValueError(e.message) from None
    return text


def _rpid(ctx: MsgContext) -> str | None:
    spec = PARAMS["rpid_avp"]
    if not spec:
        return None
    acc = _ACCESS.get(spec)
    if acc is None:
        acc = _ACCESS[spec] = compile_pv(spec)
    value = acc.get(ctx)
    return None if value is None else str(value)


def append_rpid_hf(ctx: MsgContext, prefix: str | None = None, suffix: str | None = None) -> int:
    value = _rpid(ctx)
    if value is None:
        return -1
    pre = PARAMS["rpid_prefix"] if prefix is None else prefix
    suf = PARAMS["rpid_suffix"] if suffix is None else suffix
    try:
        ctx.changes.add_header(f"Remote-Party-ID: {pre}{value}{suf}\r\n")
    except LumpError as e:
        log.error("append_rpid_hf: %s", e)
        return -1
    return 1


def is_rpid_user_e164(ctx: MsgContext) -> int:
    value = _rpid(ctx)
    if value is None:
        return -1
    data = value.encode("utf-8", "surrogateescape")
    try:
        uri_text = parse_nameaddr(data, 0, len(data)).uri_text
    except SipParseError:
        log.error("is_rpid_user_e164: failed to parse RPID %r", value)
        return -1
    uri = parse_ok(uri_text)
    if uri is None:
        log.error("is_rpid_user_e164: failed to parse RPID URI %r", uri_text)
        return -1
    return 1 if e164(uri.user) else -1
