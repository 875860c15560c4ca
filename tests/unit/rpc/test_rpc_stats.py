"""The RPC registry with a loaded config: stats.* (attached to kex) and cnt.* (counters),
results and errors shaped as Kamailio 5.6.3's jsonrpcs answers them (recorded from
kamailio; the live comparison is tests/integration/test_stats_rpc_kamailio.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.cfg.loader import load_config
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime.lifecycle import init_modules
from siprouter.stats import registry

CFG = """\
#!KAMAILIO
loadmodule "sl"
loadmodule "pv"
loadmodule "kex"
loadmodule "statistics"
loadmodule "counters"
modparam("statistics", "variable", "mystat")
modparam("statistics", "variable", "nr/no_reset")
modparam("statistics", "variable", "grp:other")
modparam("counters", "script_counter", "foo")
modparam("counters", "script_counter", "bar: bar desc")
request_route {
    sl_send_reply("200", "ok");
}
"""


@pytest.fixture
def rpc(tmp_path: Path) -> RpcRegistry:
    cfg = tmp_path / "t.cfg"
    cfg.write_text(CFG)
    loaded = load_config(Options(cfg_file=str(cfg)))
    init_modules(loaded.modules, loaded.compiled)
    reg = registry()
    reg.find("mystat").update(3)  # type: ignore[union-attr]
    reg.find("nr").update(5)  # type: ignore[union-attr]
    reg.get("script", "bar").update(5)  # type: ignore[union-attr]
    reg.find("rcv_requests").update(1)  # type: ignore[union-attr]
    return RpcRegistry.from_modules(loaded.modules)


def test_methods_listed_sorted_with_owner(rpc: RpcRegistry) -> None:
    methods = rpc.call("system.listMethods")
    assert methods == sorted(methods)
    assert {"stats.get_statistics", "stats.fetch", "cnt.get", "cnt.grps_list"} <= set(methods)
    assert rpc.owner("stats.fetch") == "kex" and rpc.owner("cnt.get") == "counters"
    assert rpc.call("system.methodHelp", "cnt.get")
    with pytest.raises(RpcError) as e:
        rpc.call("system.methodHelp", "nope")
    assert (e.value.code, e.value.message) == (400, "command not found")
    with pytest.raises(RpcError) as e:
        rpc.call("nope.nope")
    assert (e.value.code, e.value.message) == (500, "Method Not Found")


def test_get_statistics_selectors(rpc: RpcRegistry) -> None:
    assert rpc.call("stats.get_statistics", "script:") == [
        "script:bar = 5",
        "script:foo = 0",
        "script:grp:other = 0",
        "script:mystat = 3",
        "script:nr = 5",
    ]
    assert rpc.call("stats.get_statistics", "nope", "rcv_requests", "mystat") == [
        "core:rcv_requests = 1",
        "script:mystat = 3",
    ]
    assert rpc.call("stats.get_statistics", "script:mystat") == []
    assert rpc.call("stats.get_statistics", "grp:other") == ["script:grp:other = 0"]
    everything = rpc.call("stats.get_statistics", "all")
    assert everything[0] == "core:bad_URIs_rcvd = 0" and "sl:sent_replies = 0" in everything
    with pytest.raises(RpcError) as e:
        rpc.call("stats.get_statistics", 5)
    assert (e.value.code, e.value.message) == (400, "Please provide which stats to retrieve")


def test_fetch_and_fetchn(rpc: RpcRegistry) -> None:
    assert rpc.call("stats.fetch", "mystat", "nr") == {"script.mystat": "3", "script.nr": "5"}
    assert rpc.call("stats.fetchn", "mystat", "nr") == {"script.mystat": 3, "script.nr": 5}
    assert rpc.call("stats.fetch", "nope") == {}


def test_reset_and_clear(rpc: RpcRegistry) -> None:
    assert rpc.call("stats.reset_statistics", "mystat", "nr", "sent_replies") == {}
    assert rpc.call("stats.fetchn", "mystat", "nr") == {"script.mystat": 0, "script.nr": 5}
    with pytest.raises(RpcError) as e:
        rpc.call("stats.reset_statistics")
    assert (e.value.code, e.value.message) == (400, "Please provide stats name")
    assert rpc.call("stats.clear_statistics", "bar") == "script:bar = 0 (5)"
    assert rpc.call("stats.clear_statistics", "script:") == "script:nr = 5"
    assert rpc.call("stats.clear_statistics", "nope") == {}


def test_cnt_commands(rpc: RpcRegistry) -> None:
    assert rpc.call("cnt.get", "script", "bar") == 5
    assert rpc.call("cnt.get_raw", "core", "rcv_requests") == 1
    assert rpc.call("cnt.get", "script") == {
        "bar": 5,
        "foo": 0,
        "grp:other": 0,
        "mystat": 3,
        "nr": 5,
    }
    assert rpc.call("cnt.get") == {} and rpc.call("cnt.get_raw", "script") == {}
    with pytest.raises(RpcError) as e:
        rpc.call("cnt.get", "script", "nope")
    assert (e.value.code, e.value.message) == (400, "non-existent counter script.nope\n")
    assert rpc.call("cnt.grps_list") == ["core", "script", "sl"]
    assert rpc.call("cnt.list_groups") == ["core", "script", "sl"]
    assert rpc.call("cnt.var_list", "script") == ["bar", "foo", "grp:other", "mystat", "nr"]
    assert rpc.call("cnt.var_list", "nope") == []
    assert rpc.call("cnt.grp_get_all", "nope") == {}
    assert rpc.call("cnt.help", "script", "bar") == "bar desc"
    assert rpc.call("cnt.help", "script", "foo") == "custom script counter."
    assert rpc.call("cnt.help", "core", "rcv_requests") == "kamailio statistic (no description)"
    assert rpc.call("cnt.reset", "script", "bar") == {}
    assert rpc.call("cnt.reset", "script", "nr") == {}
    assert rpc.call("cnt.reset", "script") == {}
    assert rpc.call("cnt.get", "script", "bar") == 0
    assert rpc.call("cnt.get", "script", "nr") == 5


def test_without_kex_no_stats_commands(tmp_path: Path) -> None:
    cfg = tmp_path / "t.cfg"
    cfg.write_text(CFG.replace('loadmodule "kex"\n', ""))
    loaded = load_config(Options(cfg_file=str(cfg)))
    rpc = RpcRegistry.from_modules(loaded.modules)
    assert "stats.fetch" not in rpc and "cnt.get" in rpc


def test_parameter_count_checked_by_signature() -> None:
    from siprouter.modules.registry import RpcSpec

    reg = RpcRegistry()

    def two(a: str, b: str, c: int = 0) -> str:
        return f"{a}{b}{c}"

    reg.add_all("t", [RpcSpec("t.two", two, "")])
    assert reg.call("t.two", "x", "y") == "xy0"
    assert reg.call("t.two", "x", "y", 1) == "xy1"
    for params in [("x",), ("x", "y", 1, 2)]:
        with pytest.raises(RpcError) as e:
            reg.call("t.two", *params)
        assert (e.value.code, e.value.message) == (500, "Invalid Parameters")
    with pytest.raises(ValueError):
        reg.add_all("t", [RpcSpec("nodot", two, "")])
