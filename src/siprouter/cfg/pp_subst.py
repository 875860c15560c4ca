"""Preprocessor substitutions: `#!subst "/re/repl/flags"` and the `#!substdef[s]` variants.

The expression is parsed by engine/subst.py. Here the regex is Python `re` (which agrees
with POSIX extended on the constructs configs use), over str, must not be empty, flag `s`
makes `.` match a newline, `$env(NAME)` in the replacement is resolved once at parse time,
and a back reference beyond the regex's groups is an error. Kamailio runs every subst, in
definition order, over each string token, quoted or not, and over `$name(...)` variable
tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from siprouter.engine.subst import SubstError, SubstExpr, split_subst
from siprouter.engine.subst import parse_subst as _parse

_ENV_RE = re.compile(r"\$env\(([^)]*)\)")

SubstSyntaxError = SubstError  # a malformed subst; the caller adds a position
Subst = SubstExpr


def _compile(regex: str, flags: frozenset[str]) -> re.Pattern[str]:
    if not regex:
        raise SubstError("empty regular expression in subst")
    return re.compile(
        regex, (re.IGNORECASE if "i" in flags else 0) | (re.DOTALL if "s" in flags else 0)
    )


def _env(env: Mapping[str, str]) -> Callable[[str], str]:
    return lambda text: _ENV_RE.sub(lambda m: env.get(m.group(1), ""), text)


def parse_subst(expr: str, env: Mapping[str, str]) -> Subst:
    """Compile one subst expression; raise SubstSyntaxError when it is malformed."""
    return _parse(expr, _compile, prepare=_env(env), strict_groups=True)


def substdef_parts(expr: str, env: Mapping[str, str]) -> tuple[str, str]:
    """For `#!substdef`: the define name (the regex part) and value (the replacement)."""
    regex, repl, _flags = split_subst(expr)
    if not regex:
        raise SubstSyntaxError(f"empty name in substdef {expr!r}")
    return regex, _env(env)(repl)


def run_substs(substs: list[Subst], text: str) -> str:
    """Apply every subst in order, each to the result of the previous one."""
    for s in substs:
        text = s.apply(text)
    return text
