"""htable.* and cfgutils.* RPC commands against Kamailio 5.6.3: the same config (tables
filled by event_route[htable:mod-init]) and the same sequence of calls; Kamailio is
asked through jsonrpcs' FIFO, siprouter through its RPC registry. Results and errors
must be equal (expiry times compared by shape)."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.loader import load_config
from siprouter.modules import cfgutils_rpc, cfgutils_state, htable, htable_tables
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime.lifecycle import init_modules
from siprouter.shared import space as space_mod

from .conftest import HAS_KAMAILIO
from .kamailio_rpc import kamailio_rpc as _kamailio_rpc

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "jsonrpcs"
loadmodule "pv"
loadmodule "htable"
loadmodule "cfgutils"
modparam("jsonrpcs", "transport", 2)
modparam("jsonrpcs", "fifo_name", "@FIFO@")
modparam("htable", "htable", "a=>size=2;autoexpire=300")
modparam("htable", "htable", "b=>size=3;initval=4")
modparam("cfgutils", "initial_gflags", 6)
modparam("cfgutils", "hash_file", "@HASHED@")
event_route[htable:mod-init] {
    $sht(a=>k1) = "v1";
    $sht(a=>n) = 5;
    $sht(b=>x) = "y";
}
request_route { exit; }
"""

CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("htable.get", ("a", "k1")), ("htable.get", ("a", "n")), ("htable.get", ("a", "zz")),
    ("htable.get", ("zz", "k")), ("htable.get", ("b", "x")), ("htable.dump", ("a",)),
    ("htable.dump", ("zz",)), ("htable.listTables", ()), ("htable.stats", ()),
    ("htable.sets", ("a", "s", "txt")), ("htable.seti", ("a", "i", 7)),
    ("htable.seti", ("b", "j", "12")), ("htable.get", ("b", "j")),
    ("htable.sets", ("b", "k", 5)), ("htable.get", ("b", "k")), ("htable.sets", ("zz", "k", "v")),
    ("htable.setex", ("b", "k", 50)), ("htable.get", ("b", "k")), ("htable.setex", ("a", "i", 50)),
    ("htable.delete", ("a", "s")), ("htable.delete", ("a", "nokey")), ("htable.reload", ("a",)),
    ("htable.dump", ("b",)), ("htable.flush", ("b",)), ("htable.dump", ("b",)),
    ("htable.flush", ("zz",)), ("htable.stats", ()),
    ("cfgutils.get_gflags", ()), ("cfgutils.is_gflag", (2,)), ("cfgutils.is_gflag", (1,)),
    ("cfgutils.is_gflag", ("0x2",)), ("cfgutils.set_gflag", (1,)), ("cfgutils.reset_gflag", (4,)),
    ("cfgutils.set_gflag", ("x",)), ("cfgutils.get_gflags", ()), ("cfgutils.rand_get_prob", ()),
    ("cfgutils.rand_set_prob", (5,)), ("cfgutils.rand_get_prob", ()),
    ("cfgutils.rand_set_prob", (500,)), ("cfgutils.rand_set_prob", ("7",)),
    ("cfgutils.rand_get_prob", ()), ("cfgutils.rand_reset_prob", ()),
    ("cfgutils.rand_get_prob", ()), ("cfgutils.get_config_hash", ()),
    ("cfgutils.check_config_hash", ()),
]  # fmt: skip
AFTER_EDIT = [("cfgutils.check_config_hash", ()), ("cfgutils.get_config_hash", ())]

_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _ours(reg: RpcRegistry, method: str, *params: Any) -> Any:
    try:
        result = reg.call(method, *params)
    except RpcError as e:
        return ("error", e.code, e.message)
    return {} if result is None else result


def _norm(value: Any) -> Any:
    text = json.dumps(value)
    return json.loads(_TIME.sub("TIME", text))


@pytest.fixture
def our_registry(tmp_path: Path) -> Iterator[tuple[RpcRegistry, Path]]:
    space_mod.reset()
    hashed = tmp_path / "hashed.txt"
    hashed.write_text("a file whose MD5 both servers take at start-up\n")
    cfg = tmp_path / "ours.cfg"
    text = CFG.replace("@PORT@", "5060").replace("@HASHED@", str(hashed))
    text = "\n".join(x for x in text.splitlines() if "jsonrpcs" not in x) + "\n"
    cfg.write_text(text)
    loaded = load_config(Options(cfg_file=str(cfg)))
    init_modules(loaded.modules, loaded.compiled)
    try:
        yield RpcRegistry.from_modules(loaded.modules), hashed
    finally:
        while htable.TIMER_PIDS:  # the expiry timer process init forked for table a
            pid = htable.TIMER_PIDS.pop()
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        htable_tables.clear()
        cfgutils_state.reset()
        cfgutils_rpc.CONFIG_HASH.clear()
        space_mod.reset()


def test_same_answers_as_kamailio(servers: Any, tmp_path: Path, our_registry: Any) -> None:
    reg, hashed = our_registry
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(CFG.replace("@FIFO@", fifo).replace("@HASHED@", str(hashed)))
    diffs = []
    for method, params in CALLS:
        theirs = _norm(_kamailio_rpc(fifo, method, *params))
        ours = _norm(_ours(reg, method, *params))
        if ours != theirs:
            diffs.append(f"{method}{params}: kamailio {theirs!r}, siprouter {ours!r}")
    hashed.write_text("changed after start-up\n")
    for method, params in AFTER_EDIT:
        theirs = _norm(_kamailio_rpc(fifo, method, *params))
        ours = _norm(_ours(reg, method, *params))
        if ours != theirs:
            diffs.append(
                f"{method}{params} after the edit: kamailio {theirs!r}, siprouter {ours!r}"
            )
    assert diffs == []
