"""The `re.subst` transformation (Kamailio textops): `{re.subst,/regex/replacement/flags}`.

The first character is the delimiter (escape it with a backslash inside).  The regex is
POSIX extended (classes like [[:digit:]] are translated for Python's `re`); flags: i
(ignore case), g (all matches), s (`.` and [^x] do not match a newline).  In the
replacement \\0..\\9 are the groups, \\n \\r \\t \\\\ the usual characters, and a
pseudo-variable is evaluated per message.  No match leaves the value unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Getter, Step, Value, _close, to_str

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "0-9a-zA-Z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": " -~",
    "graph": "!-~",
}


def posix_to_python(rx: str) -> str:
    """Translate a POSIX extended regex to Python `re` syntax (bracket expressions)."""
    out: list[str] = []
    i = 0
    n = len(rx)
    while i < n:
        c = rx[i]
        if c == "\\" and i + 1 < n:
            out.append(rx[i : i + 2])
            i += 2
            continue
        if c != "[":
            out.append(c)
            i += 1
            continue
        out.append("[")
        i += 1
        if i < n and rx[i] == "^":
            out.append("^")
            i += 1
        if i < n and rx[i] == "]":
            out.append("\\]")
            i += 1
        while i < n and rx[i] != "]":
            if rx.startswith("[:", i):
                end = rx.find(":]", i + 2)
                name = rx[i + 2 : end] if end > 0 else ""
                if name not in _CLASSES:
                    raise ValueError(f"unknown character class [:{name}:]")
                out.append(_CLASSES[name])
                i = end + 2
                continue
            ch = rx[i]
            out.append("\\" + ch if ch in "\\[" else ch)
            i += 1
        if i >= n:
            raise ValueError("unterminated [ ]")
        out.append("]")
        i += 1
    return "".join(out)


def _split_subst(text: str) -> tuple[str, str, str]:
    if len(text) < 3:
        raise ValueError("too short")
    d = text[0]
    parts: list[str] = []
    cur: list[str] = []
    i = 1
    while i < len(text) and len(parts) < 2:
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] == d:
            cur.append(d)
            i += 2
            continue
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c == d:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if len(parts) < 2:
        raise ValueError(f"expected {d}regex{d}replacement{d}flags")
    return parts[0], parts[1], text[i:]


Piece = str | int | Getter  # literal, group number, per-message value


def _repl_pieces(repl: str, r: ArgReader) -> list[Piece]:
    esc = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
    pieces: list[Piece] = []
    lit: list[str] = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            if nxt.isdigit():
                pieces.append("".join(lit))
                lit = []
                pieces.append(int(nxt))
            else:
                lit.append(esc.get(nxt, nxt))
            i += 2
            continue
        if c == "$" and i + 1 < len(repl) and (repl[i + 1].isalpha() or repl[i + 1] == "("):
            j = i + 1
            if repl[j] == "(":
                j = _close(repl, j)
            else:
                while j < len(repl) and (repl[j].isalnum() or repl[j] == "_"):
                    j += 1
                if j < len(repl) and repl[j] == "(":
                    j = _close(repl, j)
            if j < 0:
                raise r.error("bad pseudo-variable in the replacement")
            if r.arg_getter is None:
                raise r.error(f"the pseudo-variable {repl[i:j]} is not supported here")
            pieces.append("".join(lit))
            lit = []
            pieces.append(r.arg_getter(repl[i:j], r.pos))
            i = j
            continue
        lit.append(c)
        i += 1
    pieces.append("".join(lit))
    return [p for p in pieces if p != ""]


def _subst(r: ArgReader) -> Step:
    r.comma("a substitution /regex/replacement/flags")
    text = r.rest()
    try:
        rx, repl, flags = _split_subst(text)
        bad = set(flags) - set("igs")
        if bad:
            raise ValueError(f"unknown flag(s) {''.join(sorted(bad))!r}")
        reflags = re.IGNORECASE if "i" in flags else 0
        pyrx = posix_to_python(rx)
        if "s" not in flags:
            reflags |= re.DOTALL
        compiled = re.compile(pyrx, reflags)
    except (ValueError, re.error) as e:
        raise r.error(f"bad substitution: {e}") from None
    pieces = _repl_pieces(repl, r)
    count = 0 if "g" in flags else 1

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        s = to_str(v)
        if not s:
            return None

        def expand(m: re.Match[str]) -> str:
            out: list[str] = []
            for p in pieces:
                if isinstance(p, str):
                    out.append(p)
                elif isinstance(p, int):
                    out.append(m.group(p) or "" if p <= compiled.groups else "")
                else:
                    pv = p(ctx)
                    out.append("" if pv is None else to_str(pv))
            return "".join(out)

        return compiled.sub(expand, s, count=count)

    return step


FACTORIES: dict[str, Callable[[ArgReader], Step]] | dict[str, Factory] = {"subst": _subst}
