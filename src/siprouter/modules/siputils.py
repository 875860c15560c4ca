"""The `siputils` module: SIP and URI utilities (Kamailio's siputils, 5.6.3 names).

The implementations live by theme, each file documenting its semantics:
siputils_checks.py (has_totag, is_request, is_reply, is_numeric, is_alphanum,
is_alphanumex, is_tel_number, is_e164, is_uri_user_e164, is_uri, cmp_uri, cmp_aor,
cmp_hdr_name, is_supported, is_gruu, is_first_hop, is_user, hdr_date_check),
siputils_uri.py (uri_param, uri_param_any, add_uri_param, get_uri_param, uri_param_rm,
tel2sip, set_uri_user, set_uri_host), siputils_options.py (options_reply),
siputils_contact.py (encode_contact, decode_contact, decode_contact_header,
contact_param_encode, contact_param_decode, contact_param_decode_ruri,
contact_param_rm), siputils_rpid.py (append_rpid_hf, is_rpid_user_e164) and
siputils_pcv.py (sip_p_charging_vector, $pcv); siputils_newer.py has what later
Kamailio releases added (contact_param_check, tel2sip2, sip_parse_headers and the
e164_max_len parameter), documented but without a 5.6.3 reference. This file holds the export table, the
argument kinds and the route types each function has in Kamailio 5.6.3.

Arguments Kamailio reads as formats may hold pseudo-variables ("$rU", "$var(x)");
is_e164's and is_uri_user_e164's must be exactly one pseudo-variable;
add_uri_param's and get_uri_param's names and the arguments of encode_contact and
append_rpid_hf are literal text, is_supported's option and
sip_p_charging_vector's flags constants, hdr_date_check's and is_first_hop's ints (or a
PV holding one), and the target of get_uri_param, tel2sip, set_uri_user and
set_uri_host one writable PV.

Parameters: options_accept, options_accept_encoding, options_accept_language,
options_support, contact_flds_separator, rpid_prefix, rpid_suffix, rpid_avp (a bad
AVP spec is refused by -c here, at start-up by Kamailio).

siputils_latest.py has is_sip, is_http and contact_param_encode_alias (Kamailio 5.8+,
no 5.6.3 reference either).

cfg group `siputils` (runtime/core_cfg.py): `ring_timeout`, as in 5.6.3 not readable
and only positive values set; 5.6.3 has no ring feature using it any more, so it is
stored only (docs/runtime-config.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
    mark_dynamic,
)

from . import siputils_checks as chk
from . import siputils_contact as con
from . import siputils_latest as latest
from . import siputils_newer as new
from . import siputils_options as opt
from . import siputils_pcv as pcv
from . import siputils_rpid as rpid
from . import siputils_uri as uri
from .siputils_args import fix_fmt, fix_int, fix_out_pv, fix_pv, int_value, text_value

R = RouteType
ANY = R.ANY
REQ = R.REQUEST
RFB = R.REQUEST | R.FAILURE | R.BRANCH
ROR = R.REQUEST | R.ONREPLY

_FIX: dict[str, Callable[[Any], Any]] = {
    "f": fix_fmt,  # a format (PVs allowed)
    "s": str,  # literal text
    "i": fix_int,  # an int or a PV holding one
    "o": fix_out_pv,  # a writable PV
    "p": fix_pv,  # one PV, read
    "O": chk.fix_option,  # a Supported option
    "v": pcv.fix_flags,  # P-Charging-Vector flags
}


def _fixup(kinds: str) -> Callable[[Sequence[Any]], list[Any]]:
    def fix(args: Sequence[Any]) -> list[Any]:
        return [_FIX[kinds[i]](a) for i, a in enumerate(args)]

    return fix


def _render(ctx: MsgContext, kinds: str, args: tuple[Any, ...], fname: str) -> list[Any] | None:
    """Arguments at run time: formats rendered, int PVs read (None: one is not an int)."""
    out: list[Any] = []
    for k, a in zip(kinds, args, strict=False):
        if k == "f":
            out.append(text_value(ctx, a))
        elif k == "p":
            v = a.get(ctx)
            out.append("" if v is None else str(v))
        elif k == "i":
            v = int_value(ctx, a, fname)
            if v is None:
                return None
            out.append(v)
        else:
            out.append(a)
    return out


def _ctx_fn(name: str, kinds: str, impl: Callable[..., int]) -> Callable[..., int]:
    """A function of (ctx, args...) with its arguments rendered first."""

    def call(ctx: MsgContext, *args: Any) -> int:
        values = _render(ctx, kinds, args, name)
        return -1 if values is None else impl(ctx, *values)

    call.__name__ = name
    return call


def _str_fn(name: str, kinds: str, impl: Callable[..., int]) -> Callable[..., int]:
    """A function over its (rendered) arguments only."""

    def call(ctx: MsgContext, *args: Any) -> int:
        values = _render(ctx, kinds, args, name)
        return -1 if values is None else impl(*values)

    call.__name__ = name
    return call


def _spec(
    name: str,
    kinds: str,
    func: Callable[..., int],
    routes: RouteType,
    counts: tuple[int, ...] | None = None,
    doc: str = "",
) -> FunctionSpec:
    return FunctionSpec(
        name,
        func,
        counts if counts is not None else (len(kinds),),
        tuple(ArgKind.STR for _ in kinds),
        route_types=routes,
        fixup=_fixup(kinds) if kinds else None,
        doc=doc or name.replace("_", " "),
    )


def _c(
    name: str, kinds: str, impl: Callable[..., int], routes: RouteType, **kw: Any
) -> FunctionSpec:
    return _spec(name, kinds, _ctx_fn(name, kinds, impl), routes, **kw)


def _s(
    name: str, kinds: str, impl: Callable[..., int], routes: RouteType, **kw: Any
) -> FunctionSpec:
    return _spec(name, kinds, _str_fn(name, kinds, impl), routes, **kw)


FUNCTIONS = [
    _c("has_totag", "", chk.has_totag, ANY, doc="1 when the To header has a tag"),
    _c("is_request", "", chk.is_request, ANY),
    _c("is_reply", "", chk.is_reply, ANY),
    _s("is_numeric", "f", chk.is_numeric, ANY),
    _s("is_alphanum", "f", chk.is_alphanum, ANY),
    _s("is_alphanumex", "ff", chk.is_alphanumex, ANY),
    _s("is_tel_number", "f", chk.is_tel_number, ANY),
    _s("is_e164", "p", chk.is_e164, R.REQUEST | R.FAILURE | R.LOCAL),
    _s("is_uri_user_e164", "p", chk.is_uri_user_e164, ANY),
    _s("is_uri", "f", chk.is_uri, ANY),
    _s("cmp_uri", "ff", chk.cmp_uri, ANY),
    _s("cmp_aor", "ff", chk.cmp_aor, ANY),
    _s("cmp_hdr_name", "ff", chk.cmp_hdr_name, ANY),
    _c("is_supported", "O", chk.is_supported, ANY),
    _c("is_gruu", "f", chk.is_gruu, ANY, counts=(0, 1)),
    _c("is_first_hop", "i", chk.is_first_hop, ANY, counts=(0, 1)),
    _c("is_user", "f", chk.is_user, REQ),
    _c("hdr_date_check", "i", chk.hdr_date_check, ANY),
    _c("uri_param", "ff", uri.uri_param, RFB, counts=(1, 2)),
    _c("uri_param_any", "f", uri.uri_param_any, RFB),
    _c("add_uri_param", "s", uri.add_uri_param, REQ),
    _c("get_uri_param", "so", uri.get_uri_param, REQ),
    _c("uri_param_rm", "f", uri.uri_param_rm, RFB),
    _c("tel2sip", "ffo", uri.tel2sip, R.REQUEST | R.FAILURE | R.ONREPLY | R.BRANCH),
    _c("set_uri_user", "of", uri.set_uri_user, ANY),
    _c("set_uri_host", "of", uri.set_uri_host, ANY),
    _c("options_reply", "", opt.options_reply, REQ, doc="200 OK with capabilities"),
    _c("encode_contact", "ss", con.encode_contact, ROR),
    _c("decode_contact", "", con.decode_contact, REQ),
    _c("decode_contact_header", "", con.decode_contact_header, ROR | R.FAILURE),
    _c("contact_param_encode", "ff", con.contact_param_encode, ROR),
    _c("contact_param_decode", "f", con.contact_param_decode, ROR),
    _c("contact_param_decode_ruri", "f", con.contact_param_decode_ruri, REQ),
    _c("contact_param_rm", "f", con.contact_param_rm, ROR),
    _c("append_rpid_hf", "ss", rpid.append_rpid_hf, RFB, counts=(0, 2)),
    _c("is_rpid_user_e164", "", rpid.is_rpid_user_e164, REQ),
    _c("sip_p_charging_vector", "v", pcv.sip_p_charging_vector, ANY),
    _c("contact_param_check", "f", new.contact_param_check, ROR),
    _c("tel2sip2", "ffo", new.tel2sip2, R.REQUEST | R.FAILURE | R.ONREPLY | R.BRANCH),
    _c("sip_parse_headers", "", new.sip_parse_headers, ANY),
    _c("is_sip", "", latest.is_sip, ANY),
    _c("is_http", "", latest.is_http, ANY),
    _c("contact_param_encode_alias", "ff", latest.contact_param_encode_alias, ROR),
]


def _str_param(name: str, table: dict[str, str], validator: Any = None) -> ParamSpec:
    def put(value: Any) -> None:
        table[name] = str(value)

    return ParamSpec(name, ParamType.STR, table[name], validator=validator, setter=put)


_DEFAULTS: list[tuple[dict[str, Any], str, Any]] = [
    *((opt.PARAMS, k, v) for k, v in opt.PARAMS.items()),
    *((con.PARAMS, k, v) for k, v in con.PARAMS.items()),
    *((rpid.PARAMS, k, v) for k, v in rpid.PARAMS.items()),
]


def reset() -> None:
    """Back to the defaults (tests, reloading a config)."""
    for table, key, value in _DEFAULTS:
        table[key] = value
    new.set_e164_max_len(16)


def _init(loaded: Any) -> None:
    """mod_init: take every parameter from the loaded module (defaults included); the
    module's cfg group (siputils.ring_timeout, stored only: docs/runtime-config.md) is
    declared, which custom parameters of the same group name make fail, as in Kamailio
    5.6.3."""
    from siprouter.cfg.core_cfg_vars import module_group_error
    from siprouter.runtime.lifecycle import ModuleInitError

    error = module_group_error("siputils")
    if error:
        raise ModuleInitError(error)
    for table, key, _value in _DEFAULTS:
        table[key] = loaded.param(key)
    new.set_e164_max_len(loaded.param("e164_max_len"))


PARAMS = [
    *(_str_param(k, opt.PARAMS) for k in opt.PARAMS),
    _str_param("contact_flds_separator", con.PARAMS),
    _str_param("rpid_prefix", rpid.PARAMS),
    _str_param("rpid_suffix", rpid.PARAMS),
    _str_param("rpid_avp", rpid.PARAMS, validator=rpid.validate_avp),
    ParamSpec(
        "e164_max_len",
        ParamType.INT,
        16,
        validator=new.valid_e164_max_len,
        setter=new.set_e164_max_len,
        doc="longest E.164 number, '+' included (newer than 5.6.3)",
    ),
]

# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = dict.fromkeys(
    (
        "is_numeric", "is_alphanum", "is_alphanumex", "is_tel_number", "is_e164",
        "is_uri_user_e164", "is_uri", "cmp_uri", "cmp_aor", "cmp_hdr_name", "is_gruu",
        "is_first_hop", "is_user", "hdr_date_check", "uri_param", "uri_param_any",
        "add_uri_param", "get_uri_param", "uri_param_rm", "set_uri_user", "set_uri_host",
        "encode_contact", "contact_param_encode", "contact_param_decode",
        "contact_param_decode_ruri", "contact_param_rm", "append_rpid_hf",
        "sip_p_charging_vector",
    ),
    True,
)  # fmt: skip

EXPORTS = ModuleExports.of(
    "siputils",
    functions=mark_dynamic(FUNCTIONS, DYNAMIC_ARGS),
    params=PARAMS,
    pvs=[pcv.PCV.spec()],
    init=_init,
)
