"""Shared 64-bit counters with one column per process: statistics, counters module.

A `CounterArray` is an anonymous shared memory map created before the fork, laid out as
`columns` rows of `slots` signed 64-bit integers. Process rank r adds to row r only, so
an increment is a plain read-add-write of memory no other process writes: no lock, and
no lost update. The value of a slot is the sum over all rows minus its reset base (a
separate row written under a lock by reset), so a reset by one process never races with
another process's increment.

Names map to slots through `CounterNames`, a table in the shared SQLite database: a name
registered by any process (before or after the fork) gets the same slot everywhere.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable

from .locks import LockSet
from .space import space

DEFAULT_SLOTS = 4096
DEFAULT_COLUMNS = 258  # main process, workers and helper processes (ranks 0..256), base
_HALF = 1 << 63
_FULL = 1 << 64


def _wrap(n: int) -> int:
    """n as a signed 64-bit integer (modulo 2^64)."""
    return (n + _HALF) % _FULL - _HALF


class CounterArray:
    """`slots` counters summed over `columns - 1` process rows plus a reset-base row.

    The map is viewed as one flat array of int64 (`memoryview.cast("q")`); `row` is the
    view of this process's row, so the hot path is `array.row[slot] += 1` (about 0.1 µs
    in CPython, see docs/shared-state.md). Every value is 8-byte aligned: a reader in
    another process sees the old or the new value, never a torn one.
    """

    def __init__(self, slots: int = DEFAULT_SLOTS, columns: int = DEFAULT_COLUMNS) -> None:
        if slots < 1 or columns < 2:
            raise ValueError("a counter array needs at least 1 slot and 2 columns")
        self.slots = slots
        self.rows = columns - 1
        self._mem = mmap.mmap(-1, slots * columns * 8)
        self._all = memoryview(self._mem).cast("q")
        self._base = self.rows * slots  # index of the reset-base row
        self._lock = LockSet(1)
        self.row = self._all[0:slots]
        self.rank = 0

    def set_rank(self, rank: int) -> None:
        """The row this process writes (its process rank, 0 = main)."""
        if not 0 <= rank < self.rows:
            raise ValueError(f"process rank {rank} outside 0..{self.rows - 1}")
        self.rank = rank
        self.row = self._all[rank * self.slots : (rank + 1) * self.slots]

    def add(self, slot: int, delta: int = 1) -> None:
        self.row[slot] += delta

    def _raw(self, slot: int) -> int:
        return sum(self._all[slot : self._base : self.slots])

    def get(self, slot: int) -> int:
        """The sum of the rows minus the base, as a signed 64-bit number (the rows wrap
        around like C counters would)."""
        return _wrap(self._raw(slot) - self._all[self._base + slot])

    def set(self, slot: int, value: int) -> None:
        """Make the slot read `value` (a reset is set(slot, 0))."""
        with self._lock.lock_at(0):
            self._all[self._base + slot] = _wrap(self._raw(slot) - value)

    def per_process(self, slot: int) -> list[int]:
        """The contribution of each process row (the base not subtracted)."""
        return list(self._all[slot : self._base : self.slots])


_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter_names (
    name TEXT PRIMARY KEY,
    slot INTEGER NOT NULL UNIQUE
);
"""


class CounterNames:
    """Name -> slot, shared by every process (cached per process)."""

    def __init__(self, capacity: int = DEFAULT_SLOTS) -> None:
        self.capacity = capacity
        self._cache: dict[str, int] = {}

    def slot(self, name: str, create: bool = True) -> int | None:
        """The slot of `name`; registered when new and `create` (ValueError when full)."""
        s = self._cache.get(name)
        if s is not None:
            return s
        conn = space().ensure_schema("counter_names", _SCHEMA)
        row = conn.execute("SELECT slot FROM counter_names WHERE name=?", (name,)).fetchone()
        if row is None:
            if not create:
                return None
            with space().transaction() as tx:
                row = tx.execute("SELECT slot FROM counter_names WHERE name=?", (name,)).fetchone()
                if row is None:
                    (n,) = tx.execute("SELECT COUNT(*) FROM counter_names").fetchone()
                    if n >= self.capacity:
                        raise ValueError(f"no room for counter {name!r} ({self.capacity} used)")
                    tx.execute("INSERT INTO counter_names(name, slot) VALUES(?, ?)", (name, n))
                    row = (n,)
        self._cache[name] = int(row[0])
        return self._cache[name]

    def slots(self, names: Iterable[str]) -> list[int]:
        """The slots of several names, the new ones registered in one transaction (a
        module declaring its statistics at start-up)."""
        wanted = list(names)
        missing = [n for n in dict.fromkeys(wanted) if n not in self._cache]
        if missing:
            space().ensure_schema("counter_names", _SCHEMA)
            with space().transaction() as tx:
                known = dict(tx.execute("SELECT name, slot FROM counter_names").fetchall())
                n = len(known)
                for name in missing:
                    if name not in known:
                        if n >= self.capacity:
                            raise ValueError(f"no room for counter {name!r} ({n} used)")
                        tx.execute("INSERT INTO counter_names(name, slot) VALUES(?, ?)", (name, n))
                        known[name] = n
                        n += 1
                for name in missing:
                    self._cache[name] = int(known[name])
        return [self._cache[n] for n in wanted]

    def names(self) -> Iterable[tuple[str, int]]:
        """Every registered (name, slot), in registration order."""
        conn = space().ensure_schema("counter_names", _SCHEMA)
        rows = conn.execute("SELECT name, slot FROM counter_names ORDER BY slot").fetchall()
        return [(str(n), int(s)) for n, s in rows]


class SharedCounters:
    """Named counters over a CounterArray: what statistics and counters modules use."""

    def __init__(self, slots: int = DEFAULT_SLOTS, columns: int = DEFAULT_COLUMNS) -> None:
        self.array = CounterArray(slots, columns)
        self.names = CounterNames(slots)

    def register(self, name: str) -> int:
        slot = self.names.slot(name)
        assert slot is not None
        return slot

    def register_many(self, names: Iterable[str]) -> list[int]:
        return self.names.slots(names)

    def add(self, name: str, delta: int = 1) -> None:
        self.array.add(self.register(name), delta)

    def get(self, name: str) -> int | None:
        slot = self.names.slot(name, create=False)
        return None if slot is None else self.array.get(slot)

    def set(self, name: str, value: int) -> None:
        self.array.set(self.register(name), value)

    def items(self) -> list[tuple[str, int]]:
        return [(n, self.array.get(s)) for n, s in self.names.names()]


_COUNTERS: SharedCounters | None = None


def counters() -> SharedCounters:
    """The server's named counters (created on first use: before the fork in a server)."""
    global _COUNTERS
    if _COUNTERS is None:
        _COUNTERS = SharedCounters()
    return _COUNTERS


def set_rank(rank: int) -> None:
    """Called in each process after the fork with its rank (nothing to do when no
    module created the counters before the fork)."""
    if _COUNTERS is not None:
        _COUNTERS.array.set_rank(rank)


def reset() -> None:
    global _COUNTERS
    _COUNTERS = None
