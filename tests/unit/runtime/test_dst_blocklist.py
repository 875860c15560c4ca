"""The destination blocklist (runtime/dst_blocklist): listing and matching, imask,
expiry with an injected clock, the memory limit, delete_all and permanent entries,
sharing across a fork, no database read while nothing is listed, the RPC answers, and
the TCP engine's reports of refused connects."""

from __future__ import annotations

import multiprocessing
import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.rpc.registry import RpcError, RpcRegistry
from siprouter.runtime import dst_blocklist as dbl
from siprouter.runtime.state import LocalSocket
from siprouter.runtime.tcp_conn import TcpSettings, bind_tcp_listener
from siprouter.runtime.tcp_engine import TcpEngine
from siprouter.shared import space as space_mod


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_space() -> Iterator[None]:
    space_mod.reset()
    yield
    space_mod.reset()
    dbl.BLOCKLIST = dbl.DstBlocklist()


def make(clock: Clock | None = None, **params: Any) -> dbl.DstBlocklist:
    settings = dbl.BlocklistSettings.from_params({"use_dst_blocklist": True, **params})
    return dbl.DstBlocklist(settings, clock or Clock())


def test_settings_from_params() -> None:
    s = dbl.BlocklistSettings.from_params(
        {
            "use_dst_blocklist": True,
            "dst_blocklist_expire": 5,
            "dst_blocklist_mem": 1,
            "dst_blocklist_tcp_imask": 6,
        }
    )
    assert (s.enabled, s.expire, s.max_mem, s.imask[2], s.imask[1]) == (True, 5.0, 1024, 6, 0)
    assert not dbl.BlocklistSettings.from_params({}).enabled
    off = dbl.BlocklistSettings.from_params({"use_dst_blocklist": True, "dst_blocklist_init": 0})
    assert not off.enabled and not off.initialized


def test_report_lists_and_matches() -> None:
    bl = make()
    assert bl.listed("tcp", "127.0.0.1", 5070) == 0
    assert bl.report(dbl.BLST_ERR_CONNECT, "tcp", "127.0.0.1", 5070)
    assert bl.listed("tcp", "127.0.0.1", 5070) == dbl.BLST_ERR_CONNECT
    assert bl.listed("udp", "127.0.0.1", 5070) == 0
    assert bl.listed("tcp", "127.0.0.1", 5071) == 0
    assert bl.listed(0, "127.0.0.1", 5070) == dbl.BLST_ERR_CONNECT  # any proto
    bl.report(dbl.BLST_ERR_SEND, "tcp", "127.0.0.1", 5070)  # flags OR together
    assert bl.listed("tcp", "127.0.0.1", 5070) == 6
    assert bl.report(dbl.BLST_ERR_SEND, "udp", "::1", 5060)
    assert bl.listed("udp", "[::1]", 5060) == dbl.BLST_ERR_SEND | dbl.BLST_IS_IPV6
    assert [(p, ip, port, f) for p, ip, port, _s, f in bl.entries()] == [
        (2, "127.0.0.1", 5070, 6),
        (1, "::1", 5060, 3),
    ]
    assert bl.memory() == (24 + 36, 250 * 1024)


def test_wildcard_entry_matches_every_proto() -> None:
    bl = make()
    bl.add(dbl.BLST_ADM_PROHIBITED, 0, "10.0.0.1", 5060)
    assert bl.listed("udp", "10.0.0.1", 5060) == dbl.BLST_ADM_PROHIBITED
    assert bl.listed("tcp", "10.0.0.1", 5060) == dbl.BLST_ADM_PROHIBITED


def test_imask_ignores_reasons() -> None:
    bl = make(dst_blocklist_tcp_imask=dbl.BLST_ERR_CONNECT)
    assert not bl.report(dbl.BLST_ERR_CONNECT, "tcp", "127.0.0.1", 1)
    assert bl.listed("tcp", "127.0.0.1", 1) == 0
    # a reason the mask does not cover lists it, with every reason given
    assert bl.report(dbl.BLST_ERR_CONNECT | dbl.BLST_ERR_SEND, "tcp", "127.0.0.1", 1)
    assert bl.listed("tcp", "127.0.0.1", 1) == 6
    assert bl.report(dbl.BLST_ERR_CONNECT, "udp", "127.0.0.1", 2)  # udp mask is 0


def test_disabled_lists_nothing() -> None:
    bl = dbl.DstBlocklist(dbl.BlocklistSettings(), Clock())
    assert not bl.report(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 1)
    assert bl.listed("udp", "127.0.0.1", 1) == 0


def test_expiry_and_refresh() -> None:
    clock = Clock()
    bl = make(clock, dst_blocklist_expire=10)
    bl.report(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 9)
    clock.now += 9.5
    assert bl.listed("udp", "127.0.0.1", 9)
    bl.report(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 9)  # a new failure: 10 s again
    clock.now += 9.5
    assert bl.listed("udp", "127.0.0.1", 9)
    clock.now += 1
    assert bl.listed("udp", "127.0.0.1", 9) == 0
    assert bl.entries() == []


def test_empty_or_expired_list_reads_no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    bl = make(clock, dst_blocklist_expire=1)

    def no_db() -> Any:
        raise AssertionError("database read")

    monkeypatch.setattr(bl, "_db", no_db)
    assert bl.listed("udp", "127.0.0.1", 1) == 0
    monkeypatch.undo()
    bl.report(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 1)
    assert bl.listed("udp", "127.0.0.1", 1)  # reads once for this generation
    monkeypatch.setattr(bl, "_db", no_db)
    assert bl.listed("udp", "127.0.0.1", 1)  # same generation: the process's copy
    assert bl.listed("udp", "127.0.0.1", 2) == 0
    clock.now += 2
    assert bl.listed("udp", "127.0.0.1", 1) == 0  # everything expired: no read


def test_memory_limit() -> None:
    clock = Clock()
    bl = make(clock, dst_blocklist_mem=1, dst_blocklist_expire=5)  # 1024 bytes
    added = [bl.add(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", p) for p in range(1, 50)]
    assert added.count(True) == 42  # 42 * 24 = 1008; a 43rd would reach 1032
    assert bl.add(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 1)  # an update needs no room
    clock.now += 6  # all expired: the full list makes room by dropping them
    assert bl.add(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 100)
    assert bl.memory()[0] == 24


def test_delete_all_keeps_permanent() -> None:
    bl = make()
    bl.add(dbl.BLST_ERR_SEND, "udp", "127.0.0.1", 1)
    bl.add(dbl.BLST_PERMANENT, "udp", "127.0.0.1", 2)
    bl.delete_all()
    assert bl.listed("udp", "127.0.0.1", 1) == 0
    assert bl.listed("udp", "127.0.0.1", 2) == dbl.BLST_PERMANENT


def _child_adds(bl: dbl.DstBlocklist) -> None:
    bl.report(dbl.BLST_ERR_CONNECT, "tcp", "127.0.0.1", 7777)


def test_shared_across_fork() -> None:
    bl = make()
    space_mod.before_fork()
    assert bl.listed("tcp", "127.0.0.1", 7777) == 0
    proc = multiprocessing.get_context("fork").Process(target=_child_adds, args=(bl,))
    proc.start()
    proc.join(10)
    assert proc.exitcode == 0
    assert bl.listed("tcp", "127.0.0.1", 7777) == dbl.BLST_ERR_CONNECT


# ---- RPC: the answers Kamailio 5.6.3's jsonrpcs gave for the same calls ------------------


def rpc(reg: RpcRegistry, method: str, *params: Any) -> Any:
    try:
        return reg.call(method, *params)
    except RpcError as e:
        return ("error", e.code, e.message)


def test_rpc_answers() -> None:
    dbl.BLOCKLIST = make()
    reg = RpcRegistry()
    reg.add_all("core", dbl.RPCS)
    calls = [
        (("dst_blocklist.view",), {}),
        (("dst_blocklist.debug",), {}),
        (("dst_blocklist.mem_info",), 256000),
        (("dst_blocklist.add", "1.2.3.4", 1, 1), {}),  # 3 parameters: nothing added
        (("dst_blocklist.debug",), {}),
        (("dst_blocklist.add", "1.2.3.4", "x", 1, 0), {}),  # port "x" reads 0
        (("dst_blocklist.debug",), 0),
        (("dst_blocklist.delete_all",), {}),
        (("dst_blocklist.add", "::1", 7001, 2, 0), {}),
        (("dst_blocklist.view",), "    flags: 1\n}"),
        (("dst_blocklist.debug",), 1),
        (("dst_blocklist.delete_all",), {}),
        (("dst_blocklist.add", "1.2.3.4", 5, 3, 4), {}),
        (("dst_blocklist.add", "1.2.3.4", 5, 3, 16), {}),
        (("dst_blocklist.debug",), 20),
        (("dst_blocklist.add", "1.2.3.4", 5, 0, 64), {}),  # proto 0 matches tls too
        (("dst_blocklist.debug",), 84),
        (("dst_blocklist.delete_all",), {}),
        (("dst_blocklist.add", "1.2.3.4", 5, 256, 64), {}),  # proto 256 is 0
        (("dst_blocklist.debug",), 64),
        (("dst_blocklist.delete_all",), {}),
        (("dst_blocklist.add", "1.2.3.4", 70000, 1, 2), {}),
        (("dst_blocklist.view",), "    flags: 2\n}"),
        (("dst_blocklist.add", "bad", 1, 1, 1), ("error", 400, "Malformed ip address")),
        (("dst_blocklist.add", "1.2.3.4", 1, 9, 1), ("error", 400, "Unknown protocol")),
        (("dst_blocklist.add", "1.2.3.4", 1, -1, 0), ("error", 400, "Unknown protocol")),
        (("dst_blocklist.add", "1.2.3.4", 1, 1, 1), ("error", 400, "Malformed ip address")),
    ]
    got = [rpc(reg, *call) for call, _want in calls]
    assert got == [want for _call, want in calls]
    assert dbl.BLOCKLIST.listed("udp", "1.2.3.4", 70000 & 0xFFFF) == 2


def test_rpc_disabled() -> None:
    dbl.BLOCKLIST = dbl.DstBlocklist(dbl.BlocklistSettings(), Clock())
    reg = RpcRegistry()
    reg.add_all("core", dbl.RPCS)
    for method in ("view", "debug", "delete_all", "mem_info"):
        assert rpc(reg, f"dst_blocklist.{method}") == (
            "error",
            500,
            "dst blocklist support disabled",
        )
    assert rpc(reg, "dst_blocklist.add", "1.2.3.4", 1, 1, 0)[1] == 500


# ---- the TCP engine reports refused connects --------------------------------------------


def test_tcp_engine_reports_refused_connect() -> None:
    dbl.BLOCKLIST = make()
    sock = bind_tcp_listener("127.0.0.1", 0)
    ls = LocalSocket("tcp", "127.0.0.1", int(sock.getsockname()[1]), 4, sock)
    engine = TcpEngine(TcpSettings(), [ls], lambda *a: None)
    ep = select.epoll()
    engine.attach(ep)
    refusing = socket.socket()
    refusing.bind(("127.0.0.1", 0))  # bound, not listening: connects are refused
    port = int(refusing.getsockname()[1])
    try:
        assert not engine.send(("127.0.0.1", port), b"OPTIONS x SIP/2.0\r\n\r\n")
        flags = dbl.BLOCKLIST.listed("tcp", "127.0.0.1", port)
        assert flags == dbl.BLST_ERR_CONNECT | dbl.BLST_ERR_SEND
        assert not engine.by_fd  # the failed connection is gone
    finally:
        refusing.close()
        engine.close_all()
        ep.close()
        sock.close()
