"""The `re.subst` transformation (Kamailio textops): `{re.subst,/regex/replacement/flags}`.

The first character is the delimiter (escape it with a backslash inside).  The regex is
POSIX extended (translated by engine/posix_regex.py, as for `=~`); flags: i
(ignore case), g (all matches), s (`.` and [^x] do not match a newline).  In the
replacement \\0..\\9 are the groups, \\n \\r \\t \\\\ the usual characters, and a
pseudo-variable is evaluated per message.  No match leaves the value unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from siprouter.engine.posix_regex import translate
from siprouter.pv.tr_common import ArgReader, Factory, Getter, Step, Value, close_group, to_str


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
                j = close_group(repl, j)
            else:
                while j < len(repl) and (repl[j].isalnum() or repl[j] == "_"):
                    j += 1
                if j < len(repl) and repl[j] == "(":
                    j = close_group(repl, j)
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
        pyrx = translate(rx)
        # POSIX without REG_NEWLINE: '.' matches a newline; the s flag turns that off
        reflags |= re.ASCII | (re.MULTILINE if "s" in flags else re.DOTALL)
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


FACTORIES: dict[str, Factory] = {"subst": _subst}
