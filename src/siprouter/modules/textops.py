"""The `textops` module: text operations on the SIP message and on strings.

The implementations are in textops_msg.py (search/replace/subst over the message and
its body, has_body), textops_hdr.py (header presence, removal, insertion, search_hf,
subst_hf), textops_str.py (string comparisons, is_method), textops_sdp.py
(is_audio_on_hold, append_time_to_request), textops_multipart.py (multipart
bodies), textops_reply.py (what goes into the
replies) and textops_re.py (regexes
and subst expressions); each documents its semantics. This file holds the export table
and the argument fix-ups: constant regexes and subst expressions are compiled once
(a bad one is a config error); arguments Kamailio reads as formats may hold
pseudo-variables ("$rU", "$var(x)") and are rendered per message; header names given
as constants are resolved once (the *_pv variants render them per message).

Registered (as Kamailio 5.6.3 names them): is_method, has_body, is_present_hf,
is_present_hf_pv, is_present_hf_re, is_present_hf_re_pv, append_hf, insert_hf,
append_urihf, remove_hf, remove_hf_pv, remove_hf_re, remove_hf_re_pv, remove_hf_exp,
remove_hf_exp_pv, remove_hf_idx, remove_hf_match, search, search_body, search_append,
search_append_body, search_hf, search_str, replace, replace_all, replace_body,
replace_body_all, replace_body_atonce, replace_body_str, replace_hdrs, replace_hdrs_str,
regex_substring, set_body, is_privacy, is_audio_on_hold, append_time_to_request,
subst, subst_body, subst_hf, subst_uri, subst_user, starts_with, ends_with, cmp_str,
cmp_istr, in_list, in_list_prefix, str_find, str_ifind; append_to_reply,
set_reply_body, append_time (textops_reply.py: stored per message, sl adds them to
its replies); replace_str; filter_body, get_body_part, get_body_part_raw,
remove_body_part, append_body_part, append_body_part_hex, set_body_multipart
(textops_multipart.py: multipart bodies); str_any_in, str_all_in, subst_v,
via_param_rm, set_body_hex, set_reply_body_hex (textops_newer.py: functions of later
Kamailio releases, following their documentation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    RouteType,
    mark_dynamic,
)
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, compile_format

from . import textops_hdr as hdr
from . import textops_msg as tm
from . import textops_multipart as mp
from . import textops_newer as nw
from . import textops_reply as trpl
from . import textops_sdp as sdp
from . import textops_str as ts
from .textops_re import compile_msg_re, parse_subst

Arg = str | Format


_MODULE_PVS: list[Any] = []


def _module_pv_compiler() -> Any:
    """A PV compiler that also knows textopsx's PVs ($hfitname, $hfitbody, $blitval):
    a fix-up gets no compiler of the config, and the default one knows the pv module's
    PVs only. (So those PVs compile in these arguments even without textopsx loaded.)"""
    if not _MODULE_PVS:
        from siprouter.modules.loader import LoadedModules
        from siprouter.pv.access import PVCompiler

        mods = LoadedModules()
        for name in ("pv", "textopsx"):
            mods.load(name)
        _MODULE_PVS.append(PVCompiler(mods))
    return _MODULE_PVS[0]


def _fmt(a: Any) -> Arg:
    text = str(a)
    if "$" not in text:
        return text
    try:
        fmt = compile_format(text)
    except ConfigError:
        try:
            fmt = compile_format(text, _module_pv_compiler())
        except ConfigError as e:
            raise ValueError(e.message) from None
    return fmt.constant if fmt.constant is not None else fmt


def _val(ctx: MsgContext, a: Arg) -> str:
    return a if isinstance(a, str) else a.render(ctx)


def _re(a: Any) -> re.Pattern[bytes]:
    return compile_msg_re(str(a))


def _fmt_or_text(a: Any) -> Arg:
    """A format, or the text as it is when it does not parse as one (a regex's `$`)."""
    try:
        return _fmt(a)
    except ValueError:
        return str(a)


_FIX: dict[str, Callable[[Any], Any]] = {
    "f": _fmt,  # a format (PVs allowed)
    "F": _fmt_or_text,  # a format, else literal text
    "s": str,  # literal text
    "r": _re,  # a regex
    "x": lambda a: parse_subst(str(a)),  # a subst expression
    "h": lambda a: hdr.name_matcher(str(a)),  # a header name
    "R": lambda a: hdr.re_matcher(_re(a)),  # a regex over header names
    "m": tm.fix_mime,  # a content type
    "B": lambda a: compile_msg_re(str(a), newline=False),  # a regex over a whole body
    "i": lambda a: a if isinstance(a, int) else int(str(a).strip()),
    "e": lambda a: compile_msg_re(str(a), icase=False, newline=False),  # plain ERE
    "o": lambda a: _out_pv(a),  # an output pseudo-variable
}


def _out_pv(a: Any) -> Callable[[MsgContext, Any], Any]:
    setter = getattr(a, "set", None)
    if setter is None:
        try:
            setter = compile_pv(str(a).strip()).set
        except ConfigError as e:
            raise ValueError(e.message) from None
    if setter is None:
        raise ValueError(f"{a} is read-only")
    return setter  # type: ignore[no-any-return]


def _fixup(kinds: str) -> Callable[[Sequence[Any]], Sequence[Any]]:
    def fix(args: Sequence[Any]) -> list[Any]:
        return [_FIX[kinds[i]](a) for i, a in enumerate(args)]

    return fix


def _spec(
    name: str,
    func: Callable[..., int],
    kinds: str,
    counts: tuple[int, ...] | None = None,
    routes: RouteType = RouteType.ANY,
    doc: str = "",
) -> FunctionSpec:
    counts = counts if counts is not None else (len(kinds),)
    return FunctionSpec(
        name,
        func,
        counts,
        tuple(ArgKind.STR for _ in kinds) if kinds else (),
        route_types=routes,
        fixup=_fixup(kinds) if kinds else None,
        doc=doc,
    )


# ---- wrappers rendering format arguments ---------------------------------------------


def _str2(f: Callable[[str, str], int]) -> Callable[[MsgContext, Arg, Arg], int]:
    def call(ctx: MsgContext, a: Arg, b: Arg) -> int:
        return f(_val(ctx, a), _val(ctx, b))

    return call


def _str3(f: Callable[[str, str, str], int]) -> Callable[[MsgContext, Arg, Arg, Arg], int]:
    def call(ctx: MsgContext, a: Arg, b: Arg, c: Arg) -> int:
        return f(_val(ctx, a), _val(ctx, b), _val(ctx, c))

    return call


def _str_fn(f: Callable[..., int]) -> Callable[..., int]:
    """A message function whose string arguments are formats."""

    def call(ctx: MsgContext, *args: Arg) -> int:
        return f(ctx, *(_val(ctx, a) for a in args))

    return call


def _append_hf(ctx: MsgContext, text: Arg, name: hdr.NameMatch | None = None) -> int:
    return hdr.add_text(ctx, _val(ctx, text), name, append=True)


def _insert_hf(ctx: MsgContext, text: Arg, name: hdr.NameMatch | None = None) -> int:
    return hdr.add_text(ctx, _val(ctx, text), name, append=False)


def _is_present_hf(ctx: MsgContext, name: hdr.NameMatch) -> int:
    return hdr.is_present(ctx, name)


def _is_present_hf_pv(ctx: MsgContext, name: Arg) -> int:
    return hdr.is_present(ctx, hdr.name_matcher(_val(ctx, name)))


def _dyn_re(ctx: MsgContext, a: Arg, fname: str) -> re.Pattern[bytes] | None:
    try:
        return compile_msg_re(_val(ctx, a))
    except ValueError as e:
        tm.log.error("%s: %s", fname, e)
        return None


def _is_present_hf_re_pv(ctx: MsgContext, a: Arg) -> int:
    rx = _dyn_re(ctx, a, "is_present_hf_re_pv")
    return -1 if rx is None else hdr.is_present(ctx, hdr.re_matcher(rx))


def _remove_hf(ctx: MsgContext, name: hdr.NameMatch) -> int:
    return hdr.remove(ctx, name)


def _remove_hf_pv(ctx: MsgContext, name: Arg) -> int:
    """Kamailio 5.6.3's remove_hf_pv returns 1 even when no header was there."""
    hdr.remove(ctx, hdr.name_matcher(_val(ctx, name)), "remove_hf_pv")
    return 1


def _remove_hf_re_pv(ctx: MsgContext, a: Arg) -> int:
    rx = _dyn_re(ctx, a, "remove_hf_re_pv")
    return -1 if rx is None else hdr.remove(ctx, hdr.re_matcher(rx), "remove_hf_re_pv")


def _remove_hf_exp(ctx: MsgContext, match: hdr.NameMatch, skip: hdr.NameMatch) -> int:
    return hdr.remove_exp(ctx, match, skip)


def _remove_hf_exp_pv(ctx: MsgContext, a: Arg, b: Arg) -> int:
    rx1 = _dyn_re(ctx, a, "remove_hf_exp_pv")
    rx2 = _dyn_re(ctx, b, "remove_hf_exp_pv")
    if rx1 is None or rx2 is None:
        return -1
    return hdr.remove_exp(ctx, hdr.re_matcher(rx1), hdr.re_matcher(rx2))


def _remove_hf_match(ctx: MsgContext, name: Arg, op: Arg, expr: Arg) -> int:
    matcher = hdr.name_matcher(_val(ctx, name))
    return hdr.remove_match(ctx, matcher, _val(ctx, op), _val(ctx, expr))


def _remove_hf_idx(ctx: MsgContext, name: hdr.NameMatch, idx: int) -> int:
    return hdr.remove_idx(ctx, name, idx)


def _search_hf(ctx: MsgContext, name: hdr.NameMatch, rx: re.Pattern[bytes], flags: str = "") -> int:
    return hdr.search_hf(ctx, name, rx, flags)


def _subst_hf(ctx: MsgContext, name: hdr.NameMatch, sub: Any, flags: str = "") -> int:
    return hdr.subst_hf(ctx, name, sub, flags)


def _search_append(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return tm.search_append(ctx, rx, text)


def _append_urihf(ctx: MsgContext, prefix: Arg, suffix: Arg) -> int:
    return hdr.append_urihf(ctx, _val(ctx, prefix), _val(ctx, suffix))


def _search_str(ctx: MsgContext, text: Arg, rx: re.Pattern[bytes]) -> int:
    return ts.search_str(_val(ctx, text), rx)


def _regex_substring(
    ctx: MsgContext,
    text: Arg,
    rx: re.Pattern[bytes],
    index: int,
    mcount: int,
    out: Callable[[MsgContext, Any], Any],
) -> int:
    return ts.regex_substring(_val(ctx, text), rx, index, mcount, lambda v: out(ctx, v))


def _set_body(ctx: MsgContext, body: Arg, ctype: Arg) -> int:
    return tm.set_body(ctx, _val(ctx, body), _val(ctx, ctype))


def _is_privacy(ctx: MsgContext, kind: str) -> int:
    return tm.is_privacy(ctx, kind)


def _has_body(ctx: MsgContext, mime: str | None = None) -> int:
    return tm.has_body(ctx, mime)


def _get_body_part(raw: bool) -> Callable[..., int]:
    def call(ctx: MsgContext, ctype: Arg, out: Callable[[MsgContext, Any], Any]) -> int:
        part = mp.get_body_part(ctx, _val(ctx, ctype), raw)
        if part is None:
            return -1
        out(ctx, part.decode("utf-8", "surrogateescape"))
        return 1

    return call


def _append_body_part(hexa: bool) -> Callable[..., int]:
    def call(ctx: MsgContext, text: Arg, ctype: Arg, disp: Arg | None = None) -> int:
        value = _val(ctx, text)
        data = mp.hex_text(value) if hexa else value.encode("utf-8", "surrogateescape")
        if data is None:
            tm.log.error("append_body_part_hex: bad hex content %r", value)
            return -1
        cd = _val(ctx, disp) if disp is not None else None
        return mp.append_body_part(ctx, data, _val(ctx, ctype), cd)

    return call


def _set_body_multipart(ctx: MsgContext, *args: Arg) -> int:
    """set_body_multipart(), (boundary), (text, type) or (text, type, boundary)."""
    vals = [_val(ctx, a) for a in args]
    if len(vals) == 1:
        return mp.set_body_multipart(ctx, None, None, vals[0])
    if len(vals) >= 2:
        return mp.set_body_multipart(ctx, vals[0], vals[1], vals[2] if len(vals) > 2 else None)
    return mp.set_body_multipart(ctx, None, None, None)


def _subst_v(
    ctx: MsgContext, itext: Arg, subexp: Arg, out: Callable[[MsgContext, Any], Any]
) -> int:
    return nw.subst_v(ctx, _val(ctx, itext), _val(ctx, subexp), out)


def _via_param_rm(ctx: MsgContext, name: Arg, idx: Arg) -> int:
    try:
        index = int(_val(ctx, idx).strip())
    except ValueError:
        tm.log.error("via_param_rm: the index is not a number")
        return -1
    return nw.via_param_rm(ctx, _val(ctx, name), index)


_REQ_FAIL_BRANCH = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH
_NOT_ONSEND = RouteType.ANY & ~RouteType.ONSEND
_TO_REPLY = _REQ_FAIL_BRANCH | RouteType.ERROR
_MP_READ = _REQ_FAIL_BRANCH | RouteType.ONREPLY

FUNCTIONS = [
    FunctionSpec(
        "is_method",
        ts.is_method,
        (1,),
        (ArgKind.STR,),
        fixup=ts.fix_methods,
        doc="method (CSeq's for replies) in a |-list",
    ),
    _spec("has_body", _has_body, "m", (0, 1), doc="message has a body [of this type]"),
    _spec("is_present_hf", _is_present_hf, "h", doc="header present"),
    _spec("is_present_hf_pv", _is_present_hf_pv, "f", doc="header present (name with PVs)"),
    _spec("is_present_hf_re", lambda ctx, m: hdr.is_present(ctx, m), "R"),
    _spec("is_present_hf_re_pv", _is_present_hf_re_pv, "f"),
    _spec("append_hf", _append_hf, "fh", (1, 2), doc="add text after the last [such] header"),
    _spec("insert_hf", _insert_hf, "fh", (1, 2), doc="add text before the first [such] header"),
    _spec("append_urihf", _append_urihf, "ff", routes=_REQ_FAIL_BRANCH),
    _spec("remove_hf", _remove_hf, "h", doc="remove every header of that name"),
    _spec("remove_hf_pv", _remove_hf_pv, "f"),
    _spec("remove_hf_re", lambda ctx, m: hdr.remove(ctx, m, "remove_hf_re"), "R"),
    _spec("remove_hf_re_pv", _remove_hf_re_pv, "f"),
    _spec("remove_hf_exp", _remove_hf_exp, "RR"),
    _spec("remove_hf_exp_pv", _remove_hf_exp_pv, "ff"),
    _spec("remove_hf_idx", _remove_hf_idx, "hi"),
    _spec("remove_hf_match", _remove_hf_match, "fff"),
    _spec("search", tm.search, "r"),
    _spec("search_body", tm.search_body, "r"),
    _spec("search_append", _search_append, "rs"),
    _spec("search_append_body", tm.search_append_body, "rs"),
    _spec("search_hf", _search_hf, "hrs"),
    _spec("replace", tm.replace, "rs"),
    _spec("replace_all", tm.replace_all, "rs"),
    _spec("replace_body", tm.replace_body, "rs"),
    _spec("replace_body_all", tm.replace_body_all, "rs"),
    _spec("replace_body_atonce", tm.replace_body_atonce, "Bs"),
    _spec("replace_hdrs", tm.replace_hdrs, "rs"),
    _spec("replace_hdrs_str", _str_fn(tm.replace_hdrs_str), "fff"),
    _spec("replace_body_str", _str_fn(tm.replace_body_str), "fff"),
    _spec(
        "set_body", _set_body, "ff", routes=_NOT_ONSEND, doc="replace the body, set Content-Type"
    ),
    _spec("is_privacy", _is_privacy, "s"),
    _spec("search_str", _search_str, "fr"),
    _spec("regex_substring", _regex_substring, "feiio", routes=_NOT_ONSEND),
    _spec("is_audio_on_hold", sdp.is_audio_on_hold, "", (0,)),
    _spec("append_time_to_request", sdp.append_time_to_request, "", (0,)),
    _spec("append_to_reply", _str_fn(trpl.append_to_reply), "f", routes=_TO_REPLY),
    _spec("set_reply_body", _str_fn(trpl.set_reply_body), "ff", routes=_TO_REPLY),
    _spec("append_time", trpl.append_time, "", (0,), routes=_TO_REPLY),
    _spec("subst", tm.subst, "x"),
    _spec("subst_body", tm.subst_body, "x"),
    _spec("subst_hf", _subst_hf, "hxs"),
    _spec("subst_uri", tm.subst_uri, "x", routes=_NOT_ONSEND),
    _spec("subst_user", tm.subst_user, "x", routes=_NOT_ONSEND),
    _spec("starts_with", _str2(ts.starts_with), "ff"),
    _spec("ends_with", _str2(ts.ends_with), "ff"),
    _spec("cmp_str", _str2(ts.cmp_str), "ff"),
    _spec("cmp_istr", _str2(ts.cmp_istr), "ff"),
    _spec("in_list", _str3(ts.in_list), "fff"),
    _spec("in_list_prefix", _str3(ts.in_list_prefix), "fff"),
    _spec("str_find", _str2(ts.str_find), "ff"),
    _spec("str_ifind", _str2(ts.str_ifind), "ff"),
    _spec("replace_str", _str_fn(tm.replace_str), "fff"),
    _spec("filter_body", _str_fn(mp.filter_body), "f"),
    _spec("get_body_part", _get_body_part(False), "fo", routes=_MP_READ),
    _spec("get_body_part_raw", _get_body_part(True), "fo", routes=_MP_READ),
    _spec("remove_body_part", _str_fn(mp.remove_body_part), "f", routes=_REQ_FAIL_BRANCH),
    _spec("append_body_part", _append_body_part(False), "fff", (2, 3), routes=_REQ_FAIL_BRANCH),
    _spec("append_body_part_hex", _append_body_part(True), "fff", (2, 3), routes=_REQ_FAIL_BRANCH),
    _spec("str_any_in", _str2(nw.str_any_in), "ff"),
    _spec("str_all_in", _str2(nw.str_all_in), "ff"),
    _spec("subst_v", _subst_v, "fFo"),
    _spec("via_param_rm", _via_param_rm, "ff"),
    _spec("set_body_hex", _str_fn(nw.set_body_hex), "ff", routes=_NOT_ONSEND),
    _spec("set_reply_body_hex", _str_fn(nw.set_reply_body_hex), "ff", routes=_TO_REPLY),
    _spec("set_body_multipart", _set_body_multipart, "fff", (0, 1, 2, 3), routes=_REQ_FAIL_BRANCH),
]

# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = {
    **dict.fromkeys(
        (
            "is_present_hf", "is_present_hf_pv", "is_present_hf_re", "is_present_hf_re_pv",
            "append_urihf", "remove_hf", "remove_hf_pv", "remove_hf_re", "remove_hf_re_pv",
            "remove_hf_exp", "remove_hf_exp_pv", "remove_hf_idx", "remove_hf_match", "search",
            "search_body", "search_append", "search_append_body", "replace", "replace_all",
            "replace_body", "replace_body_all", "replace_body_atonce", "replace_hdrs",
            "replace_hdrs_str", "replace_body_str", "set_body", "search_str",
            "append_to_reply", "set_reply_body", "starts_with", "ends_with", "cmp_str",
            "cmp_istr", "in_list", "in_list_prefix", "str_find", "str_ifind", "replace_str",
            "filter_body", "remove_body_part",
        ),
        True,
    ),
    # with 3 arguments Kamailio exports them with a fixup that needs constants
    "append_body_part": (2,),
    "append_body_part_hex": (2,),
    "set_body_multipart": (1, 2),
}  # fmt: skip

EXPORTS = ModuleExports.of("textops", functions=mark_dynamic(FUNCTIONS, DYNAMIC_ARGS))
