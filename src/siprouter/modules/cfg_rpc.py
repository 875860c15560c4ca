"""The `cfg_rpc` module: RPC commands reading and changing custom global parameters at
runtime (`group.var = value` in the config; cfg/custom_params.py holds them).

A change is written to the server's shared space, so every worker routes its next
message with the new value (`@cfg_get.group.var`, `$sel(cfg_get.group.var)`).

Commands and answers, as Kamailio 5.6.3's cfg_rpc gives them (checked with jsonrpcs,
tests/integration/test_custom_params_kamailio.py):

* cfg.get group [var]: the value (int or string); with only the group, an object of
  the group's variables; 400 "Failed to get the variable" for an unknown name, 500
  "Failed to get the parameters" without parameters;
* cfg.set / cfg.seti / cfg.set_now_int group var int: a string parameter counts as 0,
  a fraction is truncated, a number beyond 32 bits becomes -2147483648; a string
  variable gets the number's text;
* cfg.sets / cfg.set_now_string group var string: an integer variable takes the
  string's number (400 "Failed to set the variable" when it is none); a non-string
  parameter changes nothing;
* an unknown variable is 400 "Failed to set the variable"; a missing value changes
  nothing and answers `{}`;
* cfg.help group var: "(parameter type is integer|string)"; 400 "Failed to get the
  variable description" for an unknown one;
* cfg.list [group]: "group: var" entries, the groups in reverse order of their first
  declaration, a group's variables in declaration order (the custom groups only:
  siprouter has no core/tcp cfg groups); cfg.diff: `{}` (every change applies at once).
"""

from __future__ import annotations

from typing import Any

from siprouter.cfg import custom_params as cp
from siprouter.modules.registry import ModuleExports, RpcSpec
from siprouter.rpc.registry import RpcError


def _int_param(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return cp.clamp_int(v)
    if isinstance(v, float):
        try:
            return cp.clamp_int(int(v))
        except (OverflowError, ValueError):
            return -(2**31)
    return 0


def _set(group: Any, name: Any, value: int | str) -> None:
    try:
        cp.set_value(str(group), str(name), value)
    except ValueError:
        raise RpcError(400, "Failed to set the variable") from None


def rpc_set_int(*params: Any) -> None:
    if len(params) < 3:
        return
    _set(params[0], params[1], _int_param(params[2]))


def rpc_set_str(*params: Any) -> None:
    if len(params) < 3 or not isinstance(params[2], str):
        return
    _set(params[0], params[1], params[2])


def rpc_get(*params: Any) -> Any:
    if not params:
        raise RpcError(500, "Failed to get the parameters")
    group = str(params[0])
    if len(params) == 1:
        members = cp.groups().get(group)
        if members is None:
            raise RpcError(400, "Failed to get the variable")
        return {d.name: cp.current(f"{group}.{d.name}") for d in members}
    value = cp.current(f"{group}.{params[1]}")
    if value is None:
        raise RpcError(400, "Failed to get the variable")
    return value


def rpc_help(*params: Any) -> Any:
    if len(params) < 2:
        return None
    d = cp.lookup(str(params[0]), str(params[1]))
    if d is None:
        raise RpcError(400, "Failed to get the variable description")
    return f"(parameter type is {'integer' if d.is_int else 'string'})"


def rpc_list(*params: Any) -> list[str]:
    want = str(params[0]) if params else None
    return [
        f"{g}: {d.name}"
        for g, members in reversed(cp.groups().items())
        if want is None or g == want
        for d in members
    ]


def rpc_diff(*_params: Any) -> None:
    return None


EXPORTS = ModuleExports.of(
    "cfg_rpc",
    rpcs=[
        RpcSpec("cfg.set", rpc_set_int, "set a variable (integer value)"),
        RpcSpec("cfg.set_now_int", rpc_set_int, "set an integer value now"),
        RpcSpec("cfg.seti", rpc_set_int, "set an integer value now"),
        RpcSpec("cfg.set_now_string", rpc_set_str, "set a string value now"),
        RpcSpec("cfg.sets", rpc_set_str, "set a string value now"),
        RpcSpec("cfg.get", rpc_get, "the value of a variable, or of a group's"),
        RpcSpec("cfg.help", rpc_help, "the type of a variable"),
        RpcSpec("cfg.list", rpc_list, "the variables (of a group)"),
        RpcSpec("cfg.diff", rpc_diff, "pending changes (none: changes apply at once)"),
    ],
)
