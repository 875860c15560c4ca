"""The core's own pseudo-variables (no module needed): $null, $rc, $retcode, $?,
$env(NAME), $envn(NAME), $def(NAME), $defn(NAME).

Formats as Kamailio 5.6.3 prints them (tests/unit/pv/test_pv_kamailio.py):
* $rc / $retcode / $? is the last return code (int);
* $env(NAME) is the environment variable's text, $null when unset; $envn(NAME) is it
  as a number when it is one, else the text; both are read when the config is loaded;
* $def(NAME) is a `#!define`'s value as written (quotes kept, "" for a define without
  value), $null when not defined; $defn(NAME) is it as a number when it is one, 0 when
  not defined.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from siprouter.modules.registry import InnerName, PVSpec

from .pvclass import Getter, Index, PVClass, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _null(ctx: MsgContext) -> Value:
    return None


def _rc(ctx: MsgContext) -> Value:
    return ctx.rc


def _number_or_text(text: str | None) -> Value:
    if text is None:
        return None
    t = text.strip()
    try:
        return int(t, 10)
    except ValueError:
        return text


class _Constant(PVClass):
    """A PV whose value is known when the config is loaded ($env, $def)."""

    def bind_get(self, name: Any, idx: Index) -> Getter:
        value = self.value(name)
        return lambda ctx: value

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return self.value(name)

    def value(self, name: str) -> Value:
        raise NotImplementedError


class EnvPV(_Constant):
    def __init__(self, name: str, numeric: bool) -> None:
        self.name = name
        self.numeric = numeric

    def value(self, name: str) -> Value:
        text = os.environ.get(name)
        return _number_or_text(text) if self.numeric else text


class DefPV(_Constant):
    def __init__(self, name: str, numeric: bool, defines: Mapping[str, str | None]) -> None:
        self.name = name
        self.numeric = numeric
        self.defines = defines

    def value(self, name: str) -> Value:
        if name not in self.defines:
            return 0 if self.numeric else None
        text = self.defines[name] or ""
        return _number_or_text(text) if self.numeric else text


def core_pvs(defines: Mapping[str, str | None] | None = None) -> dict[str, PVSpec]:
    """The core PV table; `defines` is the preprocessor's final define table."""
    d: Mapping[str, str | None] = defines if defines is not None else {}
    classes = [EnvPV("env", False), EnvPV("envn", True), DefPV("def", False, d),
               DefPV("defn", True, d)]  # fmt: skip
    out = {c.name: c.spec() for c in classes}
    for name in ("rc", "retcode", "?"):
        out[name] = PVSpec(name, _rc, None, InnerName.NONE, "last return code")
    out["null"] = PVSpec("null", _null, None, InnerName.NONE, "no value")
    return out
