"""URI pseudo-variables: the Request-URI ($ru $rU $rd $rp $rP $rz, original $ou $oU),
the destination URI ($du $dd $dp $dP), the aliases $ruri $duri $ouri $from $to,
$od $op $oP, user lengths $rUl $fUl $tUl, and From/To ($fu $fU $fd $fn $ft, $tu $tU $td
$tn $tt).

Formats follow Kamailio 5.6.3 (tests/unit/pv/test_pv_kamailio.py): a missing user or
a reply's R-URI is $null; $rd keeps IPv6 brackets; $rp / $dp are the port as a string
(Kamailio types them as strings: `$rp + 1` is "50601"), "5060" when none is written
(also for sips); $rP / $dP are the transport parameter as
written, "UDP" when there is none; $rz is the URI type (sip, sips, tel, tels, urn; a
sip URI with user=phone is "tel" under phone2tel); $fn/$tn are the display name as
written (quotes kept).

Setters change the message the way Kamailio does, through the context: $ru, $rU, $rd,
$rp set `ctx.new_uri` ($ru takes any string, $null or a number fail; $rU/$rd/$rp
rebuild the URI like the rewrite* functions do and fail when it is not one); $du sets
`ctx.dst_uri` (any string; $null resets it); a number is refused by all of them but $rp, as in
Kamailio ("str value required"); $fu/$fU/$fd/$fn
and the To ones record lumps that replace the header's URI or display name (reading
them still gives the received value, as in Kamailio).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from siprouter.modules.registry import PVSpec
from siprouter.sip.errors import SipParseError
from siprouter.sip.lumps import LumpError
from siprouter.sip.uri import SipUri, UriError, parse_uri_cached
from siprouter.stats.core import bad_uri

from .pvclass import PVError, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext
    from siprouter.sip.hdr_nameaddr import NameAddr


def uri_of(text: str) -> SipUri | None:
    """The parsed URI, None when the text is not one (cached: URIs repeat a lot)."""
    try:
        return parse_uri_cached(text)
    except UriError:
        return None


def _nz(s: str | None) -> str | None:
    return s if s else None


def _port(u: SipUri | None) -> Value:
    # a string, as in Kamailio ($rp + 1 is "50601" there): the port text, "5060" if none
    if u is None:
        return None
    return u.port_text or "5060"


def _transport(u: SipUri | None) -> Value:
    if u is None:
        return None
    t = u.transport
    return t if t else "UDP"


# ---- Request-URI ------------------------------------------------------------------------


def _ruri(ctx: MsgContext) -> SipUri | None:
    nu = ctx.new_uri
    if nu is not None:
        return uri_of(nu)
    r = ctx.msg.ruri
    if r is None:
        return None
    u = uri_of(r)
    if u is None:
        bad_uri()  # core statistic bad_URIs_rcvd: each failed parse of the R-URI
    return u


def get_ru(ctx: MsgContext) -> Value:
    nu = ctx.new_uri
    text = nu if nu is not None else ctx.msg.ruri
    if text is None or uri_of(text) is None:
        return None
    return text


def get_rU(ctx: MsgContext) -> Value:
    u = _ruri(ctx)
    return _nz(u.user) if u is not None else None


def get_rd(ctx: MsgContext) -> Value:
    u = _ruri(ctx)
    return _nz(u.host) if u is not None else None


def get_rp(ctx: MsgContext) -> Value:
    return _port(_ruri(ctx))


def get_rP(ctx: MsgContext) -> Value:
    return _transport(_ruri(ctx))


def get_rz(ctx: MsgContext) -> Value:
    u = _ruri(ctx)
    return u.type if u is not None else None


def _orig(ctx: MsgContext) -> SipUri | None:
    r = ctx.msg.ruri
    return uri_of(r) if r is not None else None


def get_ou(ctx: MsgContext) -> Value:
    r = ctx.msg.ruri
    return r if r is not None and uri_of(r) is not None else None


def get_oU(ctx: MsgContext) -> Value:
    u = _orig(ctx)
    return _nz(u.user) if u is not None else None


def get_od(ctx: MsgContext) -> Value:
    u = _orig(ctx)
    return _nz(u.host) if u is not None else None


def get_op(ctx: MsgContext) -> Value:
    return _port(_orig(ctx))


def get_oP(ctx: MsgContext) -> Value:
    return _transport(_orig(ctx))


def _user_len(
    get_uri: Callable[[MsgContext], SipUri | None],
) -> Callable[[MsgContext], Value]:
    """Length of the URI's user: 0 without user, $null without URI (as Kamailio)."""

    def length(ctx: MsgContext) -> Value:
        u = get_uri(ctx)
        return None if u is None else len(u.user)

    return length


def _text(value: Value, what: str) -> str:
    if value is None:
        raise PVError(f"cannot set {what} to $null")
    if isinstance(value, int):
        raise PVError(f"{what} needs a string value, got the number {value}")
    return value


def _current_for_rewrite(ctx: MsgContext) -> SipUri:
    if not ctx.msg.is_request:
        raise PVError("the message is a reply: it has no Request-URI")
    u = _ruri(ctx)
    if u is None:
        raise PVError(f"the Request-URI {ctx.ruri!r} is not a valid URI")
    return u


def set_ru(ctx: MsgContext, value: Value) -> None:
    # Kamailio takes any string here; a value that is not a URI makes $ru read $null
    text = _text(value, "$ru")
    if not ctx.msg.is_request:
        raise PVError("the message is a reply: it has no Request-URI")
    ctx.new_uri = text


def _rewrite(ctx: MsgContext, **parts: object) -> None:
    u = _current_for_rewrite(ctx)
    try:
        new = u.replace(**parts)  # type: ignore[arg-type]
    except (UriError, ValueError) as e:
        raise PVError(f"cannot rewrite the Request-URI: {e}") from None
    ctx.new_uri = str(new)


def set_rU(ctx: MsgContext, value: Value) -> None:
    _rewrite(ctx, user="" if value is None else _text(value, "$rU"))


def set_rd(ctx: MsgContext, value: Value) -> None:
    host = _text(value, "$rd")
    u = _current_for_rewrite(ctx)
    try:
        ctx.new_uri = str(u.replace(host=host))
    except (UriError, ValueError) as e:
        raise PVError(f"cannot rewrite the Request-URI: {e}") from None


def set_rp(ctx: MsgContext, value: Value) -> None:
    if value is None or value == "":
        _rewrite(ctx, port=None)
        return
    try:
        port = int(value)
    except ValueError:
        raise PVError(f"bad port {value!r} for $rp") from None
    if not 0 <= port <= 65535:
        raise PVError(f"bad port {value!r} for $rp")
    _rewrite(ctx, port=port)


# ---- destination URI ---------------------------------------------------------------------


def get_du(ctx: MsgContext) -> Value:
    return ctx.dst_uri


def set_du(ctx: MsgContext, value: Value) -> None:
    if value is None or value == "":
        ctx.dst_uri = None
        return
    ctx.dst_uri = _text(value, "$du")  # not parsed, as in Kamailio ($dd then reads $null)


def _dst(ctx: MsgContext) -> SipUri | None:
    d = ctx.dst_uri
    return uri_of(d) if d else None


def get_dd(ctx: MsgContext) -> Value:
    u = _dst(ctx)
    return _nz(u.host) if u is not None else None


def get_dp(ctx: MsgContext) -> Value:
    return _port(_dst(ctx))


def get_dP(ctx: MsgContext) -> Value:
    return _transport(_dst(ctx))


# ---- From / To ---------------------------------------------------------------------------


def _na(ctx: MsgContext, to: bool) -> NameAddr | None:
    msg = ctx.msg
    try:
        return msg.to if to else msg.from_
    except SipParseError:
        return None


def _na_uri(ctx: MsgContext, to: bool) -> SipUri | None:
    na = _na(ctx, to)
    return uri_of(na.uri_text) if na is not None else None


def _make_getters(to: bool) -> dict[str, Callable[[MsgContext], Value]]:
    def uri(ctx: MsgContext) -> Value:
        na = _na(ctx, to)
        return na.uri_text if na is not None else None

    def user(ctx: MsgContext) -> Value:
        u = _na_uri(ctx, to)
        return _nz(u.user) if u is not None else None

    def domain(ctx: MsgContext) -> Value:
        u = _na_uri(ctx, to)
        return _nz(u.host) if u is not None else None

    def display(ctx: MsgContext) -> Value:
        na = _na(ctx, to)
        return na.display_raw if na is not None and na.display_raw else None

    def tag(ctx: MsgContext) -> Value:
        na = _na(ctx, to)
        return _nz(na.tag) if na is not None else None

    return {"u": uri, "U": user, "d": domain, "n": display, "t": tag}


def _replace_uri(ctx: MsgContext, to: bool, new_text: str) -> None:
    na = _na(ctx, to)
    hname = "To" if to else "From"
    if na is None:
        raise PVError(f"the message has no valid {hname} header")
    try:
        ctx.changes.lumps.replace(
            na.uri_start, na.uri_end, new_text.encode("utf-8", "surrogateescape"),
            what=f"set {hname} URI",
        )  # fmt: skip
    except LumpError as e:
        raise PVError(str(e)) from None


def _make_setters(to: bool) -> dict[str, Callable[[MsgContext, Value], None]]:
    hname = "To" if to else "From"

    def current(ctx: MsgContext) -> SipUri:
        u = _na_uri(ctx, to)
        if u is None:
            raise PVError(f"the {hname} URI is not valid")
        return u

    def uri(ctx: MsgContext, value: Value) -> None:
        text = _text(value, f"the {hname} URI")
        if uri_of(text) is None:
            raise PVError(f"bad URI {text!r} for the {hname} header")
        _replace_uri(ctx, to, text)

    def user(ctx: MsgContext, value: Value) -> None:
        try:
            new = current(ctx).replace(user="" if value is None else _text(value, hname))
        except (UriError, ValueError) as e:
            raise PVError(f"cannot set the {hname} user: {e}") from None
        _replace_uri(ctx, to, str(new))

    def domain(ctx: MsgContext, value: Value) -> None:
        try:
            new = current(ctx).replace(host=_text(value, f"the {hname} domain"))
        except (UriError, ValueError) as e:
            raise PVError(f"cannot set the {hname} domain: {e}") from None
        _replace_uri(ctx, to, str(new))

    def display(ctx: MsgContext, value: Value) -> None:
        na = _na(ctx, to)
        if na is None:
            raise PVError(f"the message has no valid {hname} header")
        lumps = ctx.changes.lumps
        text = "" if value is None else _text(value, f"the {hname} display name")
        raw = text.encode("utf-8", "surrogateescape")
        try:
            if na.display_raw:
                end = na.start + len(na.display_raw.encode("utf-8", "surrogateescape"))
                if raw:
                    lumps.replace(na.start, end, raw, what=f"set {hname} display name")
                else:  # remove the name and the blank after it
                    while end < na.uri_start - 1 and ctx.msg.data[end] in b" \t":
                        end += 1
                    lumps.delete(na.start, end, what=f"remove {hname} display name")
            elif raw:  # inserted as is, even before a URI without <> (as Kamailio does)
                lumps.insert(na.start, raw + b" ", what=f"set {hname} display name")
        except LumpError as e:
            raise PVError(str(e)) from None

    return {"u": uri, "U": user, "d": domain, "n": display}


def uri_specs() -> list[PVSpec]:
    """The PVSpecs of this file."""
    specs = [
        PVSpec("ru", get_ru, set_ru, doc="Request-URI"),
        PVSpec("rU", get_rU, set_rU, doc="Request-URI user"),
        PVSpec("rd", get_rd, set_rd, doc="Request-URI host"),
        PVSpec("rp", get_rp, set_rp, doc="Request-URI port"),
        PVSpec("rP", get_rP, doc="Request-URI transport"),
        PVSpec("rz", get_rz, doc="Request-URI scheme"),
        PVSpec("ou", get_ou, doc="original Request-URI"),
        PVSpec("oU", get_oU, doc="original Request-URI user"),
        PVSpec("du", get_du, set_du, doc="destination URI"),
        PVSpec("dd", get_dd, doc="destination URI host"),
        PVSpec("dp", get_dp, doc="destination URI port"),
        PVSpec("dP", get_dP, doc="destination URI transport"),
    ]
    for to, letter in ((False, "f"), (True, "t")):
        getters = _make_getters(to)
        setters = _make_setters(to)
        for part, get in getters.items():
            specs.append(
                PVSpec(letter + part, get, setters.get(part), doc=f"{letter} header {part}")
            )
        word = "to" if to else "from"
        specs.append(PVSpec(word, getters["u"], setters["u"], doc=f"same as ${letter}u"))
        specs.append(PVSpec(letter + "Ul", _user_len(partial(_na_uri, to=to)), doc="user length"))
    specs += [
        PVSpec("ruri", get_ru, set_ru, doc="same as $ru"),
        PVSpec("duri", get_du, set_du, doc="same as $du"),
        PVSpec("ouri", get_ou, doc="same as $ou"),
        PVSpec("od", get_od, doc="original Request-URI host"),
        PVSpec("op", get_op, doc="original Request-URI port"),
        PVSpec("oP", get_oP, doc="original Request-URI transport"),
        PVSpec("rUl", _user_len(_ruri), doc="Request-URI user length"),
    ]
    return specs
