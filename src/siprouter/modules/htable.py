"""The `htable` module: shared hash tables for the config, as Kamailio 5.6.3's htable.

The parts: htable_spec.py (the `htable` modparam), htable_store.py (items with expiry
in the server's shared database), htable_tables.py (the defined tables, "t=>k"
arguments), htable_pv.py ($sht, $shtex, $shtcn, $shtcv, $shtinc, $shtdec, $shtitkey,
$shtitval, $shtrecord), htable_funcs.py (script functions), htable_iter.py
(iterators), htable_locks.py (sht_lock), htable_timer.py (event routes, expiry
timer), htable_rpc.py (htable.* RPC commands). Every worker sees the same tables: a
value set by one worker is read by the next request on any worker.

Parameters:
* htable (may repeat): a table definition, "name=>size=4;autoexpire=0;initval=0;
  updateexpire=1" (htable_spec.py); database attributes are refused for now;
* timer_interval (int, 20): seconds between two purges of expired items;
* timer_procs (int, 0): with N > 1, the tables with autoexpire are split over N timer
  processes; 0 or 1: one timer process scans them all;
* db_url: refused when set (loading tables from a database needs the database layer
  siprouter does not have yet; Kamailio would connect at start-up);
* key_name_column, key_type_column, value_type_column, key_value_column,
  expires_column, array_size_suffix, fetch_rows, db_expires: the database loading
  settings, used only with db_url and dbtable (both refused for now): type-checked;
* enable_dmq (0 only: DMQ replication is not implemented, 1 is refused), dmq_init_sync,
  dmq_peer_id: kept for the same reason;
* event_callback: refused when set (it names a KEMI function; KEMI is not available);
  event_callback_mode: kept.

init (main process, before the fork): defines the tables, creates their locks, runs
event_route[htable:mod-init], and starts the expiry timer process when some table has
autoexpire.
"""

from __future__ import annotations

import sys
from typing import Any

from siprouter.modules.registry import ModuleExports, ParamSpec, ParamType, mark_dynamic
from siprouter.runtime import lifecycle

from . import htable_iter, htable_locks, htable_tables, htable_timer
from .htable_funcs import function_specs
from .htable_pv import pv_specs
from .htable_rpc import rpc_specs
from .htable_spec import TableSpec, parse_table_spec

TIMER_PIDS: list[int] = []


def _refuse_dmq(value: int) -> int:
    if value:
        raise ValueError("DMQ replication is not implemented by siprouter; set enable_dmq to 0")
    return value


def _refuse_db_url(value: str) -> str:
    if value:
        raise ValueError(
            "loading hash tables from a database is not supported by siprouter yet; "
            "remove db_url (and the tables' dbtable)"
        )
    return value


def _refuse_callback(value: str) -> str:
    if value:
        raise ValueError("event_callback names a KEMI function; KEMI is not available yet")
    return value


def _non_negative(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def init(lm: Any) -> None:
    """Define the tables and their locks; run htable:mod-init; start the timer."""
    htable_tables.clear()
    htable_locks.reset()
    htable_iter.reset()
    specs: list[TableSpec] = lm.params.get("htable", [])
    for spec in specs:
        try:
            table = htable_tables.define(spec)
        except ValueError as e:
            raise lifecycle.ModuleInitError(str(e)) from None
        table.reset()  # a new server starts with empty tables
        htable_locks.create(table)
    compiled = lifecycle.COMPILED if lifecycle.COMPILED is not None else _caller_compiled()
    htable_timer.run_mod_init(compiled)
    interval = int(lm.param("timer_interval") or 20)
    procs = int(lm.param("timer_procs") or 0)
    TIMER_PIDS.extend(
        htable_timer.start_timers(list(htable_tables.TABLES.values()), compiled, interval, procs)
    )


def _caller_compiled() -> Any:
    """The compiled config when the runtime did not hand it to lifecycle.init_modules:
    runtime/server.py (commit a161833) calls init_modules(loaded.modules) without it, so
    the `loaded` config of a calling frame is used. Remove once server.py passes it."""
    frame = sys._getframe(1)
    while frame is not None:
        loaded = frame.f_locals.get("loaded")
        compiled = getattr(loaded, "compiled", None)
        if compiled is not None and hasattr(compiled, "routes"):
            return compiled
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _str(name: str, default: str, doc: str) -> ParamSpec:
    return ParamSpec(name, ParamType.STR, default, doc=doc)


def _int(name: str, default: int, doc: str, validator: Any = None) -> ParamSpec:
    return ParamSpec(name, ParamType.INT, default, validator=validator, doc=doc)


# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = dict.fromkeys(
    (
        "sht_rm", "sht_reset", "sht_setxs", "sht_setxi", "sht_iterator_start",
        "sht_iterator_next", "sht_iterator_end", "sht_iterator_rm", "sht_iterator_sets",
        "sht_iterator_seti", "sht_iterator_setex",
    ),
    True,
)  # fmt: skip

EXPORTS = ModuleExports.of(
    "htable",
    functions=mark_dynamic(function_specs(), DYNAMIC_ARGS),
    params=[
        ParamSpec(
            "htable",
            ParamType.STR,
            validator=parse_table_spec,
            multi=True,
            doc="table definition: name=>size=N;autoexpire=S;initval=I;updateexpire=0|1",
        ),
        _int("timer_interval", 20, "seconds between purges of expired items", _non_negative),
        _int("timer_procs", 0, "timer processes sharing the tables", _non_negative),
        ParamSpec(
            "db_url",
            ParamType.STR,
            "",
            validator=_refuse_db_url,
            doc="database of tables with dbtable (refused: no database layer yet)",
        ),
        _str("key_name_column", "key_name", "database column of the key"),
        _str("key_type_column", "key_type", "database column of the key type"),
        _str("value_type_column", "value_type", "database column of the value type"),
        _str("key_value_column", "key_value", "database column of the value"),
        _str("expires_column", "expires", "database column of the expiry"),
        _str("array_size_suffix", "::size", "suffix of array size keys (database)"),
        _int("fetch_rows", 100, "rows fetched at once (database)"),
        _int("db_expires", 0, "load/save expiry values (database)"),
        _int("enable_dmq", 0, "DMQ replication (not implemented: 0 only)", _refuse_dmq),
        _int("dmq_init_sync", 0, "DMQ initial sync"),
        _int("dmq_peer_id", 0, "DMQ peer id"),
        ParamSpec(
            "event_callback",
            ParamType.STR,
            "",
            validator=_refuse_callback,
            doc="KEMI event function (not available)",
        ),
        _int("event_callback_mode", 0, "KEMI event callback mode"),
    ],
    pvs=pv_specs(),
    rpcs=rpc_specs(),
    init=init,
)
