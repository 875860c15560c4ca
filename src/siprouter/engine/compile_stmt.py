"""Statements of one routing block to the body of one Python function.

Every block becomes `def R<n>(ctx, lvl):` returning the block's return code; `lvl` is
the recursion level the block runs at (1 for a top-level route, +1 per route() call).
Kamailio counts every nested action list (if/else bodies, switch cases, while bodies,
sub-routes) towards max_recursive_level; the nesting depth of a block inside its route
is known here, so each nested body tests `lvl > MAX - depth` (one compare of a local
with a constant) and a route call `lvl > MAX - depth - 1`. Top-level blocks always run
at level 1, so there the guards are decided at compile time and vanish.

Return code of a block that ends without `return` (Kamailio 5.6.3): the value of the
last statement executed at its top level (a function's or route's return code; 1 for
an assignment, -1 when it failed; an if without a taken branch is 1; a switch left by
`break` is 0). Only statements in tail position record it (`_v`), so others pay
nothing.
"""

from __future__ import annotations

import ast as pyast
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg import core_functions as cf
from siprouter.cfg.errors import ConfigError, Pos
from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import ArgKind

from .call_args import DynamicCall
from .compile_base import Emitter, Params, err
from .compile_expr import E, ExprCompiler
from .core_actions import CORE_ACTIONS, CompileInfo, FixupError
from .keywords import KEYWORDS
from .posix_regex import compile_posix
from .script_rt import while_limit

# names the generated code uses besides compile_expr.RUNTIME_NAMES (see compiler.py)
CONTROL_KINDS = ("break", "drop", "exit", "return", "route", "selval")


class PVArg:
    """A pseudo-variable passed to a module function whose argument kind is PV."""

    __slots__ = ("get", "node", "set")

    def __init__(self, node: ast.PV, get: Any, set_: Any) -> None:
        self.node = node
        self.get = get
        self.set = set_

    def __repr__(self) -> str:
        return f"PVArg({self.node.raw})"


class RouteCompiler(ExprCompiler):
    """Compiles one RouteBlock into the emitter."""

    def __init__(
        self,
        em: Emitter,
        modules: LoadedModules,
        info: CompileInfo,
        params: Params,
        block: ast.RouteBlock,
        route_names: dict[str, str],
        bind_pv: Any,
    ) -> None:
        self.bind_pv = bind_pv  # ast.PV -> (getter, setter | None)
        self.em = em
        self.modules = modules
        self.info = info
        self.params = params
        self.block = block
        self.route_names = route_names  # sub-route name -> generated function name
        self.depth = 0
        self.top = block.kind != "route"
        self.in_tail_loop = False  # a break must set _v = 0
        self.loops = 0  # nesting of switch/while (break allowed)

    # ---- entry -----------------------------------------------------------------------

    def compile(self, fname: str) -> None:
        em, blk = self.em, self.block
        line = blk.pos.line
        em.emit(f"def {fname}(ctx, lvl):", line)
        with em.block():
            if not blk.body:
                em.emit("return 1", line)
                return
            self.stmts(blk.body, tail=True)
            if not isinstance(blk.body[-1], (ast.Return, ast.Exit, ast.Drop)):
                em.emit("return _v", _last_line(blk.body, line))

    # ---- blocks ----------------------------------------------------------------------

    def where(self, pos: Pos | None) -> str:
        return f"{pos.file}:{pos.line}" if pos is not None else "?"

    def nested(self, body: list[ast.Stmt], tail: bool, pos: Pos) -> None:
        """A nested action list (if/else/case/while body) one level deeper."""
        em = self.em
        self.depth += 1
        limit = self.params.max_recursive_level - self.depth
        if self.top and limit >= 1:
            # a top-level block always runs at level 1: the guard is statically false
            if body:
                self.stmts(body, tail)
            elif tail:
                em.emit("_v = 1", pos.line)
            else:
                em.emit("pass", pos.line)
            self.depth -= 1
            return
        where = repr(self.where(pos))
        em.emit(f"if lvl > {limit}:", pos.line)
        with em.block():
            call = f"_too_deep(lvl + {self.depth}, {where})"
            em.emit(f"_v = {call}" if tail else call, pos.line)
        em.emit("else:", pos.line)
        with em.block():
            if body:
                self.stmts(body, tail)
            elif tail:
                em.emit("_v = 1", pos.line)
            else:
                em.emit("pass", pos.line)
        self.depth -= 1

    def stmts(self, body: list[ast.Stmt], tail: bool) -> None:
        last = len(body) - 1
        for i, s in enumerate(body):
            self.stmt(s, tail and i == last)

    def stmt(self, s: ast.Stmt, tail: bool) -> None:
        if isinstance(s, ast.Assign):
            self.assign(s, tail)
        elif isinstance(s, ast.If):
            self.if_(s, tail)
        elif isinstance(s, ast.Call):
            self.call_stmt(s, tail)
        elif isinstance(s, ast.RouteCall):
            code = self.route_expr(s).code
            self.em.emit(f"_v = {code}" if tail else code, s.pos.line)
        elif isinstance(s, ast.Return):
            self.return_(s)
        elif isinstance(s, ast.Exit):
            # in a top-level block a plain return ends the script just as well, and
            # costs far less than raising (docs/engine.md)
            code = self.code_arg(s.value)
            if s.value is None:
                self.em.emit("ctx.exited = True", s.pos.line)
            self.em.emit(f"return {code}" if self.top else f"raise _Exit({code})", s.pos.line)
        elif isinstance(s, ast.Drop):
            code = self.code_arg(s.value)
            if self.top:
                self.em.emit("ctx.dropped = True", s.pos.line)
                self.em.emit(f"return {code}", s.pos.line)
            else:
                self.em.emit(f"raise _Drop({code})", s.pos.line)
        elif isinstance(s, ast.Break):
            self.break_(s)
        elif isinstance(s, ast.Switch):
            self.switch(s, tail)
        elif isinstance(s, ast.While):
            self.while_(s, tail)
        else:
            raise err(f"statement {type(s).__name__} is not supported", getattr(s, "pos", None))

    # ---- simple statements -----------------------------------------------------------

    def code_arg(self, value: ast.Expr | None) -> str:
        if value is None:
            return "0"
        return self.as_int(self.expr(value))

    def assign(self, s: ast.Assign, tail: bool) -> None:
        em, line = self.em, s.pos.line
        target = s.target
        if not isinstance(target, ast.PV):
            raise err(f"assignment to {type(target).__name__} is not supported yet", s.pos)
        _get, put = self.bind_pv(target)
        if put is None:
            raise err(f"${target.name} is read-only", target.pos)
        if s.op == ":=" and target.name in ("avp", "xavp"):
            raise err("':=' on AVPs is not supported yet; use $(avp(x)[*]) = value", s.pos)
        value_node: Any = s.value
        if s.op == "+=":
            value_node = ast.BinOp("+", target, s.value, s.pos)
        value = self.rhs(value_node)
        setter = em.const(put, "S")
        em.emit("try:", line)
        with em.block():
            em.emit(f"{setter}(ctx, {value})", line)
            if tail:
                em.emit("_v = 1", line)
        em.emit("except _AssignErrors as _e:", line)
        with em.block():
            em.emit(f"_assign_failed(_e, {self.where(s.pos)!r})", line)
            if tail:
                em.emit("_v = -1", line)

    def rhs(self, node: Any) -> str:
        """The value of an assignment's right side: a lone call gives its return code
        (Kamailio also drops `+ 0`, `* 1`... around it first)."""
        node = _strip_identity(node)
        e = self.expr(node)
        if e.typ == "act":
            return e.code
        return self.as_value(e)

    def return_(self, s: ast.Return) -> None:
        em, line = self.em, s.pos.line
        if s.value is None:
            em.emit("return ctx.rc" if self.params.return_mode == 1 else "return 1", line)
            return
        if isinstance(s.value, ast.Literal) and s.value.kind == "int":
            v = int(s.value.value)
            if v == 0 and not self.top:
                em.emit("raise _Exit(0)", line)
            else:
                em.emit(f"return {v}", line)
            return
        e = self.expr(s.value)
        value = e.code if e.typ == "act" else self.as_int(e)
        em.emit(f"return {value}" if self.top else f"return _retv({value})", line)

    def break_(self, s: ast.Break) -> None:
        if self.loops == 0:
            raise err("break outside switch or while", s.pos, hint="use return to leave a route")
        if self.in_tail_loop:
            self.em.emit("_v = 0", s.pos.line)
        self.em.emit("break", s.pos.line)

    # ---- calls -----------------------------------------------------------------------

    def call_stmt(self, s: ast.Call, tail: bool) -> None:
        em, line = self.em, s.pos.line
        code, how = self.call_code(s)
        if how == "core":
            em.emit(f"_v = {code}" if tail else code, line)
            return
        em.emit(f"_r = {code}", line)
        if how == "dyn":  # a failed runtime fixup: $rc unchanged, the script goes on
            if tail:
                em.emit("if _r is _FIXFAIL:", line)
                with em.block():
                    em.emit("_r = -5", line)
                em.emit("else:", line)
            else:
                em.emit("if _r is not _FIXFAIL:", line)
            em.indent += 1
        em.emit("if type(_r) is not int: _r = _norm(_r)", line)
        em.emit("ctx.rc = _r", line)
        em.emit("if _r == 0: return 0" if self.top else "if _r == 0: raise _Exit(0)", line)
        if how == "dyn":
            em.indent -= 1
        if tail:
            em.emit("_v = _r", line)

    def call_expr(self, node: ast.Call) -> E:
        code, how = self.call_code(node)
        if how == "core":
            # Kamailio 5.6.3: a core action evaluated inside an expression leaves $rc 0
            return E(f"_core_rc(ctx, {code})", "act")
        if how == "dyn":
            return E(f"_actdyn(ctx, {code})", "act")
        return E(f"_act(ctx, {code})", "act")

    def call_code(self, s: ast.Call) -> tuple[str, str]:
        """(Python call text, how it returns): "core" for a core action, "mod" for a
        module function, "dyn" for one whose expression arguments are fixed up per
        call (call_args.DynamicCall: it may return _FIXFAIL)."""
        core = cf.lookup(s.name)
        if core is not None and core.module is None:
            return self.core_call(core, s), "core"
        found = self.modules.find_function(s.name)
        if found is None:
            if core is not None:
                raise err(
                    f"unknown function '{s.name}' (needs loadmodule \"{core.module}\")", s.pos
                )
            raise err(f"unknown function '{s.name}'", s.pos)
        _mod, spec = found
        consts: list[Any] = []
        dyn: list[int] = []
        for i, a in enumerate(s.args):
            kind = spec.kind_of(i)
            if isinstance(a, ast.PV) and kind is ArgKind.PV:
                get, put = self.bind_pv(a)
                consts.append(PVArg(a, get, put))
            elif _is_const(a):
                consts.append(_const_value(a))
            elif spec.fixup is not None and (folded := self.fold_arg(a)) is not None:
                consts.append(folded)  # Kamailio fixes a constant expression's text
            else:
                dyn.append(i)
                consts.append(None)
        fn = self.em.const(spec.func, "F")
        if not dyn:
            values: Any = consts
            if spec.fixup is not None:
                try:
                    values = list(spec.fixup(consts))
                except (ValueError, TypeError) as e:
                    raise err(f"{s.name}(): {e}", s.pos) from None
            args = "".join(", " + self.const_arg(v) for v in values)
            return f"{fn}(ctx{args})", "mod"
        exprs = [self.as_value(self.expr(s.args[i])) for i in dyn]
        if spec.fixup is None:  # the function takes the values as they are
            parts = [exprs[dyn.index(i)] if i in dyn else self.const_arg(c)
                     for i, c in enumerate(consts)]  # fmt: skip
            return f"{fn}(ctx{''.join(', ' + p for p in parts)})", "mod"
        site = DynamicCall(s.name, spec.func, spec.fixup, consts, dyn, self.where(s.pos))
        name = self.em.const(site, "D")
        return f"{name}(ctx{''.join(', ' + e for e in exprs)})", "dyn"

    def const_arg(self, v: Any) -> str:
        return repr(v) if _inline(v) else self.em.const(v)

    def fold_arg(self, a: Any) -> str | None:
        """The text of an argument Kamailio folds at parse time (`"2" + "00"`, `100 + 83`,
        a cast or unary operator over constants), None when it is not constant."""
        if not _foldable(a):
            return None
        e = self.expr(a)
        try:
            value = pyast.literal_eval(e.code)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None  # an operation that fails (1/0) is left to runtime
        if isinstance(value, bool):
            value = int(value)
        return value if isinstance(value, str) else str(value)

    def core_call(self, core: cf.CoreFunction, s: ast.Call) -> str:
        impl = CORE_ACTIONS.get(core.name)
        if impl is None:
            if core.name in CONTROL_KINDS:
                raise err(f"'{s.name}' cannot be used here", s.pos)
            raise err(
                f"core function '{s.name}' is not supported yet",
                s.pos,
                hint="siprouter cannot run this config until it is implemented",
            )
        values: list[Any] = []
        for a in s.args:
            if isinstance(a, ast.Keyword) and a.name in ("uri:host", "uri:port"):
                values.append(a.name)  # forward(uri:host, uri:port): the R-URI's parts
                continue
            if isinstance(a, ast.CoreValue | ast.Keyword) and a.name.lower() in _PROTO_WORDS:
                values.append(a.name.lower())  # udp_mtu_try_proto(TCP)
                continue
            if not _is_const(a):
                raise err(f"{s.name}(): argument must be a constant", a.pos)
            values.append(_const_value(a))
        if impl.fixup is not None:
            try:
                values = impl.fixup(values, self.info)
            except (FixupError, ValueError) as e:
                raise err(f"{s.name}(): {e}", s.pos) from None
        fn = self.em.const(impl.func, "C")
        args = "".join(", " + (repr(v) if _inline(v) else self.em.const(v)) for v in values)
        return f"{fn}(ctx{args})"

    def route_expr(self, node: ast.RouteCall) -> E:
        k = self.depth + 1
        limit = self.params.max_recursive_level - k
        where = repr(self.where(node.pos))
        target = node.target
        if isinstance(target, ast.Literal):
            target = str(target.value)
        if isinstance(target, str):
            fname = self.route_names.get(target)
            if fname is None:
                raise err(f"route '{target}' is not defined", node.pos)
            if self.top and limit >= 1:  # level 1 + k is within the limit: no guard
                return E(f"_rret(ctx, {fname}(ctx, {1 + k}))", "act")
            call = f"({fname}(ctx, lvl + {k}) if lvl <= {limit} else _too_deep(lvl + {k}, {where}))"
            return E(f"_rret(ctx, {call})", "act")
        name = self.as_value(self.expr(target))
        mx = self.params.max_recursive_level
        return E(f"_rdyn(ctx, {name}, lvl + {k}, {mx}, {where})", "act")

    # ---- values ----------------------------------------------------------------------

    def pv_get(self, node: ast.PV) -> str:
        get, _put = self.bind_pv(node)
        return self.em.const(get, "G")

    def keyword_expr(self, node: ast.Keyword) -> E:
        entry = KEYWORDS.get(node.name)
        if entry is None:
            raise err(f"keyword '{node.name}' is not supported yet", node.pos)
        get, typ = entry
        return E(f"{self.em.const(get, 'W')}(ctx)", typ)

    def as_cond(self, e: E) -> str:  # type: ignore[override]
        if e.typ == "act" and self.params.return_mode == 1:
            return f"{e.code} != 0"
        return ExprCompiler.as_cond(e)

    # ---- compound statements ---------------------------------------------------------

    def cond_var(self, e: E, conv: str, line: int) -> str:
        """Evaluate a condition that can fail into a temp (failure = false)."""
        t = self.em.tmp("_c")
        self.em.emit("try:", line)
        with self.em.block():
            self.em.emit(f"{t} = {conv}", line)
        self.em.emit("except _EvalError:", line)
        with self.em.block():
            self.em.emit(f"{t} = False", line)
        return t

    def if_(self, s: ast.If, tail: bool) -> None:
        em, line = self.em, s.pos.line
        e = self.expr(s.cond)
        cond = self.as_cond(e)
        if e.fail:
            cond = self.cond_var(e, cond, line)
        em.emit(f"if {cond}:", line)
        with em.block():
            self.nested(s.then, tail, s.pos)
        if s.otherwise is not None:
            epos = s.else_pos or s.pos
            em.emit("else:", epos.line)
            with em.block():
                self.nested(s.otherwise, tail, epos)
        elif tail:
            em.emit("else:", line)
            with em.block():
                em.emit("_v = 1", line)

    def switch(self, s: ast.Switch, tail: bool) -> None:
        em, line = self.em, s.pos.line
        e = self.expr(s.expr)
        idx = em.tmp("_i")
        default = next((i for i, c in enumerate(s.cases) if c.is_default), len(s.cases))
        plain = [c for c in s.cases if not c.is_default]
        is_int = plain and all(
            isinstance(c.value, ast.Literal) and c.value.kind == "int" and not c.regex
            for c in plain
        )
        has_regex = any(c.regex for c in plain)
        if e.fail:
            raise err("switch value that can fail (division) is not supported", s.pos)
        if not has_regex:
            table: dict[Any, int] = {}
            for i, c in enumerate(s.cases):
                if c.is_default:
                    continue
                key = _case_key(c, bool(is_int))
                table.setdefault(key, i)
            tname = em.const(table, "SW")
            value = self.as_int(e) if is_int else self.as_str(e)
            em.emit(f"{idx} = {tname}.get({value}, {default})", line)
        else:
            matchers: list[tuple[int, Any]] = []
            for i, c in enumerate(s.cases):
                if c.is_default:
                    continue
                text = _case_key(c, False)
                if c.regex:
                    try:
                        rx = compile_posix(str(text))
                    except Exception as ex:  # re.error
                        raise err(f"bad regular expression {text!r}: {ex}", c.pos) from None
                    matchers.append((i, rx.search))
                else:
                    matchers.append((i, str(text).__eq__))
            fname = em.const(_switch_matcher(matchers, default), "SWF")
            em.emit(f"{idx} = {fname}({self.as_str(e)})", line)
        if tail:
            em.emit("_v = 1", line)
        saved = self.in_tail_loop
        self.in_tail_loop = tail
        self.loops += 1
        em.emit("while True:", line)
        with em.block():
            for i, c in enumerate(s.cases):
                if not c.body:
                    continue
                em.emit(f"if {idx} <= {i}:", c.pos.line)
                with em.block():
                    self.nested(c.body, tail, c.pos)
            em.emit("break", line)
        self.loops -= 1
        self.in_tail_loop = saved

    def while_(self, s: ast.While, tail: bool) -> None:
        em, line = self.em, s.pos.line
        e = self.expr(s.cond)
        cond = self.as_nonzero(e)
        # the limit is read when the loop starts: max_while_loops may change at runtime
        mx = em.tmp("_m")
        em.emit(f"{mx} = {em.const(while_limit, 'WL')}({self.params.max_while_loops})", line)
        n = em.tmp("_n")
        em.emit(f"{n} = 0", line)
        if tail:
            em.emit("_v = 1", line)
        saved = self.in_tail_loop
        self.in_tail_loop = tail
        self.loops += 1
        if e.fail:
            em.emit("while True:", line)
            with em.block():
                c = self.cond_var(e, cond, line)
                em.emit(f"if not {c}: break", line)
                self._while_body(s, tail, n, mx)
        else:
            em.emit(f"while {cond}:", line)
            with em.block():
                self._while_body(s, tail, n, mx)
        self.loops -= 1
        self.in_tail_loop = saved

    def _while_body(self, s: ast.While, tail: bool, n: str, mx: str) -> None:
        em, line = self.em, s.pos.line
        em.emit(f"if {mx} and {n} >= {mx}:", line)  # 0: no limit; < 0: no iteration
        with em.block():
            em.emit(f"_runaway({mx}, {self.where(s.pos)!r})", line)
            if tail:
                em.emit("_v = -1", line)
            em.emit("break", line)
        em.emit(f"{n} += 1", line)
        self.nested(s.body, tail, s.pos)


# ---- helpers ---------------------------------------------------------------------------


def _last_line(body: list[ast.Stmt], default: int) -> int:
    return body[-1].pos.line if body else default


def _inline(v: Any) -> bool:
    return v is None or type(v) in (int, str, bool)


_PROTO_WORDS = ("udp", "tcp", "tls", "sctp", "ws", "wss")


def _is_const(a: Any) -> bool:
    return isinstance(a, (ast.Literal, ast.BoolLit, ast.Ident, ast.HostPort, ast.IPAddr))


def _foldable(a: Any) -> bool:
    """An expression of constants only (check_routes accepts these as constant)."""
    if isinstance(a, ast.BinOp):
        return _foldable(a.left) and _foldable(a.right)
    if isinstance(a, ast.UnOp):
        return a.op in ("-", "!", "~") and _foldable(a.operand)
    if isinstance(a, ast.Cast):
        return _foldable(a.expr)
    return isinstance(a, (ast.Literal, ast.BoolLit, ast.CoreValue))


def _const_value(a: Any) -> Any:
    if isinstance(a, ast.Literal):
        return a.value
    if isinstance(a, ast.BoolLit):
        return 1 if a.value else 0
    if isinstance(a, ast.Ident):
        return a.name
    if isinstance(a, (ast.HostPort, ast.IPAddr)):
        return a.raw
    raise ConfigError("constant expected", getattr(a, "pos", None))


def _case_key(c: ast.Case, as_int: bool) -> Any:
    v = c.value
    if not isinstance(v, ast.Literal):
        raise ConfigError("case value must be a constant", c.pos)
    return int(v.value) if as_int else str(v.value)


def _switch_matcher(matchers: list[tuple[int, Any]], default: int) -> Any:
    def find(value: str) -> int:
        for i, m in matchers:
            if m(value):
                return i
        return default

    return find


def _lit(n: Any, v: int) -> bool:
    return isinstance(n, ast.Literal) and n.kind == "int" and n.value == v


def _strip_identity(node: Any) -> Any:
    """Kamailio's optimizer drops `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x`, `x / 1`
    around a call (so `$var(r) = route(R) + 0;` stores route's return code)."""
    calls = (ast.Call, ast.RouteCall)
    while isinstance(node, ast.BinOp):
        left, right = node.left, node.right
        if node.op in ("+", "-") and _lit(right, 0) and isinstance(left, calls):
            node = left
        elif node.op == "+" and _lit(left, 0) and isinstance(right, calls):
            node = right
        elif node.op in ("*", "/") and _lit(right, 1) and isinstance(left, calls):
            node = left
        elif node.op == "*" and _lit(left, 1) and isinstance(right, calls):
            node = right
        else:
            break
    return node
