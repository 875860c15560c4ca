"""cfg.* RPC commands over the cfg groups of modules (maxfwd, xlog, siputils) against
Kamailio 5.6.3: the same config and the same calls; Kamailio is asked through
jsonrpcs' FIFO, siprouter through its RPC registry over the shared cfg store. The
listing order (module groups last loaded first, then tcp, core, custom groups), start
values from the modparams, ranges, the unreadable siputils variable and its fixup, and
a config without the modules (no such groups) must answer the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.loader import load_config
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime import core_cfg
from siprouter.shared import space as space_mod

from .conftest import HAS_KAMAILIO
from .kamailio_rpc import kamailio_rpc

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

HEAD = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "jsonrpcs"
modparam("jsonrpcs", "transport", 2)
modparam("jsonrpcs", "fifo_name", "@FIFO@")
"""

# custom groups between the loadmodule lines, the modules in another order than
# maxfwd, xlog, siputils, modparams changing the start values
MIXED = """\
loadmodule "xlog"
grpa.num = 1 desc "a number"
loadmodule "siputils"
loadmodule "cfg_rpc"
loadmodule "sl"
loadmodule "pv"
zgrp.str = "s" desc "a string"
loadmodule "maxfwd"
modparam("maxfwd", "max_limit", 257)
modparam("xlog", "methods_filter", 15)
request_route { sl_send_reply("200", "ok"); }
"""

DEFAULTS = """\
loadmodule "cfg_rpc"
loadmodule "sl"
loadmodule "pv"
loadmodule "maxfwd"
loadmodule "xlog"
loadmodule "siputils"
pstn.n = 5 desc "a number"
request_route { sl_send_reply("200", "ok"); }
"""

NONE = """\
loadmodule "cfg_rpc"
loadmodule "sl"
request_route { sl_send_reply("200", "ok"); }
"""

READ: list[tuple[str, tuple[Any, ...]]] = [
    ("cfg.list", ()), ("cfg.list", ("maxfwd",)), ("cfg.list", ("siputils",)),
    ("cfg.list", ("xlog",)),
    ("cfg.get", ("maxfwd",)), ("cfg.get", ("xlog",)), ("cfg.get", ("siputils",)),
    ("cfg.get", ("maxfwd", "max_limit")), ("cfg.get", ("xlog", "methods_filter")),
    ("cfg.get", ("siputils", "ring_timeout")), ("cfg.get", ("maxfwd", "nosuch")),
    ("cfg.help", ("maxfwd", "max_limit")), ("cfg.help", ("xlog", "methods_filter")),
    ("cfg.help", ("siputils", "ring_timeout")), ("cfg.help", ("maxfwd", "nosuch")),
]  # fmt: skip

SETS: list[tuple[str, tuple[Any, ...]]] = [
    # maxfwd.max_limit: 0..255 (a modparam may start it outside)
    ("cfg.set_now_int", ("maxfwd", "max_limit", -1)), ("cfg.get", ("maxfwd", "max_limit")),
    ("cfg.set_now_int", ("maxfwd", "max_limit", 0)), ("cfg.get", ("maxfwd", "max_limit")),
    ("cfg.set_now_int", ("maxfwd", "max_limit", 255)), ("cfg.get", ("maxfwd", "max_limit")),
    ("cfg.set_now_int", ("maxfwd", "max_limit", 256)), ("cfg.get", ("maxfwd", "max_limit")),
    ("cfg.set", ("maxfwd", "max_limit", 2**33)), ("cfg.seti", ("maxfwd", "max_limit", 7.9)),
    ("cfg.get", ("maxfwd",)),
    ("cfg.sets", ("maxfwd", "max_limit", " 12")), ("cfg.get", ("maxfwd", "max_limit")),
    ("cfg.sets", ("maxfwd", "max_limit", "x")), ("cfg.set_now_string", ("maxfwd", "max_limit", "12 ")),
    # xlog.methods_filter: any integer
    ("cfg.set_now_int", ("xlog", "methods_filter", -2)), ("cfg.get", ("xlog", "methods_filter")),
    ("cfg.set_now_int", ("xlog", "methods_filter", -(2**31))), ("cfg.get", ("xlog",)),
    ("cfg.set_now_int", ("xlog", "methods_filter", 2**31 - 1)), ("cfg.get", ("xlog",)),
    ("cfg.set_now_string", ("xlog", "methods_filter", "+7")), ("cfg.get", ("xlog",)),
    # siputils.ring_timeout: a fixup takes only positive values; never readable
    ("cfg.set_now_int", ("siputils", "ring_timeout", 0)),
    ("cfg.set_now_int", ("siputils", "ring_timeout", -1)),
    ("cfg.set_now_int", ("siputils", "ring_timeout", 1)),
    ("cfg.set_now_int", ("siputils", "ring_timeout", 0)),
    ("cfg.set_now_int", ("siputils", "ring_timeout", 2**31 - 1)),
    ("cfg.sets", ("siputils", "ring_timeout", "30")), ("cfg.get", ("siputils",)),
    ("cfg.set_now_int", ("maxfwd", "nosuch", 1)), ("cfg.set_now_int", ("maxfwd", "max_limit")),
    ("cfg.diff", ()),
]  # fmt: skip

ABSENT: list[tuple[str, tuple[Any, ...]]] = [
    ("cfg.list", ("maxfwd",)), ("cfg.get", ("maxfwd",)), ("cfg.get", ("xlog",)),
    ("cfg.get", ("maxfwd", "max_limit")), ("cfg.help", ("xlog", "methods_filter")),
    ("cfg.set_now_int", ("maxfwd", "max_limit", 10)),
    ("cfg.get", ("siputils", "ring_timeout")),
]  # fmt: skip


def _ours(reg: RpcRegistry, method: str, *params: Any) -> Any:
    try:
        return reg.call(method, *params)
    except RpcError as e:
        return ("error", e.code, e.message)


def _compare(
    servers: Any, tmp_path: Path, routes: str, calls: list[tuple[str, tuple[Any, ...]]]
) -> list[str]:
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(HEAD.replace("@FIFO@", fifo) + routes)
    space_mod.reset()
    cfg = tmp_path / "ours.cfg"
    text = HEAD.replace("@PORT@", "5060") + routes
    cfg.write_text("\n".join(x for x in text.splitlines() if "jsonrpcs" not in x) + "\n")
    try:
        reg = RpcRegistry.from_modules(load_config(Options(cfg_file=str(cfg))).modules)
        out = []
        for method, params in calls:
            theirs = kamailio_rpc(fifo, method, *params)
            ours = _ours(reg, method, *params)
            if ours != theirs:
                out.append(f"{method}{params}: kamailio {theirs!r}, siprouter {ours!r}")
        return out
    finally:
        core_cfg.reset_values()
        space_mod.reset()


def test_module_groups_and_start_values(servers: Any, tmp_path: Path) -> None:
    assert _compare(servers, tmp_path, MIXED, READ) == []


def test_defaults_and_sets(servers: Any, tmp_path: Path) -> None:
    assert _compare(servers, tmp_path, DEFAULTS, READ + SETS) == []


def test_no_group_without_its_module(servers: Any, tmp_path: Path) -> None:
    assert _compare(servers, tmp_path, NONE, [("cfg.list", ()), *ABSENT]) == []
