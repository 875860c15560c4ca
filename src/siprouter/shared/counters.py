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
import struct
from collections.abc import Iterable

from .locks import LockSet
from .space import space

_Q = struct.Struct("=q")
DEFAULT_SLOTS = 4096
DEFAULT_COLUMNS = 258  # main process, workers and helper processes (ranks 0..256), base


class CounterArray:
    """`slots` counters summed over `columns - 1` process rows plus a reset-base row."""

    def __init__(self, slots: int = DEFAULT_SLOTS, columns: int = DEFAULT_COLUMNS) -> None:
        self.slots = slots
        self.rows = columns - 1
        self._mem = mmap.mmap(-1, slots * columns * 8)
        self._base = self.rows * slots * 8
        self._row = 0
        self._lock = LockSet(1)

    def set_rank(self, rank: int) -> None:
        """The row this process writes (its process rank, 0 = main)."""
        if not 0 <= rank < self.rows:
            raise ValueError(f"process rank {rank} outside 0..{self.rows - 1}")
        self._row = rank

    def add(self, slot: int, delta: int = 1) -> None:
        off = (self._row * self.slots + slot) * 8
        mem = self._mem
        _Q.pack_into(mem, off, _Q.unpack_from(mem, off)[0] + delta)

    def _raw(self, slot: int) -> int:
        mem, step, total = self._mem, self.slots * 8, 0
        off = slot * 8
        for _ in range(self.rows):
            total += _Q.unpack_from(mem, off)[0]
            off += step
        return total

    def get(self, slot: int) -> int:
        return self._raw(slot) - _Q.unpack_from(self._mem, self._base + slot * 8)[0]

    def set(self, slot: int, value: int) -> None:
        """Make the slot read `value` (a reset is set(slot, 0))."""
        with self._lock.lock_at(0):
            _Q.pack_into(self._mem, self._base + slot * 8, self._raw(slot) - value)

    def per_process(self, slot: int) -> list[int]:
        """The contribution of each process row (the base not subtracted)."""
        step = self.slots * 8
        return [_Q.unpack_from(self._mem, r * step + slot * 8)[0] for r in range(self.rows)]


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
