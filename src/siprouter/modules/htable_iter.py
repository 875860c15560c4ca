"""htable iterators: sht_iterator_start/next/end/rm/sets/seti/setex, $shtitkey, $shtitval.

Iterators belong to the process that runs the script (as in Kamailio, where they are
per-process arrays), at most `MAX_ITERATORS` (4) at a time, named by the script.
`start` takes a snapshot of the table's items in Kamailio's listing order (slot, hash,
insertion; expired items not yet purged included, as Kamailio lists them); `next` moves to the next item and is false past the last one, after
which the iterator starts again from the first item on the next call (Kamailio 5.6.3
does the same). Changes through an iterator (rm, sets, seti, setex) go to the shared
table at once. Kamailio keeps the current slot locked while iterating; here the
snapshot needs no lock, so updating the table inside a loop cannot dead-lock.
sht_iterator_rm() makes the following item current, so the walk skips it (checked
against Kamailio 5.6.3, which does the same).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .htable_store import HTable, Item
from .htable_tables import table

log = logging.getLogger("siprouter.htable")

MAX_ITERATORS = 4


@dataclass(slots=True)
class Iterator:
    """One named iterator: its table, the snapshot and the position (-1: before the
    first item)."""

    table: HTable
    items: list[Item] = field(default_factory=list)
    pos: int = -1

    @property
    def current(self) -> Item | None:
        return self.items[self.pos] if 0 <= self.pos < len(self.items) else None


ITERATORS: dict[str, Iterator] = {}


def start(iname: str, hname: str) -> int:
    t = table(hname, "sht_iterator_start")
    if t is None:
        return -1
    if iname not in ITERATORS and len(ITERATORS) >= MAX_ITERATORS:
        log.error("no free iterator for [%s] (at most %d)", iname, MAX_ITERATORS)
        return -1
    ITERATORS[iname] = Iterator(t, t.items())
    return 1


def _get(iname: str) -> Iterator | None:
    it = ITERATORS.get(iname)
    if it is None:
        log.error("iterator not found [%s]", iname)
    return it


def next_item(iname: str) -> int:
    it = _get(iname)
    if it is None:
        return -1
    if it.pos >= len(it.items) - 1:
        # past the end: the next call starts over with a fresh snapshot
        it.items = it.table.items()
        it.pos = -1
        return -1
    it.pos += 1
    return 1


def end(iname: str) -> int:
    if ITERATORS.pop(iname, None) is None:
        log.error("iterator not found [%s]", iname)
        return -1
    return 1


def _current(iname: str) -> tuple[Iterator, Item] | None:
    it = _get(iname)
    if it is None:
        return None
    cur = it.current
    if cur is None:
        log.error("iterator not used [%s]", iname)
        return None
    return it, cur


def remove(iname: str) -> int:
    found = _current(iname)
    if found is None:
        return -1
    it, cur = found
    it.table.delete(cur.key)
    # as Kamailio 5.6.3: the item after the removed one becomes current, so the next
    # sht_iterator_next() passes over it
    del it.items[it.pos]
    return 1


def set_value(iname: str, value: int | str) -> int:
    found = _current(iname)
    if found is None:
        return -1
    it, cur = found
    it.table.set(cur.key, value)
    return 1


def set_expire(iname: str, seconds: int) -> int:
    found = _current(iname)
    if found is None:
        return -1
    it, cur = found
    it.table.set_expire(cur.key, seconds)
    return 1


def key_of(iname: str) -> str | None:
    it = ITERATORS.get(iname)
    cur = it.current if it is not None else None
    return None if cur is None else cur.key


def value_of(iname: str) -> int | str | None:
    it = ITERATORS.get(iname)
    cur = it.current if it is not None else None
    if cur is None:
        return None
    return it.table.stored(cur.key) if it is not None else None


def reset() -> None:
    ITERATORS.clear()
