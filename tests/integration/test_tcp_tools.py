"""Real SIP tools over TCP against a running siprouter: SIPp with one connection for
all calls (-t t1) and one connection per call (-t tn), and sipsak --transport=tcp."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).parent / "scenarios"

CFG = """\
#!KAMAILIO
debug=1
children=2
listen=127.0.0.1:@PORT@
server_header="Server: Test Proxy 1"
loadmodule "pv"
loadmodule "sl"
request_route {
    if (method == "OPTIONS" && proto == TCP) {
        sl_send_reply("200", "Alive");
        exit;
    }
    sl_send_reply("500", "Not over TCP");
}
"""


@pytest.mark.sipp
@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")
@pytest.mark.parametrize("mode", ["t1", "tn"])
def test_sipp_options_over_tcp(servers: Any, free_port: Any, tmp_path: Path, mode: str) -> None:
    srv = servers.siprouter(CFG)
    calls = 100
    proc = subprocess.run(
        [
            "sipp", "-sf", str(SCENARIOS / "options_uac.xml"), "-t", mode,
            "-i", "127.0.0.1", "-p", str(free_port()),
            "-m", str(calls), "-l", "20", "-r", "200", "-max_socket", "1000",
            "-timeout", "30", "-timeout_error", "-nostdin", "-trace_stat",
            "-stf", str(tmp_path / "stat.csv"),
            f"127.0.0.1:{srv.port}",
        ],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:] + srv.log()[-2000:]
    stats = (tmp_path / "stat.csv").read_text().splitlines()
    row = dict(zip(stats[0].split(";"), stats[-1].split(";"), strict=False))
    assert row["SuccessfulCall(C)"] == str(calls) and row["FailedCall(C)"] == "0"


@pytest.mark.skipif(shutil.which("sipsak") is None, reason="sipsak not installed")
def test_sipsak_options_over_tcp(servers: Any) -> None:
    srv = servers.siprouter(CFG)
    proc = subprocess.run(
        ["sipsak", "--transport=tcp", "-s", f"sip:probe@127.0.0.1:{srv.port}", "-vv"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr + srv.log()
    assert "SIP/2.0 200 Alive" in proc.stdout
    assert re.search(r"^Server: Test Proxy 1\r?$", proc.stdout, re.M)
    assert re.search(r"^Via: SIP/2\.0/TCP ", proc.stdout, re.M)
