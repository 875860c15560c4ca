"""-D alone (Kamailio's "do not fork (almost)") against Kamailio 5.6.3: one process
serves the first UDP socket only; the rest is listed but not bound; the warnings."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.message import parse_message

from .conftest import free_udp_port, udp_port_bound

pytestmark = pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")

CFG = """#!KAMAILIO
listen=127.0.0.1:{p1}
listen=udp:127.0.0.1:{p2}
children=4
loadmodule "sl.so"
request_route {{ sl_send_reply("200", "OK"); }}
"""


def _siprouter() -> list[str]:
    exe = Path(sys.executable).parent / "siprouter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]


def _tcp_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _run_nofork(cmd: list[str], cfg: Path, tmp: Path, udp_client: Any, options_req: Any) -> dict:
    out, err = tmp / f"{cmd[0].rsplit('/', 1)[-1]}.out", tmp / f"{cmd[0].rsplit('/', 1)[-1]}.err"
    p1, p2 = (int(x) for x in cfg.read_text().split("@")[1:3])
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([*cmd, "-D", "-E", "-f", str(cfg)], stdout=fo, stderr=fe,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not udp_port_bound(p1):
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.05)
        udp_client.send(p1, options_req(udp_client.port, p1, "nofork-1"))
        reply = udp_client.recv()
        assert reply is not None and parse_message(reply).status == 200
        result = {
            "second_udp_bound": udp_port_bound(p2),
            "tcp_open": _tcp_open(p1),
            "stderr_first": err.read_text().splitlines()[0],
            "log_line": "using only the first listen address (no fork)" in err.read_text(),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    # Kamailio -D flushes its stdout (the socket listing) only at exit
    result["listing"] = [
        line.strip().replace(str(p1), "P1").replace(str(p2), "P2")
        for line in out.read_text().splitlines()
        if line.startswith("             ") and ": 127." in line
    ]
    return result


def test_dash_d_serves_the_first_udp_socket_only_like_kamailio(
    tmp_path: Path, udp_client: Any, options_req: Any
) -> None:
    p1, p2 = free_udp_port(), free_udp_port()
    while p2 == p1:
        p2 = free_udp_port()
    cfg = tmp_path / "nofork.cfg"
    # the ports are written with @ marks in a comment for the runner to find them
    cfg.write_text(f"# @{p1}@{p2}@\n" + CFG.format(p1=p1, p2=p2))
    kam = _run_nofork(
        ["kamailio", "-m", "64", "-M", "8", "-Y", str(tmp_path)], cfg, tmp_path, udp_client,
        options_req,
    )  # fmt: skip
    ours = _run_nofork(_siprouter(), cfg, tmp_path, udp_client, options_req)
    assert ours == kam
    assert ours["second_udp_bound"] is False and ours["tcp_open"] is False
    assert ours["stderr_first"].startswith("WARNING: no fork mode and more than one listen")
    assert ours["listing"] == ["udp: 127.0.0.1:P1", "udp: 127.0.0.1:P2", "tcp: 127.0.0.1:P1"]
