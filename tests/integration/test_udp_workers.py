"""children > 1: UDP worker processes (SO_REUSEPORT + Call-ID owner hand-off).

One peer's traffic spreads over every worker, the messages of one Call-ID are routed by
one worker in arrival order, SIGTERM stops all of them, a dead worker stops the server
with a log line naming it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.message import parse_message

SCENARIOS = Path(__file__).parent / "scenarios"

CFG = """\
#!KAMAILIO
debug=2
children=3
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
request_route {
    xlog("L_INFO", "pid=$pp ci=$ci cs=$cs\\n");
    sl_send_reply("200", "Alive");
}
"""

_LINE = re.compile(r"^\s*(\d+)\((\d+)\) INFO: <script>: pid=(\d+) ci=(\S+) cs=(\d+)$", re.M)


def _workers(pid: int, n: int = 3) -> list[int]:
    """The worker pids of server `pid`, once all n are forked (bounded wait: the socket
    list is printed before the fork)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + 15
    while True:
        pids = [int(x) for x in path.read_text().split()]
        if len(pids) >= n or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


def _routed(log: str) -> list[tuple[int, int, str, int]]:
    """(process number, pid, Call-ID, CSeq) of every routed request, in log order."""
    return [(int(a), int(b), ci, int(cs)) for a, b, _pp, ci, cs in _LINE.findall(log)]


@pytest.mark.sipp
@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")
def test_one_sipp_peer_spreads_over_all_workers(
    servers: Any, free_port: Any, tmp_path: Path
) -> None:
    srv = servers.siprouter(CFG)
    calls = 300
    proc = subprocess.run(
        ["sipp", "-sf", str(SCENARIOS / "options_uac.xml"), "-i", "127.0.0.1",
         "-p", str(free_port()), "-m", str(calls), "-r", "300", "-l", "50",
         "-timeout", "30", "-timeout_error", "-nostdin", f"127.0.0.1:{srv.port}"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + srv.log()[-2000:]
    workers = _workers(srv.proc.pid)
    assert len(workers) == 3
    srv.stop()
    routed = _routed(srv.log())
    assert len(routed) == calls
    per_pid = defaultdict(int)
    for _n, pid, _ci, _cs in routed:
        per_pid[pid] += 1
    assert set(per_pid) == set(workers), per_pid  # every worker routed a share
    assert {n for n, *_ in routed} == {1, 2, 3}


def test_one_call_id_is_routed_by_one_worker_in_order(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    srv = servers.siprouter(CFG)
    callids = [f"ord-{i}" for i in range(24)]
    sent = 0
    for cs in range(1, 6):  # CSeq 1..5 of every Call-ID, interleaved, back to back
        for ci in callids:
            udp_client.send(srv.port, options_req(udp_client.port, srv.port, ci, cs))
            sent += 1
    answered = 0
    for _ in range(sent):
        data = udp_client.recv()
        assert data is not None, srv.log()[-2000:]
        assert parse_message(data).status == 200
        answered += 1
    assert answered == sent
    srv.stop()
    by_call: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _n, pid, ci, cs in _routed(srv.log()):
        by_call[ci].append((pid, cs))
    assert set(by_call) == set(callids)
    for ci, seen in by_call.items():
        assert len({pid for pid, _ in seen}) == 1, (ci, seen)  # one owner
        assert [cs for _, cs in seen] == [1, 2, 3, 4, 5], (ci, seen)  # arrival order
    assert len({seen[0][0] for seen in by_call.values()}) > 1  # several owners in use


def test_sigterm_stops_every_worker(servers: Any) -> None:
    srv = servers.siprouter(CFG)
    workers = _workers(srv.proc.pid)
    assert len(workers) == 3
    assert srv.stop() == 0
    assert all(not Path(f"/proc/{w}").exists() or _is_zombie_gone(w) for w in workers)
    assert "signal 15 received, shutting down" in srv.log()


def _is_zombie_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_dead_worker_stops_the_server_and_says_which(servers: Any) -> None:
    srv = servers.siprouter(CFG)
    workers = _workers(srv.proc.pid)
    os.kill(workers[1], signal.SIGKILL)
    srv.proc.wait(15)
    assert srv.proc.returncode == 1  # Kamailio 5.6.3 exits 1 too
    assert re.search(
        rf"CRITICAL: <core>: main\(\): worker \d \(pid {workers[1]}\) was killed by signal 9",
        srv.log(),
    ), srv.log()
    assert all(_is_zombie_gone(w) for w in workers)


def test_port_taken_by_another_process_is_a_startup_error(servers: Any, tmp_path: Path) -> None:
    first = servers.siprouter(CFG)
    cfg = tmp_path / "second.cfg"
    cfg.write_text(CFG.replace("@PORT@", str(first.port)))
    proc = subprocess.run(
        [sys.executable, "-m", "siprouter", "-DD", "-E", "-f", str(cfg)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 255  # not a silent share of the first server's traffic
    assert f"cannot bind udp:127.0.0.1:{first.port}: Address already in use" in proc.stderr
    assert first.proc.poll() is None
