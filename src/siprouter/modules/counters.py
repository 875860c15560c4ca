"""The `counters` module: counters defined by the config, and the cnt.* RPC commands.

Parameters:

* `script_counter` (string, may repeat): `name` or `name: description` declares a
  counter in the script group (the name is the text before ':' with leading blanks
  dropped, trailing ones kept, as Kamailio 5.6.3 does; the description is the text
  after it, trimmed; cnt.help gives it, or "custom script counter.");
* `script_cnt_grp_name` (string, default "script"): the group of those counters.

Functions (any route but branch_route, as Kamailio 5.6.3 accepts them), each returning 1:

* `cnt_inc(name)`, `cnt_add(name, value)`, `cnt_reset(name)`: `name` is a counter of
  the script group, or `group.name` for any group (`sl.sent_replies`); the statistics
  module's variables are counters of group script too. The name must be a constant that
  names a counter (else the config is refused, at `-c` here, at start-up in Kamailio
  5.6.3). `value` is an int or one pseudo-variable holding an int. cnt_reset leaves a
  counter that refuses resets (statistics' no_reset, sl's) alone, and cnt_inc/cnt_add
  leave sl's unchanged, as in Kamailio.

RPC commands (stats/cnt_rpc.py): cnt.get, cnt.get_raw, cnt.grp_get_all, cnt.get_vars,
cnt.reset, cnt.grps_list, cnt.list_groups, cnt.var_list, cnt.list_vars, cnt.help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.kex_args import IntArg, err, fix_int_or_pv, int_value
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.stats import StatFlag, catalogue, registry, setup
from siprouter.stats.cnt_rpc import RPCS
from siprouter.stats.registry import Stat

DEFAULT_GROUP = "script"
DEFAULT_HELP = "custom script counter."

#: modparam values (process-wide, one config per process)
PARAMS: dict[str, str] = {"group": DEFAULT_GROUP}
_NAMES: list[tuple[str, str]] = []  # (name, description) of the script counters so far


def reset() -> None:
    """Back to the defaults (tests; another config in the same process)."""
    PARAMS["group"] = DEFAULT_GROUP
    _NAMES.clear()


def parse_counter(text: str) -> tuple[str, str]:
    """`name` or `name: description` -> (name, description or the default)."""
    name, sep, desc = text.partition(":")
    name = name.lstrip()
    if not name.strip():
        raise ValueError(f"empty counter name in {text!r}")
    desc = desc.strip() if sep else ""
    return name, desc or DEFAULT_HELP


def _announce(text: str) -> str:
    name, desc = parse_counter(text)
    _NAMES.append((name, desc))
    catalogue.expect(PARAMS["group"], name, StatFlag.NONE, desc)  # declared by stats.setup()
    return text


def _check_group(value: str) -> str:
    if not value:
        raise ValueError("empty group name")
    return value


def _set_group(value: str) -> None:
    old, PARAMS["group"] = PARAMS["group"], value
    for name, desc in _NAMES:  # the group applies to the counters announced before it too
        catalogue.unexpect(old, name)
        catalogue.expect(value, name, StatFlag.NONE, desc)


def _init(lm: Any) -> None:
    reg = setup()
    group = lm.param("script_cnt_grp_name") or DEFAULT_GROUP
    for text in lm.param("script_counter") or ():
        name, desc = parse_counter(text)
        reg.declare(group, name, help=desc)


def split_name(text: str, default_group: str) -> tuple[str, str]:
    """`name` -> (default group, name); `group.name` -> (group, name)."""
    group, dot, name = text.partition(".")
    return (group, name) if dot else (default_group, text)


def _fix_counter(arg: Any) -> tuple[str, str]:
    text = str(arg)
    group, name = split_name(text, PARAMS["group"])
    if not catalogue.known(group, name):
        raise ValueError(f"counter {group}.{name} does not exist (forgot to define it?)")
    return group, name


def _counter(key: tuple[str, str], fname: str) -> Stat | None:
    st = registry().get(*key)
    if st is None:
        err(fname, f"counter {key[0]}.{key[1]} is not declared in this server", "counters")
    return st


def cnt_inc(ctx: MsgContext, key: tuple[str, str]) -> int:
    st = _counter(key, "cnt_inc_f")
    if st is None:
        return -1
    st.update(1)
    return 1


def cnt_add(ctx: MsgContext, key: tuple[str, str], value: IntArg) -> int:
    st = _counter(key, "cnt_add_f")
    if st is None:
        return -1
    delta = int_value(ctx, value, "cnt_add")
    if delta is None:
        return err("cnt_add_f", "cannot get the value to add", "counters")
    st.update(delta)
    return 1


def cnt_reset(ctx: MsgContext, key: tuple[str, str]) -> int:
    st = _counter(key, "cnt_reset_f")
    if st is None:
        return -1
    st.reset()
    return 1


def _fix_one(args: Sequence[Any]) -> list[Any]:
    return [_fix_counter(args[0])]


def _fix_add(args: Sequence[Any]) -> list[Any]:
    return [_fix_counter(args[0]), fix_int_or_pv(args[1])]


_S = ArgKind.STR
_NOT_BRANCH = RouteType.ANY & ~RouteType.BRANCH  # Kamailio 5.6.3 refuses them in branch_route

EXPORTS = ModuleExports.of(
    "counters",
    functions=[
        FunctionSpec(
            "cnt_inc",
            cnt_inc,
            (1,),
            (_S,),
            route_types=_NOT_BRANCH,
            fixup=_fix_one,
            doc="add 1 to a counter",
        ),
        FunctionSpec(
            "cnt_add",
            cnt_add,
            (2,),
            (_S, _S),
            route_types=_NOT_BRANCH,
            fixup=_fix_add,
            doc="add a number to a counter",
        ),
        FunctionSpec(
            "cnt_reset",
            cnt_reset,
            (1,),
            (_S,),
            route_types=_NOT_BRANCH,
            fixup=_fix_one,
            doc="set a counter to 0",
        ),
    ],
    params=[
        ParamSpec(
            "script_counter",
            ParamType.STR,
            None,
            validator=_announce,
            multi=True,
            doc="declare a counter: name or 'name: description'",
        ),
        ParamSpec(
            "script_cnt_grp_name",
            ParamType.STR,
            DEFAULT_GROUP,
            validator=_check_group,
            setter=_set_group,
            doc="group of the script counters",
        ),
    ],
    rpcs=RPCS,
    init=_init,
)
