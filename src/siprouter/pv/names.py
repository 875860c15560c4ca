"""Which pseudo-variable names a config may use: the core's few, plus loaded modules'.

Kamailio's core registers only `$null`, `$rc`/`$retcode`, `$env(NAME)`/`$envn(NAME)`
and `$def(NAME)`/`$defn(NAME)`, all read-only; every other PV (`$ru`, `$var(x)`,
`$hdr(X)`, ...) comes from a module: without `loadmodule "pv"` Kamailio 5.6 logs
`error searching pvar "ru"` (verified with `kamailio -c`; it then reads a bare `$ru` as
the old-style AVP `$avp(ru)`, and refuses `$ru(x)` or `$var(x)` outright). siprouter
refuses every unknown PV. `known_pvs(modules)` gives the checker that view;
`MODULE_HINTS` names the Kamailio module providing a PV, for the error hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from siprouter.modules.kamailio_names import PV_MODULE
from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import InnerName


@dataclass(frozen=True, slots=True)
class PVName:
    """What the checker knows of a PV class."""

    name: str
    inner: InnerName
    read_only: bool
    origin: str  # "core" or the module name


CORE_PVS: dict[str, PVName] = {
    pv.name: pv
    for pv in (
        PVName("null", InnerName.NONE, True, "core"),
        PVName("rc", InnerName.NONE, True, "core"),
        PVName("retcode", InnerName.NONE, True, "core"),
        PVName("?", InnerName.NONE, True, "core"),
        PVName("env", InnerName.REQUIRED, True, "core"),
        PVName("envn", InnerName.REQUIRED, True, "core"),
        PVName("def", InnerName.REQUIRED, True, "core"),
        PVName("defn", InnerName.REQUIRED, True, "core"),
    )
}

# Where PVs come from in Kamailio, for "did you forget loadmodule" hints.
MODULE_HINTS: dict[str, str] = PV_MODULE


class PVNames:
    """The PV classes known for one config: the core's and those of loaded modules."""

    def __init__(self, modules: LoadedModules | None = None) -> None:
        self._modules = modules

    def lookup(self, name: str) -> PVName | None:
        pv = CORE_PVS.get(name)
        if pv is not None:
            return pv
        if self._modules is not None:
            found = self._modules.find_pv(name)
            if found is not None:
                mod, spec = found
                return PVName(spec.name, spec.inner, spec.read_only, mod.name)
        return None

    def hint_for(self, name: str) -> str | None:
        """Why `$name` may be unknown: the module that provides it in Kamailio."""
        mod = MODULE_HINTS.get(name)
        if mod is None:
            return None
        if self._modules is not None and mod in self._modules:
            return f"module {mod} is loaded but siprouter's {mod} does not provide ${name} yet"
        return f'${name} comes from module {mod}: add loadmodule "{mod}"'


def known_pvs(modules: LoadedModules | None = None) -> PVNames:
    """The PV names a config with these loaded modules may use."""
    return PVNames(modules)
