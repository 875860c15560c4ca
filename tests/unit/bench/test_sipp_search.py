"""The rate search of bench/sipp: growth, bisection, walking down, and its bounds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp.search import RateSearch, nice_rate  # noqa: E402


def drive(search: RateSearch, capacity: float) -> list[int]:
    """Run the search against a server that passes every rate up to `capacity`."""
    tried = []
    while (rate := search.next_rate()) is not None:
        tried.append(rate)
        search.record(rate, rate <= capacity)
    return tried


@pytest.mark.parametrize(
    ("value", "expected"), [(1234, 1200), (87.6, 88), (0.2, 1), (15000, 15000), (1550, 1600)]
)
def test_nice_rate(value: float, expected: int) -> None:
    assert nice_rate(value) == expected


def test_grows_then_bisects_to_the_precision() -> None:
    s = RateSearch(start=500, factor=2, precision=0.1, max_steps=20)
    tried = drive(s, capacity=5300)
    assert tried[:5] == [500, 1000, 2000, 4000, 8000]
    assert s.stopped == "precision"
    assert s.best <= 5300
    hi = s.lowest_fail
    assert hi is not None and hi > 5300
    assert (hi - s.best) / hi <= 0.1
    assert s.best == max(r for r in tried if r <= 5300)


@pytest.mark.parametrize("capacity", [37, 260, 999, 1000, 7777, 12345])
def test_result_brackets_the_capacity(capacity: int) -> None:
    s = RateSearch(start=100, precision=0.05, max_steps=30, floor=1)
    drive(s, capacity)
    assert s.best <= capacity < (s.lowest_fail or 10**9)
    assert s.best >= capacity * 0.95 - 1


def test_walks_down_when_the_start_fails() -> None:
    s = RateSearch(start=1000, factor=2, floor=50, max_steps=20)
    tried = drive(s, capacity=180)
    assert tried[:4] == [1000, 500, 250, 120]
    assert 120 <= s.best <= 180


def test_nothing_passes_gives_zero_and_stops_at_the_floor() -> None:
    s = RateSearch(start=400, floor=50, max_steps=20)
    tried = drive(s, capacity=0)
    assert s.best == 0
    assert s.stopped == "floor"
    assert min(tried) == 50


def test_max_steps_bounds_the_search() -> None:
    s = RateSearch(start=10, factor=1.1, max_steps=4, ceiling=10**6)
    tried = drive(s, capacity=10**6)
    assert len(tried) == 4
    assert s.stopped == "max steps"
    assert s.best == tried[-1]


def test_ceiling_stops_growth() -> None:
    s = RateSearch(start=3000, ceiling=10000, max_steps=20)
    tried = drive(s, capacity=10**6)
    assert tried == [3000, 6000, 10000]
    assert s.stopped == "ceiling"
    assert s.best == 10000


def test_stop_from_outside_ends_the_search() -> None:
    s = RateSearch(start=100)
    assert s.next_rate() == 100
    s.record(100, True)
    s.stop("budget")
    assert s.next_rate() is None
    assert s.done and s.stopped == "budget" and s.best == 100


def test_a_noisy_fail_below_a_pass_does_not_lower_the_result() -> None:
    s = RateSearch(start=1000)
    s.record(1000, True)
    s.record(2000, True)
    s.record(1500, False)  # a noisy step below a pass
    assert s.best == 2000
    assert s.lowest_fail is None
    assert s.next_rate() == 4000
