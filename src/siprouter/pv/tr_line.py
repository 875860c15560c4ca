"""The `line.*` transformations: count, at (negative counts from the end), sw (starts with).

Lines end with '\\n'; a trailing '\\r' is dropped from the result.  The results are
strings (Kamailio marks even `count` as a string).  `at` with a negative index follows
Kamailio's backward scan exactly (a value ending in an empty line included).
"""

from __future__ import annotations

from typing import Any

from siprouter.pv.tr_common import Arg, ArgReader, Factory, Step, Value


def _done(s: str) -> str:
    return s[:-1] if s.endswith("\r") else s


def line_count(s: str) -> int:
    n = s.count("\n")
    return n + 1 if s and not s.endswith("\n") else n


def line_at(s: str, n: int) -> str:
    if n >= 0:
        p: int | None = 0
        i = 0
        while i < n and p is not None:
            k = s.find("\n", p)
            p = None if k < 0 else k + 1
            i += 1
        if i == n and p is not None:
            k = s.find("\n", p)
            return _done(s[p:] if k < 0 else s[p:k])
        return ""
    p = len(s) - 1
    if s[p] == "\n":
        p -= 1
    ms = p
    n = -n
    i = 1
    q: int | None = s.rfind("\n", 0, max(p, 0))
    q = None if q < 0 else q - 1
    while i < n and q is not None:
        ms = q
        k = s.rfind("\n", 0, q) if q > 0 else -1
        q = None if k < 0 else k - 1
        i += 1
    if i != n:
        return ""
    if q is None:
        return _done(s[: ms + 1])
    return _done(s[q + 2 : ms + 1])


def line_sw(s: str, prefix: str) -> str:
    if len(s) < len(prefix):
        return ""
    p = 0
    while True:
        if s.startswith(prefix, p):
            k = s.find("\n", p + len(prefix))
            return _done(s[p:] if k < 0 else s[p:k])
        k = s.find("\n", p)
        if k < 0:
            return ""
        p = k + 1
        if p > len(s) - len(prefix):
            return ""


def _count(r: ArgReader) -> Step:
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if not isinstance(v, str) or not v:
            return None
        return str(line_count(v))

    return step


def _at(r: ArgReader) -> Step:
    r.comma("a line index")
    a: Arg = r.number()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if not isinstance(v, str) or not v:
            return None
        n = a.int_value(ctx)
        return None if n is None else line_at(v, n)

    return step


def _sw(r: ArgReader) -> Step:
    r.comma("a prefix")
    a: Arg = r.string()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if not isinstance(v, str) or not v:
            return None
        prefix = a.str_value(ctx)
        return None if prefix is None else line_sw(v, prefix)

    return step


FACTORIES: dict[str, Factory] = {"count": _count, "at": _at, "sw": _sw}
