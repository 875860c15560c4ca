"""htable RPC commands, answering as Kamailio 5.6.3's do through jsonrpcs (recorded from
kamailio; tests/integration/test_mod_htable_rpc.py compares them live).

Each command is a plain function taking the RPC's positional parameters and returning
the JSON-RPC result; failures raise siprouter.rpc.RpcError(code, message). They are
the module's RpcSpec entries, so the RPC registry (siprouter.rpc) calls them by name.

* htable.get t k -> {"item": {"name", "value", "flags" (2 string, 0 int), "expire"
  (local time "YYYY-MM-DD HH:MM:SS", or "NEVER")}}; 500 "Key name doesn't exist in
  htable." (missing or expired);
* htable.sets t k v -> "Ok. Key set to new value." (v stored as a string);
  htable.seti t k n -> the same (n stored as an int; a string parameter stores 0, as
  Kamailio's does);
* htable.setex t k secs -> "Ok" (the item expires secs from now; nothing changes for
  a missing item or a table without autoexpire);
* htable.delete t k -> "Ok. Key deleted."; 404 "Key not found in htable.";
* htable.dump t -> [{"entry": slot, "size": n, "slot": [{"name", "value", "type":
  "str"|"int"}]}] for every non-empty slot, in slot order (expired items included
  until the purge, as Kamailio lists them);
* htable.flush t -> "Ok. Htable flushed."; htable.reload t -> 500 "No htable db_url"
  (no database source: tables with dbtable are refused);
* htable.listTables -> [{"name", "dbtable", "dbmode", "expire", "updateexpire", "size",
  "dmqreplicate"}], the last defined table first; htable.stats -> [{"name", "slots",
  "all", "min", "max"}].
An unknown table: 500 "No such htable".
"""

from __future__ import annotations

import time
from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc import RpcError

from .htable_store import HTable
from .htable_tables import TABLES, listing_order

SET_OK = "Ok. Key set to new value."


def rpc_int(value: Any) -> int:
    """An integer parameter as jsonrpcs reads it: a JSON number, anything else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return 0


def _table(name: Any) -> HTable:
    t = TABLES.get(str(name))
    if t is None:
        raise RpcError(500, "No such htable")
    return t


def _expire_text(expire: int) -> str:
    if not expire:
        return "NEVER"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(expire))


def rpc_get(htname: str, key: str) -> dict[str, Any]:
    t = _table(htname)
    value = t.get(str(key))
    if value is None:
        raise RpcError(500, "Key name doesn't exist in htable.")
    expire = next((i.expire for i in t.items() if i.key == str(key)), 0)
    return {
        "item": {
            "name": str(key),
            "value": value,
            "flags": 2 if isinstance(value, str) else 0,
            "expire": _expire_text(expire),
        }
    }


def rpc_sets(htname: str, key: str, value: Any) -> str:
    _table(htname).set(str(key), str(value))
    return SET_OK


def rpc_seti(htname: str, key: str, value: Any) -> str:
    _table(htname).set(str(key), rpc_int(value))
    return SET_OK


def rpc_setex(htname: str, key: str, seconds: Any) -> str:
    t = _table(htname)
    if t.spec.autoexpire:
        t.set_expire(str(key), rpc_int(seconds))
    return "Ok"


def rpc_delete(htname: str, key: str) -> str:
    t = _table(htname)
    if t.stored(str(key)) is None:
        raise RpcError(404, "Key not found in htable.")
    t.delete(str(key))
    return "Ok. Key deleted."


def rpc_dump(htname: str) -> list[dict[str, Any]]:
    t = _table(htname)
    slots: dict[int, list[dict[str, Any]]] = {}
    for it in t.items():
        kind = "str" if isinstance(it.value, str) else "int"
        slots.setdefault(it.slot, []).append({"name": it.key, "value": it.value, "type": kind})
    return [{"entry": s, "size": len(v), "slot": v} for s, v in sorted(slots.items())]


def rpc_flush(htname: str) -> str:
    _table(htname).reset()
    return "Ok. Htable flushed."


def rpc_reload(htname: str) -> None:
    _table(htname)
    raise RpcError(500, "No htable db_url")


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
        RpcSpec("htable.setex", rpc_setex, "set the expiry of an item: table key seconds"),
        RpcSpec("htable.delete", rpc_delete, "delete an item: table key"),
        RpcSpec("htable.dump", rpc_dump, "every item of a table, by slot"),
        RpcSpec("htable.flush", rpc_flush, "delete every item of a table"),
        RpcSpec("htable.reload", rpc_reload, "reload a table from its database"),
        RpcSpec("htable.listTables", rpc_list_tables, "the defined tables"),
        RpcSpec("htable.stats", rpc_stats, "items per table: all, min and max per slot"),
    ]
