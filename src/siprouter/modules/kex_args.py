"""Argument fix-ups shared by the kex and corex modules (Kamailio's fixup_igp / spve / pvar).

* `fix_int_or_pv(arg)`: an int, a numeric string, or one pseudo-variable ("$var(f)")
  whose value must be an int at runtime (Kamailio's fixup_igp_null). Any other
  constant is refused when the config is compiled.
* `fix_format(arg)`: a text that may hold pseudo-variables ("sip:$rU@$fd"), compiled
  once; `render(ctx, arg)` gives its text per message (fixup_spve_null).
* `fix_out_pv(arg)`: a writable pseudo-variable named by a string ("$var(x)"), whose
  setter the function receives (fixup_pvar).

`core_param(ctx, name, default)` reads a core parameter of the running config.

`int_value(ctx, arg, fname)` gives the int of an int-or-PV argument, or None (logged as
Kamailio's "Could not convert PV to int") when the PV holds no int.

Functions exported with `dynamic_args` (Kamailio accepts `setsflag($var(f))` and
`setdsturi("sip:" + $rU)` for its igp/spve fixups) receive the evaluated value instead
(int, str or None): `int_value` takes a numeric text as its int, `render` an int as
its text and None as "".
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, compile_format
from siprouter.runtime.logging import L_ERR, LOG

Text = str | Format
Setter = Callable[[MsgContext, Any], None]


class IntPV:
    """An int argument given as one pseudo-variable."""

    __slots__ = ("get", "raw")

    def __init__(self, raw: str, get: Callable[[MsgContext], Any]) -> None:
        self.raw = raw
        self.get = get

    def __repr__(self) -> str:
        return f"IntPV({self.raw})"


IntArg = int | IntPV | str | None


def fix_int_or_pv(arg: Any) -> IntArg:
    if isinstance(arg, int):
        return arg
    getter = getattr(arg, "get", None)  # a PV passed unquoted (ArgKind.PV)
    node = getattr(arg, "node", None)
    if getter is not None and node is not None:
        return IntPV(str(getattr(node, "raw", "$pv")), getter)
    text = str(arg).strip()
    if text.startswith("$"):
        try:
            acc = compile_pv(text)
        except ConfigError as e:
            raise ValueError(e.message) from None
        return IntPV(text, acc.get)
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit():
        raise ValueError(f"{text!r} is not an integer or a pseudo-variable")
    return int(text)


def int_value(ctx: MsgContext, arg: IntArg, fname: str) -> int | None:
    if isinstance(arg, int):
        return arg
    if arg is None or isinstance(arg, str):  # an evaluated expression (dynamic_args)
        text = (arg or "").strip()
        body = text[1:] if text[:1] in "+-" else text
        if body.isdigit():
            return int(text)
        if LOG.enabled(L_ERR):
            LOG.write(
                L_ERR, "<core>", f"get_int_fparam(): Could not convert value to int ({fname})"
            )
        return None
    value = arg.get(ctx)
    if value is None:  # Kamailio: an unset $var reads as int 0; other PVs have no int
        return None
    if isinstance(value, int):
        return value
    if LOG.enabled(L_ERR):
        LOG.write(L_ERR, "<core>", f"get_int_fparam(): Could not convert PV to int ({fname})")
    return None


def fix_format(arg: Any) -> Text:
    text = str(arg)
    if "$" not in text:
        return text
    try:
        fmt = compile_format(text)
    except ConfigError as e:
        raise ValueError(e.message) from None
    return fmt.constant if fmt.constant is not None else fmt


def render(ctx: MsgContext, arg: Text | int | None) -> str:
    if isinstance(arg, str):
        return arg
    if arg is None:
        return ""
    if isinstance(arg, int):
        return str(arg)
    return arg.render(ctx)


def fix_out_pv(arg: Any) -> Setter:
    setter = getattr(arg, "set", None)
    if setter is None:
        text = str(arg).strip()
        if not text.startswith("$"):
            raise ValueError(f"{text!r} is not a pseudo-variable")
        try:
            setter = compile_pv(text).set
        except ConfigError as e:
            raise ValueError(e.message) from None
    if setter is None:
        raise ValueError(f"{arg} is read-only")
    return setter  # type: ignore[no-any-return]


# id(compiled config) -> (weak reference to it, its core parameters)
_PARAMS: dict[int, tuple[weakref.ref[Any], dict[str, Any]]] = {}


def core_param(ctx: MsgContext, name: str, default: Any) -> Any:
    """A core parameter of the config running `ctx` (computed once per compiled config);
    `default` when the config is not known or does not set it."""
    compiled = ctx.script.compiled
    if compiled is None:
        return default
    entry = _PARAMS.get(id(compiled))
    if entry is None or entry[0]() is not compiled:
        from siprouter.runtime.latency import params_of

        params = params_of(compiled)
        try:
            entry = (weakref.ref(compiled), params)
        except TypeError:  # not weak-referenceable: not cached
            return params.get(name, default) if params.get(name) is not None else default
        _PARAMS[id(compiled)] = entry
    value = entry[1].get(name)
    return default if value is None else value


def err(fname: str, text: str, module: str = "kex") -> int:
    """Log an error line as Kamailio's module would and return -1."""
    if LOG.enabled(L_ERR):
        LOG.write(L_ERR, module, f"{fname}(): {text}")
    return -1
