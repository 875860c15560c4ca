"""`@cfg_get.group.var` (and `$sel(cfg_get.group.var)`): the value for this message of
a custom global parameter (cfg/custom_params.py) or of a variable of the core's `core`
and `tcp` cfg groups or of a loaded module's group (runtime/core_cfg.py:
`@cfg_get.core.debug`, `@cfg_get.maxfwd.max_limit`), as text like every select.

A custom name must be declared in the config (`group.var = value`); Kamailio 5.6.3
refuses an unknown one at start-up ("unknown variable"), siprouter at `-c` too. A
module group is known when its module is loaded (before the route naming it, as
siprouter checks routes in order); its unknown names are refused the same way. A
variable with a fixup in Kamailio (tcp.connect_timeout, core.log_facility,
siputils.ring_timeout, ...) cannot be retrieved: as in Kamailio 5.6.3, `$sel(..)` naming
one fails the check (`-c`, start-up), while `@cfg_get.X` in an expression is accepted
with Kamailio's two error lines and has no value when it runs (a "not resolved" error
line; an assignment from it fails and leaves its target as it was). A value may be
read as a URI (`.uri.host`), a name-addr (`.nameaddr.uri|name|params.NAME`) or a
parameter list (`.params.NAME`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from siprouter.cfg import core_cfg_vars, custom_params
from siprouter.pv.format import active_compiler
from siprouter.runtime import core_cfg
from siprouter.runtime.logging import L_ERR, LOG

from .core_uri import URI_PARTS, nameaddr_parts, param_value
from .table import ROOT, Arg, SelNode, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _group(_ctx: MsgContext, _v: str, a: Arg) -> Text:
    return a.name


_IN_SEL_PV = [False]


@contextmanager
def sel_pv_names() -> Iterator[None]:
    """While $sel(..) names are resolved: an unreadable variable is an error there."""
    _IN_SEL_PV[0] = True
    try:
        yield
    finally:
        _IN_SEL_PV[0] = False


def _var(ctx: MsgContext, group: str, a: Arg) -> Text:
    key = f"{group}.{a.name}"
    if core_cfg_vars.present(group):
        var = core_cfg_vars.VARS.get(key)
        if var is not None and not var.readable:
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, "run_select(): Select structure has not been resolved")
            return None
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
        group = self.group
        known = group in core_cfg_vars.GROUPS or _module_group_loaded(group)
        var = core_cfg_vars.VARS.get(f"{group}.{a.name}") if known else None
        if var is not None:
            if not var.readable:
                if _IN_SEL_PV[0]:
                    raise ValueError(f"variable {var.key} cannot be retrieved (it has a fixup)")
                if LOG.enabled(L_ERR):  # Kamailio's start-up lines; the config is accepted
                    LOG.core(L_ERR, "select_cfg_var(): variable cannot be retrieved")
                    LOG.core(L_ERR, f"fix_rval(): Unable to resolve select @cfg_get.{var.key}")
            return
        if known:
            raise ValueError(f"unknown variable {group}.{a.name}")
        custom_params.use(f"{group}.{a.name}")


def _module_group_loaded(group: str) -> bool:
    """Whether `group` is the cfg group of a module the config being compiled loaded
    (the modules of the running config outside a compilation)."""
    if group not in core_cfg_vars.MODULE_GROUPS:
        return False
    modules = active_compiler().modules
    if modules is None:
        return core_cfg_vars.present(group)
    return group in modules


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
