"""Resolve `loadmodule` and apply `modparam` the way Kamailio does, over Python modules.

`loadmodule "tm"`, `"tm.so"`, `"modules/tm.so"`, `"tm/tm.so"` and a full Kamailio path
such as `/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so` all name module `tm`, which
siprouter provides as the Python module `siprouter.modules.tm` exposing
`EXPORTS: ModuleExports`. A module siprouter lacks is a ConfigError at the loadmodule.
Loading the same module twice is an error, as in Kamailio 5.6.

`modparam("regex", "name", value)` matches the module name as `^(regex)$`,
case-insensitively, over the modules loaded *before* it (Kamailio applies modparams while
parsing). It fails when no module matches, or when a matched module lacks the parameter
or the parameter has another type (int vs string), or its validator refuses the value.

`register(exports)` adds a module that is not a file under siprouter/modules (tests,
embedding); registered modules win over importable ones.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from siprouter.cfg.errors import ConfigError, Pos

from .registry import FunctionSpec, ModuleExports, ParamType, PVSpec

KAMAILIO_MODULE_DIRS = (
    "/usr/lib/x86_64-linux-gnu/kamailio/modules",
    "/usr/lib/kamailio/modules",
    "/usr/local/lib/kamailio/modules",
    "/usr/local/lib64/kamailio/modules",
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGISTERED: dict[str, ModuleExports] = {}


def register(exports: ModuleExports) -> None:
    """Make `exports` loadable by name without a file under siprouter/modules."""
    _REGISTERED[exports.name] = exports


def unregister(name: str) -> None:
    """Undo register(name)."""
    _REGISTERED.pop(name, None)


def module_name(path: str) -> str:
    """The module name a loadmodule argument refers to ("modules/tm.so" -> "tm")."""
    p = path.strip().rstrip("/")
    base = p.rsplit("/", 1)[-1]
    if base.endswith(".so"):
        base = base[:-3]
    return base


def find_exports(name: str) -> ModuleExports | None:
    """The export table of module `name`, or None when siprouter has no such module."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if not _NAME.fullmatch(name):
        return None
    qualname = f"siprouter.modules.{name}"
    try:
        mod = importlib.import_module(qualname)
    except ModuleNotFoundError as e:
        if e.name in (qualname, f"siprouter.modules.{name}"):
            return None
        raise
    exports = getattr(mod, "EXPORTS", None)
    if not isinstance(exports, ModuleExports):
        return None  # a helper file under modules/, not a module
    return exports


def _kamailio_has(name: str, loadpath: list[str]) -> str | None:
    """Where Kamailio would find `name` (for a better hint), if it is installed."""
    for d in [*loadpath, *KAMAILIO_MODULE_DIRS]:
        for cand in (f"{d}/{name}.so", f"{d}/{name}/{name}.so"):
            if os.path.exists(cand):
                return cand
    return None


@dataclass(slots=True)
class LoadedModule:
    """A module loaded by the config, with the parameter values set by modparam."""

    name: str
    exports: ModuleExports
    pos: Pos | None
    path: str
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        """The value of a parameter: set by modparam, else the default."""
        if name in self.params:
            return self.params[name]
        return self.exports.params[name].default


@dataclass
class LoadedModules:
    """The modules a config loaded, in load order, and lookups over their exports."""

    modules: dict[str, LoadedModule] = field(default_factory=dict)
    loadpath: list[str] = field(default_factory=list)

    def __contains__(self, name: str) -> bool:
        return name in self.modules

    def set_loadpath(self, value: str) -> None:
        """`loadpath "a:b"`: directories searched for modules (used for hints)."""
        self.loadpath = [d for d in value.split(":") if d]

    def load(self, path: str, pos: Pos | None = None) -> LoadedModule:
        """Load the module named by a loadmodule argument."""
        name = module_name(path)
        if not name:
            raise ConfigError(f"empty module name in loadmodule {path!r}", pos)
        if name in self.modules:
            first = self.modules[name].pos
            raise ConfigError(
                f"module '{name}' is loaded twice",
                pos,
                hint=f"first loaded at {first}" if first else None,
            )
        exports = find_exports(name)
        if exports is None:
            raise ConfigError(
                f"module '{name}' is not implemented by siprouter", pos, hint=self._hint(name)
            )
        loaded = LoadedModule(name, exports, pos, path)
        self.modules[name] = loaded
        return loaded

    def _hint(self, name: str) -> str:
        where = _kamailio_has(name, self.loadpath)
        if where:
            return f"Kamailio has it ({where}), siprouter does not (yet)"
        close = difflib.get_close_matches(name, [*self.modules, *_REGISTERED], n=1)
        if close:
            return f"no such module; did you mean '{close[0]}'?"
        return "no Kamailio module of that name is installed either; check the spelling"

    def set_param(
        self,
        module_re: str,
        name: str,
        value: int | str,
        pos: Pos | None = None,
        value_pos: Pos | None = None,
    ) -> list[str]:
        """Apply `modparam(module_re, name, value)`; returns the modules it set.
        Errors about the value point at `value_pos` when given, others at `pos`."""
        vpos = value_pos or pos
        try:
            rx = re.compile(f"^({module_re})$", re.IGNORECASE)
        except re.error as e:
            raise ConfigError(
                f"bad module regular expression {module_re!r} in modparam: {e}", pos
            ) from None
        matched = [m for m in self.modules.values() if rx.match(m.name)]
        if not matched:
            raise ConfigError(
                f"modparam: no loaded module matches '{module_re}'",
                pos,
                hint="modparam must come after the loadmodule of its module",
            )
        for mod in matched:
            spec = mod.exports.params.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, list(mod.exports.params), n=1)
                raise ConfigError(
                    f"module '{mod.name}' has no parameter '{name}'",
                    pos,
                    hint=f"did you mean '{close[0]}'?" if close else None,
                )
            if not spec.accepts_type(value):
                want = "an integer" if spec.type is ParamType.INT else "a string"
                got = f'"{value}"' if isinstance(value, str) else str(value)
                fix = (
                    f"write {value} without quotes"
                    if spec.type is ParamType.INT
                    and isinstance(value, str)
                    and value.lstrip("-").isdigit()
                    else f'write "{value}" in quotes'
                    if spec.type is ParamType.STR
                    else None
                )
                raise ConfigError(
                    f"parameter '{name}' of module '{mod.name}' takes {want}, got {got}",
                    vpos,
                    hint=fix,
                )
            new = value
            if spec.validator is not None:
                try:
                    new = spec.validator(value)
                except ValueError as e:
                    raise ConfigError(
                        f"bad value for parameter '{name}' of module '{mod.name}': {e}", vpos
                    ) from None
            if spec.setter is not None:
                spec.setter(new)
            if spec.multi:
                mod.params.setdefault(name, []).append(new)
            else:
                mod.params[name] = new
        return [m.name for m in matched]

    def find_function(self, name: str) -> tuple[LoadedModule, FunctionSpec] | None:
        """The first loaded module exporting config function `name` (Kamailio's order)."""
        for mod in self.modules.values():
            spec = mod.exports.functions.get(name)
            if spec is not None:
                return mod, spec
        return None

    def find_pv(self, name: str) -> tuple[LoadedModule, PVSpec] | None:
        """The loaded module exporting pseudo-variable class `$name`."""
        for mod in self.modules.values():
            spec = mod.exports.pvs.get(name)
            if spec is not None:
                return mod, spec
        return None

    def event_routes(self) -> dict[str, str]:
        """Event route names the loaded modules run -> module name."""
        out: dict[str, str] = {}
        for mod in self.modules.values():
            for ev in mod.exports.event_routes:
                out.setdefault(ev, mod.name)
        return out

    def function_names(self) -> list[str]:
        return [f for m in self.modules.values() for f in m.exports.functions]
