"""htable and cfgutils RPC commands through the RPC registry of a loaded config (module
init run, event_route[htable:mod-init] included): names, results and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg.loader import load_config
from siprouter.modules import cfgutils_state, htable_tables
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime.lifecycle import init_modules
from siprouter.shared import space as space_mod

CFG = """\
#!KAMAILIO
loadmodule "sl"
loadmodule "pv"
loadmodule "htable"
loadmodule "cfgutils"
modparam("htable", "htable", "a=>size=2")
modparam("htable", "htable", "ipban=>size=8;initval=0")
modparam("cfgutils", "initial_gflags", 2)
event_route[htable:mod-init] {
    $sht(a=>boot) = "yes";
    $sht(ipban=>1.2.3.4) = 3;
}
request_route {
    sl_send_reply("200", "ok");
}
"""


@pytest.fixture
def rpc(tmp_path: Path) -> Iterator[RpcRegistry]:
    space_mod.reset()
    cfg = tmp_path / "t.cfg"
    cfg.write_text(CFG)
    loaded = load_config(Options(cfg_file=str(cfg)))
    init_modules(loaded.modules, loaded.compiled)
    yield RpcRegistry.from_modules(loaded.modules)
    htable_tables.clear()
    cfgutils_state.reset()
    space_mod.reset()


def test_commands_are_registered(rpc: RpcRegistry) -> None:
    methods = set(rpc.call("system.listMethods"))
    assert {
        "htable.get", "htable.sets", "htable.seti", "htable.delete", "htable.dump",
        "htable.reload", "htable.flush", "htable.listTables", "htable.stats",
        "cfgutils.set_gflag", "cfgutils.get_gflags", "cfgutils.rand_get_prob",
    } <= methods  # fmt: skip
    assert rpc.owner("htable.get") == "htable" and rpc.owner("cfgutils.is_gflag") == "cfgutils"


def test_mod_init_route_filled_the_tables(rpc: RpcRegistry) -> None:
    assert rpc.call("htable.get", "a", "boot") == {
        "item": {"name": "boot", "value": "yes", "flags": 2, "expire": "NEVER"}
    }
    assert rpc.call("htable.get", "ipban", "1.2.3.4")["item"]["value"] == 3


def test_set_dump_delete(rpc: RpcRegistry) -> None:
    rpc.call("htable.sets", "a", "s", "text")
    rpc.call("htable.seti", "a", "n", 5)
    dump = rpc.call("htable.dump", "a")
    items = {i["name"]: i["value"] for slot in dump for i in slot["slot"]}
    assert items == {"boot": "yes", "s": "text", "n": 5}
    assert all(slot["size"] == len(slot["slot"]) for slot in dump)
    rpc.call("htable.delete", "a", "s")
    with pytest.raises(RpcError) as e:
        rpc.call("htable.get", "a", "s")
    assert e.value.code == 500
    assert rpc.call("htable.seti", "a", "z", "five") == "Ok. Key set to new value."
    assert rpc.call("htable.get", "a", "z")["item"]["value"] == 0
    rpc.call("htable.flush", "ipban")
    assert rpc.call("htable.dump", "ipban") == []


def test_tables_and_stats(rpc: RpcRegistry) -> None:
    tables = rpc.call("htable.listTables")
    assert [t["name"] for t in tables] == ["ipban", "a"]
    assert tables[0]["size"] == 256 and tables[0]["expire"] == 0
    stats = {s["name"]: s for s in rpc.call("htable.stats")}
    assert stats["a"] == {"name": "a", "slots": 4, "all": 1, "min": 0, "max": 1}


def test_cfgutils_commands(rpc: RpcRegistry) -> None:
    assert rpc.call("cfgutils.get_gflags") == "0x2 (2)"
    rpc.call("cfgutils.set_gflag", 1)
    assert rpc.call("cfgutils.is_gflag", 3) == "TRUE"
    assert rpc.call("cfgutils.rand_get_prob") == "actual probability: 10 percent"
    assert rpc.call("cfgutils.get_config_hash") == ""
    with pytest.raises(RpcError) as e:
        rpc.call("cfgutils.check_config_hash")
    assert e.value.code == 500
