"""The shared-state layer across real forked processes: counters sum exactly, names map
to the same slot everywhere, shared maps and atomic increments, lock sets exclude."""

from __future__ import annotations

import os
import time

import pytest

from siprouter.shared import counters as counters_mod
from siprouter.shared import space as space_mod
from siprouter.shared.counters import CounterArray, SharedCounters
from siprouter.shared.kv import SharedMap
from siprouter.shared.locks import LockSet


@pytest.fixture(autouse=True)
def fresh_space():
    space_mod.reset()
    counters_mod.reset()
    yield
    space_mod.reset()
    counters_mod.reset()


def run_children(n: int, body) -> None:  # type: ignore[no-untyped-def]
    """Fork n children running body(rank) (rank 1..n); assert they all exit 0."""
    space_mod.before_fork()
    pids = []
    for rank in range(1, n + 1):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                body(rank)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


def test_counter_rows_sum_exactly_across_processes() -> None:
    c = SharedCounters(slots=64, columns=8)
    c.register("hits")

    def body(rank: int) -> None:
        c.array.set_rank(rank)
        for _ in range(5000):
            c.add("hits")
        c.add(f"own{rank}", rank)

    run_children(4, body)
    assert c.get("hits") == 20000
    assert {c.get(f"own{r}") for r in range(1, 5)} == {1, 2, 3, 4}
    assert sorted(c.array.per_process(c.register("hits")))[-4:] == [5000] * 4


def test_counter_set_is_a_base_not_a_write_into_other_rows() -> None:
    arr = CounterArray(slots=4, columns=4)
    arr.set_rank(1)
    arr.add(0, 7)
    arr.set_rank(2)
    arr.add(0, 5)
    arr.set(0, 0)
    assert arr.get(0) == 0
    arr.add(0, 2)
    assert arr.get(0) == 2
    arr.set(0, 100)
    assert arr.get(0) == 100
    assert arr.per_process(0)[1:3] == [7, 7]


def test_rank_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        CounterArray(slots=2, columns=3).set_rank(2)


def test_counter_names_agree_between_processes() -> None:
    c = SharedCounters(slots=16, columns=4)
    c.register("a")

    def body(rank: int) -> None:
        c.array.set_rank(rank)
        c.add("late", 1)  # registered after the fork, in two processes

    run_children(2, body)
    names = dict(c.names.names())
    assert set(names) == {"a", "late"}
    assert c.get("late") == 2
    assert c.get("never") is None


def test_counter_capacity_is_an_error() -> None:
    c = SharedCounters(slots=2, columns=2)
    c.register("a")
    c.register("b")
    with pytest.raises(ValueError, match="no room"):
        c.register("c")


def test_shared_map_values_and_atomic_incr() -> None:
    m = SharedMap("t")
    m.set("s", "text")
    m.set("i", 5)
    m.set("gone", 1)
    m.set("gone", None)

    def body(rank: int) -> None:
        for _ in range(200):
            m.incr("n")
        m.set(f"from{rank}", f"v{rank}")

    run_children(3, body)
    assert m.get("s") == "text" and m.get("i") == 5 and m.get("gone") is None
    assert m.get("n") == 600
    assert m.get("from2") == "v2"
    assert m.incr("s", 3) == 3  # a string counts as 0
    assert m.names() == ["from1", "from2", "from3", "i", "n", "s"]


def test_lockset_excludes_across_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    locks = LockSet(4)
    log = tmp_path / "log"
    log.write_text("")

    def body(rank: int) -> None:
        for _ in range(3):
            locks.acquire("k")
            with open(log, "a") as fh:
                fh.write(f"in{rank}\n")
                fh.flush()
                time.sleep(0.002)
                fh.write(f"out{rank}\n")
            locks.release("k")

    run_children(3, body)
    lines = log.read_text().split()
    assert len(lines) == 18
    for i in range(0, 18, 2):  # every "in" is followed by the same process's "out"
        assert lines[i] == "in" + lines[i + 1][3:]


def test_lockset_trylock_and_release_unheld() -> None:
    locks = LockSet(3)
    assert len(locks) == 4
    assert locks.acquire("x", block=False)
    assert not locks.acquire("x", block=False)
    assert locks.release("x")
    assert not locks.release("x")


def test_space_directory_removed_by_owner_only() -> None:
    sp = space_mod.space()
    sp.db().execute("CREATE TABLE t(x)")
    path = sp.path
    assert os.path.isdir(path)

    def body(rank: int) -> None:
        sp.remove()  # a child must not remove it

    run_children(1, body)
    assert os.path.isdir(path)
    space_mod.reset()
    assert not os.path.exists(path)


def test_stale_spaces_of_dead_processes_are_removed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a pid that is surely gone now
    stale = tmp_path / f"siprouter-{pid}-abc"
    alive = tmp_path / f"siprouter-{os.getpid()}-def"
    other = tmp_path / "siprouter-notapid"
    for d in (stale, alive, other):
        d.mkdir()
    space_mod.remove_stale(str(tmp_path))
    assert not stale.exists() and alive.exists() and other.exists()
