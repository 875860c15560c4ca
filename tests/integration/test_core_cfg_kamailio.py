"""cfg.* RPC commands over the core and tcp cfg groups against Kamailio 5.6.3: the same
config and the same calls; Kamailio is asked through jsonrpcs' FIFO, siprouter through
its RPC registry (in this process, over the shared cfg store). Answers and errors must
be equal: the group listings, start values (the config's, else Kamailio's runtime
defaults), ranges, read-only and unreadable variables, fixups, string conversion."""

from __future__ import annotations

from collections.abc import Iterator
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

PARAMS = """\
debug=2
force_rport=yes
udp_mtu=1300
udp_mtu_try_proto=TCP
latency_log=2
latency_cfg_log=1
max_while_loops=50
tcp_crlf_ping=no
tcp_accept_no_cl=yes
tcp_keepidle=10
tcp_wait_data=200
tcp_rd_buf_size=8192
dst_blocklist_expire=30
"""

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
@PARAMS@
loadmodule "jsonrpcs"
loadmodule "cfg_rpc"
loadmodule "sl"
modparam("jsonrpcs", "transport", 2)
modparam("jsonrpcs", "fifo_name", "@FIFO@")
pstn.n = 5 desc "a number"
request_route { sl_send_reply("200", "ok"); }
"""

CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("cfg.list", ()), ("cfg.list", ("core",)), ("cfg.list", ("tcp",)), ("cfg.list", ("nog",)),
    ("cfg.get", ("core",)), ("cfg.get", ("tcp",)), ("cfg.get", ("nog",)),
    ("cfg.get", ("core", "debug")), ("cfg.get", ("core", "nosuch")),
    ("cfg.get", ("core", "log_facility")), ("cfg.get", ("tcp", "connect_timeout")),
    ("cfg.get", ("core", "udp_mtu_try_proto")), ("cfg.get", ("tcp", "keepalive")),
    ("cfg.help", ("core", "debug")), ("cfg.help", ("core", "log_facility")),
    ("cfg.help", ("tcp", "nosuch")),
    # integer variables: ranges, read-only, the 32-bit clamp, floats, strings
    ("cfg.set_now_int", ("core", "debug", 3)), ("cfg.get", ("core", "debug")),
    ("cfg.set_now_int", ("core", "debug", -10)), ("cfg.get", ("core", "debug")),
    ("cfg.set", ("core", "debug", 2**33)), ("cfg.get", ("core", "debug")),
    ("cfg.seti", ("core", "max_while_loops", 2.7)), ("cfg.get", ("core", "max_while_loops")),
    ("cfg.seti", ("core", "max_while_loops", "5")), ("cfg.get", ("core", "max_while_loops")),
    ("cfg.set_now_int", ("core", "udp_mtu", 100000)), ("cfg.get", ("core", "udp_mtu")),
    ("cfg.set_now_int", ("core", "udp_mtu", 10)), ("cfg.get", ("core", "udp_mtu")),
    ("cfg.set_now_int", ("core", "udp_mtu_try_proto", 0)),
    ("cfg.set_now_int", ("core", "udp_mtu_try_proto", 4)),
    ("cfg.get", ("core", "udp_mtu_try_proto")),
    ("cfg.set_now_int", ("core", "force_rport", 2)), ("cfg.get", ("core", "force_rport")),
    ("cfg.set_now_int", ("tcp", "crlf_ping", 7)), ("cfg.set_now_int", ("tcp", "crlf_ping", 1)),
    ("cfg.get", ("tcp", "crlf_ping")),
    ("cfg.set_now_int", ("tcp", "async", 1)), ("cfg.set_now_int", ("tcp", "defer_accept", 0)),
    ("cfg.set_now_int", ("tcp", "rd_buf_size", 511)), ("cfg.set_now_int", ("tcp", "rd_buf_size", 512)),
    ("cfg.get", ("tcp", "rd_buf_size")),
    ("cfg.set_now_int", ("tcp", "connect_timeout", -2)),
    ("cfg.set_now_int", ("tcp", "connect_timeout", 3)),
    ("cfg.set_now_int", ("tcp", "connection_lifetime", 30)),
    ("cfg.set_now_int", ("core", "dns_try_ipv6", 1)), ("cfg.set_now_int", ("core", "dns_try_ipv6", 0)),
    ("cfg.set_now_int", ("core", "dns_reinit", 0)),
    ("cfg.set_now_int", ("core", "mem_summary", 32)), ("cfg.set_now_int", ("core", "nosuch", 1)),
    ("cfg.set_now_int", ("core", "debug")), ("cfg.get", ("core", "debug")),
    # strings for integer variables
    ("cfg.sets", ("core", "debug", "+3")), ("cfg.get", ("core", "debug")),
    ("cfg.sets", ("core", "debug", "\t2")), ("cfg.get", ("core", "debug")),
    ("cfg.sets", ("core", "debug", "3 ")), ("cfg.sets", ("core", "debug", "")),
    ("cfg.sets", ("core", "debug", "0x10")), ("cfg.get", ("core", "debug")),
    ("cfg.sets", ("core", "latency_log", "99999999999")), ("cfg.get", ("core", "latency_log")),
    ("cfg.sets", ("pstn", "n", "3 ")), ("cfg.sets", ("pstn", "n", " 7")),
    ("cfg.get", ("pstn", "n")),
    # the string variable: facility names (any case), numbers refused
    ("cfg.sets", ("core", "log_facility", "LOG_LOCAL3")),
    ("cfg.sets", ("core", "log_facility", "log_local1")),
    ("cfg.sets", ("core", "log_facility", "LOCAL0")),
    ("cfg.seti", ("core", "log_facility", 3)),
    ("cfg.get", ("core",)), ("cfg.get", ("tcp",)), ("cfg.diff", ()),
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
    text = CFG.replace("@PORT@", "5060").replace("@PARAMS@", PARAMS)
    cfg.write_text("\n".join(x for x in text.splitlines() if "jsonrpcs" not in x) + "\n")
    loaded = load_config(Options(cfg_file=str(cfg)))
    try:
        yield RpcRegistry.from_modules(loaded.modules)
    finally:
        core_cfg.reset_values()
        space_mod.reset()


def _diffs(fifo: str, reg: RpcRegistry, calls: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    out = []
    for method, params in calls:
        theirs = kamailio_rpc(fifo, method, *params)
        ours = _ours(reg, method, *params)
        if ours != theirs:
            out.append(f"{method}{params}: kamailio {theirs!r}, siprouter {ours!r}")
    return out


def test_same_answers_as_kamailio(servers: Any, tmp_path: Path, our_registry: Any) -> None:
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(CFG.replace("@FIFO@", fifo).replace("@PARAMS@", PARAMS))
    assert _diffs(fifo, our_registry, CALLS) == []


def test_runtime_defaults_as_kamailio(servers: Any, tmp_path: Path) -> None:
    """Without core parameters in the config: the defaults a running 5.6.3 shows."""
    space_mod.reset()
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(CFG.replace("@FIFO@", fifo).replace("@PARAMS@", ""))
    cfg = tmp_path / "plain.cfg"
    text = CFG.replace("@PORT@", "5060").replace("@PARAMS@", "")
    cfg.write_text("\n".join(x for x in text.splitlines() if "jsonrpcs" not in x) + "\n")
    try:
        reg = RpcRegistry.from_modules(load_config(Options(cfg_file=str(cfg))).modules)
        calls = [("cfg.get", ("core",)), ("cfg.get", ("tcp",))]
        assert _diffs(fifo, reg, calls) == []
    finally:
        core_cfg.reset_values()
        space_mod.reset()
