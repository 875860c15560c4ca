"""corex per-message flags: extended flags (setxflag/resetxflag/isxflagset, 0..63), the
internal message flags the uac module reads (msg_iflag_*), as Kamailio 5.6.3, and the
via-body flags (msg_vbflag_set/reset/is_set, 0..31; from Kamailio 5.7, so without a
5.6.3 reference: the same rules as the xflags).

* xflags are their own bit set (not $mf), per message; a flag outside 0..63 or a PV
  without an int value gives -1.
* Internal flags by name: UAC_AUTH, USE_UAC_FROM, USE_UAC_TO. msg_iflag_set/reset
  return 1; with any other name they return 0, which ends the script (as 5.6.3 does).
  msg_iflag_is_set gives 1 when set, -2 when not, -1 (logged) for an unknown name.

* vbflags: their own bit set per message, 1 / -1 like the xflags.

The stores live in the message's module state (`ctx.module_state()`), under
XFLAGS_KEY, IFLAGS_KEY and VBFLAGS_KEY, where other modules (uac) find them.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext

from .kex_args import IntArg, Text, err, int_value, render

XFLAGS_KEY = "corex.xflags"
IFLAGS_KEY = "corex.iflags"
VBFLAGS_KEY = "corex.vbflags"
MAX_VBFLAG = 31
MAX_XFLAG = 63
IFLAG_BITS = {"UAC_AUTH": 1 << 0, "USE_UAC_FROM": 1 << 1, "USE_UAC_TO": 1 << 2}


def _flag(ctx: MsgContext, arg: IntArg, fname: str, top: int) -> int | None:
    f = int_value(ctx, arg, fname)
    if f is None or not 0 <= f <= top:
        return None
    return f


def _bits(ctx: MsgContext, key: str) -> int:
    m = ctx.mod
    return int(m.get(key, 0)) if m else 0


def _set(ctx: MsgContext, arg: IntArg, key: str, top: int, fname: str, on: bool) -> int:
    f = _flag(ctx, arg, fname, top)
    if f is None:
        return -1
    bits = _bits(ctx, key)
    ctx.module_state()[key] = bits | (1 << f) if on else bits & ~(1 << f)
    return 1


def _test(ctx: MsgContext, arg: IntArg, key: str, top: int, fname: str) -> int:
    f = _flag(ctx, arg, fname, top)
    if f is None:
        return -1
    return 1 if _bits(ctx, key) & (1 << f) else -1


def get_xflags(ctx: MsgContext) -> int:
    return _bits(ctx, XFLAGS_KEY)


def setxflag(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, XFLAGS_KEY, MAX_XFLAG, "setxflag", True)


def resetxflag(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, XFLAGS_KEY, MAX_XFLAG, "resetxflag", False)


def isxflagset(ctx: MsgContext, flag: IntArg) -> int:
    return _test(ctx, flag, XFLAGS_KEY, MAX_XFLAG, "isxflagset")


def msg_vbflag_set(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, VBFLAGS_KEY, MAX_VBFLAG, "msg_vbflag_set", True)


def msg_vbflag_reset(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, VBFLAGS_KEY, MAX_VBFLAG, "msg_vbflag_reset", False)


def msg_vbflag_is_set(ctx: MsgContext, flag: IntArg) -> int:
    return _test(ctx, flag, VBFLAGS_KEY, MAX_VBFLAG, "msg_vbflag_is_set")


def get_iflags(ctx: MsgContext) -> int:
    m = ctx.mod
    return int(m.get(IFLAGS_KEY, 0)) if m else 0


def msg_iflag_set(ctx: MsgContext, name: Text) -> int:
    bit = IFLAG_BITS.get(render(ctx, name))
    if bit is None:
        return 0
    ctx.module_state()[IFLAGS_KEY] = get_iflags(ctx) | bit
    return 1


def msg_iflag_reset(ctx: MsgContext, name: Text) -> int:
    bit = IFLAG_BITS.get(render(ctx, name))
    if bit is None:
        return 0
    ctx.module_state()[IFLAGS_KEY] = get_iflags(ctx) & ~bit
    return 1


def msg_iflag_is_set(ctx: MsgContext, name: Text) -> int:
    text = render(ctx, name)
    bit = IFLAG_BITS.get(text)
    if bit is None:
        return err("w_msg_iflag_is_set", f"unsupported flag name [{text}]", "corex")
    return 1 if get_iflags(ctx) & bit else -2
