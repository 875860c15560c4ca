"""Kamailio's sed-like subst expressions `<d>regex<d>replacement<d>flags`, parsed once.

One parser serves #!subst/#!substdef (cfg/pp_subst.py), the `{re.subst,...}` transformation
(pv/tr_regex.py) and textops' subst functions (modules/textops_re.py). The first character
is the delimiter; `\\<d>` stands for it inside the regex and the replacement; other
backslash pairs are kept for the regex and the replacement parser. Flags: `i` (ignore case),
`g` (replace every match), `s` (newline handling, which each caller maps itself).

What differs per context is passed in, not copied: `compile` turns the regex text and the
flags into a pattern (Python re or POSIX ERE, str or bytes, newline mode), `prepare` rewrites
the raw replacement first ($env(...) in the preprocessor), `pv` compiles a `$name(...)`
pseudo-variable of the replacement into a piece that `render` evaluates per use.

In the replacement `\\0`..`\\9` are the match and its groups, `\\n \\r \\t \\\\` the usual
characters, and any other escaped character stands for itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FLAGS", "SubstError", "SubstExpr", "parse_subst", "split_subst"]

log = logging.getLogger("siprouter.subst")

FLAGS = frozenset("igs")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
_ENC = "utf-8"

Compiler = Callable[[str, frozenset[str]], "re.Pattern[Any]"]
Renderer = Callable[[Any, Any], str]  # (pv piece, context) -> text


class SubstError(ValueError):
    """A malformed subst expression (callers add their own context and position)."""


@dataclass(frozen=True, slots=True)
class SubstExpr:
    """A parsed subst expression: compiled regex, replacement parts, flags."""

    source: str
    regex: re.Pattern[Any]
    parts: tuple[Any, ...]  # str literal, int group number, or a caller's pv piece
    flags: frozenset[str]
    render: Renderer | None = field(default=None, compare=False, repr=False)

    @property
    def replace_all(self) -> bool:
        return "g" in self.flags

    def expand(self, ctx: Any, m: re.Match[Any]) -> Any:
        """The replacement for one match (bytes when the regex is over bytes)."""
        out: list[str] = []
        binary = isinstance(m.string, bytes | bytearray)
        chunks: list[bytes] = []
        for p in self.parts:
            if isinstance(p, int):
                g = m.group(p) if p <= self.regex.groups else None
                if g is None:
                    continue
                if binary:
                    chunks.append(_encode("".join(out)))
                    out.clear()
                    chunks.append(g)
                else:
                    out.append(g)
            elif isinstance(p, str):
                out.append(p)
            elif self.render is not None:
                out.append(self.render(p, ctx))
        if binary:
            chunks.append(_encode("".join(out)))
            return b"".join(chunks)
        return "".join(out)

    def apply(self, text: Any, ctx: Any = None) -> Any:
        """Replace the first match (every match with flag g) in a str or bytes value."""
        return self.regex.sub(
            lambda m: self.expand(ctx, m), text, count=0 if self.replace_all else 1
        )


def _encode(text: str) -> bytes:
    return text.encode(_ENC, "surrogateescape")


def split_subst(expr: str) -> tuple[str, str, str]:
    """Split `<d>re<d>repl<d>flags` into regex, replacement and flags (`\\<d>` unescaped)."""
    if len(expr) < 3:  # the shortest, `///`, is accepted by Kamailio
        raise SubstError(
            f'subst expression too short: {expr!r} (expected "/regex/replacement/flags")'
        )
    d = expr[0]
    parts: list[str] = []
    cur: list[str] = []
    i = 1
    while i < len(expr) and len(parts) < 2:
        c = expr[i]
        if c == "\\" and i + 1 < len(expr):
            cur.append(d if expr[i + 1] == d else expr[i : i + 2])
            i += 2
            continue
        if c == d:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if len(parts) < 2:
        raise SubstError(
            f"subst expression {expr!r} is not closed: expected three "
            f'{d!r} separators ("{d}regex{d}replacement{d}flags")'
        )
    return parts[0], parts[1], expr[i:]


def _close_paren(text: str, i: int) -> int:
    """Index after the parenthesis group opening at text[i]; -1 when unbalanced."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def _pv_end(repl: str, i: int) -> int:
    """End of the pseudo-variable at repl[i] == '$' (`$name`, `$name(...)`, `$(...)`)."""
    j = i + 1
    if repl[j] == "(":
        return _close_paren(repl, j)
    while j < len(repl) and (repl[j].isalnum() or repl[j] == "_"):
        j += 1
    if j < len(repl) and repl[j] == "(":
        return _close_paren(repl, j)
    return j


def _replacement(
    repl: str, pv: Callable[[str], Any] | None, warn_escapes: bool, source: str
) -> tuple[Any, ...]:
    parts: list[Any] = []
    lit: list[str] = []

    def flush() -> None:
        if lit:
            parts.append("".join(lit))
            lit.clear()

    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            if nxt.isdigit():
                flush()
                parts.append(int(nxt))
            else:
                if warn_escapes and nxt not in _ESCAPES:
                    log.warning("subst: \\%s unknown escape in %s", nxt, source)
                lit.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if (
            pv is not None
            and c == "$"
            and i + 1 < len(repl)
            and (repl[i + 1].isalpha() or repl[i + 1] == "(")
        ):
            j = _pv_end(repl, i)
            if j < 0:
                raise SubstError(f"bad pseudo-variable {repl[i:]!r} in the replacement")
            flush()
            parts.append(pv(repl[i:j]))
            i = j
            continue
        lit.append(c)
        i += 1
    flush()
    return tuple(parts)


def parse_subst(
    expr: str,
    compile: Compiler,
    *,
    prepare: Callable[[str], str] | None = None,
    pv: Callable[[str], Any] | None = None,
    render: Renderer | None = None,
    strict_groups: bool = False,
    warn_escapes: bool = False,
) -> SubstExpr:
    """Parse and compile one subst expression; SubstError when it is malformed.

    `compile(regex, flags)` may raise SubstError, ValueError or re.error. With
    `strict_groups` a back reference beyond the regex's groups is an error, otherwise it
    expands to nothing (with a warning). Without `pv`, `$` in the replacement is literal.
    """
    regex, repl, flag_text = split_subst(expr)
    flags = frozenset(flag_text)
    bad = flags - FLAGS
    if bad:
        raise SubstError(
            f"unknown subst flag {''.join(sorted(bad))!r} in {expr!r} "
            "(allowed: i, g, s; an unknown flag is an error)"
        )
    try:
        pattern = compile(regex, flags)
    except SubstError:
        raise
    except re.error as e:
        raise SubstError(f"bad regular expression {regex!r} in subst: {e}") from None
    except ValueError as e:  # the caller's compile already names the regex
        msg = str(e)
        if "regular expression" not in msg:
            msg = f"bad regular expression {regex!r}: {msg}"
        raise SubstError(f"{msg} (in subst {expr!r})") from None
    if prepare is not None:
        repl = prepare(repl)
    parts = _replacement(repl, pv, warn_escapes, expr)
    for p in parts:
        if isinstance(p, int) and p > pattern.groups:
            why = f"replacement uses \\{p} but regex {regex!r} has {pattern.groups} groups"
            if strict_groups:
                raise SubstError(why)
            log.warning("subst %s: %s", expr, why)
    return SubstExpr(expr, pattern, parts, flags, render)
