"""A test-only module for the engine tests.

PV: `$tv(name)`, a script variable stored in ctx.script.vars like $var (0 when unset);
`$cfg(...)` (the pv layer's CfgPV, which Kamailio's corex module exports).
Functions: `ret(n)` returns n; `mark(text)` records text in ctx.log; `show(name)`
records `name=[value of $tv(name)]`; `val(x)` (dynamic argument) records its value;
`boom()` raises RuntimeError; `where()` records ctx.cfg_location().
"""

from __future__ import annotations

from typing import Any

from siprouter.modules import loader
from siprouter.modules.registry import ArgKind, FunctionSpec, InnerName, ModuleExports, PVSpec

NAME = "enginetest"


def _get(ctx: Any, inner: str) -> Any:
    return ctx.script.vars.get(inner, 0)


def _set(ctx: Any, inner: str, value: Any) -> None:
    ctx.script.vars[inner] = value


def _ret(ctx: Any, n: Any) -> int:
    return int(n)


def _mark(ctx: Any, text: Any) -> int:
    if ctx.log is None:
        ctx.log = []
    ctx.log.append(("mark", text))
    return 1


def _val(ctx: Any, value: Any) -> int:
    if ctx.log is None:
        ctx.log = []
    ctx.log.append(("val", value))
    return 1


def _show(ctx: Any, name: Any) -> int:
    """Log `name=[value]` of $tv(name), formatted as xlog prints $var(name)."""
    if ctx.log is None:
        ctx.log = []
    value = ctx.script.vars.get(name, 0)
    ctx.log.append(("mark", f"{name}=[{'<null>' if value is None else value}]"))
    return 1


def _boom(ctx: Any) -> int:
    raise RuntimeError("boom")


def _where(ctx: Any) -> int:
    """Log (file, line, route) of the calling cfg statement, as $cfg(...) sees it."""
    if ctx.log is None:
        ctx.log = []
    ctx.log.append(("where", ctx.cfg_location()))
    return 1


def _cfg_spec() -> PVSpec:
    """$cfg(line|file|route) as the pv layer implements it (Kamailio's corex PV)."""
    from siprouter.pv.impl_time import CFG

    return CFG.spec()  # type: ignore[no-any-return]


def _fix_ret(args: Any) -> list[Any]:
    return [int(args[0])]


EXPORTS = ModuleExports.of(
    NAME,
    functions=[
        FunctionSpec("ret", _ret, (1,), (ArgKind.INT,), fixup=_fix_ret),
        FunctionSpec("mark", _mark, (1,), (ArgKind.STR,)),
        FunctionSpec("show", _show, (1,), (ArgKind.STR,)),
        FunctionSpec("boom", _boom),
        FunctionSpec("where", _where),
        FunctionSpec("val", _val, (1,), (ArgKind.ANY,), dynamic_args=True),
    ],
    pvs=[PVSpec("tv", _get, _set, InnerName.REQUIRED), _cfg_spec()],
)


def register() -> None:
    loader.register(EXPORTS)
