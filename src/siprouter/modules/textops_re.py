"""Regular expressions and sed-style substitutions for the textops module.

Kamailio's textops compiles its regex arguments with regcomp(REG_EXTENDED | REG_ICASE |
REG_NEWLINE) and matches them against message bytes: `compile_msg_re` does the same over
engine/posix_regex.translate (POSIX ERE, glibc flavour), on bytes, with `^`/`$` at line
boundaries and `.` not matching a newline.

`Subst` is a `subst()` expression `/re/replacement/flags` parsed by engine/subst.py over
bytes with these regexes: flags `i` (ignore case), `g` (every match), `s` (the regex
is not newline-sensitive: `^` only at the start). The replacement may hold `\\0`..`\\9`
(the match and its groups), `\\\\`, `\\n`, `\\r`, `\\t`, and pseudo-variables
(`$var(x)`, `$rU`); any other escaped character stands for itself (Kamailio warns).
"""

from __future__ import annotations

import re

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.engine.posix_regex import translate
from siprouter.engine.subst import SubstExpr
from siprouter.engine.subst import parse_subst as parse_expr
from siprouter.pv.format import Format, compile_format

_ENC = "utf-8"

Subst = SubstExpr  # the parsed expression; expand(ctx, match) gives the replacement bytes


def _newline_anchors(py: str) -> str:
    """posix_regex.translate writes `$` as `\\Z`; with REG_NEWLINE it matches before a
    newline too, which is Python's multi-line `$`."""
    out: list[str] = []
    i = 0
    while i < len(py):
        c = py[i]
        if c == "\\" and i + 1 < len(py):
            pair = py[i : i + 2]
            out.append("$" if pair == "\\Z" else pair)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_msg_re(pattern: str, *, icase: bool = True, newline: bool = True) -> re.Pattern[bytes]:
    """Compile a POSIX ERE for matching message bytes (raises ValueError when invalid)."""
    try:
        py = translate(pattern)
        flags = re.IGNORECASE if icase else 0
        if newline:
            py = _newline_anchors(py)
            flags |= re.MULTILINE
        else:
            flags |= re.DOTALL
        return re.compile(py.encode(_ENC, "surrogateescape"), flags)
    except re.error as e:
        raise ValueError(f"bad regular expression {pattern!r}: {e}") from None


def to_bytes(text: str) -> bytes:
    return text.encode(_ENC, "surrogateescape")


def to_text(data: bytes) -> str:
    return data.decode(_ENC, "surrogateescape")


def _compile_subst(regex: str, flags: frozenset[str]) -> re.Pattern[bytes]:
    return compile_msg_re(regex, icase="i" in flags, newline="s" not in flags)


def _pv(name: str) -> Format:
    try:
        return compile_format(name)
    except ConfigError as e:
        raise ValueError(e.message) from None


def _render(fmt: Format, ctx: MsgContext) -> str:
    return fmt.render(ctx)


def parse_subst(spec: str) -> Subst:
    """Parse `/re/repl/flags` (ValueError when malformed)."""
    return parse_expr(spec, _compile_subst, pv=_pv, render=_render, warn_escapes=True)
