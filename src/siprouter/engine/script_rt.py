"""Runtime helpers the generated route code calls: exit/drop signals, return-code
bookkeeping, the recursion and while-loop guards (the limit follows max_while_loops
changed at runtime: `WHILE_LIMIT`), dynamic route(NAME) calls.

Exit and drop are exceptions (`ScriptExit`, `ScriptDrop`): they unwind any number of
sub-route frames at once and cost nothing until raised (docs/engine.md has the
measurement against returning a flag through every frame). Both carry the code given
to `exit(n)`/`drop(n)`; `CompiledConfig.run` catches them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import MsgContext

log = logging.getLogger("siprouter.script")


class ScriptExit(Exception):
    """`exit`, `return(0)` in a sub-route, or a function returning 0: stop the script."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.code = code


class ScriptDrop(Exception):
    """`drop`: stop the script and drop the message/branch/reply (per route type)."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.code = code


def act(ctx: MsgContext, r: Any) -> int:
    """Book-keeping after a function call used inside an expression: $rc, and a
    return value of 0 ends the script (as in Kamailio)."""
    if type(r) is not int:
        r = norm_ret(r)
    ctx.rc = r
    if r == 0:
        raise ScriptExit(0)
    return r


def core_rc(ctx: MsgContext, r: int) -> int:
    """A core action used inside an expression: Kamailio leaves $rc at 0 (verified:
    `if (isflagset(F))` and `$var(r) = strip(1)` both give $rc 0 afterwards)."""
    ctx.rc = 0
    return r


def norm_ret(r: Any) -> int:
    """A function's return value as a script return code: True -> 1, False -> -1,
    None -> 1 (a function with nothing to say succeeded)."""
    if r is True or r is None:
        return 1
    if r is False:
        return -1
    return int(r)


def route_ret(ctx: MsgContext, r: int) -> int:
    """After a route call: set $rc; a sub-route's 0 already raised ScriptExit."""
    ctx.rc = r
    return r


def ret_value(v: int) -> int:
    """`return(expr)` in a sub-route: 0 means exit."""
    if v == 0:
        raise ScriptExit(0)
    return v


def too_deep(level: int, where: str) -> int:
    """A block or route call beyond max_recursive_level: not run, value -1."""
    log.error("too many recursive routing table lookups (%d) giving up! (%s)", level, where)
    return -1


def runaway(max_loops: int, where: str) -> None:
    log.error("runaway while (%s): more than %d loops", where, max_loops)


# max_while_loops changed at runtime (runtime/core_cfg.py); None: the compiled value
WHILE_LIMIT: list[int | None] = [None]


def while_limit(compiled: int) -> int:
    """The loop limit a while statement starts with: 0 none, < 0 no iteration."""
    v = WHILE_LIMIT[0]
    return compiled if v is None else v


def route_dynamic(ctx: MsgContext, name: Any, level: int, max_level: int, where: str) -> int:
    """route(expr): find the block by the runtime name (route(5) is route("5"))."""
    if level > max_level:
        return route_ret(ctx, too_deep(level, where))
    compiled = ctx.script.compiled
    key = name if type(name) is str else ("" if name is None else str(name))
    fn = compiled.subroutes.get(key) if compiled is not None else None
    if fn is None:
        log.error("route '%s' not found (%s)", key, where)
        return route_ret(ctx, -1)
    return route_ret(ctx, fn(ctx, level))
