"""sht_lock()/sht_unlock(): process-shared locks per table slot, re-entrant per process.

Each table gets a `LockSet` (shared/locks.py) when the module initialises, in the main
process before the workers fork. A key picks the lock of its Kamailio slot (slot modulo
the lock count, at most `MAX_LOCKS` per table), so two keys of one slot share a lock,
as in Kamailio. As Kamailio's slot locks, they are re-entrant for the process that holds
them: a process locking a key it already holds only counts the depth, and the lock is
released when the count drops back to zero. Unlocking a lock this process does not hold
is ignored with an error log.

The locks exclude other sht_lock() sections; single $sht operations need no lock (each
is one atomic step in the shared database).
"""

from __future__ import annotations

import logging

from siprouter.shared.locks import LockSet

from .htable_store import HTable

log = logging.getLogger("siprouter.htable")

MAX_LOCKS = 256

_SETS: dict[str, LockSet] = {}
_DEPTH: dict[tuple[str, int], int] = {}  # (table, lock index) -> depth held by this process


def create(ht: HTable) -> None:
    """Create the table's lock set (main process, before the fork)."""
    _SETS[ht.name] = LockSet(min(ht.spec.slots, MAX_LOCKS))


def _index(ht: HTable, key: str) -> tuple[LockSet, int]:
    ls = _SETS.get(ht.name)
    if ls is None:  # a table used outside a server (tests, offline runs)
        create(ht)
        ls = _SETS[ht.name]
    slot = ht.place(key)[0]
    return ls, slot & ls.mask


def lock(ht: HTable, key: str) -> None:
    ls, i = _index(ht, key)
    held = _DEPTH.get((ht.name, i), 0)
    if held == 0:
        ls.lock_at(i).acquire()
    _DEPTH[(ht.name, i)] = held + 1


def unlock(ht: HTable, key: str) -> None:
    ls, i = _index(ht, key)
    held = _DEPTH.get((ht.name, i), 0)
    if held == 0:
        log.error("sht_unlock: [%s=>%s] is not locked by this process", ht.name, key)
        return
    if held == 1:
        del _DEPTH[(ht.name, i)]
        ls.lock_at(i).release()
    else:
        _DEPTH[(ht.name, i)] = held - 1


def reset() -> None:
    _SETS.clear()
    _DEPTH.clear()
