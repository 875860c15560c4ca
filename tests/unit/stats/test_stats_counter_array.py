"""The counter array as the statistics use it: the per-process row view, batch name
registration, and names registered after the fork by two processes at once."""

from __future__ import annotations

import os

import pytest

from siprouter.shared import space as space_mod
from siprouter.shared.counters import CounterArray, SharedCounters


def test_row_view_follows_the_rank() -> None:
    arr = CounterArray(slots=8, columns=4)
    arr.row[3] += 2
    arr.set_rank(2)
    arr.row[3] += 5
    arr.add(3, -1)
    assert arr.per_process(3) == [2, 0, 4]
    assert arr.get(3) == 6 and arr.rank == 2


def test_array_needs_room() -> None:
    with pytest.raises(ValueError):
        CounterArray(slots=0, columns=4)
    with pytest.raises(ValueError):
        CounterArray(slots=4, columns=1)


def test_register_many_is_one_batch_and_stable() -> None:
    c = SharedCounters(slots=8, columns=3)
    first = c.register_many(["a", "b", "a", "c"])
    assert first == [0, 1, 0, 2]
    assert c.register_many(["c", "d"]) == [2, 3]
    assert c.register("b") == 1
    with pytest.raises(ValueError, match="no room"):
        c.register_many([f"x{i}" for i in range(5)])


def test_names_registered_after_the_fork_agree() -> None:
    c = SharedCounters(slots=16, columns=4)
    c.register_many(["before"])
    space_mod.before_fork()
    pids = []
    for rank in (1, 2):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                c.array.set_rank(rank)
                slots = c.register_many([f"only{rank}", "shared"])
                c.array.add(slots[1], 10)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert c.get("shared") == 20
    assert {n for n, _s in c.names.names()} == {"before", "only1", "only2", "shared"}
