"""Compile the routing blocks of a config to Python functions, once at startup.

    compiled = compile_routes(config, modules, params=Params(...))
    code = compiled.run("request", "", ctx)       # -> the route's return code
    compiled.routes["route"]["AUTH"](ctx, 1)     # a block's function directly

`compile_config(config)` runs the checker first (it loads the modules) and then
compiles: that is what `siprouter -c` does, so a core function the engine cannot run
yet fails `-c` too.

Each cfg file holding route blocks becomes one generated Python module compiled with
that file name and with the cfg line numbers on its nodes (compile_base.Emitter):
tracebacks and profilers show kamailio.cfg:LINE and `context.cfg_location()` reads
file/line/route for $cfg(...) from the running frame. `route(NAME)` with a constant
name is a direct call of the target's function (a module global); with a dynamic name
it looks the block up at runtime. `dump_python()` shows the generated source.

Kamailio has one core reply route: the bodies of `reply_route`, the unnamed
`onreply_route` and `onreply_route[0]` are appended in cfg order (verified with 5.6.3:
an exit, drop or return in the first part ends the whole route). When a config has
both kinds they compile to one function, registered as "reply" and as "onreply" "".

`run()` catches the exit/drop signals: exit (and a top-level `return`) gives the code,
drop sets `ctx.dropped`; what a drop means (discard the branch, drop the reply, ...)
is for the caller running the block to decide, see `drop_applies`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import block_route_type
from siprouter.pv.access import PVCompiler
from siprouter.pv.format import compiling_with

from . import ops
from .call_args import FIXUP_FAILED, act_dynamic
from .compile_base import Emitter, Params
from .compile_expr import RUNTIME_NAMES
from .compile_stmt import RouteCompiler
from .context import ROUTE_CODE_NAMES, MsgContext
from .core_actions import CompileInfo, flag_table
from .core_avpflags import avpflag_table
from .myself import SelfMatcher, build_matcher
from .pv_bind import make_binder
from .script_rt import (
    ScriptDrop,
    ScriptExit,
    act,
    core_rc,
    norm_ret,
    ret_value,
    route_dynamic,
    route_ret,
    runaway,
    too_deep,
)

log = logging.getLogger("siprouter.script")

RouteFn = Callable[[MsgContext, int], int]


def _assign_failed(e: Exception, where: str) -> None:
    log.error("assignment failed at %s: %s", where, e)


def _assign_errors() -> tuple[type[Exception], ...]:
    errs: list[type[Exception]] = [ops.EvalError]
    try:
        from siprouter.pv.pvclass import PVError

        errs.append(PVError)
    except ImportError:  # pragma: no cover - the pv package is part of siprouter
        pass
    return tuple(errs)


def _runtime_ns() -> dict[str, Any]:
    ns = dict(RUNTIME_NAMES)
    ns.update(
        _Exit=ScriptExit,
        _Drop=ScriptDrop,
        _act=act,
        _actdyn=act_dynamic,
        _FIXFAIL=FIXUP_FAILED,
        _core_rc=core_rc,
        _norm=norm_ret,
        _rret=route_ret,
        _retv=ret_value,
        _rdyn=route_dynamic,
        _too_deep=too_deep,
        _runaway=runaway,
        _EvalError=ops.EvalError,
        _AssignErrors=_assign_errors(),
        _assign_failed=_assign_failed,
    )
    return ns


def params_from_config(config: ast.Config) -> Params:
    """max_while_loops / max_recursive_level / return_mode as the config sets them."""
    p = Params()
    for item in config.params:
        if item.name in ("max_while_loops", "max_recursive_level", "return_mode"):
            v = item.value
            if (isinstance(v, ast.Literal) and v.kind == "int") or isinstance(v, ast.BoolLit):
                setattr(p, item.name, int(v.value))
    return p


@dataclass
class CompiledConfig:
    """The compiled routing blocks of one config."""

    routes: dict[str, dict[str, RouteFn]] = field(default_factory=dict)
    sources: dict[str, Emitter] = field(default_factory=dict)
    blocks: dict[RouteFn, ast.RouteBlock] = field(default_factory=dict)
    params: Params = field(default_factory=Params)
    myself: SelfMatcher | None = None  # `uri == myself`; modules: is_myself checks
    config: ast.Config | None = None  # the config compiled (core parameters for the runtime)

    @property
    def subroutes(self) -> dict[str, RouteFn]:
        return self.routes.get("route", {})

    def get(self, kind: str, name: str = "") -> RouteFn | None:
        return self.routes.get(kind, {}).get(name)

    def run(self, kind: str, name: str, ctx: MsgContext) -> int:
        """Run block `kind`/`name` on ctx; returns its return code (0 after exit or
        drop; `ctx.dropped` tells a drop)."""
        fn = self.routes[kind][name]
        ctx.route_type = block_route_type(kind, name)
        script = ctx.script
        if script.compiled is None:
            script.compiled = self
        try:
            return fn(ctx, 1)
        except ScriptExit as e:
            return e.code
        except ScriptDrop as e:
            ctx.dropped = True
            return e.code

    def dump_python(self) -> str:
        """The generated source of every route, each line commented with its cfg line."""
        return "\n".join(em.source(with_lines=True) for em in self.sources.values())


def drop_applies(kind: str, name: str, ctx: MsgContext) -> bool:
    """Whether a `drop` executed in block kind/name takes effect: always in request,
    branch (the branch is discarded), reply/core onreply (the reply is not forwarded)
    and event routes; in a named tm onreply_route only for provisional replies."""
    if not ctx.dropped:
        return False
    if kind == "onreply" and name not in ("", "0"):
        msg = ctx.msg
        return (not msg.is_request) and msg.status < 200
    return True


_SAFE = re.compile(r"[^0-9A-Za-z_]")


def _fn_name(blk: ast.RouteBlock, n: int) -> str:
    label = _SAFE.sub("_", blk.name)[:40]
    return f"{blk.kind}_{label}_{n}" if label else f"{blk.kind}_{n}"


def compile_routes(
    config: ast.Config,
    modules: LoadedModules,
    *,
    params: Params | None = None,
    defines: Any = None,
    all_errors: bool = False,
    options: Any = None,
) -> CompiledConfig:
    """Compile every routing block of `config` (already checked) to Python.
    `defines` (the preprocessor's #!define table) serves $def(NAME); `options` (the
    command line's Options) adds -l listens and --alias/-a to `myself`. Raises the first
    ConfigError, or with `all_errors` a ConfigErrors with the first of each block."""
    p = params if params is not None else params_from_config(config)
    bind = make_binder(modules, defines)
    info = CompileInfo(flags=flag_table(config.flags), avpflags=avpflag_table(config.flags))
    myself = build_matcher(config, options)
    blocks = [b for kind in config.routes.values() for b in kind.values()]
    core_reply = _join_core_reply(config)
    if core_reply is not None:
        joined = {id(config.routes["reply"][""]), id(config.routes["onreply"][""])}
        blocks = [b for b in blocks if id(b) not in joined] + [core_reply]
    names: dict[int, str] = {id(b): _fn_name(b, i) for i, b in enumerate(blocks)}
    sub_names = {b.name: names[id(b)] for b in config.routes.get("route", {}).values()}
    emitters: dict[str, Emitter] = {}
    errors: list[ConfigError] = []
    with compiling_with(PVCompiler(modules, defines)):
        for blk in blocks:
            fname = blk.pos.file
            em = emitters.get(fname)
            if em is None:
                em = emitters[fname] = Emitter(fname, ns=_runtime_ns())
            mark = len(em.lines)
            try:
                rc = RouteCompiler(em, modules, info, p, blk, sub_names, bind)
                rc.myself = myself
                rc.compile(names[id(blk)])
            except ConfigError as e:
                if not all_errors:
                    raise
                errors.append(e)
                del em.lines[mark:]
    if errors:
        raise ConfigErrors(errors) if len(errors) > 1 else errors[0]
    out = CompiledConfig(params=p, sources=emitters, myself=myself, config=config)
    spaces = []
    for em in emitters.values():
        try:
            spaces.append(em.build())
        except SyntaxError as e:  # a compiler bug: show where
            raise ConfigError(f"internal error compiling routes: {e}", None) from e
    all_fns: dict[str, RouteFn] = {}
    for ns in spaces:
        for blk in blocks:
            fn = ns.get(names[id(blk)])
            if fn is not None:
                all_fns[names[id(blk)]] = fn
    for ns in spaces:  # route(NAME) across files: every module sees every route
        for key, fn in all_fns.items():
            ns.setdefault(key, fn)
    for blk in blocks:
        fn = all_fns[names[id(blk)]]
        out.routes.setdefault(blk.kind, {})[blk.name] = fn
        out.blocks[fn] = blk
        label = f"{blk.keyword or blk.kind}[{blk.name}]" if blk.name else (blk.keyword or blk.kind)
        _name_code(fn.__code__, blk.name or label)
        _register_nested(fn.__code__, blk.name or label)
    if core_reply is not None:
        fn = all_fns[names[id(core_reply)]]
        out.routes.setdefault("reply", {})[""] = fn
        out.routes.setdefault("onreply", {})[""] = fn
    return out


def _join_core_reply(config: ast.Config) -> ast.RouteBlock | None:
    """One block for a config with both `reply_route` and an unnamed `onreply_route`:
    every such block's statements in cfg order (as Kamailio appends them); None when
    the config has at most one of the two kinds."""
    reply = config.routes.get("reply", {}).get("")
    onreply = config.routes.get("onreply", {}).get("")
    if reply is None or onreply is None:
        return None
    parts = [b for b in config.route_list if b.name == "" and b.kind in ("reply", "onreply")]
    if not any(b.kind == "reply" for b in parts) or not any(b.kind == "onreply" for b in parts):
        parts = sorted((reply, onreply), key=lambda b: (b.pos.line, b.pos.col))  # no route_list
    first = parts[0]
    body = [stmt for b in parts for stmt in b.body]
    return ast.RouteBlock(first.kind, "", body, first.pos, first.keyword, first.name_pos)


def _name_code(code: Any, name: str) -> None:
    # code objects of two compiles of one config compare equal: drop the old entry so
    # the key is this compile's object (else the entry dies with the first compile)
    ROUTE_CODE_NAMES.pop(code, None)
    ROUTE_CODE_NAMES[code] = name


def _register_nested(code: Any, name: str) -> None:
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            _name_code(c, name)
            _register_nested(c, name)


def compile_config(
    config: ast.Config, *, params: Params | None = None, defines: Any = None, options: Any = None
) -> CompiledConfig:
    """Check `config` (loading its modules) and compile its routes; ConfigError on
    the first problem. What `siprouter -c` runs."""
    from siprouter.cfg.check import check

    modules = LoadedModules()
    check(config, modules=modules)
    return compile_routes(config, modules, params=params, defines=defines, options=options)
