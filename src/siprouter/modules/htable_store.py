"""htable tables in the shared database: items with expiry, shared by every worker.

All tables live in one table of the server's shared SQLite database (shared/space.py):
`(t, k) -> ival | sval, expire`, with the key's Kamailio slot and hash kept so listings
come in Kamailio's order (slot, then hash, then insertion). A read-modify-write runs
in one write transaction (BEGIN IMMEDIATE), so $shtinc, sht_setxi, updates that keep
the expiry, ... are atomic across processes; reads are plain SELECTs.

Expiry, as Kamailio 5.6.3: `expire` is an absolute time in seconds (0: never). A table
with `autoexpire` gives a new item `now + autoexpire`; an update renews it when the
table has updateexpire=1 or when the item had already expired. An item past its
expiry reads as missing (it stays stored until the purge, `purge_expired`, which the
module's timer runs every timer_interval seconds and which returns the removed items
for event_route[htable:expired:<table>]).

`now` is passed in (seconds), so every expiry path is testable without waiting.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from dataclasses import dataclass

from siprouter.shared.space import space

from .htable_hash import core_case_hash
from .htable_spec import TableSpec

Value = int | str | None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS htable_items (
    t TEXT NOT NULL,
    k TEXT NOT NULL,
    slot INTEGER NOT NULL,
    hid INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ival INTEGER,
    sval TEXT,
    expire INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (t, k)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS htable_order ON htable_items (t, slot, hid, seq);
CREATE TABLE IF NOT EXISTS htable_seq (t TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

_COLS = "k, ival, sval, expire, slot, hid"


def _tx() -> contextlib.AbstractContextManager[sqlite3.Connection]:
    """A write transaction on the shared database (schema created first: executescript
    would end a transaction)."""
    db()
    return space().transaction()


def now_s() -> int:
    return int(time.time())


def db() -> sqlite3.Connection:
    """This process's connection to the shared database, with the htable schema."""
    return space().ensure_schema("htable", _SCHEMA)


@dataclass(frozen=True, slots=True)
class Item:
    """One stored item (as listed by dumps and iterators)."""

    key: str
    value: int | str
    expire: int
    slot: int
    hid: int


def _value(ival: int | None, sval: str | None) -> int | str:
    return str(sval) if sval is not None else int(ival or 0)


def _item(row: tuple[str, int | None, str | None, int, int, int]) -> Item:
    k, i, s, e, slot, hid = row
    return Item(str(k), _value(i, s), int(e), int(slot), int(hid))


@dataclass(frozen=True, slots=True)
class _Stored:
    """The value and expiry of one item as read inside an operation."""

    value: int | str
    expire: int


def _live(expire: int, now: int) -> bool:
    return expire == 0 or expire >= now


class Matcher:
    """A name/value test: eq, ne, sw (starts with), ew (ends with), in (contains), re
    (POSIX extended, case-insensitive, as Kamailio compiles it)."""

    OPS = ("eq", "ne", "sw", "ew", "in", "re")

    def __init__(self, op: str, text: str) -> None:
        if op not in self.OPS:
            raise ValueError(f"unsupported match operator {op!r}")
        self.op = op
        self.text = text
        self.rx = re.compile(text, re.IGNORECASE) if op == "re" else None

    def __call__(self, value: str) -> bool:
        op, t = self.op, self.text
        if op == "eq":
            return value == t
        if op == "ne":
            return value != t
        if op == "sw":
            return value.startswith(t)
        if op == "ew":
            return value.endswith(t)
        if op == "in":
            return t in value
        assert self.rx is not None
        return self.rx.search(value) is not None


class HTable:
    """One hash table: its definition and the operations the script, PVs and RPCs use."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        self.name = spec.name

    # ---- helpers -----------------------------------------------------------------------

    def place(self, key: str) -> tuple[int, int]:
        hid = core_case_hash(key)
        return hid & (self.spec.slots - 1), hid

    def _new_expire(self, now: int) -> int:
        return now + self.spec.autoexpire if self.spec.autoexpire else 0

    def _renewed(self, old_expire: int, now: int) -> int:
        """The expiry after an update of an item that expires at `old_expire`."""
        if not self.spec.autoexpire:
            return old_expire
        if self.spec.updateexpire or (old_expire and old_expire < now):
            return now + self.spec.autoexpire
        return old_expire

    def _next_seq(self, tx: sqlite3.Connection) -> int:
        row = tx.execute(
            "INSERT INTO htable_seq(t, n) VALUES(?, 1) ON CONFLICT(t) DO UPDATE SET n=n+1 "
            "RETURNING n",
            (self.name,),
        ).fetchone()
        return int(row[0])

    def _row(self, conn: sqlite3.Connection, key: str) -> _Stored | None:
        row = conn.execute(
            "SELECT ival, sval, expire FROM htable_items WHERE t=? AND k=?", (self.name, key)
        ).fetchone()
        return None if row is None else _Stored(_value(row[0], row[1]), int(row[2]))

    def _write(
        self, tx: sqlite3.Connection, key: str, value: int | str, expire: int, old: bool
    ) -> None:
        ival, sval = (value, None) if isinstance(value, int) else (None, value)
        if old:
            tx.execute(
                "UPDATE htable_items SET ival=?, sval=?, expire=? WHERE t=? AND k=?",
                (ival, sval, expire, self.name, key),
            )
            return
        slot, hid = self.place(key)
        tx.execute(
            "INSERT INTO htable_items(t, k, slot, hid, seq, ival, sval, expire) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
            (self.name, key, slot, hid, self._next_seq(tx), ival, sval, expire),
        )

    # ---- single items ------------------------------------------------------------------

    def get(self, key: str, now: int | None = None) -> Value:
        """The value, or None when missing or expired (not initval: see `read`)."""
        row = self._row(db(), key)
        if row is None or not _live(row.expire, now_s() if now is None else now):
            return None
        return row.value

    def read(self, key: str, now: int | None = None) -> Value:
        """$sht(t=>k): the value, or initval (None without one) when missing/expired."""
        v = self.get(key, now)
        return self.spec.initval if v is None else v

    def set(self, key: str, value: int | str, now: int | None = None) -> None:
        """Store a value (the expiry per autoexpire/updateexpire)."""
        t = now_s() if now is None else now
        with _tx() as tx:
            row = self._row(tx, key)
            expire = self._new_expire(t) if row is None else self._renewed(row.expire, t)
            self._write(tx, key, value, expire, row is not None)

    def set_with_expire(
        self, key: str, value: int | str, seconds: int, now: int | None = None
    ) -> None:
        """sht_setxs/sht_setxi: store a value expiring `seconds` from now (0: never)."""
        t = now_s() if now is None else now
        with _tx() as tx:
            row = self._row(tx, key)
            self._write(tx, key, value, t + seconds if seconds else 0, row is not None)

    def delete(self, key: str) -> None:
        db().execute("DELETE FROM htable_items WHERE t=? AND k=?", (self.name, key))

    def add(self, key: str, delta: int, now: int | None = None) -> Value:
        """$shtinc/$shtdec: add `delta` to an int item and return the new value. A
        missing (or expired) item starts from initval when the table has one, else the
        result is None and nothing is stored; a string item gives None."""
        t = now_s() if now is None else now
        with _tx() as tx:
            row = self._row(tx, key)
            if row is None or not _live(row.expire, t):
                if self.spec.initval is None:
                    return None
                new = _wrap(self.spec.initval + delta)
                if row is None:
                    self._write(tx, key, new, self._new_expire(t), False)
                else:
                    self._write(tx, key, new, self._renewed(row.expire, t), True)
                return new
            if isinstance(row.value, str):
                return None
            new = _wrap(row.value + delta)
            self._write(tx, key, new, self._renewed(row.expire, t), True)
            return new

    def expires_in(self, key: str, now: int | None = None) -> int:
        """$shtex: seconds until the item expires; 0 when it does not, is missing, or the
        table has no autoexpire."""
        t = now_s() if now is None else now
        if not self.spec.autoexpire:
            return 0
        row = self._row(db(), key)
        if row is None:
            return 0
        return max(row.expire - t, 0) if row.expire else 0

    def set_expire(self, key: str, seconds: int, now: int | None = None) -> bool:
        """$shtex(t=>k) = n / sht_iterator_setex: the item expires n seconds from now;
        False when there is no such item."""
        t = now_s() if now is None else now
        cur = db().execute(
            "UPDATE htable_items SET expire=? WHERE t=? AND k=?", (t + seconds, self.name, key)
        )
        return cur.rowcount > 0

    # ---- whole table -------------------------------------------------------------------

    def items(self, now: int | None = None, live_only: bool = False) -> list[Item]:
        """The stored items in Kamailio's order (slot, hash, insertion). As in Kamailio,
        an expired item stays listed (and counted, matched, iterated) until the purge;
        `live_only` leaves those out."""
        rows = (
            db()
            .execute(
                f"SELECT {_COLS} FROM htable_items WHERE t=? ORDER BY slot, hid, seq", (self.name,)
            )
            .fetchall()
        )
        out = [_item(r) for r in rows]
        if not live_only:
            return out
        t = now_s() if now is None else now
        return [i for i in out if _live(i.expire, t)]

    def stored(self, key: str) -> Value:
        """The stored value, expired or not ($shtitval: Kamailio reads the cell as is)."""
        row = self._row(db(), key)
        return None if row is None else row.value

    def count(self, match: Matcher, by_value: bool) -> int:
        """How many stored items (expired ones too, until the purge, as Kamailio) match
        by name (or string value)."""
        n = 0
        for it in self.items():
            if by_value:
                if isinstance(it.value, str) and match(it.value):
                    n += 1
            elif match(it.key):
                n += 1
        return n

    def remove_matching(self, match: Matcher, by_value: bool) -> int:
        """Delete every item whose name (or string value) matches; how many."""
        with _tx() as tx:
            rows = tx.execute("SELECT k, sval FROM htable_items WHERE t=?", (self.name,)).fetchall()
            if by_value:
                gone = [k for k, s in rows if s is not None and match(str(s))]
            else:
                gone = [k for k, _s in rows if match(str(k))]
            tx.executemany(
                "DELETE FROM htable_items WHERE t=? AND k=?", [(self.name, k) for k in gone]
            )
        return len(gone)

    def reset(self) -> None:
        db().execute("DELETE FROM htable_items WHERE t=?", (self.name,))

    def purge_expired(self, now: int | None = None) -> list[Item]:
        """Remove the items past their expiry; the removed items, in listing order."""
        t = now_s() if now is None else now
        with _tx() as tx:
            rows = tx.execute(
                f"SELECT {_COLS} FROM htable_items WHERE t=? AND expire>0 AND expire<? "
                "ORDER BY slot, hid, seq",
                (self.name, t),
            ).fetchall()
            tx.execute(
                "DELETE FROM htable_items WHERE t=? AND expire>0 AND expire<?", (self.name, t)
            )
        return [_item(r) for r in rows]

    def slot_counts(self, now: int | None = None) -> list[int]:
        """Items per slot (htable.stats, sht_print)."""
        counts = [0] * self.spec.slots
        for it in self.items():
            counts[it.slot] += 1
        return counts


def _wrap(n: int) -> int:
    """Kamailio's int values are C ints: 32-bit, wrapping."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n
