"""`@cfg_get.group.var` (and `$sel(cfg_get.group.var)`): a custom global parameter's
value for this message (cfg/custom_params.py), as text like every select.

The name must be declared in the config (`group.var = value`); Kamailio 5.6.3 refuses
an unknown one at start-up ("unknown variable"), siprouter at `-c` too. Only the
config's custom parameters are readable; the cfg groups of the core and of modules
(`@cfg_get.core.debug`) are not. A value may be read as a URI (`.uri.host`), a
name-addr (`.nameaddr.uri|name|params.NAME`) or a parameter list (`.params.NAME`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siprouter.cfg import custom_params

from .core_uri import URI_PARTS, nameaddr_parts, param_value
from .table import ROOT, Arg, SelNode, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _group(_ctx: MsgContext, _v: str, a: Arg) -> Text:
    return a.name


def _var(ctx: MsgContext, group: str, a: Arg) -> Text:
    v = custom_params.value(ctx, f"{group}.{a.name}")
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
