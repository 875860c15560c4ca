"""The route-block part of the `-c` checker: calls, arguments, route types, PVs, route().

Each block is checked with its route type (modules/registry.block_route_type): named
`route[X]` blocks as REQUEST, like Kamailio's parser. Functions resolve first to core
actions (core_functions), then to functions of the modules loaded so far. Pseudo-
variables must be known (pv/names); assigning to a read-only one is an error. Static
`route(NAME)` targets are checked once all blocks are seen; a named block defined twice
is an error (unnamed request_route/onreply_route blocks are joined, as in Kamailio).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from siprouter.modules.kamailio_names import FUNCTION_MODULE, PV_MODULE
from siprouter.modules.registry import ArgKind, FunctionSpec, InnerName, RouteType, block_route_type
from siprouter.pv.names import PVName, known_pvs

from . import ast, custom_params
from . import core_functions as cf
from .errors import ConfigError, Pos

if TYPE_CHECKING:
    from .check import Checker

BLOCK_WORD = {
    RouteType.REQUEST: "request_route",
    RouteType.FAILURE: "failure_route",
    RouteType.TM_ONREPLY: "onreply_route",
    RouteType.CORE_ONREPLY: "reply_route",
    RouteType.BRANCH: "branch_route",
    RouteType.ONSEND: "onsend_route",
}
_PV_IN_STRING = re.compile(r"^\$\(?[A-Za-z_][A-Za-z0-9_.]*")


class RouteChecker:
    """Checks route blocks as they come, and route(NAME) targets at the end."""

    def __init__(self, checker: Checker) -> None:
        self.c = checker
        self.pvs = known_pvs(checker.modules)
        self.route_calls: list[tuple[str, Pos]] = []
        self.named: dict[tuple[str, str], ast.RouteBlock] = {}
        self.rt = RouteType.REQUEST
        self.block_word = "request_route"
        custom_params.begin()  # selects may name custom parameters declared later

    def report(self, err: ConfigError) -> None:
        self.c.report(err)

    # --- blocks -------------------------------------------------------------------

    def block(self, blk: ast.RouteBlock) -> None:
        # unnamed blocks of one kind are joined (Kamailio appends them); onreply_route[0]
        # is the unnamed onreply_route
        named = blk.name != "" and not (blk.kind == "onreply" and blk.name == "0")
        if named:
            key = (blk.kind, blk.name)
            first = self.named.get(key)
            if first is not None:
                self.report(
                    ConfigError(
                        f"duplicate route: {blk.keyword or blk.kind}[{blk.name}] is defined twice",
                        blk.name_pos or blk.pos,
                        hint=f"first defined at {first.pos}",
                    )
                )
            else:
                self.named[key] = blk
        self.rt = block_route_type(blk.kind, blk.name)
        word = blk.keyword or BLOCK_WORD.get(self.rt, blk.kind)
        self.block_word = f"{word}[{blk.name}]" if blk.name else word
        self.stmts(blk.body)

    def finish(self, config: ast.Config) -> list[ConfigError]:
        """Errors for route(NAME) calls to blocks that do not exist."""
        have = {blk.name for blk in config.route_list if blk.kind == "route"}
        out: list[ConfigError] = []
        custom_params.declare(config)
        for key, pos in custom_params.check_pending():
            out.append(
                ConfigError(
                    f"unknown custom parameter {key} in a cfg_get select",
                    pos,
                    hint=f"declare it at the top of the config: {key} = value",
                )
            )
        for name, pos in self.route_calls:
            if name not in have:
                close = difflib.get_close_matches(name, sorted(have), n=1)
                out.append(
                    ConfigError(
                        f"route({name}): there is no route[{name}] block",
                        pos,
                        hint=f"did you mean route({close[0]})?" if close else None,
                    )
                )
        return out

    # --- statements -----------------------------------------------------------------

    def stmts(self, body: list[ast.Stmt]) -> None:
        for s in body:
            mark = len(custom_params.PENDING)
            try:
                self.stmt(s)
            except ConfigError as e:
                self.report(e)
            _place_pending(mark, s.pos)

    def stmt(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.If):
            self.expr(s.cond)
            self.stmts(s.then)
            if s.otherwise is not None:
                self.stmts(s.otherwise)
        elif isinstance(s, ast.Switch):
            self.switch(s)
        elif isinstance(s, ast.While):
            self.expr(s.cond)
            self.stmts(s.body)
        elif isinstance(s, ast.Return | ast.Exit | ast.Drop):
            if s.value is not None:
                self.expr(s.value)
        elif isinstance(s, ast.Assign):
            self.assign(s)
        elif isinstance(s, ast.RouteCall | ast.Call):
            self.expr(s)

    def switch(self, s: ast.Switch) -> None:
        self.expr(s.expr)
        default: ast.Case | None = None
        for case in s.cases:
            if case.value is None:
                if default is not None:
                    self.report(
                        ConfigError(
                            'bad switch(): too many "default:" labels',
                            case.pos,
                            hint=f"the first default: is at {default.pos}",
                        )
                    )
                default = default or case
            else:
                self.expr(case.value)
                if case.regex and isinstance(case.value, ast.Literal):
                    try:
                        re.compile(str(case.value.value))
                    except re.error as e:
                        self.report(ConfigError(f"bad regular expression in case: {e}", case.pos))
            self.stmts(case.body)

    def assign(self, s: ast.Assign) -> None:
        target = s.target
        if isinstance(target, ast.PV):
            known = self.pv(target)
            if known is not None and known.read_only:
                raise ConfigError(
                    f"${target.name} is read-only: it cannot be assigned",
                    target.pos,
                    hint=f"${target.name} comes from {known.origin} and has no setter",
                )
        self.expr(s.value)

    # --- expressions ----------------------------------------------------------------

    def expr(self, e: object) -> None:
        if isinstance(e, ast.PV):
            self.pv(e)
        elif isinstance(e, ast.Select):
            self.select(e)
        elif isinstance(e, ast.BinOp):
            self.expr(e.left)
            self.expr(e.right)
        elif isinstance(e, ast.UnOp):
            self.expr(e.operand)
        elif isinstance(e, ast.Cast):
            self.expr(e.expr)
        elif isinstance(e, ast.SelVal):
            self.expr(e.cond)
            self.expr(e.if_true)
            self.expr(e.if_false)
        elif isinstance(e, ast.RouteCall):
            if self.rt == RouteType.ONSEND:  # Kamailio 5.6.3's grammar refuses it there
                raise ConfigError("route() is not allowed in onsend_route", e.pos)
            if isinstance(e.target, str):
                self.route_calls.append((e.target, e.pos))
            else:
                self.expr(e.target)
        elif isinstance(e, ast.Call):
            self.call(e)
        elif isinstance(e, ast.Keyword) and e.name in ("snd_ip", "to_ip"):
            if self.rt != RouteType.ONSEND:  # Kamailio 5.6.3's parser refuses them elsewhere
                raise ConfigError(f"{e.name} allowed only in onsend_routes", e.pos)

    def select(self, e: ast.Select) -> None:
        """A select must resolve (select/): known names, indexes, loaded module."""
        from siprouter.select import compile_select

        mark = len(custom_params.PENDING)
        compile_select(e, list(self.c.modules.modules))
        _place_pending(mark, e.pos)

    def pv(self, p: ast.PV) -> PVName | None:
        known = self.pvs.lookup(p.name)
        if known is None and PV_MODULE.get(p.name) in self.c.failed_modules:
            return None  # its module failed to load; that error is already reported
        if known is None:
            hint = self.pvs.hint_for(p.name)
            if hint is None and p.inner is None:
                hint = f"Kamailio reads an unknown ${p.name} as the AVP $avp({p.name}); write that"
            raise ConfigError(f"unknown pseudo-variable ${p.name}", p.pos, hint=hint)
        if known.inner is InnerName.REQUIRED and p.inner is None:
            raise ConfigError(f"${p.name} needs a name: ${p.name}(name)", p.pos)
        if known.inner is InnerName.NONE and p.inner is not None:
            raise ConfigError(
                f"${p.name} takes no name in parentheses", p.pos, hint=f"write ${p.name}"
            )
        return known

    # --- calls ----------------------------------------------------------------------

    def call(self, call: ast.Call) -> None:
        core = cf.lookup(call.name)
        if core is not None and core.module is None:
            self.core_call(core, call)
            return
        found = self.c.modules.find_function(call.name)
        if found is None:
            if FUNCTION_MODULE.get(call.name) in self.c.failed_modules:
                return  # its module failed to load; that error is already reported
            raise ConfigError(
                f"unknown function '{call.name}'",
                call.pos,
                hint=self._unknown_hint(call.name, core),
            )
        mod, spec = found
        self.module_call(mod.name, spec, call)

    def _unknown_hint(self, name: str, core: cf.CoreFunction | None) -> str:
        module = core.module if core is not None and core.module else FUNCTION_MODULE.get(name)
        if module is not None:
            if module in self.c.modules:
                return f"module {module} is loaded, but siprouter's {module} lacks {name} (yet)"
            return f'{name} comes from module {module}: add loadmodule "{module}"'
        names = list(cf.CORE_BY_NAME) + self.c.modules.function_names()
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return "not a core function nor exported by a loaded module (missing loadmodule?)"

    def _route_type_error(self, name: str, allowed: RouteType, pos: Pos) -> ConfigError:
        return ConfigError(
            f"function '{name}' cannot be used in {self.block_word}",
            pos,
            hint=f"it is allowed in: {allowed.describe()}",
        )

    def core_call(self, fn: cf.CoreFunction, call: ast.Call) -> None:
        if not call.parens and not fn.bare_ok:
            raise ConfigError(f"'{call.name}' needs parentheses: {call.name}()", call.pos)
        sig = fn.signature_for(len(call.args))
        if sig is None:
            raise ConfigError(
                f"function '{call.name}' takes {_counts(fn.arg_counts)}, got {len(call.args)}",
                call.pos,
            )
        if not fn.route_types & self.rt:
            raise self._route_type_error(call.name, fn.route_types, call.pos)
        for i, (arg, kind) in enumerate(zip(call.args, sig, strict=True), 1):
            self.core_arg(call.name, i, arg, kind)

    def core_arg(self, fname: str, i: int, arg: object, kind: cf.CoreArg) -> None:
        pos = getattr(arg, "pos", None)
        lit = arg.value if isinstance(arg, ast.Literal) else None
        A = cf.CoreArg
        if kind is A.STR:
            if not isinstance(lit, str):
                raise ConfigError(f"{fname}(): argument {i} must be a quoted string", pos)
        elif kind is A.NUM:
            if not isinstance(lit, int) or lit < 0:
                raise ConfigError(f"{fname}(): argument {i} must be a number (no variables)", pos)
        elif kind is A.LEVEL:
            if not isinstance(lit, int):
                raise ConfigError(f"{fname}(): argument {i} must be a log level number", pos)
        elif kind is A.FLAG:
            self.flag_arg(fname, arg, pos)
        elif kind is A.AVPFLAG:
            name = arg.name if isinstance(arg, ast.Ident) else lit
            if not isinstance(name, str) or name not in self.c.avpflags:
                raise ConfigError(
                    f"{fname}(): avpflag {name} not declared", pos, hint="declare it: avpflags NAME"
                )
        elif kind is A.HOST:
            ok = (
                isinstance(lit, str)
                or isinstance(arg, ast.IPAddr | ast.Ident)
                or (isinstance(arg, ast.Keyword) and arg.name == "uri:host")
            )
            if not ok:
                raise ConfigError(
                    f"bad {fname} argument: host (string, IP or uri:host) expected", pos
                )
        elif kind is A.PORT:
            ok = (isinstance(lit, int) and 0 <= lit <= 65535) or (
                isinstance(arg, ast.Keyword) and arg.name == "uri:port"
            )
            if not ok:
                raise ConfigError(f"bad {fname} argument: port number or uri:port expected", pos)
        elif kind is A.SOCKET:
            if not (isinstance(lit, str) or isinstance(arg, ast.HostPort | ast.IPAddr | ast.Ident)):
                raise ConfigError(f"{fname}(): [proto:]host[:port] expected", pos)
        elif kind is A.PROTO:
            word = getattr(arg, "name", None)
            if not isinstance(arg, ast.CoreValue | ast.Ident) or str(word).lower() not in (
                "udp", "tcp", "tls", "sctp",
            ):  # fmt: skip
                raise ConfigError(f"{fname}(): UDP, TCP, TLS or SCTP expected", pos)

    def flag_arg(self, fname: str, arg: object, pos: Pos | None) -> None:
        if isinstance(arg, ast.Literal) and isinstance(arg.value, int):
            if not 0 <= arg.value <= cf.MAX_FLAG:
                raise ConfigError(
                    f"{fname}(): message flag {arg.value} too high; allowed 0..{cf.MAX_FLAG}", pos
                )
            return
        name = arg.name if isinstance(arg, ast.Ident) else getattr(arg, "value", None)
        if not isinstance(name, str):
            raise ConfigError(f"{fname}(): a flag number or declared flag name expected", pos)
        if name not in self.c.flags:
            raise ConfigError(
                f"{fname}(): flag {name} not declared",
                pos,
                hint=f"declare it with `flags {name};` or use #!define {name} <bit>",
            )

    def module_call(self, module: str, spec: FunctionSpec, call: ast.Call) -> None:
        if len(call.args) not in spec.arg_counts:
            raise ConfigError(
                f"function '{call.name}' (module {module}) takes {_counts(spec.arg_counts)}, "
                f"got {len(call.args)}",
                call.pos,
            )
        if not spec.route_types & self.rt:
            raise self._route_type_error(call.name, spec.route_types, call.pos)
        consts: list[object] = []
        dynamic = spec.dynamic_for(len(call.args))
        exprs = [
            i
            for i, arg in enumerate(call.args)
            if not _constant(arg)
            and not (spec.kind_of(i) is ArgKind.PV and isinstance(arg, ast.PV))
        ]
        if exprs and not dynamic:
            arg = call.args[exprs[0]]
            raise ConfigError(
                f"function {call.name}: parameter {exprs[0] + 1} is not constant",
                getattr(arg, "pos", call.pos),
                hint=_constant_hint(spec, call.name, arg),
            )
        for i, arg in enumerate(call.args):
            self.expr(arg)
            # a call with expressions is fixed up per call (engine/call_args.py): like
            # Kamailio, -c checks none of its arguments, constants included
            if not exprs:
                self.module_arg(call.name, i + 1, arg, spec.kind_of(i))
            consts.append(arg.value if isinstance(arg, ast.Literal) else arg)
        if spec.fixup is not None and all(isinstance(a, ast.Literal) for a in call.args):
            try:
                spec.fixup(consts)
            except ValueError as e:
                raise ConfigError(f"{call.name}(): {e}", call.pos) from None

    def module_arg(self, fname: str, i: int, arg: object, kind: ArgKind) -> None:
        pos = getattr(arg, "pos", None)
        lit = arg.value if isinstance(arg, ast.Literal) else None
        if kind is ArgKind.INT:
            if isinstance(lit, str) and "$" not in lit and not re.fullmatch(r"\s*-?\d+\s*", lit):
                raise ConfigError(f'{fname}(): argument {i} must be an integer, got "{lit}"', pos)
        elif kind is ArgKind.PV:
            if isinstance(arg, ast.PV):
                return
            if isinstance(lit, str) and _PV_IN_STRING.match(lit):
                return
            raise ConfigError(
                f"{fname}(): argument {i} must be a pseudo-variable like $var(x)", pos
            )
        elif kind is ArgKind.REGEX:
            if isinstance(lit, str) and "$" not in lit.rstrip("$"):
                try:
                    re.compile(lit)
                except re.error as e:
                    raise ConfigError(
                        f"{fname}(): argument {i} is a bad regular expression: {e}", pos
                    ) from None


def _constant_hint(spec: FunctionSpec, name: str, arg: object) -> str:
    raw = getattr(arg, "raw", "")
    if isinstance(arg, ast.PV) and raw:
        return f'put the variable inside a string: "{raw}"'
    if isinstance(spec.dynamic_args, tuple) and spec.dynamic_args:
        return f"{name} takes expressions only with {_counts(spec.dynamic_args)}"
    return f"{name} takes constant arguments (strings may hold variables)"


def _place_pending(mark: int, pos: Pos) -> None:
    """Give the custom parameter names a select used since `mark` this position."""
    pend = custom_params.PENDING
    for i in range(mark, len(pend)):
        if pend[i][1] is None:
            pend[i] = (pend[i][0], pos)


def _constant(e: object) -> bool:
    """True for arguments Kamailio folds to a constant at parse time."""
    if isinstance(e, ast.Literal | ast.BoolLit | ast.Ident | ast.CoreValue | ast.IPAddr):
        return True
    if isinstance(e, ast.HostPort):
        return True
    if isinstance(e, ast.BinOp):
        return _constant(e.left) and _constant(e.right)
    if isinstance(e, ast.UnOp):
        return e.op in ("-", "!", "~") and _constant(e.operand)
    if isinstance(e, ast.Cast):
        return _constant(e.expr)
    return False


def _counts(counts: tuple[int, ...]) -> str:
    c = sorted(counts)
    word = "argument" if c == [1] else "arguments"
    if len(c) == 1:
        return f"{c[0]} {word}"
    if c == list(range(c[0], c[-1] + 1)) and len(c) > 2:
        return f"{c[0]}..{c[-1]} arguments"
    return ", ".join(map(str, c[:-1])) + f" or {c[-1]} arguments"
