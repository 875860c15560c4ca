"""More core cfg values changed at runtime, each observed where siprouter uses it, the
same in siprouter and Kamailio 5.6.3: force_rport (the reply's Via gets rport),
latency_cfg_log (the "request-route executed in" line), sip_parser_log (the level of
the line about a datagram that does not parse), and -d over the config's `debug` as
the start value of core.debug."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient, options_request
from .kamailio_rpc import jsonrpcs_cfg, kamailio_rpc
from .test_core_cfg_runtime import forked_siprouter

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
@EXTRA@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
loadmodule "cfg_rpc"
request_route {
    xlog("L_ALERT", "mark $ci\\n");
    $var(d) = @cfg_get.core.debug;
    sl_send_reply("200", "d=$var(d)");
}
"""

GARBAGE = b"this is not a SIP message, it is long enough to be parsed\r\n\r\n"

STEPS: list[list[tuple[str, str, int]]] = [
    [],
    [("core", "force_rport", 1)],
    [("core", "latency_cfg_log", 2)],
    [("core", "sip_parser_log", 3)],
    [("core", "force_rport", 0), ("core", "latency_cfg_log", 3), ("core", "sip_parser_log", 1)],
]


def _observe(port: int, rpc: Any, log: Any) -> list[tuple[bool, bool, bool]]:
    """For each step: the reply's Via has rport; the request's route-time line was
    logged; the datagram sent before it was logged as not parsing. The log is read at
    the end: a request's lines are those between its mark and the next one (the
    route-time line comes after the reply)."""
    client = UdpClient()
    vias = []
    try:
        for n, step in enumerate([*STEPS, []]):
            for group, name, value in step:
                assert rpc("cfg.set_now_int", group, name, value) == {}
            client.send(port, GARBAGE)
            req = options_request(client.port, port, callid=f"fx-{n}")
            client.send(port, req.replace(b";rport", b""))
            reply = client.recv()
            assert reply is not None, log()[-1500:]
            vias.append(next(x for x in reply.split(b"\r\n") if x.startswith(b"Via:")))
    finally:
        client.close()
    parts = re.split(r"mark fx-\d+", log())
    return [
        (
            b";rport=" in vias[n],
            "request-route executed in" in parts[n + 1],
            "core parsing" in parts[n],
        )
        for n in range(len(STEPS))
    ]


def test_effects_follow_the_changes(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, CFG.replace("@EXTRA@", "")) as t:
        seen = _observe(t.port, t.rpc, t.log)
    assert seen == [
        (False, False, True),
        (True, False, True),
        (True, True, True),
        (True, True, False),
        (False, False, True),
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_effects_as_kamailio(servers: Any, tmp_path: Path) -> None:
    fifo = str(tmp_path / "kam.fifo")
    extra = jsonrpcs_cfg(fifo)
    kam = servers.kamailio(CFG.replace("@EXTRA@", extra))
    theirs = _observe(kam.port, lambda *c: kamailio_rpc(fifo, *c), kam.log)
    with forked_siprouter(tmp_path, CFG.replace("@EXTRA@", "")) as t:
        assert _observe(t.port, t.rpc, t.log) == theirs


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_dash_d_is_the_start_value_of_debug(servers: Any) -> None:
    cfg = CFG.replace("@EXTRA@", "").replace("debug=2", "debug=1")
    cfg = "\n".join(x for x in cfg.splitlines() if "cfg_rpc" not in x) + "\n"
    answers = []
    for start in (servers.siprouter, servers.kamailio):
        srv = start(cfg, "-dd")
        client = UdpClient()
        try:
            client.send(srv.port, options_request(client.port, srv.port, callid="dd-1"))
            reply = client.recv()
        finally:
            client.close()
        assert reply is not None
        answers.append(reply.split(b"\r\n")[0])
    assert answers == [b"SIP/2.0 200 d=2"] * 2
