"""Preprocessor substitutions: `#!subst "/re/repl/flags"` and the `#!substdef[s]` variants.

A subst expression is `<sep>regex<sep>replacement<sep>flags` where the first character is
the separator (usually `/`), `\\<sep>` escapes it, the regex is POSIX extended (run here with
Python's `re`, which agrees on the constructs configs use), the replacement may hold `\\0`..`\\9`
back references and `$env(NAME)`, and the flags are `i` (ignore case) and `g` (every match;
without it only the first match is replaced). Kamailio runs every subst, in definition order,
over each string token, quoted or not, and over `$name(...)` variable tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ENV_RE = re.compile(r"\$env\(([^)]*)\)")


class SubstSyntaxError(ValueError):
    """A malformed subst expression; the caller turns it into a ConfigError with a position."""


@dataclass(frozen=True, slots=True)
class Subst:
    """One compiled subst expression."""

    source: str
    pattern: re.Pattern[str]
    replacement: str  # with $env(...) already resolved; back references kept as \\N
    count: int  # 0 = all (flag g), 1 = first only

    def apply(self, text: str) -> str:
        return self.pattern.sub(self._expand, text, count=self.count)

    def _expand(self, m: re.Match[str]) -> str:
        out: list[str] = []
        rep = self.replacement
        i = 0
        while i < len(rep):
            c = rep[i]
            if c == "\\" and i + 1 < len(rep):
                nxt = rep[i + 1]
                if nxt.isdigit():
                    group = int(nxt)
                    if group > (self.pattern.groups or 0):
                        raise SubstSyntaxError(
                            f"back reference \\{group} but the regex has {self.pattern.groups} groups")
                    out.append(m.group(group) or "")
                else:
                    out.append({"n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        return "".join(out)


def _split(expr: str) -> tuple[str, str, str]:
    """Split `<sep>re<sep>repl<sep>flags` into its three parts (escaped separators kept)."""
    if len(expr) < 4:
        raise SubstSyntaxError(f"subst expression too short: {expr!r} (expected \"/regex/replacement/flags\")")
    sep = expr[0]
    parts: list[str] = []
    cur: list[str] = []
    i = 1
    while i < len(expr) and len(parts) < 2:
        c = expr[i]
        if c == "\\" and i + 1 < len(expr) and expr[i + 1] == sep:
            cur.append(sep)
            i += 2
            continue
        if c == "\\" and i + 1 < len(expr):
            cur.append(expr[i:i + 2])
            i += 2
            continue
        if c == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if len(parts) < 2:
        raise SubstSyntaxError(f"subst expression {expr!r} is not closed: expected three "
                               f"{sep!r} separators (\"{sep}regex{sep}replacement{sep}flags\")")
    return parts[0], parts[1], expr[i:]


def parse_subst(expr: str, env: Mapping[str, str]) -> Subst:
    """Compile one subst expression; raise SubstSyntaxError when it is malformed."""
    regex, repl, flags = _split(expr)
    if not regex:
        raise SubstSyntaxError(f"empty regular expression in subst {expr!r}")
    re_flags = 0
    count = 1
    for f in flags:
        if f == "i":
            re_flags |= re.IGNORECASE
        elif f == "g":
            count = 0
        elif f == "s":
            re_flags |= re.DOTALL
        else:
            raise SubstSyntaxError(f"unknown subst flag {f!r} in {expr!r} (allowed: i, g, s)")
    try:
        pattern = re.compile(regex, re_flags)
    except re.error as e:
        raise SubstSyntaxError(f"bad regular expression {regex!r} in subst: {e}") from None
    repl = _ENV_RE.sub(lambda m: env.get(m.group(1), ""), repl)
    for m in re.finditer(r"\\(\d)", repl):
        if int(m.group(1)) > pattern.groups:
            raise SubstSyntaxError(
                f"replacement uses \\{m.group(1)} but regex {regex!r} has {pattern.groups} groups")
    return Subst(expr, pattern, repl, count)


def substdef_parts(expr: str, env: Mapping[str, str]) -> tuple[str, str]:
    """For `#!substdef`: the define name (the regex part) and value (the replacement)."""
    regex, repl, _flags = _split(expr)
    if not regex:
        raise SubstSyntaxError(f"empty name in substdef {expr!r}")
    return regex, _ENV_RE.sub(lambda m: env.get(m.group(1), ""), repl)


def run_substs(substs: list[Subst], text: str) -> str:
    """Apply every subst in order, each to the result of the previous one."""
    for s in substs:
        text = s.apply(text)
    return text
