"""htable RPC commands: htable.get/sets/seti/delete/dump/reload/flush/listTables/stats.

Each command is a plain function taking the RPC parameters (strings, or ints where
Kamailio reads an int) and returning JSON-like data (dicts, lists, str, int), in the
shape Kamailio 5.6.3's commands return; a failure raises siprouter.rpc.RpcError(code,
message) with Kamailio's code and text. They are the module's RpcSpec entries, so the
RPC registry (siprouter.rpc) calls them by name; tests call them directly.

* htable.get t k -> {"item": {"name": k, "value": v}}; 500 "Key name doesn't exist in htable."
* htable.sets t k v / htable.seti t k n / htable.delete t k -> None (the RPC's empty ok)
* htable.dump t -> [{"entry": slot, "size": n, "slot": [{"name": k, "value": v}, ...]}]
  for every non-empty slot, in slot order
* htable.flush t -> None (every item removed)
* htable.reload t -> 500: tables have no database source here (dbtable is refused)
* htable.listTables -> [{"name", "dbtable", "dbmode", "expire", "updateexpire", "size",
  "dmqreplicate"}]
* htable.stats -> [{"name", "slots", "all", "min", "max"}]
"""

from __future__ import annotations

from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc import RpcError

from .htable_store import HTable
from .htable_tables import TABLES, listing_order


def _table(name: str) -> HTable:
    t = TABLES.get(str(name))
    if t is None:
        raise RpcError(500, "No such htable")
    return t


def rpc_get(htname: str, key: str) -> dict[str, Any]:
    t = _table(htname)
    value = t.get(str(key))
    if value is None:
        raise RpcError(500, "Key name doesn't exist in htable.")
    return {"item": {"name": str(key), "value": value}}


def rpc_sets(htname: str, key: str, value: str) -> None:
    _table(htname).set(str(key), str(value))


def rpc_seti(htname: str, key: str, value: int | str) -> None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise RpcError(500, "Invalid integer value") from None
    _table(htname).set(str(key), n)


def rpc_delete(htname: str, key: str) -> None:
    _table(htname).delete(str(key))


def rpc_dump(htname: str) -> list[dict[str, Any]]:
    t = _table(htname)
    slots: dict[int, list[dict[str, Any]]] = {}
    for it in t.items():
        slots.setdefault(it.slot, []).append({"name": it.key, "value": it.value})
    return [{"entry": s, "size": len(v), "slot": v} for s, v in sorted(slots.items())]


def rpc_flush(htname: str) -> None:
    _table(htname).reset()


def rpc_reload(htname: str) -> None:
    _table(htname)
    raise RpcError(500, "Reload failed: the table has no database source")


def rpc_list_tables() -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "dbtable": "",
            "dbmode": 0,
            "expire": t.spec.autoexpire,
            "updateexpire": int(t.spec.updateexpire),
            "size": t.spec.slots,
            "dmqreplicate": int(t.spec.dmqreplicate),
        }
        for t in listing_order()
    ]


def rpc_stats() -> list[dict[str, Any]]:
    out = []
    for t in listing_order():
        counts = t.slot_counts()
        out.append(
            {
                "name": t.name,
                "slots": t.spec.slots,
                "all": sum(counts),
                "min": min(counts),
                "max": max(counts),
            }
        )
    return out


def rpc_specs() -> list[RpcSpec]:
    return [
        RpcSpec("htable.get", rpc_get, "value of an item: table key"),
        RpcSpec("htable.sets", rpc_sets, "set an item to a string: table key value"),
        RpcSpec("htable.seti", rpc_seti, "set an item to an integer: table key value"),
        RpcSpec("htable.delete", rpc_delete, "delete an item: table key"),
        RpcSpec("htable.dump", rpc_dump, "every item of a table, by slot"),
        RpcSpec("htable.flush", rpc_flush, "delete every item of a table"),
        RpcSpec("htable.reload", rpc_reload, "reload a table from its database"),
        RpcSpec("htable.listTables", rpc_list_tables, "the defined tables"),
        RpcSpec("htable.stats", rpc_stats, "items per table: all, min and max per slot"),
    ]
