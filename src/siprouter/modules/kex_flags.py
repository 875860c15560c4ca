"""kex flag functions: script flags (setsflag/issflagset/resetsflag) and branch flags
(setbflag/isbflagset/resetbflag), as Kamailio 5.6.3 runs them.

* Script flags are per message, apart from the message flags ($mf): the same store as
  $sf/$sF (pv/impl_net.get_sflags/set_sflags); a sub-route sees and changes them.
* Branch flags: branch 0 is the R-URI's ($bf, ctx.bflags); branch N >= 1 is the N-th
  appended branch (ctx.branches[N-1].flags), so setbflag(f, 1) fails (-1) until a
  branch was appended (append_branch, $br).
* A flag outside 0..31, a branch index that does not exist or a PV argument without an
  int value (logged) gives -1; otherwise set/reset give 1 and is*set 1 or -1.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext
from siprouter.pv.impl_net import get_sflags, set_sflags

from .kex_args import IntArg, err, int_value

MAX_FLAG = 31


def _flag(ctx: MsgContext, arg: IntArg, fname: str) -> int | None:
    f = int_value(ctx, arg, fname)
    if f is None:
        err(fname, "no flag value")
        return None
    if not 0 <= f <= MAX_FLAG:
        return None
    return f


def setsflag(ctx: MsgContext, flag: IntArg) -> int:
    f = _flag(ctx, flag, "setsflag")
    if f is None:
        return -1
    set_sflags(ctx, get_sflags(ctx) | (1 << f))
    return 1


def resetsflag(ctx: MsgContext, flag: IntArg) -> int:
    f = _flag(ctx, flag, "resetsflag")
    if f is None:
        return -1
    set_sflags(ctx, get_sflags(ctx) & ~(1 << f))
    return 1


def issflagset(ctx: MsgContext, flag: IntArg) -> int:
    f = _flag(ctx, flag, "issflagset")
    if f is None:
        return -1
    return 1 if get_sflags(ctx) & (1 << f) else -1


def _branch(ctx: MsgContext, arg: IntArg | None, fname: str) -> int | None:
    """The branch index (0 = R-URI) when it exists, else None."""
    if arg is None:
        return 0
    b = int_value(ctx, arg, fname)
    if b is None:
        err(fname, "no branch index value")
        return None
    if not 0 <= b <= len(ctx.branches):
        return None
    return b


def get_branch_flags(ctx: MsgContext, branch: int) -> int:
    return ctx.bflags if branch == 0 else ctx.branches[branch - 1].flags


def set_branch_flags(ctx: MsgContext, branch: int, value: int) -> None:
    value &= 0xFFFFFFFF
    if branch == 0:
        ctx.bflags = value
    else:
        ctx.branches[branch - 1].flags = value


def setbflag(ctx: MsgContext, flag: IntArg, branch: IntArg | None = None) -> int:
    f = _flag(ctx, flag, "setbflag")
    b = _branch(ctx, branch, "setbflag") if f is not None else None
    if f is None or b is None:
        return -1
    set_branch_flags(ctx, b, get_branch_flags(ctx, b) | (1 << f))
    return 1


def resetbflag(ctx: MsgContext, flag: IntArg, branch: IntArg | None = None) -> int:
    f = _flag(ctx, flag, "resetbflag")
    b = _branch(ctx, branch, "resetbflag") if f is not None else None
    if f is None or b is None:
        return -1
    set_branch_flags(ctx, b, get_branch_flags(ctx, b) & ~(1 << f))
    return 1


def isbflagset(ctx: MsgContext, flag: IntArg, branch: IntArg | None = None) -> int:
    f = _flag(ctx, flag, "isbflagset")
    b = _branch(ctx, branch, "isbflagset") if f is not None else None
    if f is None or b is None:
        return -1
    return 1 if get_branch_flags(ctx, b) & (1 << f) else -1
