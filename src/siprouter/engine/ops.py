"""Operator and type rules of the cfg language, as Kamailio 5.6.3 evaluates them.

Values are `int` (32-bit signed), `str`, or `None` (undefined / $null). Every rule
below was checked against the installed Kamailio (tests/unit/engine/test_ops_kamailio.py):

* int conversion: None -> 0, "" -> 0, "[+-]digits" within 32 bits -> its value; any
  other string ("abc", " 12", "12abc", "99999999999") fails: Kamailio logs an error and
  uses 0. str conversion: None -> "", int -> decimal text.
* `+`: left int -> right converted to int, 32-bit sum; left str -> concatenation with
  str(right); left undef -> "" + str(right) (a string).
* `-` `*` `/` `mod` `|` `&` `^` `<<` `>>` `~` unary `-`: both operands as int, results
  wrap to 32 bits; `/` and `mod` truncate toward zero (C); division or mod by zero makes
  the whole expression fail (EvalError: the assignment is skipped, an if is false);
  shift counts are taken modulo 32 (x86).
* `==` `!=`: left int -> int compare; left str -> string compare; left undef -> takes
  the type of the right operand (undef == undef is true).
* `<` `>` `<=` `>=`: integer comparisons (both sides converted to int; the cookbook's
  `"4" > 20` example is true only on paper: 5.6.3 says false).
* `eq` `ne` force strings, `ieq` `ine` force ints.
* `&&` `||` `!`: C truth (non-zero) of the int values; results are 1/0.
* conditions of `if` and `selval` are true when the int value is > 0 (so -3 is false);
  `while` loops while it is non-zero.
* a function or route call used as an operand counts as 1 when it returned > 0, else 0;
  used alone as the value of an assignment it gives its return code.
"""

from __future__ import annotations

import logging
import re

from .posix_regex import compile_posix

log = logging.getLogger("siprouter.script")

Value = int | str | None

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


class EvalError(Exception):
    """An expression could not be evaluated (division by zero, bad regex...)."""


def wrap(x: int) -> int:
    """Reduce to a 32-bit signed int (C wraparound)."""
    if INT_MIN <= x <= INT_MAX:
        return x
    return ((x + 2**31) & 0xFFFFFFFF) - 2**31


def str_to_int(s: str) -> int:
    """Kamailio's automatic string to int conversion (0 and an error log on failure)."""
    if not s:
        return 0
    if _INT_RE.match(s):
        v = int(s)
        if INT_MIN <= v <= INT_MAX:
            return v
    log.error('automatic string to int conversion for "%s" failed', s)
    return 0


def to_int(v: Value) -> int:
    if type(v) is int:
        return v
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    return str_to_int(v)  # type: ignore[arg-type]


def to_str(v: Value) -> str:
    if type(v) is str:
        return v
    if v is None:
        return ""
    return str(v)


def cond(v: Value) -> bool:
    """Truth of an if/selval condition: int value > 0."""
    if type(v) is int:
        return v > 0
    return to_int(v) > 0


def nonzero(v: Value) -> bool:
    """C truth (while, &&, ||, !)."""
    if type(v) is int:
        return v != 0
    return to_int(v) != 0


# ---- binary operators ----------------------------------------------------------------


def add(a: Value, b: Value) -> Value:
    if type(a) is int:
        return wrap(a + (b if type(b) is int else to_int(b)))
    if a is None:
        return to_str(b)
    return a + to_str(b)  # type: ignore[operator]


def sub(a: Value, b: Value) -> int:
    return wrap(to_int(a) - to_int(b))


def mul(a: Value, b: Value) -> int:
    return wrap(to_int(a) * to_int(b))


def div(a: Value, b: Value) -> int:
    x, y = to_int(a), to_int(b)
    if y == 0:
        log.error("rv div by 0")
        raise EvalError("division by zero")
    q = abs(x) // abs(y)
    return wrap(q if (x >= 0) == (y >= 0) else -q)


def mod(a: Value, b: Value) -> int:
    x, y = to_int(a), to_int(b)
    if y == 0:
        log.error("rv mod by 0")
        raise EvalError("modulo by zero")
    r = abs(x) % abs(y)
    return wrap(r if x >= 0 else -r)


def bor(a: Value, b: Value) -> int:
    return wrap(to_int(a) | to_int(b))


def band(a: Value, b: Value) -> int:
    return wrap(to_int(a) & to_int(b))


def bxor(a: Value, b: Value) -> int:
    return wrap(to_int(a) ^ to_int(b))


def shl(a: Value, b: Value) -> int:
    return wrap(to_int(a) << (to_int(b) & 31))


def shr(a: Value, b: Value) -> int:
    return to_int(a) >> (to_int(b) & 31)


def eq(a: Value, b: Value) -> bool:
    if type(a) is int:
        return a == (b if type(b) is int else to_int(b))
    if type(a) is str:
        return a == (b if type(b) is str else to_str(b))
    # undef: converted to the type of the right operand
    if b is None:
        return True
    if type(b) is int:
        return b == 0
    return b == ""


def ne(a: Value, b: Value) -> bool:
    return not eq(a, b)


def lt(a: Value, b: Value) -> bool:
    return to_int(a) < to_int(b)


def gt(a: Value, b: Value) -> bool:
    return to_int(a) > to_int(b)


def le(a: Value, b: Value) -> bool:
    return to_int(a) <= to_int(b)


def ge(a: Value, b: Value) -> bool:
    return to_int(a) >= to_int(b)


def str_eq(a: Value, b: Value) -> bool:
    return to_str(a) == to_str(b)


def str_ne(a: Value, b: Value) -> bool:
    return to_str(a) != to_str(b)


def int_eq(a: Value, b: Value) -> bool:
    return to_int(a) == to_int(b)


def int_ne(a: Value, b: Value) -> bool:
    return to_int(a) != to_int(b)


_DYN_RE: dict[str, re.Pattern[str]] = {}


def regex_dynamic(pattern: Value) -> re.Pattern[str]:
    """A regex from a runtime value (=~ with a variable on the right), cached."""
    text = to_str(pattern)
    rx = _DYN_RE.get(text)
    if rx is None:
        try:
            rx = compile_posix(text, icase=True)
        except re.error as e:
            log.error("bad regular expression %r: %s", text, e)
            raise EvalError(str(e)) from None
        if len(_DYN_RE) > 1000:
            _DYN_RE.clear()
        _DYN_RE[text] = rx
    return rx


def match(a: Value, b: Value) -> bool:
    """`a =~ b` with b a runtime value."""
    return regex_dynamic(b).search(to_str(a)) is not None


# ---- unary operators -------------------------------------------------------------------


def neg(a: Value) -> int:
    return wrap(-to_int(a))


def bnot(a: Value) -> int:
    return wrap(~to_int(a))


def lnot(a: Value) -> int:
    return 0 if nonzero(a) else 1


def strlen(a: Value) -> int:
    return len(to_str(a))


def strempty(a: Value) -> int:
    return 1 if to_str(a) == "" else 0


def defined(a: Value) -> int:
    return 0 if a is None else 1


def b2i(b: bool) -> int:
    return 1 if b else 0
