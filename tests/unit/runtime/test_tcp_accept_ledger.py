"""tcp_conn.AcceptLedger: per-IP connection counts and held source addresses, in one
process (dicts) and shared by forked processes (the shared database), with claims made
from several processes at once never passing the limit."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.runtime.tcp_conn import AcceptLedger
from siprouter.shared import space as space_mod


@pytest.fixture(autouse=True)
def fresh_space() -> Iterator[None]:
    space_mod.reset()
    yield
    space_mod.reset()


@pytest.mark.parametrize("shared", [False, True])
def test_claims_and_releases(shared: bool) -> None:
    led = AcceptLedger(shared=shared)
    assert [led.claim_ip("10.0.0.1", 2) for _ in range(3)] == [True, True, False]
    assert led.ip_count("10.0.0.1") == 2
    assert led.claim_ip("10.0.0.2", 2)
    led.release_ip("10.0.0.1")
    assert led.ip_count("10.0.0.1") == 1
    assert led.claim_ip("10.0.0.1", 2)
    led.claim_ip("10.0.0.1")  # outbound connections count without a limit
    assert led.ip_count("10.0.0.1") == 3
    for _ in range(3):
        led.release_ip("10.0.0.1")
    assert led.ip_count("10.0.0.1") == 0
    assert led.claim_source(("192.0.2.1", 4000))
    assert not led.claim_source(("192.0.2.1", 4000))
    assert led.claim_source(("192.0.2.1", 4001))
    led.release_source(("192.0.2.1", 4000))
    assert led.claim_source(("192.0.2.1", 4000))


def _claimer(led: AcceptLedger, start: Any, results: Any, index: int) -> None:
    start.wait(10)
    results[index] = sum(1 for _ in range(10) if led.claim_ip("10.9.9.9", 7))


def test_concurrent_claims_from_forked_processes_respect_the_limit() -> None:
    space_mod.space()  # the shared space exists before the fork, as in a server
    led = AcceptLedger(shared=True)
    assert led.ip_count("10.9.9.9") == 0
    space_mod.before_fork()
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    results = ctx.Array("i", 4)
    procs = [ctx.Process(target=_claimer, args=(led, start, results, i)) for i in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(20)
        assert p.exitcode == 0
    assert sum(results) == 7  # 40 attempts, 7 granted whoever made them
    assert led.ip_count("10.9.9.9") == 7
