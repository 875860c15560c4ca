"""snexpr: the small expression language of #!ifexp and #!defexp / #!defexps.

Values are numbers (floats, as in Kamailio's snexpr) or strings. A define ID used in an
expression is its value as a string with enclosing quotes removed, 1 when it is defined with
no value, and 0 when it is not defined. A binary operation on two different types converts
the right operand to the type of the left one; strings compare with strcmp() rules (by code
point) and `+` concatenates them. Operators, from loosest to tightest binding:

    ,   =   ||   &&   |   ^   &   == !=   < <= > >=   << >>   + -   * / %   **   unary - ! ^

(`**` is right-associative; unary `^` is bitwise negation, binary `^` is xor; bitwise
operators work on the integer parts.) Malformed expressions raise SnexprError with the
offset of the problem in the expression text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

Value = float | str


class SnexprError(ValueError):
    """A malformed or unevaluable expression; `offset` points into the expression text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<id>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^<>=!(),])
""",
    re.VERBOSE,
)

# Binary operators: precedence (higher binds tighter), right-associative?
_BINARY: dict[str, tuple[int, bool]] = {
    ",": (1, False),
    "=": (2, True),
    "||": (3, False),
    "&&": (4, False),
    "|": (5, False),
    "^": (6, False),
    "&": (7, False),
    "==": (8, False),
    "!=": (8, False),
    "<": (9, False),
    "<=": (9, False),
    ">": (9, False),
    ">=": (9, False),
    "<<": (10, False),
    ">>": (10, False),
    "+": (11, False),
    "-": (11, False),
    "*": (12, False),
    "/": (12, False),
    "%": (12, False),
    "**": (14, True),
}
_UNARY_PREC = 13


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    i = 0
    while i < len(text):
        m = _TOKEN_RE.match(text, i)
        if not m:
            raise SnexprError(f"unexpected character {text[i]!r}", i)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(0), i))
        i = m.end()
    return out


def to_number(v: Value) -> float:
    """String to number the way strtod() does: the longest numeric prefix, else 0."""
    if isinstance(v, float):
        return v
    m = re.match(r"\s*[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", v)
    if not m:
        return 0.0
    s = m.group(0).strip()
    try:
        return float(int(s, 16)) if s.lstrip("+-").lower().startswith("0x") else float(s)
    except ValueError:
        return 0.0


def to_string(v: Value) -> str:
    """Number to string: integers without a fraction, others like C's %g."""
    if isinstance(v, str):
        return v
    if math.isfinite(v) and v == int(v) and abs(v) < 1e17:
        return str(int(v))
    return f"{v:g}"


def is_true(v: Value) -> bool:
    """Numbers: non-zero; strings: non-empty."""
    return bool(v) if isinstance(v, str) else v != 0


def define_value(name: str, defines: Mapping[str, str | None]) -> Value:
    """How a define ID reads inside an expression."""
    if name not in defines:
        return 0.0
    value = defines[name]
    if value is None:
        return 1.0
    if len(value) >= 2 and value[0] in "\"'" and value[0] == value[-1]:
        return value[1:-1]
    return value


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body
    )


def _int(x: float, off: int) -> int:
    if not math.isfinite(x):
        raise SnexprError("bitwise operation on a non-finite number", off)
    return int(x)


def _compare(a: Value, b: Value) -> int:
    if isinstance(a, str):
        sb = to_string(b)
        return (a > sb) - (a < sb)
    nb = to_number(b)
    return (a > nb) - (a < nb)


def apply_binary(op: str, a: Value, b: Value, off: int = 0) -> Value:
    """One binary operation with the left-operand type rule."""
    if op in ("&&", "||"):
        r = (is_true(a) and is_true(b)) if op == "&&" else (is_true(a) or is_true(b))
        return 1.0 if r else 0.0
    if op in ("==", "!=", "<", "<=", ">", ">="):
        c = _compare(a, b)
        r = {"==": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
        return 1.0 if r else 0.0
    if isinstance(a, str):
        if op == "+":
            return a + to_string(b)
        raise SnexprError(
            f"operator {op!r} is not defined for strings (only + and comparisons)", off
        )
    x, y = a, to_number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op in ("/", "%"):
        if y == 0:
            raise SnexprError("division by zero", off)
        return x / y if op == "/" else math.fmod(x, y)
    if op == "**":
        try:
            return float(x**y)
        except (OverflowError, ZeroDivisionError):
            raise SnexprError("power out of range", off) from None
    xi, yi = _int(x, off), _int(y, off)
    if op == "<<":
        if yi < 0 or yi > 63:
            raise SnexprError("shift count out of range", off)
        return float(xi << yi)
    if op == ">>":
        if yi < 0:
            raise SnexprError("shift count out of range", off)
        return float(xi >> yi)
    if op == "&":
        return float(xi & yi)
    if op == "|":
        return float(xi | yi)
    if op == "^":
        return float(xi ^ yi)
    raise SnexprError(f"unknown operator {op!r}", off)


class _Parser:
    def __init__(self, text: str, defines: Mapping[str, str | None]) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.defines = defines
        self.vars: dict[str, Value] = {}

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> Value:
        if not self.toks:
            raise SnexprError("empty expression", 0)
        v = self.expr(0)
        tok = self.peek()
        if tok is not None:
            raise SnexprError(f"unexpected {tok[1]!r}", tok[2])
        return v

    def expr(self, min_prec: int) -> Value:
        left, left_name = self.unary()
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "op" or tok[1] not in _BINARY:
                return left
            prec, right_assoc = _BINARY[tok[1]]
            if prec < min_prec:
                return left
            self.i += 1
            right = self.expr(prec if right_assoc else prec + 1)
            if tok[1] == "=":
                if left_name is None:
                    raise SnexprError("left side of '=' must be a name", tok[2])
                self.vars[left_name] = right
                left = right
            elif tok[1] == ",":
                left = right
            else:
                left = apply_binary(tok[1], left, right, tok[2])
            left_name = None

    def unary(self) -> tuple[Value, str | None]:
        tok = self.peek()
        if tok is None:
            raise SnexprError("expression ends too early", len(self.text))
        kind, text, off = tok
        self.i += 1
        if kind == "op" and text in ("-", "!", "^", "+"):
            v = self.expr(_UNARY_PREC)
            if text == "-":
                return -to_number(v), None
            if text == "+":
                return to_number(v), None
            if text == "!":
                return (0.0 if is_true(v) else 1.0), None
            return float(~_int(to_number(v), off)), None
        if kind == "op" and text == "(":
            v = self.expr(0)
            close = self.peek()
            if close is None or close[1] != ")":
                raise SnexprError("missing ')'", close[2] if close else len(self.text))
            self.i += 1
            return v, None
        if kind == "num":
            return (float(int(text, 16)) if text.lower().startswith("0x") else float(text)), None
        if kind == "str":
            return _unquote(text), None
        if kind == "id":
            if text in self.vars:
                return self.vars[text], text
            return define_value(text, self.defines), text
        raise SnexprError(f"unexpected {text!r}", off)


def evaluate(text: str, defines: Mapping[str, str | None]) -> Value:
    """Evaluate an expression with define IDs read from `defines`."""
    return _Parser(text.strip(), defines).parse()


def format_result(v: Value) -> str:
    """The text #!defexp stores: a number truncated to an integer, or the string."""
    if isinstance(v, str):
        return v
    if not math.isfinite(v):
        raise SnexprError("result is not a finite number")
    return str(int(v))
