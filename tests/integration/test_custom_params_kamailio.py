"""cfg.* RPC commands over custom global parameters against Kamailio 5.6.3: the same
config and the same sequence of calls; Kamailio is asked through jsonrpcs' FIFO,
siprouter through its RPC registry. Answers and errors must be equal (cfg.list is
compared over the custom groups here; test_core_cfg_kamailio.py compares the core and
tcp groups)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.loader import load_config
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
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
loadmodule "cfg_rpc"
loadmodule "pv"
loadmodule "sl"
modparam("jsonrpcs", "transport", 2)
modparam("jsonrpcs", "fifo_name", "@FIFO@")
pstn.gw_ip = "1.2.3.4" desc "PSTN GW Address"
pstn.n = 5 desc "a number"
grp.plain = "x"
request_route { sl_send_reply("200", "r $sel(cfg_get.pstn.gw_ip)"); }
"""

CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("cfg.get", ("pstn", "gw_ip")), ("cfg.get", ("pstn", "n")), ("cfg.get", ("pstn",)),
    ("cfg.get", ("grp",)), ("cfg.get", ("pstn", "nosuch")), ("cfg.get", ("nog", "x")),
    ("cfg.get", ()), ("cfg.set", ("pstn", "n", 7)), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "n", "8")), ("cfg.get", ("pstn", "n")),
    ("cfg.seti", ("pstn", "n", 9)), ("cfg.get", ("pstn", "n")),
    ("cfg.sets", ("pstn", "n", "11")), ("cfg.get", ("pstn", "n")),
    ("cfg.sets", ("pstn", "n", 12)), ("cfg.get", ("pstn", "n")),
    ("cfg.sets", ("pstn", "n", "abc")), ("cfg.get", ("pstn", "n")),
    ("cfg.sets", ("pstn", "n", "-3")), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "n", 2**33)), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "n", 1.5)), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "n")), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "gw_ip", 42)), ("cfg.get", ("pstn", "gw_ip")),
    ("cfg.sets", ("pstn", "gw_ip", "5.6.7.8")), ("cfg.get", ("pstn", "gw_ip")),
    ("cfg.set_now_string", ("pstn", "gw_ip", "")), ("cfg.get", ("pstn", "gw_ip")),
    ("cfg.set_now_int", ("pstn", "n", -5)), ("cfg.get", ("pstn", "n")),
    ("cfg.set", ("pstn", "nosuch", 1)), ("cfg.sets", ("nog", "x", "1")),
    ("cfg.help", ("pstn", "gw_ip")), ("cfg.help", ("pstn", "n")), ("cfg.help", ("pstn", "zz")),
    ("cfg.help", ("pstn",)), ("cfg.list", ("pstn",)), ("cfg.list", ("nog",)), ("cfg.diff", ()),
]  # fmt: skip


def _ours(reg: RpcRegistry, method: str, *params: Any) -> Any:
    try:
        return reg.call(method, *params)
    except RpcError as e:
        return ("error", e.code, e.message)


@pytest.fixture
def our_registry(tmp_path: Path) -> Iterator[RpcRegistry]:
    space_mod.reset()
    cfg = tmp_path / "ours.cfg"
    text = CFG.replace("@PORT@", "5060")
    cfg.write_text("\n".join(x for x in text.splitlines() if "jsonrpcs" not in x) + "\n")
    loaded = load_config(Options(cfg_file=str(cfg)))
    try:
        yield RpcRegistry.from_modules(loaded.modules)
    finally:
        space_mod.reset()


def test_same_answers_as_kamailio(servers: Any, tmp_path: Path, our_registry: Any) -> None:
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(CFG.replace("@FIFO@", fifo))
    diffs = []
    for method, params in CALLS:
        theirs = _kamailio_rpc(fifo, method, *params)
        ours = _ours(our_registry, method, *params)
        if ours != theirs:
            diffs.append(f"{method}{params}: kamailio {theirs!r}, siprouter {ours!r}")
    theirs = [x for x in _kamailio_rpc(fifo, "cfg.list") if x.split(":")[0] in ("pstn", "grp")]
    ours = [x for x in _ours(our_registry, "cfg.list") if x.split(":")[0] in ("pstn", "grp")]
    if ours != theirs:
        diffs.append(f"cfg.list: kamailio {theirs!r}, siprouter {ours!r}")
    assert diffs == []
