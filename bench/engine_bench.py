"""Routing engine measurements for docs/engine.md (run: .venv/bin/python bench/engine_bench.py).

1. generated Python source (engine/compiler.py) vs a closure tree vs a naive AST walk,
   for the same small request_route, microseconds per message;
2. exit as an exception vs a returned flag checked after every sub-route call;
3. per-message cost of a trivial request_route (context creation included);
4. compile time of the route blocks of /etc/kamailio/kamailio.cfg (module functions it
   calls are stubbed: siprouter lacks most of those modules; blocks that use what the
   engine cannot run yet are counted and named).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "engine"))

import enginetest_mod

from siprouter.cfg import ast
from siprouter.cfg import core_functions as cf
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse, parse_string
from siprouter.cfg.preprocess import preprocess
from siprouter.engine import ops
from siprouter.engine.compile_base import Emitter, Params
from siprouter.engine.compile_stmt import RouteCompiler
from siprouter.engine.compiler import _runtime_ns, compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.engine.core_actions import CompileInfo, flag_table
from siprouter.engine.pv_bind import make_binder
from siprouter.modules import loader
from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import ArgKind, FunctionSpec, ModuleExports
from siprouter.sip.message import parse_message

REQUEST = (
    b"INVITE sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.org>\r\n"
    b"Call-ID: bench-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)

SMALL = """loadmodule "enginetest"
request_route {
    $tv(n) = 0;
    $tv(s) = "user";
    if ($tv(n) == 0 && $tv(s) != "") {
        $tv(n) = $tv(n) + 5;
        setflag(2);
    } else {
        $tv(n) = 1;
    }
    if ($tv(n) > 3) {
        $tv(s) = $tv(s) + "-" + $tv(n);
    }
    route(SUB);
    exit;
}
route[SUB] {
    if (isflagset(2)) { return 2; }
    return -1;
}
"""


def per_call_us(fn: Callable[[], Any], n: int = 20000, rounds: int = 7) -> float:
    """Median over rounds of the mean time of one call, in microseconds."""
    res = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        res.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(res)


# ---- a closure tree and a naive AST walk over the same subset, for comparison ----------


class Exit(Exception):
    pass


class Closures:
    """Each node becomes a Python closure (the alternative to generated source)."""

    def __init__(self, config: ast.Config, bind: Any) -> None:
        self.bind = bind
        self.routes: dict[str, Callable[[Any], int]] = {}
        for blk in config.routes["route"].values():
            self.routes[blk.name] = self.block(blk.body)
        self.main = self.block(config.routes["request"][""].body)

    def block(self, body: list[Any]) -> Callable[[Any], int]:
        stmts = [self.stmt(s) for s in body]

        def run(ctx: Any) -> int:
            v = 1
            for s in stmts:
                v = s(ctx)
            return v

        return run

    def stmt(self, s: Any) -> Callable[[Any], int]:
        if isinstance(s, ast.Assign):
            _g, put = self.bind(s.target)
            val = self.expr(s.value)

            def assign(ctx: Any) -> int:
                put(ctx, val(ctx))
                return 1

            return assign
        if isinstance(s, ast.If):
            c, t = self.expr(s.cond), self.block(s.then)
            o = self.block(s.otherwise) if s.otherwise else (lambda ctx: 1)
            return lambda ctx: t(ctx) if ops.cond(c(ctx)) else o(ctx)
        if isinstance(s, ast.Call):
            mask = 1 << int(s.args[0].value)
            if s.name == "setflag":

                def setflag(ctx: Any) -> int:
                    ctx.flags |= mask
                    return 1

                return setflag
            return lambda ctx: 1 if ctx.flags & mask else -1
        if isinstance(s, ast.RouteCall):
            name = s.target

            def call(ctx: Any) -> int:
                r = self.routes[name](ctx)
                ctx.rc = r
                return r

            return call
        if isinstance(s, ast.Return):
            v = int(s.value.value)

            def ret(ctx: Any) -> int:
                raise _Return(v)

            return ret
        if isinstance(s, ast.Exit):

            def ex(ctx: Any) -> int:
                raise Exit

            return ex
        raise TypeError(type(s))

    def expr(self, e: Any) -> Callable[[Any], Any]:
        if isinstance(e, ast.Literal):
            v = e.value
            return lambda ctx: v
        if isinstance(e, ast.PV):
            g, _s = self.bind(e)
            return g
        if isinstance(e, ast.Call):
            st = self.stmt(e)
            return lambda ctx: 1 if st(ctx) > 0 else 0
        if isinstance(e, ast.BinOp):
            a, b = self.expr(e.left), self.expr(e.right)
            fn = {
                "+": ops.add,
                "==": ops.eq,
                "!=": ops.ne,
                ">": ops.gt,
                "&&": lambda x, y: ops.nonzero(x) and ops.nonzero(y),
            }[e.op]
            return lambda ctx: fn(a(ctx), b(ctx))
        raise TypeError(type(e))


class _Return(Exception):
    def __init__(self, v: int) -> None:
        self.v = v


def closure_route(cl: Closures) -> Callable[[Any], int]:
    routes = cl.routes

    def wrap(fn: Callable[[Any], int]) -> Callable[[Any], int]:
        def run(ctx: Any) -> int:
            try:
                return fn(ctx)
            except _Return as r:
                return r.v

        return run

    for k in list(routes):
        routes[k] = wrap(routes[k])
    main = cl.main

    def top(ctx: Any) -> int:
        try:
            return main(ctx)
        except Exit:
            return 0

    return top


class Walker:
    """Interprets the AST on every message (no compile step at all)."""

    def __init__(self, config: ast.Config, bind: Any) -> None:
        self.config = config
        self.bind = bind

    def run(self, ctx: Any) -> int:
        try:
            return self.body(self.config.routes["request"][""].body, ctx)
        except Exit:
            return 0

    def body(self, stmts: list[Any], ctx: Any) -> int:
        v = 1
        for s in stmts:
            v = self.stmt(s, ctx)
        return v

    def stmt(self, s: Any, ctx: Any) -> int:
        if isinstance(s, ast.Assign):
            self.bind(s.target)[1](ctx, self.expr(s.value, ctx))
            return 1
        if isinstance(s, ast.If):
            if ops.cond(self.expr(s.cond, ctx)):
                return self.body(s.then, ctx)
            return self.body(s.otherwise, ctx) if s.otherwise else 1
        if isinstance(s, ast.Call):
            mask = 1 << int(s.args[0].value)
            if s.name == "setflag":
                ctx.flags |= mask
                return 1
            return 1 if ctx.flags & mask else -1
        if isinstance(s, ast.RouteCall):
            try:
                r = self.body(self.config.routes["route"][s.target].body, ctx)
            except _Return as e:
                r = e.v
            ctx.rc = r
            return r
        if isinstance(s, ast.Return):
            raise _Return(int(s.value.value))
        if isinstance(s, ast.Exit):
            raise Exit
        raise TypeError(type(s))

    def expr(self, e: Any, ctx: Any) -> Any:
        if isinstance(e, ast.Literal):
            return e.value
        if isinstance(e, ast.PV):
            return self.bind(e)[0](ctx)
        if isinstance(e, ast.Call):
            return 1 if self.stmt(e, ctx) > 0 else 0
        a, b = self.expr(e.left, ctx), self.expr(e.right, ctx)
        return {
            "+": ops.add,
            "==": ops.eq,
            "!=": ops.ne,
            ">": ops.gt,
            "&&": lambda x, y: ops.nonzero(x) and ops.nonzero(y),
        }[e.op](a, b)


def bench_styles() -> None:
    enginetest_mod.register()
    config = parse_string(SMALL, "bench.cfg")
    cc = compile_config(config)
    mods = LoadedModules()
    mods.load("enginetest")
    bind = make_binder(mods)
    cl = closure_route(Closures(config, bind))
    walker = Walker(config, bind)
    msg = parse_message(REQUEST)
    script = ScriptState()
    gen = cc.routes["request"][""]

    def run_gen() -> None:
        ctx = MsgContext(msg, script=script)
        cc.run("request", "", ctx)

    def run_closures() -> None:
        cl(MsgContext(msg, script=script))

    def run_walk() -> None:
        walker.run(MsgContext(msg, script=script))

    # the three must agree
    outs = []
    for style in (run_gen, run_closures, run_walk):
        script.vars.clear()
        style()
        outs.append(dict(script.vars))
    assert outs[0] == outs[1] == outs[2], outs
    print("1. same route, three ways (us/message, MsgContext creation included)")
    print(f"   generated source : {per_call_us(run_gen):6.2f}")
    print(f"   closure tree     : {per_call_us(run_closures):6.2f}")
    print(f"   naive AST walk   : {per_call_us(run_walk):6.2f}")
    _ = gen


def bench_exit() -> None:
    """Exit from three sub-route levels deep: exception vs flag checked per call."""

    class Stop(Exception):
        pass

    def l3_exc() -> int:
        raise Stop

    def l2_exc() -> int:
        return l3_exc()

    def l1_exc() -> int:
        return l2_exc()

    def top_exc() -> int:
        try:
            return l1_exc()
        except Stop:
            return 0

    EXIT = object()

    def l3_flag() -> Any:
        return EXIT

    def l2_flag() -> Any:
        r = l3_flag()
        if r is EXIT:
            return r
        return r

    def l1_flag() -> Any:
        r = l2_flag()
        if r is EXIT:
            return r
        return r

    def top_flag() -> int:
        r = l1_flag()
        return 0 if r is EXIT else r

    def l3_ret() -> int:
        return 1

    def l2_ret() -> int:
        return l3_ret()

    def l1_ret() -> int:
        return l2_ret()

    def top_try() -> int:
        try:
            return l1_ret()
        except Stop:
            return 0

    def l2_chk() -> Any:
        r = l3_ret()
        if r is EXIT:
            return r
        return r

    def l1_chk() -> Any:
        r = l2_chk()
        if r is EXIT:
            return r
        return r

    def top_chk() -> int:
        r = l1_chk()
        return 0 if r is EXIT else r

    print("2. exit three sub-routes deep / normal return, us per run")
    print(f"   exception, exit taken   : {per_call_us(top_exc, 100000):6.3f}")
    print(f"   flag, exit taken        : {per_call_us(top_flag, 100000):6.3f}")
    print(f"   exception, no exit      : {per_call_us(top_try, 100000):6.3f}")
    print(f"   flag checks, no exit    : {per_call_us(top_chk, 100000):6.3f}")


def bench_trivial() -> None:
    enginetest_mod.register()
    cc = compile_config(parse_string("request_route {\n    exit;\n}\n", "t.cfg"))
    cc2 = compile_config(
        parse_string('loadmodule "enginetest"\nrequest_route {\n    $tv(a) = 1;\n}\n', "t2.cfg")
    )
    msg = parse_message(REQUEST)
    script = ScriptState()

    def run_exit() -> None:
        cc.run("request", "", MsgContext(msg, script=script))

    def run_assign() -> None:
        cc2.run("request", "", MsgContext(msg, script=script))

    print("3. trivial request_route, us/message (MsgContext creation included)")
    print(f"   request_route {{ exit; }}        : {per_call_us(run_exit, 100000):6.3f}")
    print(f"   request_route {{ $tv(a) = 1; }}  : {per_call_us(run_assign, 100000):6.3f}")


def _stub(name: str) -> FunctionSpec:
    def stub(ctx: Any, *args: Any) -> int:
        return 1

    return FunctionSpec(
        name, stub, tuple(range(7)), (ArgKind.ANY,), dynamic_args=True, doc="bench stub"
    )


def bench_kamailio_cfg(path: str = "/etc/kamailio/kamailio.cfg") -> None:
    if not Path(path).exists():
        print(f"4. {path} not found")
        return
    t0 = time.perf_counter()
    pre = preprocess(path)
    config = parse(pre.text, pre.srcmap)
    t_front = time.perf_counter() - t0
    core = set(cf.CORE_BY_NAME)
    used: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, ast.Call) and (x.name not in core or cf.lookup(x.name).module):
            used.add(x.name)
        if isinstance(x, list):
            for y in x:
                walk(y)
        elif hasattr(x, "__dataclass_fields__"):
            for f in x.__dataclass_fields__:
                walk(getattr(x, f))

    for blk in config.route_list:
        walk(blk.body)
    mods = LoadedModules()
    mods.load("pv")
    loader.register(ModuleExports.of("benchstubs", functions=[_stub(n) for n in sorted(used)]))
    mods.load("benchstubs")
    params = Params()
    info = CompileInfo(flags=flag_table(config.flags))
    bind = make_binder(mods, pre.defines)
    subs = {b.name: f"r_{i}" for i, b in enumerate(config.routes.get("route", {}).values())}
    ok, failed = 0, []
    t0 = time.perf_counter()
    ems = []
    for i, blk in enumerate(config.route_list):
        em = Emitter(blk.pos.file, ns=_runtime_ns())
        try:
            RouteCompiler(em, mods, info, params, blk, subs, bind).compile(f"b_{i}")
            em.build()
            ok += 1
            ems.append(em)
        except ConfigError as e:
            failed.append(f"{blk.keyword}[{blk.name}]: {e.message}")
    t_compile = time.perf_counter() - t0
    lines = sum(len(em.lines) for em in ems)
    print(f"4. {path}: {len(config.route_list)} route blocks")
    print(f"   preprocess+parse           : {t_front * 1000:7.1f} ms")
    print(f"   compile ({ok} blocks, {lines} generated lines): {t_compile * 1000:7.1f} ms")
    print(f"   not compiled ({len(failed)}):")
    for f in failed:
        print(f"     {f}")
    loader.unregister("benchstubs")


if __name__ == "__main__":
    bench_styles()
    bench_exit()
    bench_trivial()
    bench_kamailio_cfg()
