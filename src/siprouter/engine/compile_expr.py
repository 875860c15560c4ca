"""Expressions to Python source, with the operator/type rules of engine/ops.py.

`expr(node)` returns an `E`: the Python expression text, its static type and whether
its evaluation can fail (division by zero, a runtime regex). Static types let the
common cases become plain Python operators: `$var(i) + 1` on an int literal is
`_wrap(_ti(G1(ctx)) + 1)` only when the left side is not known to be an int; a string
literal compared with `==` compiles to `G2(ctx) == 'INVITE'` behind a type test.

Types: "int", "str", "bool" (a Python bool, from comparisons), "act" (the return code
of a function or route call: as an operand it counts as 1 when > 0, else 0), "any"
(a PV or a mix: decided at runtime by ops.*).
"""

from __future__ import annotations

import ast as pyast
from typing import Any, NamedTuple

from siprouter.cfg import ast

from . import ops
from .compile_base import Emitter, err
from .keywords import address_compare, text_compare
from .posix_regex import compile_posix


class E(NamedTuple):
    code: str
    typ: str
    fail: bool = False


# name in the generated module -> object (imported into every generated namespace)
RUNTIME_NAMES: dict[str, Any] = {
    "_wrap": ops.wrap,
    "_ti": ops.to_int,
    "_ts": ops.to_str,
    "_add": ops.add,
    "_div": ops.div,
    "_mod": ops.mod,
    "_shl": ops.shl,
    "_eq": ops.eq,
    "_match": ops.match,
    "_cond": ops.cond,
    "_nz": ops.nonzero,
}

_INT_BINOPS = {"-": "-", "*": "*", "|": "|", "&": "&", "^": "^"}
_CMP = {"<": "<", ">": ">", "<=": "<=", ">=": ">="}


def _literal(code: str) -> bool:
    try:
        pyast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def fold(e: E, *parts: E) -> E:
    """Evaluate `e` now when every operand is a literal (no per-message work for
    `2147483647 + 1` or `"a" + 1`); an operation that fails stays for runtime."""
    if not all(_literal(p.code) for p in parts):
        return e
    try:
        value = eval(e.code, dict(RUNTIME_NAMES))
    except ops.EvalError:
        return e
    if isinstance(value, bool):
        return E(repr(value), "bool")
    if isinstance(value, int):
        return E(repr(value), "int")
    if isinstance(value, str):
        return E(repr(value), "str")
    return e


_INT_OPS = frozenset(
    {"-", "*", "/", "mod", "|", "&", "^", "<<", ">>", "<", ">", "<=", ">=", "ieq", "ine",
     "&&", "||"}
)  # fmt: skip


def static_type(node: Any) -> str | None:
    """The type Kamailio's parser knows for an expression (literals, casts, operator
    results), None when only the runtime knows (PVs, calls, keywords)."""
    if isinstance(node, ast.Literal):
        return "str" if node.kind == "str" else "int"
    if isinstance(node, ast.Cast):
        return node.type
    if isinstance(node, ast.BinOp):
        if node.op == "+":
            return static_type(node.left)
        return "int"
    if isinstance(node, ast.UnOp):
        return "int"
    if isinstance(node, ast.Select):  # a select's value is a string (or none)
        return "str"
    return None


def check_types(node: Any) -> None:
    """Kamailio's start-up type check of expressions (a `-c` error there too, verified
    with 5.6.3): a string where the operator needs an int (`1 + "2"`, `"3" - 1`,
    `10 < "9"`, `!"x"`, `~"3"`), an int where it needs a string (`strlen(1)`,
    `0 eq ""`, `123 =~ "2"`)."""
    if isinstance(node, ast.BinOp):
        op, lt, rt = node.op, static_type(node.left), static_type(node.right)
        if op in _INT_OPS:
            for side, t in ((node.left, lt), (node.right, rt)):
                if t == "str":
                    raise err("bad expression: type mismatch: str instead of int", side.pos)
        elif op in ("+", "==", "!=", "eq", "ne") and lt == "int" and rt == "str":
            # (`@cseq.num == 17` passes: the left string decides; `17 == @cseq.num` not)
            raise err("bad expression: type mismatch: str instead of int", node.right.pos)
        elif op in ("=~", "!~") and lt == "int":
            raise err("bad expression: type mismatch (int instead of str)", node.left.pos)
    elif isinstance(node, ast.UnOp):
        t = static_type(node.operand)
        if node.op in ("!", "-", "~") and t == "str":
            raise err("bad expression: type mismatch (str instead of int)", node.operand.pos)
        if node.op in ("defined", "strlen", "strempty") and t == "int":
            raise err("bad expression: type mismatch (int instead of str)", node.operand.pos)


class ExprCompiler:
    """Mixin: expression compilation. The statement compiler provides `em`, `call_expr`
    (function calls) and `route_expr` (route calls)."""

    em: Emitter
    myself: Any = None  # myself.SelfMatcher, set by compiler.compile_routes

    # ---- hooks provided by the statement compiler ----------------------------------

    def call_expr(self, node: ast.Call) -> E:  # pragma: no cover - overridden
        raise NotImplementedError

    def route_expr(self, node: ast.RouteCall) -> E:  # pragma: no cover - overridden
        raise NotImplementedError

    def pv_get(self, node: ast.PV) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def keyword_expr(self, node: ast.Keyword) -> E:  # pragma: no cover - overridden
        raise NotImplementedError

    # ---- conversions -----------------------------------------------------------------

    @staticmethod
    def as_int(e: E) -> str:
        if e.typ == "int":
            return e.code
        if e.typ == "bool":
            return f"(1 if {e.code} else 0)"
        if e.typ == "act":
            return f"(1 if {e.code} > 0 else 0)"
        return f"_ti({e.code})"

    @staticmethod
    def as_str(e: E) -> str:
        if e.typ == "str":
            return e.code
        if e.typ == "bool":
            return f"('1' if {e.code} else '0')"
        if e.typ == "act":
            return f"('1' if {e.code} > 0 else '0')"
        return f"_ts({e.code})"

    def as_value(self, e: E) -> str:
        """A script value (int/str/None): bools become 1/0, act values 1/0."""
        if e.typ in ("bool", "act"):
            return self.as_int(e)
        return e.code

    @staticmethod
    def as_cond(e: E) -> str:
        """Truth for if/selval: int value > 0."""
        if e.typ == "bool":
            return e.code
        if e.typ in ("int", "act"):
            return f"{e.code} > 0"
        return f"_cond({e.code})"

    @staticmethod
    def as_nonzero(e: E) -> str:
        """C truth for while, &&, ||, !."""
        if e.typ == "bool":
            return e.code
        if e.typ == "act":
            return f"{e.code} > 0"
        if e.typ == "int":
            return f"{e.code} != 0"
        return f"_nz({e.code})"

    # ---- dispatch --------------------------------------------------------------------

    def expr(self, node: Any) -> E:
        if isinstance(node, ast.Literal):
            if node.kind == "int":
                return E(repr(ops.wrap(int(node.value))), "int")
            return E(repr(str(node.value)), "str")
        if isinstance(node, ast.BoolLit):
            return E("1" if node.value else "0", "int")
        if isinstance(node, ast.PV):
            if node.name in ("rc", "retcode", "?") and not node.transforms and node.inner is None:
                return E("ctx.rc", "int")
            if node.name == "null" and not node.transforms:
                return E("None", "any")
            return E(f"{self.pv_get(node)}(ctx)", "any")
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnOp):
            return self.unop(node)
        if isinstance(node, ast.Cast):
            inner = self.expr(node.expr)
            if node.type == "int":
                return fold(E(self.as_int(inner), "int", inner.fail), inner)
            return fold(E(self.as_str(inner), "str", inner.fail), inner)
        if isinstance(node, ast.SelVal):
            c = self.expr(node.cond)
            t = self.expr(node.if_true)
            f = self.expr(node.if_false)
            typ = t.typ if t.typ == f.typ and t.typ in ("int", "str") else "any"
            code = f"({self.as_value(t)} if {self.as_cond(c)} else {self.as_value(f)})"
            return E(code, typ, c.fail or t.fail or f.fail)
        if isinstance(node, ast.Call):
            return self.call_expr(node)
        if isinstance(node, ast.RouteCall):
            return self.route_expr(node)
        if isinstance(node, ast.Keyword):
            return self.keyword_expr(node)
        if isinstance(node, ast.CoreValue):
            return self.core_value(node)
        if isinstance(node, ast.Select):
            return E(f"{self.select_get(node)}(ctx)", "str")
        what = type(node).__name__
        raise err(f"{what} values are not supported in expressions yet", getattr(node, "pos", None))

    def select_get(self, node: ast.Select) -> str:
        """The namespace name of the select's getter (resolved once; see select/); as an
        operand a select is a string, "" when it has no value."""
        from siprouter.select import compile_select

        mods = getattr(self, "modules", None)
        names = list(mods.modules) if mods is not None else None
        return self.em.const(compile_select(node, names).text, "S")

    def core_value(self, node: ast.CoreValue) -> E:
        from .keywords import CORE_VALUES

        v = CORE_VALUES.get(node.name.upper())
        if v is None:
            raise err(f"core value {node.name} is not supported yet", node.pos)
        return E(repr(v), "int" if isinstance(v, int) else "str")

    def _operand_value(self, node: Any) -> tuple[str, bool]:
        e = self.expr(node)
        return self.as_value(e), e.fail

    # ---- operators -------------------------------------------------------------------

    def binop(self, node: ast.BinOp) -> E:
        check_types(node)
        hooked = address_compare(node, self.em.const, self.myself, self._operand_value)
        if hooked is not None:  # `uri == myself`, `src_ip == 10.0.0.0/8`, ...
            return E(hooked[0], "bool", hooked[1])
        hooked = text_compare(node, self.em.const, self._operand_value)
        if hooked is not None:  # `method == "invite"`: case-insensitive
            return E(hooked[0], "bool", hooked[1])
        if node.op in ("=~", "!~"):
            return self.regex_match(node)
        a, b = self.expr(node.left), self.expr(node.right)
        return fold(self._binop(node, a, b), a, b)

    def _binop(self, node: ast.BinOp, a: E, b: E) -> E:
        op = node.op
        if op in ("&&", "||"):
            pyop = "and" if op == "&&" else "or"
            code = f"({self.as_nonzero(a)} {pyop} {self.as_nonzero(b)})"
            return E(code, "bool", a.fail or b.fail)
        fail = a.fail or b.fail
        if op == "+":
            if a.typ in ("int", "bool", "act"):
                bi = b.code if b.typ == "int" else self.as_int(b)
                return E(f"_wrap({self.as_int(a)} + {bi})", "int", fail)
            if a.typ == "str":
                return E(f"({a.code} + {self.as_str(b)})", "str", fail)
            return E(f"_add({a.code}, {self.as_value(b)})", "any", fail)
        if op in _INT_BINOPS:
            return E(f"_wrap({self.as_int(a)} {_INT_BINOPS[op]} {self.as_int(b)})", "int", fail)
        if op == "/":
            return E(f"_div({self.as_int(a)}, {self.as_int(b)})", "int", True)
        if op == "mod":
            return E(f"_mod({self.as_int(a)}, {self.as_int(b)})", "int", True)
        if op == "<<":
            return E(f"_shl({self.as_int(a)}, {self.as_int(b)})", "int", fail)
        if op == ">>":
            return E(f"({self.as_int(a)} >> ({self.as_int(b)} & 31))", "int", fail)
        if op in _CMP:
            return E(f"({self.as_int(a)} {_CMP[op]} {self.as_int(b)})", "bool", fail)
        if op in ("==", "!="):
            neg = "not " if op == "!=" else ""
            r = node.right
            if isinstance(r, ast.PV) and r.name == "null" and not r.transforms:
                # Kamailio 5.6.3: `x == $null` is true only when x has no value ("" and
                # 0 are values), unlike an undefined PV on the right, which converts
                return E(f"({a.code} {'is not' if neg else 'is'} None)", "bool", fail)
            if a.typ in ("int", "bool", "act"):
                return E(f"({self.as_int(a)} {op} {self.as_int(b)})", "bool", fail)
            if a.typ == "str":
                return E(f"({a.code} {op} {self.as_str(b)})", "bool", fail)
            return E(f"({neg}_eq({a.code}, {self.as_value(b)}))", "bool", fail)
        if op in ("eq", "ne"):
            pyop = "==" if op == "eq" else "!="
            return E(f"({self.as_str(a)} {pyop} {self.as_str(b)})", "bool", fail)
        if op in ("ieq", "ine"):
            pyop = "==" if op == "ieq" else "!="
            return E(f"({self.as_int(a)} {pyop} {self.as_int(b)})", "bool", fail)
        raise err(f"operator {op} is not supported", node.pos)

    def regex_match(self, node: ast.BinOp) -> E:
        a = self.expr(node.left)
        neg = "not " if node.op == "!~" else ""
        if isinstance(node.right, ast.Ident):  # `method =~ INVITE`: the name is the pattern
            node = ast.BinOp(
                node.op, node.left, ast.Literal(node.right.name, "str", node.right.pos), node.pos
            )
        if isinstance(node.right, ast.Literal) and node.right.kind == "str":
            try:
                rx = compile_posix(str(node.right.value), icase=True)
            except Exception as e:  # re.error
                raise err(
                    f"bad regular expression {node.right.value!r}: {e}", node.right.pos
                ) from None
            name = self.em.const(rx, "RX")
            return E(f"({neg}{name}.search({self.as_str(a)}) is not None)", "bool", a.fail)
        b = self.expr(node.right)
        return E(f"({neg}_match({self.as_str(a)}, {self.as_value(b)}))", "bool", True)

    def unop(self, node: ast.UnOp) -> E:
        check_types(node)
        a = self.expr(node.operand)
        return fold(self._unop(node, a), a)

    def _unop(self, node: ast.UnOp, a: E) -> E:
        op = node.op
        if op == "!":
            return E(f"(not {self.as_nonzero(a)})", "bool", a.fail)
        if op == "-":
            if a.typ == "int" and a.code.lstrip("-").isdigit():
                return E(repr(ops.wrap(-int(a.code))), "int")
            return E(f"_wrap(-{self.as_int(a)})", "int", a.fail)
        if op == "~":
            return E(f"(~{self.as_int(a)})", "int", a.fail)
        if op == "defined":
            if a.typ in ("int", "str", "bool", "act"):
                return E("True", "bool", a.fail)
            return E(f"({a.code} is not None)", "bool", a.fail)
        if op == "strlen":
            return E(f"len({self.as_str(a)})", "int", a.fail)
        if op == "strempty":
            return E(f"({self.as_str(a)} == '')", "bool", a.fail)
        raise err(f"operator {op} is not supported", node.pos)
