"""Shared helpers of the integration tests: running servers (siprouter, kamailio) on free
loopback ports, and a small UDP SIP client.

`servers` is a factory fixture: `servers.siprouter(cfg_text)` / `servers.kamailio(cfg_text)`
write the cfg (with `@PORT@` replaced by a free loopback UDP port), start the server in
the foreground with logs on stderr, wait (bounded) until it prints its socket list, and
return a `Running` with `.port`, `.proc`, `.log()`. Every process started is terminated
at teardown, killed if it does not exit, whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

HAS_KAMAILIO = shutil.which("kamailio") is not None
HAS_SIPP = shutil.which("sipp") is not None
HAS_SIPSAK = shutil.which("sipsak") is not None


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def udp_port_bound(port: int) -> bool:
    """Whether some UDP socket of this network namespace is bound to `port`."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local = line.split()[1]
            if int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def siprouter_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "siprouter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]


@dataclass
class Running:
    """A started server: its process, port, and the files its output goes to."""

    proc: subprocess.Popen[bytes]
    port: int
    out_path: Path
    err_path: Path

    def log(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig`, wait (bounded) for the exit; kill when it does not come. Then kill
        whatever is left of its process group (its session: a worker the main process
        did not take down must not outlive the test, holding its ports)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return int(self.proc.returncode)


@dataclass
class Servers:
    tmp: Path
    started: list[Running] = field(default_factory=list)

    def _start(self, name: str, cmd: list[str], cfg_text: str, port: int | None) -> Running:
        port = port or free_udp_port()
        n = len(self.started)
        cfg = self.tmp / f"{name}{n}.cfg"
        cfg.write_text(cfg_text.replace("@PORT@", str(port)))
        out = self.tmp / f"{name}{n}.out"
        err = self.tmp / f"{name}{n}.err"
        with open(out, "wb") as fo, open(err, "wb") as fe:
            proc = subprocess.Popen(
                [*cmd, "-f", str(cfg)],
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        running = Running(proc, port, out, err)
        self.started.append(running)
        deadline = time.monotonic() + START_TIMEOUT
        while "Listening on" not in running.stdout():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited {proc.returncode}: {running.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start: {running.log()}")
            time.sleep(0.05)
        # Kamailio prints its socket list before it binds: wait for the port to be bound
        while not udp_port_bound(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name}: port {port} not bound: {running.log()}")
            time.sleep(0.05)
        return running

    def siprouter(self, cfg_text: str, *args: str, port: int | None = None) -> Running:
        return self._start("siprouter", [*siprouter_cmd(), "-DD", "-E", *args], cfg_text, port)

    def kamailio(self, cfg_text: str, *args: str, port: int | None = None) -> Running:
        rundir = self.tmp / f"kamrun{len(self.started)}"
        rundir.mkdir()
        cmd = ["kamailio", "-DD", "-E", "-m", "64", "-M", "8", "-Y", str(rundir), *args]
        return self._start("kamailio", cmd, cfg_text, port)

    def stop_all(self) -> None:
        for r in self.started:
            try:
                r.stop()
            finally:
                if r.proc.poll() is None:  # pragma: no cover - last resort
                    os.killpg(r.proc.pid, signal.SIGKILL)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    s = Servers(tmp_path)
    try:
        yield s
    finally:
        s.stop_all()


class UdpClient:
    """A UDP socket on 127.0.0.1 sending SIP requests and reading replies (bounded)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def send(self, port: int, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", port))

    def recv(self, timeout: float = 5.0) -> bytes | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65535)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def udp_client() -> Iterator[UdpClient]:
    c = UdpClient()
    try:
        yield c
    finally:
        c.close()


def options_request(
    client_port: int, server_port: int, callid: str = "cid-1", cseq: int = 1, extra: str = ""
) -> bytes:
    """An OPTIONS request from 127.0.0.1:client_port to the server, with rport."""
    return (
        f"OPTIONS sip:probe@127.0.0.1:{server_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-{callid}-{cseq};rport\r\n"
        f"From: <sip:tester@127.0.0.1>;tag=ft-{callid}\r\n"
        f"To: <sip:probe@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\n"
        f"CSeq: {cseq} OPTIONS\r\n"
        f"Max-Forwards: 70\r\n"
        f"{extra}"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture
def options_req() -> Any:
    """The `options_request` builder (test modules cannot import conftest by name)."""
    return options_request


@pytest.fixture
def free_port() -> Any:
    """The `free_udp_port` function."""
    return free_udp_port


@pytest.fixture
def udp_peer() -> Iterator[UdpClient]:
    """A second loopback UDP socket (e.g. the UAS behind a forwarding server)."""
    c = UdpClient()
    try:
        yield c
    finally:
        c.close()
