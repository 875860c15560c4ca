"""Kamailio transformations (`$(pv{s.len}{uri.user})`): compile once, apply per message.

`compile_transforms(specs, pos, arg_getter=...)` takes the `{...}` bodies the parser kept
for a PV (``["s.substr,1,3", "s.len"]``), checks every name and argument once (unknown
transformation or bad arguments: `ConfigError` at `pos`, so `-c` reports them) and returns
``apply(value, ctx) -> value``.  Values are ``str``, ``int`` or ``None`` (undefined); when
one step fails on its input the result is ``None`` and the rest of the chain is skipped,
as Kamailio makes the PV undefined (a failure on a defined value is logged at error
level with the transformation and the cfg position).  Arguments that are pseudo-variables are compiled with
``arg_getter(text, pos) -> getter(ctx)``.

The classes live in one file each (tr_string, tr_uri, tr_param, tr_nameaddr, tr_tobody,
tr_line, tr_urialias, tr_regex, tr_val); `CLASS_MODULE` says which Kamailio module
provides a class, for "did you loadmodule" checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.pv import (
    tr_line,
    tr_nameaddr,
    tr_param,
    tr_regex,
    tr_string,
    tr_tobody,
    tr_uri,
    tr_urialias,
    tr_val,
)
from siprouter.pv.tr_common import ArgGetterFactory, ArgReader, Factory, Step, Value

__all__ = ["CLASSES", "CLASS_MODULE", "compile_transforms", "transformation_names"]

log = logging.getLogger("siprouter.pv.transforms")

CLASSES: dict[str, dict[str, Factory]] = {
    "s": tr_string.FACTORIES,
    "uri": tr_uri.FACTORIES,
    "param": tr_param.FACTORIES,
    "nameaddr": tr_nameaddr.FACTORIES,
    "tobody": tr_tobody.FACTORIES,
    "line": tr_line.FACTORIES,
    "urialias": tr_urialias.FACTORIES,
    "re": tr_regex.FACTORIES,
    "val": tr_val.FACTORIES,
}

# Kamailio module registering each class ("val" is a siprouter extension: Kamailio 5.7+).
CLASS_MODULE: dict[str, str] = {
    "s": "pv",
    "uri": "pv",
    "param": "pv",
    "nameaddr": "pv",
    "tobody": "pv",
    "line": "pv",
    "urialias": "pv",
    "re": "textops",
    "val": "pv",
}


def transformation_names() -> list[str]:
    """Every `class.name` known, sorted."""
    return sorted(f"{c}.{n}" for c, table in CLASSES.items() for n in table)


def _compile_one(spec: str, pos: Pos, arg_getter: ArgGetterFactory | None) -> Step:
    dot = spec.find(".")
    cls = spec[:dot].strip() if dot > 0 else ""
    table = CLASSES.get(cls)
    if table is None:
        known = ", ".join(sorted(CLASSES))
        raise ConfigError(
            f"unknown transformation class {cls or spec!r} in {{{spec}}}",
            pos,
            hint=f"transformation classes: {known}",
        )
    end = dot + 1
    while end < len(spec) and spec[end] != ",":
        end += 1
    name = spec[dot + 1 : end].strip().lower()
    factory = table.get(name)
    if factory is None:
        raise ConfigError(
            f"unknown transformation {{{cls}.{name}}} in {{{spec}}}",
            pos,
            hint=f"{cls}.* transformations: " + ", ".join(sorted(table)),
        )
    return factory(ArgReader(spec, end, pos, arg_getter))


def _failed(spec: str, value: Value, pos: Pos) -> None:
    """Log a step failing on a defined value (Kamailio logs an error there too)."""
    if log.isEnabledFor(logging.ERROR):
        log.error("transformation {%s} failed on [%s] (%s)", spec, value, pos)


def compile_transforms(
    specs: list[str], pos: Pos, *, arg_getter: ArgGetterFactory | None = None
) -> Callable[[Any, Any], Any]:
    """Compile `{...}` bodies into one `apply(value, ctx) -> value` (see module doc)."""
    steps = [_compile_one(spec, pos, arg_getter) for spec in specs]
    if len(steps) == 1:
        only = steps[0]
        only_spec = specs[0]

        def apply_one(value: Value, ctx: Any) -> Value:
            out = only(value, ctx)
            if out is None and value is not None:
                _failed(only_spec, value, pos)
            return out

        return apply_one

    chain = list(zip(specs, steps, strict=True))

    def apply(value: Value, ctx: Any) -> Value:
        for spec, step in chain:
            out = step(value, ctx)
            if out is None:
                if value is not None:
                    _failed(spec, value, pos)
                return None
            value = out
        return value

    return apply
