"""kex core.* and corex RPC commands: the results have the shape Kamailio 5.6.3's
JSON-RPC gives for the same listen sockets (Kamailio queried through jsonrpcs' FIFO;
siprouter's commands called through the RPC registry of the same config)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.modules.loader import LoadedModules
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime import state

from .conftest import HAS_KAMAILIO
from .kamailio_rpc import kamailio_rpc_answer

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@ name "s1"
loadmodule "jsonrpcs"
loadmodule "kex"
loadmodule "corex"
modparam("jsonrpcs", "transport", 2)
modparam("jsonrpcs", "fifo_name", "@FIFO@")
request_route { exit; }
"""


@pytest.fixture
def our_registry() -> Iterator[RpcRegistry]:
    cfg = CFG.replace("@PORT@", "5060").replace('loadmodule "jsonrpcs"\n', "")
    cfg = "\n".join(x for x in cfg.splitlines() if "jsonrpcs" not in x) + "\n"
    config = parse_string(cfg, "rpc.cfg")
    mods = LoadedModules()
    for lm in config.loadmodules:
        mods.load(lm.path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    saved = dict(state.SOCKETS)
    state.clear_sockets()
    state.register_socket(state.LocalSocket("udp", "127.0.0.1", 5060, 4, sock, "s1"))
    try:
        yield RpcRegistry.from_modules(mods)
    finally:
        state.clear_sockets()
        state.SOCKETS.update(saved)
        sock.close()


def _shape(value: Any) -> Any:
    """Keys and value types, not values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_our_results(our_registry: RpcRegistry) -> None:
    reg = our_registry
    assert reg.call("core.echo", "a", 5) == ["a", "5"]
    assert reg.call("core.printi", 1, "2", "x", "-7z") == [1, 2, 0, -7]
    with pytest.raises(RpcError):
        reg.call("core.nope")
    assert reg.call("core.pwd") == [os.getcwd()]
    up = reg.call("core.uptime")
    assert up["uptime"] >= 0 and len(up["now"]) == 24
    assert "kamailio 5.6.3 compatible" in reg.call("core.version")
    assert reg.call("core.sockets_list") == [
        {
            "socket": {
                "proto": "udp",
                "address": "127.0.0.1",
                "port": "5060",
                "mcast": "no",
                "mhomed": "no",
                "virtual": "no",
            }
        }
    ]
    (sock,) = reg.call("corex.list_sockets")
    assert (sock["SOCKNAME"], sock["ADVERTISE"], sock["ADDRLIST"]) == (
        "s1",
        "-",
        {"ADDR": "127.0.0.1"},
    )
    assert reg.owner("core.echo") == "kex" and reg.owner("corex.list_sockets") == "corex"


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_shape_as_kamailio(servers: Any, tmp_path: Path, our_registry: RpcRegistry) -> None:
    fifo = str(tmp_path / "kam.fifo")
    servers.kamailio(CFG.replace("@FIFO@", fifo))
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("core.echo", ("a", 5)),
        ("core.printi", (1, 2, "x")),
        ("core.prints", ("x", "y")),
        ("core.pwd", ()),
        ("core.uptime", ()),
        ("core.version", ()),
        ("core.sockets_list", ()),
        ("corex.list_sockets", ()),
    ]
    for method, params in calls:
        theirs = kamailio_rpc_answer(fifo, method, *params)["result"]
        ours = our_registry.call(method, *params)
        assert _shape(ours) == _shape(theirs), method
        if method in ("core.echo", "core.printi", "core.prints"):
            assert ours == theirs
