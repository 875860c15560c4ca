"""The `statistics` module: statistics defined by the config, updated by the script.

Parameter `variable` (string, may repeat): declares the statistic `name` in group
"script"; `name/no_reset` declares one that resets leave alone. The name is the whole
text before a `/no_reset` suffix (it may hold ':' or ';': `grp:x` is the statistic
"grp:x" of group script, as in Kamailio 5.6.3). Declared by stats.setup() at the start
of the init phase (main process, before the workers fork and before any module's init
hook, so an event route run at another module's init can update them), so every worker
adds to the same value.

Functions (update_stat in any route, reset_stat in any but onsend_route, as Kamailio
5.6.3 accepts them):

* `update_stat(name, value)`: adds `value` (an int, a signed number "+1"/"-3", or one
  pseudo-variable holding an int) to the statistic `name`; 1, or -1 when a name given
  by pseudo-variables names no statistic at run time. A constant name that names no
  statistic, or a value that is not a number, refuses the config (Kamailio 5.6.3 refuses
  both at start-up; siprouter already at `-c`). Any statistic can be named: a core one
  (`rcv_requests`) changes, an sl one is accepted and left unchanged, as in Kamailio.
* `reset_stat(name)`: sets it to 0 (a no_reset or sl statistic is left as it is); 1, or
  -1 as above.

Read them with $stat(name) (pv module) or the stats.* RPC commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.kex_args import IntArg, Text, err, fix_format, fix_int_or_pv, int_value
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.stats import StatFlag, catalogue, registry, setup
from siprouter.stats.registry import Stat

GROUP = "script"
NO_RESET = "/no_reset"


def parse_variable(text: str) -> tuple[str, StatFlag]:
    """`name` or `name/no_reset` -> (name, flags)."""
    flags = StatFlag.NONE
    name = text
    if name.endswith(NO_RESET):
        name, flags = name[: -len(NO_RESET)], StatFlag.NO_RESET
    if not name:
        raise ValueError(f"empty statistic name in {text!r}")
    return name, flags


def _announce(text: str) -> str:
    name, flags = parse_variable(text)
    catalogue.expect(GROUP, name, flags)  # declared by stats.setup()
    return text


def _init(lm: Any) -> None:
    reg = setup()
    for text in lm.param("variable") or ():
        name, flags = parse_variable(text)
        reg.declare(GROUP, name, flags)


def _fix_name(arg: Any) -> Text:
    name = fix_format(arg)
    if isinstance(name, str) and not catalogue.known_name(name):
        raise ValueError(f"variable <{name}> not defined")
    return name


def _fix_update(args: Sequence[Any]) -> list[Any]:
    try:
        value = fix_int_or_pv(args[1])
    except ValueError:
        raise ValueError(f"bad update number <{args[1]}>") from None
    return [_fix_name(args[0]), value]


def _fix_reset(args: Sequence[Any]) -> list[Any]:
    return [_fix_name(args[0])]


def _stat(ctx: MsgContext, name: Text, fname: str) -> Stat | None:
    text = name if isinstance(name, str) else name.render(ctx)
    st = registry().find(text)
    if st is None:
        err(fname, f"variable <{text}> not defined", "statistics")
    return st


def update_stat(ctx: MsgContext, name: Text, value: IntArg) -> int:
    st = _stat(ctx, name, "w_update_stat")
    if st is None:
        return -1
    delta = int_value(ctx, value, "update_stat")
    if delta is None:
        return err("w_update_stat", "cannot get the update value", "statistics")
    st.update(delta)
    return 1


def reset_stat(ctx: MsgContext, name: Text) -> int:
    st = _stat(ctx, name, "w_reset_stat")
    if st is None:
        return -1
    st.reset()
    return 1


_S = ArgKind.STR

EXPORTS = ModuleExports.of(
    "statistics",
    functions=[
        FunctionSpec(
            "update_stat",
            update_stat,
            (2,),
            (_S, _S),
            fixup=_fix_update,
            doc="add a number to a statistic",
        ),
        FunctionSpec(
            "reset_stat",
            reset_stat,
            (1,),
            (_S,),
            route_types=RouteType.ANY & ~RouteType.ONSEND,
            fixup=_fix_reset,
            doc="set a statistic to 0",
        ),
    ],
    params=[
        ParamSpec(
            "variable",
            ParamType.STR,
            None,
            validator=_announce,
            multi=True,
            doc="declare a statistic: name or name/no_reset",
        ),
    ],
    init=_init,
)
