"""The counters module's cnt.* RPC commands over the statistics registry.

Results and errors as Kamailio 5.6.3's jsonrpcs gives them (checked in
tests/integration/test_mod_counters_rpc.py):

* cnt.get group name / cnt.get_raw group name: the value (an int); a missing counter is
  error 400 "non-existent counter group.name\\n"; cnt.get group: an object name -> value
  of the group (cnt.get_raw needs both parameters);
* cnt.grp_get_all group / cnt.get_vars group: the object name -> value of the group;
* cnt.reset group name: resets the counter (one that refuses resets is left alone); `{}`;
* cnt.grps_list / cnt.list_groups: the group names; cnt.var_list group / cnt.list_vars
  group: the names in a group (sorted, `[]` for an unknown group);
* cnt.help group name: the counter's description.

A command missing a parameter it needs answers `{}` (Kamailio's scan fails silently).
"""

from __future__ import annotations

from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc.registry import RpcError

from .registry import Stat, registry


def _strings(params: tuple[Any, ...], n: int) -> list[str] | None:
    if len(params) < n:
        return None
    return [str(p) for p in params[:n]]


def _one(group: str, name: str) -> Stat:
    st = registry().get(group, name)
    if st is None:
        raise RpcError(400, f"non-existent counter {group}.{name}\n")
    return st


def _group_values(group: str) -> dict[str, int]:
    return {st.name: st.value() for st in registry().in_group(group)}


def cnt_get(*params: Any) -> Any:
    two = _strings(params, 2)
    if two is not None:
        return _one(*two).value()
    one = _strings(params, 1)
    return {} if one is None else _group_values(one[0])


def cnt_get_raw(*params: Any) -> Any:
    two = _strings(params, 2)
    return {} if two is None else _one(*two).value()


def cnt_grp_get_all(*params: Any) -> dict[str, int]:
    one = _strings(params, 1)
    return {} if one is None else _group_values(one[0])


def cnt_reset(*params: Any) -> None:
    two = _strings(params, 2)
    if two is not None:
        _one(*two).reset()


def cnt_grps_list(*_params: Any) -> list[str]:
    return registry().groups()


def cnt_var_list(*params: Any) -> Any:
    one = _strings(params, 1)
    return {} if one is None else [st.name for st in registry().in_group(one[0])]


def cnt_help(*params: Any) -> Any:
    two = _strings(params, 2)
    return {} if two is None else _one(*two).help


RPCS = (
    RpcSpec("cnt.get", cnt_get, "the value of a counter, or of every counter of a group"),
    RpcSpec("cnt.get_raw", cnt_get_raw, "the value of a counter (group and name)"),
    RpcSpec("cnt.grp_get_all", cnt_grp_get_all, "every counter of a group with its value"),
    RpcSpec("cnt.get_vars", cnt_grp_get_all, "every counter of a group with its value"),
    RpcSpec("cnt.reset", cnt_reset, "reset a counter (group and name)"),
    RpcSpec("cnt.grps_list", cnt_grps_list, "the counter groups"),
    RpcSpec("cnt.list_groups", cnt_grps_list, "the counter groups"),
    RpcSpec("cnt.var_list", cnt_var_list, "the counter names of a group"),
    RpcSpec("cnt.list_vars", cnt_var_list, "the counter names of a group"),
    RpcSpec("cnt.help", cnt_help, "the description of a counter (group and name)"),
)
