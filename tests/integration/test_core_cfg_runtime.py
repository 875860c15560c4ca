"""Core cfg values changed at runtime (cfg.set_now_int core debug / max_while_loops)
take effect in every worker from the next message, as in Kamailio 5.6.3.

siprouter runs forked from the test process (the test process made the shared space
and loaded the config, so both share the cfg store, as a control process of the
server would): the cfg.* commands run here, through the RPC registry. Kamailio runs
the same routes with jsonrpcs + cfg_rpc and is asked through its FIFO. After each
change the same requests go to both servers; the observations compared are the reply
reasons (the value `@cfg_get.core.debug` and `$sel(cfg_get.core.max_while_loops)`
give, and how many rounds a `while` made) and which xlog lines of each request reached
the log (a level hidden before the change written after it).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime import core_cfg
from siprouter.shared import space as space_mod

from .conftest import HAS_KAMAILIO, UdpClient, free_udp_port, options_request, udp_port_bound
from .kamailio_rpc import jsonrpcs_cfg, kamailio_rpc

ROUTES = """\
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
loadmodule "cfg_rpc"
request_route {
    $var(i) = 0;
    while ($var(i) < 1000) { $var(i) = $var(i) + 1; }
    xlog("L_INFO", "info-line $ci\\n");
    xlog("L_DBG", "dbg-line $ci\\n");
    $var(d) = @cfg_get.core.debug;
    sl_send_reply("200", "d=$var(d) i=$var(i) w=$sel(cfg_get.core.max_while_loops) pid=$pp");
}
"""


def _cfg(children: int, extra: str = "", routes: str = ROUTES) -> str:
    return f"#!KAMAILIO\ndebug=1\nchildren={children}\nlisten=udp:127.0.0.1:@PORT@\n{extra}{routes}"


_REASON = re.compile(rb"^SIP/2\.0 200 (d=\S+ i=\S+ w=\S+) pid=(\d+)\r\n")


class Target:
    """A running server: ask it (reply reason and pid), change a cfg value, read its log."""

    def __init__(self, port: int, rpc: Callable[..., Any], log: Callable[[], str]) -> None:
        self.port = port
        self.rpc = rpc
        self.log = log
        self.client = UdpClient()

    def ask(self, callid: str, extra: str = "") -> tuple[str, int]:
        req = options_request(self.client.port, self.port, callid, extra=extra)
        self.client.send(self.port, req)
        reply = self.client.recv()
        assert reply is not None, f"no reply to {callid}: {self.log()[-1500:]}"
        m = _REASON.match(reply)
        assert m, reply[:200]
        return m.group(1).decode(), int(m.group(2))

    def lines(self, callid: str) -> list[str]:
        return re.findall(rf"(info-line|dbg-line) {re.escape(callid)}\b", self.log())


@contextlib.contextmanager
def kamailio_target(servers: Any, tmp: Path, make_cfg: Callable[[str], str]) -> Iterator[Target]:
    """Kamailio running `make_cfg(jsonrpcs lines)`, as a Target answering RPCs over FIFO."""
    fifo = str(tmp / "kam.fifo")
    kam = servers.kamailio(make_cfg(jsonrpcs_cfg(fifo)))
    target = Target(kam.port, lambda *c: kamailio_rpc(fifo, *c), kam.log)
    try:
        yield target
    finally:
        target.client.close()


@contextlib.contextmanager
def forked_siprouter(tmp: Path, text: str) -> Iterator[Target]:
    """siprouter forked from this process (shared space and cfg store made here) with
    the config `text` (@PORT@ replaced by a free port)."""
    space_mod.reset()
    space_mod.space()  # owned by this process: the server's processes inherit it
    core_cfg.reset_values()
    port = free_udp_port()
    cfg = tmp / "core_cfg.cfg"
    cfg.write_text(text.replace("@PORT@", str(port)))
    options = parse_args(["-DD", "-E", "-f", str(cfg)])
    loaded = load_config(options)
    reg = RpcRegistry.from_modules(loaded.modules)
    out, err = tmp / "out", tmp / "err"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the server process
        rc = 1
        try:
            os.setsid()
            with open(out, "w") as fo, open(err, "w") as fe:
                os.dup2(fe.fileno(), 2)
                sys.stderr = fe  # the log goes there (not to pytest's capture)
                from siprouter.runtime.server import serve

                rc = serve(loaded, options, fo, fe)
        finally:
            os._exit(rc)

    def rpc(method: str, *params: Any) -> Any:
        try:
            return reg.call(method, *params)
        except RpcError as e:
            return ("error", e.code, e.message)

    target = Target(port, rpc, lambda: err.read_text(errors="replace"))
    try:
        deadline = time.monotonic() + 20
        while not (out.exists() and "Listening on" in out.read_text()):
            assert time.monotonic() < deadline, err.read_text() if err.exists() else "no start"
            time.sleep(0.05)
        while not udp_port_bound(port):
            assert time.monotonic() < deadline, "port not bound"
            time.sleep(0.05)
        yield target
    finally:
        target.client.close()
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
        core_cfg.reset_values()
        space_mod.reset()


# (RPC call or None, observations wanted after it): a step changes a value, then the
# same request is answered and its log lines read
STEPS: list[tuple[tuple[Any, ...] | None, str]] = [
    (None, "start"),
    (("cfg.set_now_int", "core", "debug", 3), "debug 3: info and debug lines"),
    (("cfg.set_now_int", "core", "max_while_loops", 5), "5 rounds"),
    (("cfg.set_now_int", "core", "max_while_loops", -1), "no round"),
    (("cfg.set_now_int", "core", "max_while_loops", 0), "no limit"),
    (("cfg.sets", "core", "debug", "2"), "info lines only"),
    (("cfg.set_now_int", "core", "max_while_loops", 100), "back to 100"),
    (("cfg.set_now_int", "core", "debug", -1), "errors only"),
]


def _observe(t: Target, tag: str) -> list[tuple[str, str, list[str]]]:
    seen = []
    for call, what in STEPS:
        if call is not None:
            assert t.rpc(*call) == {}, call
        callid = f"{tag}-{what.split(':')[0].replace(' ', '-')}-{uuid.uuid4().hex[:8]}"
        reason, _pid = t.ask(callid)
        seen.append((what, reason, t.lines(callid)))
    return seen


def test_changes_apply_from_the_next_message(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, _cfg(1)) as t:
        seen = _observe(t, "sr")
    assert [(r, lines) for _w, r, lines in seen] == [
        ("d=1 i=100 w=100", []),
        ("d=3 i=100 w=100", ["info-line", "dbg-line"]),
        ("d=3 i=5 w=5", ["info-line", "dbg-line"]),
        ("d=3 i=0 w=-1", ["info-line", "dbg-line"]),
        ("d=3 i=1000 w=0", ["info-line", "dbg-line"]),
        ("d=2 i=1000 w=0", ["info-line"]),
        ("d=2 i=100 w=100", ["info-line"]),
        ("d=-1 i=100 w=100", []),
    ]


def test_every_worker_sees_a_change(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, _cfg(3)) as t:
        callids = [f"w-{i}-{uuid.uuid4().hex}" for i in range(48)]
        before = [t.ask(ci) for ci in callids]
        assert t.rpc("cfg.set_now_int", "core", "max_while_loops", 7) == {}
        assert t.rpc("cfg.set_now_int", "core", "debug", 3) == {}
        after = [t.ask(ci) for ci in callids]
        logged = [t.lines(ci) for ci in callids]
    assert {r for r, _p in before} == {"d=1 i=100 w=100"}
    assert {r for r, _p in after} == {"d=3 i=7 w=7"}
    assert len({p for _r, p in after}) == 3  # every worker answered, with the new values
    assert all(lines == ["info-line", "dbg-line"] for lines in logged)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any, tmp_path: Path) -> None:
    with kamailio_target(servers, tmp_path, lambda rpc: _cfg(1, rpc)) as target:
        theirs = _observe(target, "k")
    with forked_siprouter(tmp_path, _cfg(1)) as t:
        ours = _observe(t, "s")
    assert [(w, r, lines) for w, r, lines in ours] == theirs


KEX_ROUTES = """\
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
loadmodule "kex"
loadmodule "textops"
loadmodule "cfg_rpc"
request_route {
    if (is_present_hf("X-Set")) { setdebug("1"); }
    if (is_present_hf("X-Reset")) { resetdebug(); }
    xlog("L_INFO", "info-line $ci\\n");
    xlog("L_DBG", "dbg-line $ci\\n");
    $var(d) = @cfg_get.core.debug;
    sl_send_reply("200", "d=$var(d) i=0 w=0 pid=$pp");
}
"""

# (change, header of the request): a process level set by setdebug() wins over changes
# of the global level until resetdebug(), which goes back to the current global level
KEX_STEPS: list[tuple[tuple[Any, ...] | None, str]] = [
    (None, ""),
    (("cfg.set_now_int", "core", "debug", 3), ""),
    (None, "X-Set: 1\r\n"),
    (None, ""),
    (("cfg.set_now_int", "core", "debug", 2), ""),
    (None, "X-Reset: 1\r\n"),
    (("cfg.set_now_int", "core", "debug", 3), ""),
]


def _observe_kex(t: Target, tag: str) -> list[tuple[str, list[str]]]:
    seen = []
    for n, (call, header) in enumerate(KEX_STEPS):
        if call is not None:
            assert t.rpc(*call) == {}, call
        callid = f"{tag}-{n}-{uuid.uuid4().hex[:8]}"
        reason, _pid = t.ask(callid, header)
        seen.append((reason.split()[0], t.lines(callid)))
    return seen


def test_setdebug_wins_until_resetdebug(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, _cfg(1, routes=KEX_ROUTES)) as t:
        seen = _observe_kex(t, "x")
    assert seen == [
        ("d=1", []),
        ("d=3", ["info-line", "dbg-line"]),
        ("d=3", []),
        ("d=3", []),
        ("d=2", []),
        ("d=2", ["info-line"]),
        ("d=3", ["info-line", "dbg-line"]),
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_setdebug_as_kamailio(servers: Any, tmp_path: Path) -> None:
    with kamailio_target(servers, tmp_path, lambda rpc: _cfg(1, rpc, KEX_ROUTES)) as target:
        theirs = _observe_kex(target, "k")
    with forked_siprouter(tmp_path, _cfg(1, routes=KEX_ROUTES)) as t:
        assert _observe_kex(t, "s") == theirs
