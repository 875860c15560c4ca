"""Argument fix-ups shared by the siputils and sanity modules (Kamailio's fixup kinds).

* `fix_int` (fixup_igp): an int, a numeric string, or one pseudo-variable ("$var(c)")
  whose value must be an int when the function runs (`int_value` logs and gives None
  otherwise, and the function then returns -1, as Kamailio does);
* `fix_fmt` (fixup_spve): text that may hold pseudo-variables, rendered per message
  with `text_value`;
* `fix_pv` (fixup_pvar): exactly one pseudo-variable, read and possibly written;
  `fix_out_pv` also requires it to be writable.

Constant arguments are fixed once when the config is compiled; a bad one is a config
error (Kamailio refuses it at start-up).
"""

from __future__ import annotations

import logging
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.pv.access import PVAccess, compile_pv
from siprouter.pv.format import Format, compile_format

log = logging.getLogger("siprouter.siputils")

Text = str | Format


class IntPV:
    """An int argument given as one pseudo-variable: its value must be an int."""

    __slots__ = ("get", "raw")

    def __init__(self, raw: str, get: Any) -> None:
        self.raw = raw
        self.get = get


IntArg = int | IntPV


def _compile_pv(text: str) -> PVAccess:
    try:
        return compile_pv(text)
    except ConfigError as e:
        raise ValueError(e.message) from None


def _arg_text(a: Any) -> str:
    """The text of an argument: a string, or the source of a PV argument."""
    node = getattr(a, "node", None)
    return str(node.raw if node is not None else a).strip()


def fix_int(a: Any) -> IntArg:
    """An int, a numeric string or one PV; anything else is refused."""
    if isinstance(a, int):
        return a
    text = _arg_text(a)
    if text.startswith("$"):
        return IntPV(text, _compile_pv(text).get)
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit():
        raise ValueError(f"{text!r} is not an integer or a pseudo-variable")
    return int(text)


def int_value(ctx: MsgContext, arg: IntArg, fname: str) -> int | None:
    """The int an argument holds now; None (logged) when its PV does not hold an int."""
    if isinstance(arg, int):
        return arg
    value = arg.get(ctx)
    if isinstance(value, int):
        return value
    log.error("%s: could not get an integer from %s (%r)", fname, arg.raw, value)
    return None


def fix_fmt(a: Any) -> Text:
    """Text, compiled to a Format when it holds PVs."""
    text = str(a)
    if "$" not in text:
        return text
    try:
        fmt = compile_format(text)
    except ConfigError as e:
        raise ValueError(e.message) from None
    return fmt.constant if fmt.constant is not None else fmt


def text_value(ctx: MsgContext, a: Text) -> str:
    return a if isinstance(a, str) else a.render(ctx)


def fix_pv(a: Any) -> PVAccess:
    """Exactly one pseudo-variable (as text, "$var(x)", or a PV argument)."""
    text = _arg_text(a)
    if not text.startswith("$"):
        raise ValueError(f"{text!r} is not a pseudo-variable")
    return _compile_pv(text)


def fix_out_pv(a: Any) -> PVAccess:
    """One writable pseudo-variable."""
    acc = fix_pv(a)
    if acc.set is None:
        raise ValueError(f"{acc.raw} is read-only")
    return acc
