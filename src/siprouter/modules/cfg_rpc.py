"""The `cfg_rpc` module: RPC commands reading and changing, at runtime, custom global
parameters (`group.var = value` in the config; cfg/custom_params.py holds them), the
variables of the core's `core` and `tcp` cfg groups and those of the loaded modules'
groups (`maxfwd: max_limit`, `xlog: methods_filter`, `siputils: ring_timeout`;
runtime/core_cfg.py).

A change is written to the server's shared space, so every worker routes its next
message with the new value (`@cfg_get.group.var`, `$sel(cfg_get.group.var)`; for the
core groups, the log level, max_while_loops, ... of docs/runtime-config.md).

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
* cfg.list [group]: "group: var" entries: the groups of the loaded modules that have
  one, the last loaded first, the tcp group, the core group, then the custom groups in
  reverse order of their first declaration, a group's variables in declaration order;
  cfg.diff: `{}` (every change applies at once);
* core, tcp and module variables (test_core_cfg_kamailio.py,
  test_module_cfg_kamailio.py): a set outside the variable's range, of a read-only
  variable or refused by its fixup (log_facility names, dns_try_ipv6 without an IPv6
  socket, siputils.ring_timeout not above 0) is 400 "Failed to set the variable";
  `cfg.get` of a variable with a fixup (core.log_facility, siputils.ring_timeout) is
  400 "Variable exists, but it is not readable via RPC interface", and `cfg.get GROUP`
  leaves such variables out (`cfg.get siputils` is `{}`); `cfg.get` of an unknown
  group alone is `{}`. A module group exists only when its module is loaded; without
  it the name is an unknown (or custom) group.

A string set on an integer variable converts as Kamailio's (leading blanks, a sign,
digits; "3 " is refused).
"""

from __future__ import annotations

from typing import Any

from siprouter.cfg import custom_params as cp
from siprouter.modules.registry import ModuleExports, RpcSpec
from siprouter.rpc.registry import RpcError
from siprouter.runtime import core_cfg

_UNREADABLE = "Variable exists, but it is not readable via RPC interface"


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
    group, name = str(group), str(name)
    try:
        if core_cfg.is_group(group):
            core_cfg.set_value(group, name, value)
        else:
            cp.set_value(group, name, value)
    except (KeyError, ValueError):
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
    if core_cfg.is_group(group):
        return _get_core(group, None if len(params) == 1 else str(params[1]))
    if len(params) == 1:
        members = cp.groups().get(group, [])
        return {d.name: cp.current(f"{group}.{d.name}") for d in members}
    value = cp.current(f"{group}.{params[1]}")
    if value is None:
        raise RpcError(400, "Failed to get the variable")
    return value


def _get_core(group: str, name: str | None) -> Any:
    if name is None:
        return {
            v.name: core_cfg.current(v.key) for v in core_cfg.cv.group_vars(group) if v.readable
        }
    var = core_cfg.lookup(group, name)
    if var is None:
        raise RpcError(400, "Failed to get the variable")
    if not var.readable:
        raise RpcError(400, _UNREADABLE)
    return core_cfg.current(var.key)


def rpc_help(*params: Any) -> Any:
    if len(params) < 2:
        return None
    group, name = str(params[0]), str(params[1])
    d = core_cfg.lookup(group, name) if core_cfg.is_group(group) else cp.lookup(group, name)
    if d is None:
        raise RpcError(400, "Failed to get the variable description")
    return f"(parameter type is {'integer' if d.is_int else 'string'})"


def rpc_list(*params: Any) -> list[str]:
    want = str(params[0]) if params else None
    cv = core_cfg.cv
    names = [(g, v.name) for g in cv.groups_listed() for v in cv.group_vars(g)]
    names += [(g, d.name) for g, members in reversed(cp.groups().items()) for d in members]
    return [f"{g}: {n}" for g, n in names if want is None or g == want]


def mod_init(_lm: Any) -> None:
    """Main process, before the fork: the level the server logs at (-d) is the start
    value of core.debug for every process."""
    core_cfg.started()


def rpc_diff(*_params: Any) -> None:
    return None


EXPORTS = ModuleExports.of(
    "cfg_rpc",
    init=mod_init,
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
