"""The `pv` module: Kamailio's pseudo-variables over the per-message context.

`loadmodule "pv.so"` makes the PVs below available to the config (without it only the
core's $rc, $env(..), $def(..), $null exist, as in Kamailio). The implementations are in
siprouter/pv/impl_*.py; pv/access.py compiles each use in the config into a getter and,
for assignable ones, a setter.

Functions (pv/functions.py): pv_evalx, pv_isset, pv_unset, is_int, typeof, not_empty, xavp_rm,
xavp_child_rm, xavp_child_seti, xavp_child_sets, xavp_params_explode,
xavp_params_implode.

Parameters:
* varset "name=i:1" / "name=s:text": initial value of $var(name) (may repeat);
* shvset "name=i:1" / "name=s:text": value of $shv(name) at startup (may repeat);
* avp_aliases "alias=i:N;alias2=s:name": names for $avp(alias).
Those values are process-wide (one config per process); `reset()` forgets them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from siprouter.modules.pv_xfuncs import XFUNCTIONS
from siprouter.modules.registry import (
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    PVSpec,
    mark_dynamic,
)
from siprouter.pv import impl_vars, impl_xvars, stores
from siprouter.pv.functions import FUNCTIONS
from siprouter.pv.impl_branchx import branchx_specs
from siprouter.pv.impl_hdr import hdr_specs
from siprouter.pv.impl_later import later_specs
from siprouter.pv.impl_msgx import msgx_specs
from siprouter.pv.impl_net import net_specs
from siprouter.pv.impl_time import time_specs
from siprouter.pv.impl_uri import uri_specs
from siprouter.select.pv_sel import SEL
from siprouter.stats.pv_stat import STAT


def _typed(text: str) -> str:
    stores.parse_typed_assignment(text)  # ValueError: a -c error at the modparam
    return text


def _aliases(text: str) -> str:
    impl_vars.AvpPV().add_aliases(text)  # checked on a scratch instance
    return text


def reset() -> None:
    """Forget the values set by varset/shvset/avp_aliases (tests, reloading a config)."""
    stores.reset()
    impl_vars.AVP.aliases.clear()
    impl_xvars.VN_VARS.clear()


def _pvs() -> list[PVSpec]:
    uris = uri_specs()
    return [
        *uris,
        *later_specs(uris),
        *hdr_specs(),
        *net_specs(),
        *time_specs(),
        impl_vars.VAR.spec(),
        impl_vars.AVP.spec(),
        impl_vars.XAVP.spec(),
        impl_vars.SHV.spec(),
        impl_vars.CNT.spec(),
        STAT.spec(),
        SEL.spec(),
        *impl_xvars.xvar_specs(),
        *msgx_specs(),
        *branchx_specs(),
    ]


# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = dict.fromkeys(
    (
        "pv_isset", "pv_unset", "is_int", "typeof", "not_empty", "xavp_rm", "xavp_child_rm",
        "xavp_child_seti", "xavp_child_sets", "xavp_params_explode", "xavp_params_implode",
        "xavp_slist_explode", "xavu_params_explode", "xavu_params_implode", "xavi_rm",
        "xavi_child_rm", "xavi_child_seti", "xavi_child_sets", "pv_var_to_xavp",
        "pv_xavp_to_var",
    ),
    True,
)  # fmt: skip


def _texts(args: Sequence[Any]) -> list[str]:
    """The arguments as text (no value is ""), for functions taking plain strings."""
    return ["" if a is None else str(a) for a in args]


def _with_text_fixup(specs: Sequence[FunctionSpec]) -> list[FunctionSpec]:
    """Functions with arguments but no fixup get `_texts`, so an expression's value
    reaches them as text, as constants do (engine/call_args.py runs the fixup)."""
    return [
        dataclasses.replace(s, fixup=_texts) if s.fixup is None and max(s.arg_counts) else s
        for s in specs
    ]


EXPORTS = ModuleExports.of(
    "pv",
    functions=mark_dynamic(_with_text_fixup([*FUNCTIONS, *XFUNCTIONS]), DYNAMIC_ARGS),
    params=[
        ParamSpec(
            "varset",
            ParamType.STR,
            validator=_typed,
            setter=stores.VAR_DEFAULTS.set,
            multi=True,
            doc="initial $var value: name=i:1 or name=s:text",
        ),
        ParamSpec(
            "shvset",
            ParamType.STR,
            validator=_typed,
            setter=stores.SHARED_VARS.set_text,
            multi=True,
            doc="initial $shv value: name=i:1 or name=s:text",
        ),
        ParamSpec(
            "avp_aliases",
            ParamType.STR,
            validator=_aliases,
            setter=impl_vars.AVP.add_aliases,
            multi=True,
            doc="AVP aliases: alias=i:N;alias2=s:name",
        ),
    ],
    pvs=_pvs(),
    init=lambda _lm: stores.share_across_processes(),
)
