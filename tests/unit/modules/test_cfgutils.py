"""cfgutils without a server: init from parameters (start-up errors), shared flags and
probability across forked processes, the lock set, core_hash's return value, the memory
reports, and the cfgutils.* RPCs (hash_file included)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.engine.context import MsgContext
from siprouter.modules import cfgutils, cfgutils_mem, cfgutils_rpc, cfgutils_state
from siprouter.modules import cfgutils_funcs as F
from siprouter.modules.htable_hash import core_hash
from siprouter.rpc import RpcError
from siprouter.runtime.lifecycle import ModuleInitError
from siprouter.shared import space as space_mod
from siprouter.sip.message import parse_message

REQ = (
    b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c1\r\n"
    b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


class FakeModule:
    """What init() reads from a LoadedModule: param(name)."""

    def __init__(self, **params: Any) -> None:
        self.params = params

    def param(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        return cfgutils.EXPORTS.params[name].default


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    space_mod.reset()
    cfgutils_state.reset()
    cfgutils_rpc.CONFIG_HASH.clear()
    yield
    cfgutils_rpc.CONFIG_HASH.clear()
    cfgutils_state.reset()
    space_mod.reset()


def ctx() -> MsgContext:
    return MsgContext(parse_message(REQ))


def test_init_from_parameters() -> None:
    cfgutils.init(FakeModule(initial_gflags=5, initial_probability=30, lock_set_size=3))
    c = ctx()
    assert [F.is_gflag(c, n) for n in range(4)] == [1, -1, 1, -1]
    assert F.rand_get_prob(c) == 30
    assert F.rand_set_prob(c, 80) == 1 and F.rand_get_prob(c) == 80
    assert F.rand_reset_prob(c) == 1 and F.rand_get_prob(c) == 30
    st = cfgutils_state.state()
    assert st.locks is not None and len(st.locks) == 8
    assert st.lock_index("abc") == core_hash("abc", None, 8)


def test_init_refuses_a_bad_probability_and_an_unreadable_hash_file() -> None:
    with pytest.raises(ModuleInitError, match="invalid probability"):
        cfgutils.init(FakeModule(initial_probability=150))
    with pytest.raises(ModuleInitError, match="could not hash"):
        cfgutils.init(FakeModule(hash_file="/nonexistent/file.cfg"))


def test_rand_event_edges() -> None:
    c = ctx()
    F.rand_set_prob(c, 0)
    assert {F.rand_event(c) for _ in range(50)} == {-1}
    assert F.rand_get_prob(c) == 0  # the script would end here
    F.rand_set_prob(c, 100)
    assert {F.rand_event(c) for _ in range(50)} == {1}
    assert F.rand_set_prob(c, 101) == -1 and F.rand_get_prob(c) == 100


def test_flags_and_probability_are_shared_with_forked_processes() -> None:
    cfgutils.init(FakeModule())
    pids = []
    for n in range(4):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                c = ctx()
                for _ in range(100):
                    F.set_gflag(c, n)
                    F.reset_gflag(c, 10 + n)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        assert os.waitpid(pid, 0)[1] == 0
    c = ctx()
    assert [F.is_gflag(c, n) for n in range(5)] == [1, 1, 1, 1, -1]
    assert cfgutils_rpc.rpc_get_gflags() == "0xF (15)"


def test_lock_set() -> None:
    c = ctx()
    assert F.lock(c, "k") == -1  # no lock set by default
    cfgutils.init(FakeModule(lock_set_size=2))
    assert F.lock(c, "k") == 1
    assert F.trylock(c, "k") == -1  # held (not re-entrant)
    assert F.unlock(c, "k") == 1
    assert F.trylock(c, "k") == 1 and F.unlock(c, "k") == 1
    assert F.unlock(c, "k") == 1  # not held: logged, still 1
    for size, locks in ((11, 1024), (-1, 2)):  # brought into 1..10, as Kamailio
        cfgutils.init(FakeModule(lock_set_size=size))
        st = cfgutils_state.state()
        assert st.locks is not None and len(st.locks) == locks


def test_core_hash_function() -> None:
    c = ctx()
    assert F.core_hash_fn(c, "abc", "", 4) == 3
    assert F.core_hash_fn(c, "hello world", "", 0) == 2  # below 1 counts as 1
    assert F.core_hash_fn(c, "hello world", "", -1) == 2
    assert F.core_hash_fn(c, "hello world", "", 32) == 1  # the C shift wraps
    assert F.core_hash_fn(c, "hello world", "", 31) == 1221179770


def test_routes_without_a_config() -> None:
    c = ctx()
    assert F.check_route_exists(c, "X") == -1 and F.route_if_exists(c, "X") == -1


def test_memory_reports(caplog: pytest.LogCaptureFixture) -> None:
    assert any("resident" in line for line in cfgutils_mem.pkg_lines(False))
    detailed = cfgutils_mem.pkg_lines(True)
    assert any("objects of type" in line for line in detailed)
    space_mod.space().db().execute("CREATE TABLE t1(x)")
    shm = cfgutils_mem.shm_lines(True)
    assert shm[0].startswith("shm (shared space") and "shm: table t1: 0 rows" in shm
    with caplog.at_level(logging.DEBUG, logger="siprouter.cfgutils"):
        assert cfgutils_mem.report(cfgutils_mem.shm_lines, False) == 1
    assert any("shm (shared space" in r.getMessage() for r in caplog.records)


def test_rpcs(tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text("request_route { exit; }\n")
    assert cfgutils_rpc.rpc_get_config_hash() == ""
    with pytest.raises(RpcError) as e:
        cfgutils_rpc.rpc_check_config_hash()
    assert (e.value.code, e.value.message) == (500, "No hash file")
    cfgutils.init(FakeModule(hash_file=str(cfg), initial_probability=10))
    assert cfgutils_rpc.rpc_get_config_hash() == cfgutils_rpc.file_md5(str(cfg))
    assert cfgutils_rpc.rpc_check_config_hash() == "Identical hash"
    cfg.write_text("request_route { drop; }\n")
    assert cfgutils_rpc.rpc_check_config_hash() == "Different hash"
    cfgutils_rpc.rpc_rand_set_prob(55)
    assert cfgutils_rpc.rpc_rand_get_prob() == "actual probability: 55 percent"
    with pytest.raises(RpcError) as e:
        cfgutils_rpc.rpc_rand_set_prob(101)
    assert e.value.message == "Invalid Percent"
    cfgutils_rpc.rpc_rand_set_prob("7")  # a string counts 0, as Kamailio's
    assert cfgutils_rpc.rpc_rand_get_prob() == "actual probability: 0 percent"
    cfgutils_rpc.rpc_rand_reset_prob()
    assert cfgutils_rpc.rpc_rand_get_prob() == "actual probability: 10 percent"
    cfgutils_rpc.rpc_set_gflag("0x404")
    assert cfgutils_rpc.rpc_is_gflag(1024) == "TRUE"
    assert cfgutils_rpc.rpc_is_gflag("0x405") == "FALSE"
    cfgutils_rpc.rpc_reset_gflag(4)
    cfgutils_rpc.rpc_set_gflag("x")  # not a number: no flag
    assert cfgutils_rpc.rpc_get_gflags() == "0x400 (1024)"
