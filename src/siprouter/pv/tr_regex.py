"""The `re.subst` transformation (Kamailio textops): `{re.subst,/regex/replacement/flags}`.

The expression is parsed by engine/subst.py. Here the regex is POSIX extended (translated
by engine/posix_regex.py, as for `=~`) over str, ASCII only; flags: i (ignore case),
g (all matches), s (`.` and [^x] do not match a newline). A pseudo-variable in the
replacement is evaluated per message; a back reference beyond the groups is empty.
No match leaves the value unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from siprouter.engine.posix_regex import translate
from siprouter.engine.subst import SubstError, parse_subst
from siprouter.pv.tr_common import ArgReader, Factory, Getter, Step, Value, to_str


def _compile(regex: str, flags: frozenset[str]) -> re.Pattern[str]:
    reflags = re.IGNORECASE if "i" in flags else 0
    # POSIX without REG_NEWLINE: '.' matches a newline; the s flag turns that off
    reflags |= re.ASCII | (re.MULTILINE if "s" in flags else re.DOTALL)
    return re.compile(translate(regex), reflags)


def _render(getter: Getter, ctx: Any) -> str:
    v = getter(ctx)
    return "" if v is None else to_str(v)


def _subst(r: ArgReader) -> Step:
    r.comma("a substitution /regex/replacement/flags")
    text = r.rest()

    def pv(name: str) -> Getter:
        if r.arg_getter is None:
            raise r.error(f"the pseudo-variable {name} is not supported here")
        return r.arg_getter(name, r.pos)

    try:
        sub = parse_subst(text, _compile, pv=pv, render=_render)
    except SubstError as e:
        raise r.error(f"bad substitution: {e}") from None

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        s = to_str(v)
        if not s:
            return None
        return sub.apply(s, ctx)

    return step


FACTORIES: dict[str, Factory] = {"subst": _subst}
