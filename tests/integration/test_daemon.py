"""Daemon mode (no -D): the command returns once the server is up, -P/-G files, SIGTERM to
the pid in the pid file stops it; a failed start-up makes the command fail. The same
checks run against the installed kamailio where they apply."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.message import parse_message

from .conftest import HAS_KAMAILIO, free_udp_port, siprouter_cmd, udp_port_bound

CFG = """\
loadmodule "sl"
request_route {
    sl_send_reply("200", "Daemon OK");
}
"""

WAIT = 10.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as gone
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return False


def _wait_gone(pid: int) -> bool:
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


class Daemons:
    """Starts daemons; at teardown kills whatever is left, by process group and pid."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.files: list[tuple[Path, Path]] = []

    def start(
        self, prog: str, port: int, *args: str, cwd: Path | None = None, stderr: Any = None
    ) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
        cfg = self.tmp / "d.cfg"
        cfg.write_text(CFG)
        n = len(self.files)
        pid_file, pgid_file = self.tmp / f"{prog}{n}.pid", self.tmp / f"{prog}{n}.pgid"
        self.files.append((pid_file, pgid_file))
        base = siprouter_cmd() if prog == "siprouter" else ["kamailio"]
        cmd = [*base, "-f", str(cfg), "-P", str(pid_file), "-G", str(pgid_file)]
        cmd += ["-l", f"udp:127.0.0.1:{port}", "-m", "16", "-M", "4", *args]
        proc = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=stderr if stderr is not None else subprocess.PIPE,
            text=True,
            timeout=30,
            cwd=cwd,
        )
        return proc, pid_file, pgid_file

    def kill_all(self) -> None:
        for pid_file, pgid_file in self.files:
            pgid, pid = _read_int(pgid_file), _read_int(pid_file)
            if pgid is not None and pgid > 1:
                with contextlib.suppress(OSError):
                    os.killpg(pgid, signal.SIGTERM)
            if pid is not None and pid > 1:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
                if not _wait_gone(pid):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            if pgid is not None and pgid > 1:
                with contextlib.suppress(OSError):
                    os.killpg(pgid, signal.SIGKILL)


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Daemons]:
    d = Daemons(tmp_path)
    try:
        yield d
    finally:
        d.kill_all()


def _options(port: int) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        me = s.getsockname()[1]
        s.sendto(
            (
                f"OPTIONS sip:probe@127.0.0.1:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-daemon-1;rport\r\n"
                "From: <sip:t@127.0.0.1>;tag=f1\r\nTo: <sip:probe@127.0.0.1>\r\n"
                "Call-ID: daemon-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode(),
            ("127.0.0.1", port),
        )
        s.settimeout(5.0)
        try:
            return s.recv(65535)
        except TimeoutError:
            return None


PROGS = [
    "siprouter",
    pytest.param(
        "kamailio",
        marks=[
            pytest.mark.kamailio,
            pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
        ],
    ),
]


@pytest.mark.parametrize("prog", PROGS)
@pytest.mark.parametrize("children", ["1", "2"])
def test_daemon_returns_serves_and_stops_on_sigterm(
    daemons: Daemons, prog: str, children: str
) -> None:
    port = free_udp_port()
    proc, pid_file, pgid_file = daemons.start(prog, port, "-n", children)
    assert proc.returncode == 0, proc.stderr
    assert f"udp: 127.0.0.1:{port}" in proc.stdout
    pid, pgid = _read_int(pid_file), _read_int(pgid_file)
    assert pid is not None and pgid is not None
    assert _alive(pid)
    # detached: a session of its own, led by the process in the -G file, cwd '/',
    # standard streams on /dev/null
    assert os.getsid(pid) == pgid and os.getpgid(pid) == pgid and os.getsid(0) != pgid
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"
    data = _options(port)
    assert data is not None
    rpl = parse_message(data)
    assert rpl.status == 200 and rpl.reason == b"Daemon OK"
    os.kill(pid, signal.SIGTERM)
    assert _wait_gone(pid)
    assert not pid_file.exists() and not pgid_file.exists()
    assert not udp_port_bound(port)


def test_daemon_failed_startup_exits_nonzero(daemons: Daemons) -> None:
    port = free_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", port))
        for children in ("1", "2"):
            proc, pid_file, _pgid = daemons.start("siprouter", port, "-n", children)
            assert proc.returncode == 255
            assert "Address already in use" in proc.stderr
            assert not pid_file.exists()


def test_daemon_workdir_relative_pid_file_and_stderr_kept_with_E(
    daemons: Daemons, tmp_path: Path
) -> None:
    port = free_udp_port()
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "stderr.log"
    with log.open("w") as fh:
        proc, pid_file, _pgid = daemons.start(
            "siprouter", port, "-E", "-w", str(work), "-P", "rel.pid", cwd=tmp_path, stderr=fh
        )
    assert proc.returncode == 0, log.read_text()
    # the later -P wins; a relative name is the caller's directory, not the -w one
    daemons.files.append((tmp_path / "rel.pid", pid_file))
    pid = _read_int(tmp_path / "rel.pid")
    assert pid is not None and _alive(pid)
    assert os.readlink(f"/proc/{pid}/cwd") == str(work)
    assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"
    assert os.readlink(f"/proc/{pid}/fd/2") == str(log)
    assert _options(port) is not None
    os.kill(pid, signal.SIGTERM)
    assert _wait_gone(pid)
    assert not (tmp_path / "rel.pid").exists()
