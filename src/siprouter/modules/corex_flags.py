"""corex per-message flags: extended flags (setxflag/resetxflag/isxflagset, 0..63) and
the internal message flags the uac module reads (msg_iflag_*), as Kamailio 5.6.3.

* xflags are their own bit set (not $mf), per message; a flag outside 0..63 or a PV
  without an int value gives -1.
* Internal flags by name: UAC_AUTH, USE_UAC_FROM, USE_UAC_TO. msg_iflag_set/reset
  return 1; with any other name they return 0, which ends the script (as 5.6.3 does).
  msg_iflag_is_set gives 1 when set, -2 when not, -1 (logged) for an unknown name.

Both stores live in the message's module state (`ctx.module_state()`), under
XFLAGS_KEY and IFLAGS_KEY, where other modules (uac) find them.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext

from .kex_args import IntArg, Text, err, int_value, render

XFLAGS_KEY = "corex.xflags"
IFLAGS_KEY = "corex.iflags"
MAX_XFLAG = 63
IFLAG_BITS = {"UAC_AUTH": 1 << 0, "USE_UAC_FROM": 1 << 1, "USE_UAC_TO": 1 << 2}


def _xflag(ctx: MsgContext, arg: IntArg, fname: str) -> int | None:
    f = int_value(ctx, arg, fname)
    if f is None or not 0 <= f <= MAX_XFLAG:
        return None
    return f


def get_xflags(ctx: MsgContext) -> int:
    m = ctx.mod
    return int(m.get(XFLAGS_KEY, 0)) if m else 0


def setxflag(ctx: MsgContext, flag: IntArg) -> int:
    f = _xflag(ctx, flag, "setxflag")
    if f is None:
        return -1
    ctx.module_state()[XFLAGS_KEY] = get_xflags(ctx) | (1 << f)
    return 1


def resetxflag(ctx: MsgContext, flag: IntArg) -> int:
    f = _xflag(ctx, flag, "resetxflag")
    if f is None:
        return -1
    ctx.module_state()[XFLAGS_KEY] = get_xflags(ctx) & ~(1 << f)
    return 1


def isxflagset(ctx: MsgContext, flag: IntArg) -> int:
    f = _xflag(ctx, flag, "isxflagset")
    if f is None:
        return -1
    return 1 if get_xflags(ctx) & (1 << f) else -1


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
