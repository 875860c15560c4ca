"""Regular expressions and sed-style substitutions for the textops module.

Kamailio's textops compiles its regex arguments with regcomp(REG_EXTENDED | REG_ICASE |
REG_NEWLINE) and matches them against message bytes: `compile_msg_re` does the same over
engine/posix_regex.translate (POSIX ERE, glibc flavour), on bytes, with `^`/`$` at line
boundaries and `.` not matching a newline.

`Subst` is a parsed `subst()` expression `/re/replacement/flags` (any delimiter, `\\/`
escapes it inside the parts): flags `i` (ignore case), `g` (every match), `s` (the regex
is not newline-sensitive: `^` only at the start). The replacement may hold `\\0`..`\\9`
(the match and its groups), `\\\\`, `\\n`, `\\r`, `\\t`, and pseudo-variables
(`$var(x)`, `$rU`); any other escaped character stands for itself (Kamailio warns).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.engine.posix_regex import translate
from siprouter.pv.format import Format, compile_format

log = logging.getLogger("siprouter.textops")

_ENC = "utf-8"


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


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Subst:
    """A parsed subst expression: regex, replacement parts, global flag."""

    source: str
    regex: re.Pattern[bytes]
    parts: tuple[str | int | Format, ...]  # text, group number, or a format with PVs
    replace_all: bool

    def expand(self, ctx: MsgContext, m: re.Match[bytes]) -> bytes:
        out: list[bytes] = []
        for p in self.parts:
            if isinstance(p, int):
                g = m.group(p) if p <= (m.re.groups or 0) else None
                if g is None:
                    if p > (m.re.groups or 0):
                        log.warning("subst: no group %d in %s", p, self.source)
                    continue
                out.append(g)
            elif isinstance(p, str):
                out.append(to_bytes(p))
            else:
                out.append(to_bytes(p.render(ctx)))
        return b"".join(out)


def _split_parts(spec: str) -> tuple[str, str, str]:
    if len(spec) < 4:
        raise ValueError(f"subst expression {spec!r} is too short")
    delim = spec[0]
    parts: list[str] = []
    cur: list[str] = []
    i = 1
    while i < len(spec):
        c = spec[i]
        if c == "\\" and i + 1 < len(spec):
            if spec[i + 1] == delim:
                cur.append(delim)
            else:
                cur.append(spec[i : i + 2])
            i += 2
            continue
        if c == delim and len(parts) < 2:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    if len(parts) != 2:
        raise ValueError(f"subst expression {spec!r}: expected {delim}re{delim}repl{delim}flags")
    return parts[0], parts[1], "".join(cur)


def _repl_parts(repl: str, source: str) -> tuple[str | int | Format, ...]:
    parts: list[str | int | Format] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            chunk = "".join(text)
            text.clear()
            if "$" in chunk:
                try:
                    fmt = compile_format(chunk)
                except ConfigError as e:
                    raise ValueError(e.message) from None
                parts.append(fmt.constant if fmt.constant is not None else fmt)
            else:
                parts.append(chunk)

    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            e = repl[i + 1]
            if e.isdigit():
                flush()
                parts.append(int(e))
            elif e in _ESCAPES:
                text.append(_ESCAPES[e])
            else:
                log.warning("subst: \\%s unknown escape in %s", e, source)
                text.append(e)
            i += 2
            continue
        text.append(c)
        i += 1
    flush()
    return tuple(parts)


def parse_subst(spec: str) -> Subst:
    """Parse `/re/repl/flags` (ValueError when malformed)."""
    pattern, repl, flags = _split_parts(spec)
    bad = set(flags) - set("igs")
    if bad:
        raise ValueError(f"subst expression {spec!r}: unknown flag(s) {''.join(sorted(bad))}")
    regex = compile_msg_re(pattern, icase="i" in flags, newline="s" not in flags)
    return Subst(spec, regex, _repl_parts(repl, spec), "g" in flags)
