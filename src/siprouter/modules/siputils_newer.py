"""siputils functions and parameters of Kamailio releases after 5.6.3.

Kamailio 5.6.3 does not have them (its `-c` rejects them), so there is no reference to
run them against; they follow the module's documentation:

* e164_max_len (int modparam, default 16): the longest E.164 number, '+' included, for
  is_e164, is_uri_user_e164 and is_rpid_user_e164 (16 gives 5.6.3's 15 digits);
* contact_param_check(pname): 1 when a URI of the first Contact header has a parameter
  `pname`, else -1 (also without a Contact header);
* tel2sip2(uri, hostpart, $result): tel2sip() closer to RFC 3261 19.1.6: the number
  without visual separators, then the tel: parameters lower-cased and ordered isub,
  postd, then the others by name; a phone-context that is a domain is dropped, one that
  is a number loses its visual separators. Return codes as tel2sip (1, 2, -1);
* sip_parse_headers(): parses every header of the message; 1 when all parse, else -1.
"""

from __future__ import annotations

from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.access import PVAccess
from siprouter.sip.errors import SipParseError

from . import siputils_checks as chk
from .siputils_args import log
from .siputils_checks import parse_ok
from .siputils_contact import first_contacts

_VISUAL = str.maketrans("", "", "-.()")
_FIRST = ("isub", "postd")


def set_e164_max_len(value: Any) -> None:
    chk.set_e164_max_digits(int(value) - 1)


def valid_e164_max_len(value: Any) -> int:
    if not isinstance(value, int) or not 3 <= value <= 64:
        raise ValueError(f"e164_max_len {value!r} is not in 3..64")
    return value


def contact_param_check(ctx: MsgContext, pname: str) -> int:
    for na in first_contacts(ctx) or []:
        if na.star:
            continue
        uri = parse_ok(na.uri_text)
        if uri is not None and any(n == pname for n, _v in uri.sip_param_list):
            return 1
    return -1


def _is_number(text: str) -> bool:
    digits = text.translate(_VISUAL)
    return bool(digits) and (digits[0] == "+" or digits[0].isdigit())


def tel2sip2_text(uri: str, host: str) -> str | None:
    """The SIP URI for a tel: URI text, None when it is not one."""
    if uri[:4].lower() != "tel:":
        return None
    number, _sep, ptext = uri[4:].partition(";")
    params: list[tuple[str, str]] = []
    for item in ptext.split(";") if ptext else []:
        if not item:
            continue
        name, eq, value = item.lower().partition("=")
        if name == "phone-context":
            if not _is_number(value):
                continue  # a domain: dropped
            value = value.translate(_VISUAL)
        params.append((name, f"={value}" if eq else ""))
    first = [p for key in _FIRST for p in params if p[0] == key]
    rest = sorted((p for p in params if p[0] not in _FIRST), key=lambda p: p[0])
    extra = "".join(f";{n}{v}" for n, v in first + rest)
    return f"sip:{number.translate(_VISUAL)}{extra}@{host};user=phone"


def tel2sip2(ctx: MsgContext, uri: str, host: str, out: PVAccess) -> int:
    result = tel2sip2_text(uri, host)
    if result is None:
        return 2
    if out.set is None:
        return -1
    try:
        out.set(ctx, result)
    except Exception as e:  # a PV setter refusing the value (PVError and friends)
        log.error("tel2sip2: cannot set %s: %s", out.raw, e)
        return -1
    return 1


def sip_parse_headers(ctx: MsgContext) -> int:
    try:
        ctx.msg.parse_all()
    except SipParseError as e:
        log.error("sip_parse_headers: %s", e)
        return -1
    return 1
