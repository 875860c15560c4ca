"""The hash tables of the running config, and name resolution shared by functions and PVs.

`define(spec)` is called by the module's init hook for each `htable` modparam; `table(name)`
finds one (None, with Kamailio's error log, for an undefined name: a table name may be
computed at runtime, so an unknown one is a runtime error, not a `-c` error, as in
Kamailio 5.6.3). `TABLES` keeps definition order; Kamailio lists the most recently
defined table first (sht_print, htable.listTables), which `listing_order()` gives.

`TableKey` is a compiled "table=>key" argument ($sht(...) names, sht_lock(), sht_rm_name_re()):
the key is a format that may hold pseudo-variables, rendered per message; the table
name is literal text, as in Kamailio 5.6.3 (`$sht($var(t)=>k)` names a table called
"$var(t)", which is undefined).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from siprouter.cfg.errors import ConfigError
from siprouter.modules.kamailio_names import KAMAILIO_EXPORTS
from siprouter.modules.loader import find_exports
from siprouter.modules.registry import PVSpec
from siprouter.pv.access import PVCompiler
from siprouter.pv.format import Format, compile_format

from .htable_spec import TableSpec
from .htable_store import HTable

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

log = logging.getLogger("siprouter.htable")

TABLES: dict[str, HTable] = {}


def define(spec: TableSpec) -> HTable:
    """Add a table (ValueError when the name is taken)."""
    if spec.name in TABLES:
        raise ValueError(f"htable [{spec.name}] already configured")
    t = TABLES[spec.name] = HTable(spec)
    return t


def clear() -> None:
    """Forget every table definition (tests, a new config in the same process)."""
    TABLES.clear()


def table(name: str, what: str = "htable") -> HTable | None:
    """The table called `name`; None (and an error log) when it is not defined."""
    t = TABLES.get(name)
    if t is None:
        log.error("%s: cannot get hash table [%s]", what, name)
    return t


def listing_order() -> list[HTable]:
    """Tables as Kamailio lists them: the last defined first."""
    return list(reversed(TABLES.values()))


class ModulePVCompiler(PVCompiler):
    """Compiles the PVs of htable's formats ($sht(t=>$shtrecord(key)), sht_rm("$var(t)",
    ...)): the core's and the pv module's PVs, then those of the siprouter module that
    Kamailio names as their exporter ($shtrecord: htable, $RANDOM: cfgutils, $stat:
    statistics). A module's fixup does not get the config's loaded-module table, so a
    PV of a module the config does not load is accepted here."""

    def spec(self, name: str) -> PVSpec | None:
        found = super().spec(name)
        if found is not None:
            return found
        for module, (_functions, pvs) in KAMAILIO_EXPORTS.items():
            if name in pvs.split():
                exports = find_exports(module)
                if exports is not None and name in exports.pvs:
                    return exports.pvs[name]
        return None


_COMPILER: list[ModulePVCompiler] = []


def fmt(text: str) -> Format:
    """Compile a format argument; ValueError (a config error) for a bad PV in it."""
    if not _COMPILER:
        _COMPILER.append(ModulePVCompiler())
    try:
        return compile_format(text, _COMPILER[0])
    except ConfigError as e:
        raise ValueError(e.message) from None


@dataclass(frozen=True, slots=True)
class TableKey:
    """A "table=>key" text compiled once: `render(ctx)` gives (table, key)."""

    raw: str
    table: str
    key: Format

    @classmethod
    def parse(cls, text: str) -> TableKey:
        name, arrow, key = text.partition("=>")
        if not arrow:
            raise ValueError(f"invalid htable name [{text}]: expected table=>key")
        return cls(text, name, fmt(key))

    def render(self, ctx: MsgContext) -> tuple[str, str]:
        return self.table, self.key.render(ctx)
