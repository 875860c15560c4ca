"""The `maxfwd` module: check, decrement and add the Max-Forwards header (RFC 3261 16.6).

Functions (checked against Kamailio 5.6.3, see tests/integration/test_mod_maxfwd.py):

* `mf_process_maxfwd_header(max)` (aliases `process_maxfwd`, `maxfwd_process`; REQUEST
  route): with no Max-Forwards header, adds `Max-Forwards: max` before the first header
  and returns 2; with a value of 0 returns -1 (the cfg then sends 483 Too Many Hops);
  otherwise decrements the value (capped at the `max_limit` modparam) and returns 1.
  The new value is written as Kamailio does, in the received buffer: right-aligned in
  the width of the old value, padded with spaces on the left (`10` becomes ` 9`), so
  $hdr(Max-Forwards) and a second call see it (a second call decrements again). Here
  ctx.msg is replaced by an equal-length copy (offsets, hence pending lumps, stay
  valid). The added header is a lump (ctx.changes), added again by each call, as in
  Kamailio. A value that does not parse returns -2; `max` outside 0..255 returns -1.
* `is_maxfwd_lt(n)` (aliases `maxfwd_at_least`, `mf_lowlimit`; REQUEST, FAILURE, BRANCH
  routes): 1 when the received value is below `n`, -1 when it is not, -2 when the header
  is missing, -3 when its value does not parse. It reads the current value (after a
  decrement by mf_process_maxfwd_header), not an added header.

The argument is an int, a numeric string, or one pseudo-variable ("$var(mf)") whose
value must be an int (a string value gives -1 and an error log, as Kamailio). Other
constant strings are refused when the config is compiled (Kamailio refuses them at
start-up, after `-c`).

Parameter `max_limit` (int, default 70): the highest value a forwarded request may
carry; a larger received value is lowered to it. Kamailio 5.6.3 starts with any value
(0, 257), so no range is enforced here either.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.pv.access import compile_pv
from siprouter.sip import headers as H
from siprouter.sip.message import SipMessage

log = logging.getLogger("siprouter.maxfwd")

_BLANKS = b" \t\r\n"

#: modparam values (process-wide, one config per process)
PARAMS: dict[str, int] = {"max_limit": 70}


def _set_limit(value: int) -> None:
    PARAMS["max_limit"] = value


def reset() -> None:
    """Back to the defaults (tests, reloading a config)."""
    PARAMS["max_limit"] = 70


class IntPV:
    """An int argument given as one pseudo-variable: its value must be an int."""

    __slots__ = ("get", "raw")

    def __init__(self, raw: str, get: Any) -> None:
        self.raw = raw
        self.get = get


def _fix_int(args: Sequence[Any]) -> list[Any]:
    """Kamailio's fixup_igp_null: an int, a numeric string, or one pseudo-variable."""
    a = args[0]
    if isinstance(a, int):
        return [a]
    text = str(a).strip()
    if text.startswith("$"):
        try:
            acc = compile_pv(text)
        except ConfigError as e:
            raise ValueError(e.message) from None
        return [IntPV(text, acc.get)]
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit():
        raise ValueError(f"{text!r} is not an integer or a pseudo-variable")
    return [int(text)]


def _int_arg(ctx: MsgContext, arg: int | IntPV, fname: str) -> int | None:
    if isinstance(arg, int):
        return arg
    value = arg.get(ctx)
    if isinstance(value, int):
        return value
    log.error("%s: could not get param value (%s does not hold an int)", fname, arg.raw)
    return None


def _field(msg: SipMessage) -> tuple[int, int] | None:
    """The value span of the first Max-Forwards header, from the header index (no
    per-header objects)."""
    ids = msg.header_ids
    try:
        i = ids.index(H.MAX_FORWARDS)
    except ValueError:
        return None
    offsets = msg.header_offsets()
    data = msg.data
    start, end = offsets[i], offsets[i + 1]
    vs = data.index(b":", start, end) + 1
    while vs < end and data[vs] in _BLANKS:
        vs += 1
    while end > vs and data[end - 1] in _BLANKS:
        end -= 1
    return vs, end


def _value(span: tuple[int, int], data: bytes) -> int | None:
    """The current value (1..5 digits, as Kamailio 5.6.3 reads it), None if bad."""
    raw = data[span[0] : span[1]]
    if not raw or len(raw) > 5 or not raw.isdigit():
        return None
    return int(raw)


def _written(value: int, width: int) -> bytes:
    """Kamailio's in-place rewrite: digits right-aligned in the old width, leading blanks;
    digits that do not fit are cut on the left."""
    digits = str(value).encode()
    if len(digits) >= width:
        return digits[-width:]
    return b" " * (width - len(digits)) + digits


def _rewrite_in_place(ctx: MsgContext, start: int, end: int, new: bytes) -> None:
    """Kamailio edits the received buffer: later reads ($hdr, a second call) see the new
    value. The message is immutable here, so an equal-length copy replaces it; every
    offset stays valid, so pending lumps still apply."""
    ctx.msg = ctx.msg.replaced(start, end, new)  # keeps the other headers' parsed forms
    if ctx.has_changes:
        ctx.changes.msg = ctx.msg


def process_maxfwd(ctx: MsgContext, limit_arg: int | IntPV) -> int:
    limit = _int_arg(ctx, limit_arg, "mf_process_maxfwd_header")
    if limit is None:
        return -1
    if not 0 <= limit <= 255:
        log.error("mf_process_maxfwd_header: invalid param value: %d", limit)
        return -1
    f = _field(ctx.msg)
    if f is None:
        ctx.changes.add_header_first(f"Max-Forwards: {limit}\r\n")
        return 2
    val = _value(f, ctx.msg.data)
    if val is None:
        log.error("mf_process_maxfwd_header: unable to parse the max forwards number")
        return -2
    if val == 0:
        return -1
    max_limit = PARAMS["max_limit"]
    if val > max_limit:
        val = max_limit + 1
    new = _written(val - 1, f[1] - f[0])
    _rewrite_in_place(ctx, f[0], f[1], new)
    return 1


def is_maxfwd_lt(ctx: MsgContext, limit_arg: int | IntPV) -> int:
    limit = _int_arg(ctx, limit_arg, "is_maxfwd_lt")
    if limit is None:
        return -1
    f = _field(ctx.msg)
    if f is None:
        return -2
    val = _value(f, ctx.msg.data)
    if val is None:
        log.error("is_maxfwd_lt: unable to parse the max forwards number")
        return -3
    return 1 if val < limit else -1


_REQ = RouteType.REQUEST
_LT_ROUTES = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH


def _process_spec(name: str) -> FunctionSpec:
    return FunctionSpec(
        name,
        process_maxfwd,
        (1,),
        (ArgKind.INT,),
        route_types=_REQ,
        fixup=_fix_int,
        dynamic_args=True,  # Kamailio 5.6.3 takes an expression (checked with kamailio -c)
        doc="decrement Max-Forwards (add it if missing); -1 when it is 0",
    )


def _lt_spec(name: str) -> FunctionSpec:
    return FunctionSpec(
        name,
        is_maxfwd_lt,
        (1,),
        (ArgKind.INT,),
        route_types=_LT_ROUTES,
        fixup=_fix_int,
        dynamic_args=True,
        doc="1 when the received Max-Forwards is below the argument",
    )


def _init(_lm: Any) -> None:
    """mod_init: maxfwd declares its cfg group (maxfwd.max_limit, changed at runtime by
    cfg.set_now_int; runtime/core_cfg.py updates PARAMS); custom parameters that took
    the group's name make it fail, as in Kamailio 5.6.3."""
    from siprouter.cfg.core_cfg_vars import module_group_error
    from siprouter.runtime.lifecycle import ModuleInitError

    error = module_group_error("maxfwd")
    if error:
        raise ModuleInitError(error)


EXPORTS = ModuleExports.of(
    "maxfwd",
    functions=[
        _process_spec("mf_process_maxfwd_header"),
        _process_spec("process_maxfwd"),
        _process_spec("maxfwd_process"),
        _lt_spec("is_maxfwd_lt"),
        _lt_spec("maxfwd_at_least"),
        _lt_spec("mf_lowlimit"),
    ],
    params=[
        ParamSpec(
            "max_limit",
            ParamType.INT,
            70,
            setter=_set_limit,
            doc="highest Max-Forwards value a forwarded request may carry",
        ),
    ],
    init=_init,
)
