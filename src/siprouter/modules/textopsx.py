"""The `textopsx` module (textops extensions): export table and argument fix-ups.

The implementations are in textopsx_msg.py (msg_apply_changes, msg_set_buffer,
change_reply_status(_code), remove_body, keep_hf, fnmatch), textopsx_iter.py (the
hf_iterator_* / bl_iterator_* families and $hfitname, $hfitbody, $blitval) and
textopsx_hfv.py (append/insert/remove/assign/include/exclude_hf_value,
hf_value_exists); each documents its semantics as checked against Kamailio 5.6.3.

String arguments may hold pseudo-variables (rendered per message); keep_hf's regex is
compiled once (a bad one is a config error); status codes are integers or PVs.

msg_changed_route is from a later Kamailio release (5.6.3 lacks it): it follows that
release's description; its tests (unit, and through a running siprouter in
tests/integration/test_mod_textops_newer.py) have no Kamailio to diff against.

The @hf_value / @hf_value2 / @hf_value_exists selects are registered by
src/siprouter/select/hf_value.py and resolve when this module is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    InnerName,
    ModuleExports,
    PVSpec,
    RouteType,
    mark_dynamic,
)

from . import textopsx_hfv as hfv
from . import textopsx_iter as it
from . import textopsx_msg as xm
from .textops import Arg, _fmt, _val
from .textops_re import compile_msg_re

IntArg = int | Arg


def _int_fix(a: Any) -> IntArg:
    if isinstance(a, int):
        return a
    text = str(a).strip()
    try:
        return int(text)
    except ValueError:
        if "$" not in text:
            raise ValueError(f"not an integer: {a!r}") from None
        return _fmt(text)


def _int_val(ctx: MsgContext, a: IntArg) -> int | None:
    if isinstance(a, int):
        return a
    try:
        return int(_val(ctx, a).strip())
    except ValueError:
        return None


_FIX: dict[str, Callable[[Any], Any]] = {
    "f": _fmt,
    "i": _int_fix,
    "r": lambda a: compile_msg_re(str(a)),
    "A": hfv.fix_spec(star=False, param=False),  # NAME[IDX] for append/insert
    "R": hfv.fix_spec(star=True, param=True),  # NAME[IDX|*].PARAM for remove
    "S": hfv.fix_spec(star=True, param=True, star_needs_param=True),  # for assign
    "N": hfv.fix_spec(star=False, param=False, index=False),  # a header name (value sets)
}


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
) -> FunctionSpec:
    counts = counts if counts is not None else (len(kinds),)
    return FunctionSpec(
        name,
        func,
        counts,
        tuple(ArgKind.STR for _ in kinds) if kinds else (),
        route_types=routes,
        fixup=_fixup(kinds) if kinds else None,
    )


def _strs(f: Callable[..., int]) -> Callable[..., int]:
    """A function whose arguments are all formats, rendered per message."""

    def call(ctx: MsgContext, *args: Arg) -> int:
        return f(ctx, *(_val(ctx, a) for a in args))

    return call


def _hfv(f: Callable[..., int], *extra: Any) -> Callable[..., int]:
    """A header-value function: the parsed spec, then the value (a format) if any."""

    def call(ctx: MsgContext, spec: hfv.HfSpec, *value: Arg) -> int:
        return f(ctx, spec, *(_val(ctx, v) for v in value), *extra)

    return call


def _change_reply_status(ctx: MsgContext, code: IntArg, reason: Arg) -> int:
    value = _int_val(ctx, code)
    if value is None:
        xm.log.error("change_reply_status: invalid status code")
        return -1
    return xm.change_reply_status(ctx, value, _val(ctx, reason))


def _change_reply_status_code(ctx: MsgContext, code: IntArg) -> int:
    value = _int_val(ctx, code)
    if value is None:
        xm.log.error("change_reply_status_code: invalid status code")
        return -1
    return xm.change_reply_status_code(ctx, value)


def _keep_hf(ctx: MsgContext, rx: re.Pattern[bytes] | None = None) -> int:
    return xm.keep_hf(ctx, rx)


def _fnmatch(ctx: MsgContext, value: Arg, pattern: Arg, flags: Arg = "") -> int:
    return xm.fnmatch(_val(ctx, value), _val(ctx, pattern), _val(ctx, flags))


_REQ_REPLY = RouteType.REQUEST | RouteType.ONREPLY
_NOT_ONSEND = RouteType.ANY & ~RouteType.ONSEND

FUNCTIONS = [
    _spec("msg_apply_changes", xm.msg_apply_changes, "", (0,), routes=_REQ_REPLY),
    _spec("msg_set_buffer", _strs(xm.msg_set_buffer), "f", routes=_REQ_REPLY),
    _spec("msg_changed_route", _strs(xm.msg_changed_route), "f"),
    _spec("change_reply_status", _change_reply_status, "if", routes=RouteType.ONREPLY),
    _spec("change_reply_status_code", _change_reply_status_code, "i", routes=RouteType.ONREPLY),
    _spec("remove_body", xm.remove_body, "", (0,)),
    _spec("keep_hf", _keep_hf, "r", (0, 1)),
    _spec("fnmatch", _fnmatch, "fff", (2, 3)),
    _spec("hf_iterator_start", _strs(it.hf_start), "f"),
    _spec("hf_iterator_next", _strs(it.hf_next), "f"),
    _spec("hf_iterator_prev", _strs(it.hf_prev), "f"),
    _spec("hf_iterator_end", _strs(it.hf_end), "f"),
    _spec("hf_iterator_rm", _strs(it.hf_rm), "f"),
    _spec("hf_iterator_append", _strs(it.hf_append), "ff"),
    _spec("hf_iterator_insert", _strs(it.hf_insert), "ff"),
    _spec("bl_iterator_start", _strs(it.bl_start), "f"),
    _spec("bl_iterator_next", _strs(it.bl_next), "f"),
    _spec("bl_iterator_end", _strs(it.bl_end), "f"),
    _spec("bl_iterator_rm", _strs(it.bl_rm), "f"),
    _spec("bl_iterator_append", _strs(it.bl_append), "ff"),
    _spec("bl_iterator_insert", _strs(it.bl_insert), "ff"),
    _spec("append_hf_value", _hfv(hfv.append_value), "Af", routes=_NOT_ONSEND),
    _spec("insert_hf_value", _hfv(hfv.insert_value), "Af", routes=_NOT_ONSEND),
    _spec("remove_hf_value", _hfv(hfv.remove_value, False), "R", routes=_NOT_ONSEND),
    _spec("remove_hf_value2", _hfv(hfv.remove_value, True), "R", routes=_NOT_ONSEND),
    _spec("assign_hf_value", _hfv(hfv.assign_value, False), "Sf", routes=_NOT_ONSEND),
    _spec("assign_hf_value2", _hfv(hfv.assign_value, True), "Sf", routes=_NOT_ONSEND),
    _spec("include_hf_value", _hfv(hfv.include_value), "Nf", routes=_NOT_ONSEND),
    _spec("exclude_hf_value", _hfv(hfv.exclude_value), "Nf", routes=_NOT_ONSEND),
    _spec("hf_value_exists", _hfv(hfv.value_exists), "Nf", routes=_NOT_ONSEND),
]

PVS = [
    PVSpec("hfitname", it.get_hfitname, inner=InnerName.REQUIRED, doc="iterator's header name"),
    PVSpec("hfitbody", it.get_hfitbody, inner=InnerName.REQUIRED, doc="iterator's header value"),
    PVSpec("blitval", it.get_blitval, inner=InnerName.REQUIRED, doc="iterator's body line"),
]

# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = dict.fromkeys(
    (
        "msg_set_buffer", "change_reply_status_code", "keep_hf", "hf_iterator_start",
        "hf_iterator_next", "hf_iterator_prev", "hf_iterator_end", "hf_iterator_rm",
        "hf_iterator_append", "hf_iterator_insert", "bl_iterator_start", "bl_iterator_next",
        "bl_iterator_end", "bl_iterator_rm", "bl_iterator_append", "bl_iterator_insert",
    ),
    True,
)  # fmt: skip

EXPORTS = ModuleExports.of("textopsx", functions=mark_dynamic(FUNCTIONS, DYNAMIC_ARGS), pvs=PVS)
