"""`@cfg_get.group.var` (and `$sel(cfg_get.group.var)`): the value for this message of
a custom global parameter (cfg/custom_params.py) or of a variable of the core's `core`
and `tcp` cfg groups (runtime/core_cfg.py: `@cfg_get.core.debug`), as text like every
select.

A custom name must be declared in the config (`group.var = value`); Kamailio 5.6.3
refuses an unknown one at start-up ("unknown variable"), siprouter at `-c` too. A core
or tcp variable with a fixup in Kamailio (tcp.connect_timeout, core.log_facility, ...)
cannot be retrieved: refused the same way. The cfg groups of modules are not
readable. A value may be read as a URI (`.uri.host`), a name-addr
(`.nameaddr.uri|name|params.NAME`) or a parameter list (`.params.NAME`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siprouter.cfg import core_cfg_vars, custom_params
from siprouter.runtime import core_cfg

from .core_uri import URI_PARTS, nameaddr_parts, param_value
from .table import ROOT, Arg, SelNode, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _group(_ctx: MsgContext, _v: str, a: Arg) -> Text:
    return a.name


def _var(ctx: MsgContext, group: str, a: Arg) -> Text:
    key = f"{group}.{a.name}"
    if group in core_cfg_vars.GROUPS:
        v = core_cfg.value(key)  # this process's values, refreshed between messages
    else:
        v = custom_params.value(ctx, key)
    return None if v is None else str(v)


def _keep(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    return v


def _param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    """`.params.NAME` of a value that is a parameter list (`a=1;b=2`)."""
    items = [p.partition("=") for p in v.split(";")]
    if any(not name.strip() or "<" in name for name, _eq, _val in items):
        return None  # not a parameter list (Kamailio logs the parse error)
    return param_value([(n.strip(), val.strip() if eq else None) for n, eq, val in items], a.name)


class _VarCheck:
    """Checks `group.var` once the group part is known: the group node remembers it."""

    def __init__(self) -> None:
        self.group = ""

    def group_seen(self, a: Arg) -> None:
        self.group = a.name

    def var_seen(self, a: Arg) -> None:
        var = core_cfg_vars.lookup(self.group, a.name)
        if var is not None:
            if not var.readable:
                raise ValueError(f"variable {var.key} cannot be retrieved (it has a fixup)")
            return
        if self.group in core_cfg_vars.GROUPS:
            raise ValueError(f"unknown variable {self.group}.{a.name}")
        custom_params.use(f"{self.group}.{a.name}")


_CHECK = _VarCheck()
_VAR = SelNode(
    _var,
    check=_CHECK.var_seen,
    children={
        "uri": SelNode(_keep, children=URI_PARTS),
        "nameaddr": SelNode(_keep, children=nameaddr_parts(tag=True, params_alone=True)),
        "params": SelNode(_keep, any=SelNode(_param), final=False),
    },
)
_GROUP = SelNode(_group, any=_VAR, final=False, check=_CHECK.group_seen)
ROOT.child("cfg_get", SelNode(_keep, any=_GROUP, final=False))
