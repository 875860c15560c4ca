"""Custom global parameters changed at runtime are shared by every worker.

The test process is the server's parent: it creates the shared space and loads the
config, then forks the server (children=4, -DD), so both use the same shared state. A
change made through the cfg_rpc commands in the test process (as a control interface
in the main process would make it) is then read by `$sel(cfg_get...)` and
`@cfg_get...` in every worker, from the next message on."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg import custom_params
from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args
from siprouter.rpc import RpcRegistry
from siprouter.shared import space as space_mod

from .conftest import UdpClient, free_udp_port, udp_port_bound

CFG = """\
#!KAMAILIO
debug=2
children=4
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "cfg_rpc"
pstn.gw_ip = "1.2.3.4" desc "PSTN GW Address"
pstn.n = 5 desc "a number"
request_route {
    $var(n) = @cfg_get.pstn.n;
    sl_send_reply("200", "v $sel(cfg_get.pstn.gw_ip) $var(n) pid=$pp");
}
"""

_REASON = re.compile(rb"^SIP/2\.0 200 v (\S+) (\S+) pid=(\d+)\r\n")


def _ask(client: UdpClient, port: int, callid: str) -> tuple[str, str, int]:
    req = (
        f"OPTIONS sip:q@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-{callid};rport\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f-{callid}\r\nTo: <sip:q@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    client.send(port, req.encode())
    reply = client.recv()
    assert reply is not None, f"no reply to {callid}"
    m = _REASON.match(reply)
    assert m, reply[:120]
    return m.group(1).decode(), m.group(2).decode(), int(m.group(3))


@pytest.fixture
def forked_server(tmp_path: Path) -> Iterator[tuple[int, RpcRegistry, Path]]:
    space_mod.reset()
    space_mod.space()  # owned by this process: the server's processes inherit it
    port = free_udp_port()
    cfg = tmp_path / "custom.cfg"
    cfg.write_text(CFG.replace("@PORT@", str(port)))
    options = parse_args(["-DD", "-E", "-f", str(cfg)])
    loaded = load_config(options)
    out, err = tmp_path / "out", tmp_path / "err"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the server process
        rc = 1
        try:
            os.setsid()
            with open(out, "w") as fo, open(err, "w") as fe:
                os.dup2(fe.fileno(), 2)
                from siprouter.runtime.server import serve

                rc = serve(loaded, options, fo, fe)
        finally:
            os._exit(rc)
    try:
        deadline = time.monotonic() + 20
        while not (out.exists() and "Listening on" in out.read_text()):
            assert time.monotonic() < deadline, err.read_text() if err.exists() else "no start"
            time.sleep(0.05)
        while not udp_port_bound(port):
            assert time.monotonic() < deadline, "port not bound"
            time.sleep(0.05)
        yield port, RpcRegistry.from_modules(loaded.modules), err
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        space_mod.reset()


def test_rpc_change_seen_by_every_worker(forked_server: Any) -> None:
    port, reg, _err = forked_server
    client = UdpClient()
    try:
        callids = [f"cp-{i}-{uuid.uuid4().hex}" for i in range(64)]
        before = [_ask(client, port, ci) for ci in callids]
        assert {(v, n) for v, n, _p in before} == {("1.2.3.4", "5")}
        assert reg.call("cfg.get", "pstn", "n") == 5
        assert reg.call("cfg.sets", "pstn", "gw_ip", "10.0.0.9") == {}
        assert reg.call("cfg.seti", "pstn", "n", 42) == {}
        after = [_ask(client, port, ci) for ci in callids]
    finally:
        client.close()
    assert {(v, n) for v, n, _p in after} == {("10.0.0.9", "42")}
    pids = {p for _v, _n, p in after}
    assert len(pids) == 4, pids  # every worker answered with the new values
    assert reg.call("cfg.get", "pstn") == {"gw_ip": "10.0.0.9", "n": 42}
    assert custom_params.current("pstn.n") == 42
