"""The statistics registry: every named statistic of the server, by group and name.

Kamailio keeps one table of counters, each in a group ("core", "sl", "script", ...) with
a name unique in its group; the `statistics` module's variables, the `counters` module's
script counters, the core's and the modules' statistics all live there, and the
stats.* / cnt.* RPCs and `$stat(name)` read it. Here a statistic is a `Stat`: its group,
name, flags, help text and the slot of its value in the shared counter array
(shared/counters.py), so every worker process adds to the same total.

Statistics are declared before the workers fork (module init hooks, `setup()`); a slot
comes from the shared name table, so a declaration made later in one worker still
gets the same slot in every process, but the other processes' registries do not list
it (Kamailio forbids that too: its counters are registered at module init only).

Flags (Kamailio's stat flags):

* `NO_RESET`: reset and clear leave the value alone (statistics' `name/no_reset`);
* `COMPUTED`: the value is owned by its module (sl's reply counters): reset leaves it,
  update_stat/cnt_add are accepted and ignored, as Kamailio 5.6.3 does for sl's
  function-backed statistics.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from siprouter.shared import counters as shared_counters
from siprouter.shared.counters import CounterArray


class StatFlag(enum.IntFlag):
    NONE = 0
    NO_RESET = 1
    COMPUTED = 2


_FULL = 1 << 64
_HALF = 1 << 63

#: cnt.help's text for a statistic declared without one (as Kamailio answers)
DEFAULT_HELP = "kamailio statistic (no description)"


@dataclass(slots=True)
class Stat:
    """One statistic; its value lives in the shared counter array at `slot`."""

    group: str
    name: str
    slot: int
    array: CounterArray
    flags: StatFlag = StatFlag.NONE
    help: str = DEFAULT_HELP

    @property
    def full_name(self) -> str:
        return f"{self.group}:{self.name}"

    @property
    def resettable(self) -> bool:
        return not self.flags & (StatFlag.NO_RESET | StatFlag.COMPUTED)

    def value(self) -> int:
        """The signed sum (cnt.get shows it so)."""
        return self.array.get(self.slot)

    def unsigned(self) -> int:
        """The value as Kamailio's statistics print it: an unsigned 64-bit number (a
        statistic updated below 0 reads 2^64 - n)."""
        return self.array.get(self.slot) & 0xFFFFFFFFFFFFFFFF

    def add(self, delta: int = 1) -> None:
        """Add to this process's row: the hot-path increment."""
        self.array.row[self.slot] += delta

    def update(self, delta: int) -> None:
        """update_stat / cnt_add: add unless the module owns the value (wrapping
        around 64 bits, as the C counters do, instead of overflowing)."""
        if not self.flags & StatFlag.COMPUTED:
            row = self.array.row
            row[self.slot] = (row[self.slot] + delta + _HALF) % _FULL - _HALF

    def reset(self) -> bool:
        """Set to 0 unless the statistic refuses resets; whether it was reset."""
        if not self.resettable:
            return False
        self.array.set(self.slot, 0)
        return True


def _key(group: str, name: str) -> str:
    return f"stat\t{group}\t{name}"


class StatsRegistry:
    """Every declared statistic, by (group, name), by bare name, and by group."""

    def __init__(self, counters: shared_counters.SharedCounters | None = None) -> None:
        self._counters = counters
        self._by_key: dict[tuple[str, str], Stat] = {}
        self._by_name: dict[str, Stat] = {}

    @property
    def counters(self) -> shared_counters.SharedCounters:
        if self._counters is None:
            self._counters = shared_counters.counters()
        return self._counters

    def declare_many(
        self,
        group: str,
        names: Iterable[str],
        flags: StatFlag = StatFlag.NONE,
        help: str = DEFAULT_HELP,
    ) -> list[Stat]:
        """Declare the statistics `group:name` (again: the existing one is returned)."""
        names = list(names)
        for name in names:
            if not group or not name:
                raise ValueError(f"bad statistic name {group!r}:{name!r}")
        new = [n for n in names if (group, n) not in self._by_key]
        if new:
            counters = self.counters
            slots = counters.register_many(_key(group, n) for n in new)
            for name, slot in zip(new, slots, strict=True):
                st = Stat(group, name, slot, counters.array, flags, help or DEFAULT_HELP)
                self._by_key[(group, name)] = st
                self._by_name.setdefault(name, st)
        return [self._by_key[(group, n)] for n in names]

    def declare(
        self, group: str, name: str, flags: StatFlag = StatFlag.NONE, help: str = DEFAULT_HELP
    ) -> Stat:
        return self.declare_many(group, [name], flags, help)[0]

    def get(self, group: str, name: str) -> Stat | None:
        return self._by_key.get((group, name))

    def find(self, name: str) -> Stat | None:
        """A statistic by its bare name (the first declared when groups share it), as
        $stat(name), update_stat and stats.get_statistics look names up."""
        return self._by_name.get(name)

    def groups(self) -> list[str]:
        """The group names, sorted as Kamailio lists them (byte order)."""
        return sorted({g for g, _n in self._by_key})

    def in_group(self, group: str) -> list[Stat]:
        """The statistics of a group, sorted by name (byte order)."""
        return sorted((s for (g, _n), s in self._by_key.items() if g == group), key=_name)

    def all(self) -> list[Stat]:
        """Every statistic, by group then name."""
        return sorted(self._by_key.values(), key=_group_name)

    def __iter__(self) -> Iterator[Stat]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._by_key)


def _name(st: Stat) -> str:
    return st.name


def _group_name(st: Stat) -> tuple[str, str]:
    return st.group, st.name


_REGISTRY: StatsRegistry | None = None


def registry() -> StatsRegistry:
    """The server's statistics (created on first use, with the core statistics; again
    when the shared counters were replaced, as between two servers in one test)."""
    global _REGISTRY
    reg = _REGISTRY
    if reg is None or reg.counters is not shared_counters.counters():
        reg = _REGISTRY = StatsRegistry(shared_counters.counters())
        from . import core, sl, tcp  # the core statistics exist in every server

        sl.unbind()
        tcp.unbind()
        core.declare(reg)
    return reg


def setup() -> StatsRegistry:
    """Create the shared counters, declare the core statistics and those the modparams
    announced (stats/catalogue.py): to be called in the main process before the workers
    fork and before the module init hooks (the modules' hooks call it too)."""
    reg = registry()
    from . import catalogue

    catalogue.declare_expected(reg)
    return reg


def inc(name: str, delta: int = 1) -> bool:
    """Add `delta` to the statistic `name` (bare name, as $stat takes it); False when
    there is no such statistic. A dictionary look-up more than the typed calls of
    stats/core.py and stats/sl.py."""
    st = registry().find(name)
    if st is None:
        return False
    st.array.row[st.slot] += delta
    return True


def reset() -> None:
    """Forget every statistic and the announced names (tests; a new config in the same
    process). The shared counters are reset by shared.counters.reset()."""
    global _REGISTRY
    _REGISTRY = None
    from . import catalogue, core, sl, tcp

    core.unbind()
    sl.unbind()
    tcp.unbind()
    catalogue.forget()
