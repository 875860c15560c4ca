"""Core parameters a running server applies (issue 4/5: none accepted and ignored):
resource limits (open_files_limit, disable_core_dump) read from /proc/<pid>/limits,
socket options read from the server's own UDP socket (pidfd_getfd), the exit_timeout
shutdown grace, the cfg rundir, enable_tls without a tls module, and ipv6_hex_style
refused at start-up. Compared with kamailio 5.6.3 where it applies."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import START_TIMEOUT, siprouter_cmd, udp_port_bound

kamailio = pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
NOFILE, CORE = resource.RLIMIT_NOFILE, resource.RLIMIT_CORE
BASE = "listen=udp:127.0.0.1:@PORT@\n{extra}\nrequest_route {{ drop; }}\n"


class Proc:
    """A server started with its own resource limits (preexec), stopped at teardown."""

    def __init__(self, tmp: Path, name: str, cmd: list[str], text: str, port: int) -> None:
        self.tmp, self.name, self.cmd, self.text, self.port = tmp, name, cmd, text, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, limits: dict[int, tuple[int, int]], wait: bool = True) -> Proc:
        cfg = self.tmp / f"{self.name}.cfg"
        cfg.write_text(self.text.replace("@PORT@", str(self.port)))
        self.out, self.err = self.tmp / f"{self.name}.out", self.tmp / f"{self.name}.err"

        def preexec() -> None:
            for which, value in limits.items():
                resource.setrlimit(which, value)

        with open(self.out, "wb") as fo, open(self.err, "wb") as fe:
            self.proc = subprocess.Popen(
                [*self.cmd, "-f", str(cfg)],
                stdout=fo,
                stderr=fe,
                stdin=subprocess.DEVNULL,
                preexec_fn=preexec,
                start_new_session=True,
            )
        if wait:
            deadline = time.monotonic() + START_TIMEOUT
            while not udp_port_bound(self.port):
                assert self.proc.poll() is None, f"{self.name} exited: {self.log()}"
                assert time.monotonic() < deadline, f"{self.name} did not start: {self.log()}"
                time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def wait(self) -> int:
        assert self.proc is not None
        return self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def start(tmp_path: Path, free_port: Any) -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []

    def make(name: str, extra: str, *args: str, rundir: bool = True) -> Proc:
        if name == "kamailio":
            run = tmp_path / f"kamrun{len(started)}"
            run.mkdir()
            y = ["-Y", str(run)] if rundir else []  # -Y wins over a cfg rundir
            cmd = ["kamailio", "-DD", "-E", "-m", "64", "-M", "8", *y, *args]
        else:
            cmd = [*siprouter_cmd(), "-DD", "-E", *args]
        p = Proc(tmp_path, f"{name}{len(started)}", cmd, BASE.format(extra=extra), free_port())
        started.append(p)
        return p

    yield make
    for p in started:
        p.stop()


def _limits(pid: int) -> dict[str, tuple[str, str]]:
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        m = re.match(r"(.+?)\s{2,}(\S+)\s+(\S+)", line)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(k) for k in kids]


def _workers(pid: int, n: int) -> list[int]:
    """The n worker pids of a server (waits, bounded, for the forks after the bind)."""
    deadline = time.monotonic() + START_TIMEOUT
    while len(kids := _children(pid)) < n:
        assert time.monotonic() < deadline, f"{pid} has workers {kids}, expected {n}"
        time.sleep(0.05)
    return kids


def _hard(which: int) -> int:
    return resource.getrlimit(which)[1]


def test_open_files_limit_is_raised_for_every_process(start: Callable[..., Proc]) -> None:
    hard = _hard(NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("hard open files limit too low")
    srv = start("siprouter", "children=2\nopen_files_limit=1200").start({NOFILE: (600, hard)})
    assert srv.proc is not None
    for pid in [srv.proc.pid, *_workers(srv.proc.pid, 2)]:
        assert _limits(pid)["Max open files"][0] == "1200"


def test_open_files_limit_below_the_current_one_changes_nothing(
    start: Callable[..., Proc],
) -> None:
    srv = start("siprouter", "open_files_limit=100").start({NOFILE: (700, _hard(NOFILE))})
    assert srv.proc is not None
    assert _limits(srv.proc.pid)["Max open files"][0] == "700"


@kamailio
def test_open_files_limit_above_what_is_allowed(start: Callable[..., Proc]) -> None:
    """Lower the hard limit to 2000, ask for 3000: without the privilege to raise a hard
    limit both servers stop with Kamailio's lines; with it, both raise it."""
    results = {}
    for name in ("siprouter", "kamailio"):
        srv = start(name, "children=1\nopen_files_limit=3000")
        srv.start({NOFILE: (1000, 2000)}, wait=False)
        deadline = time.monotonic() + START_TIMEOUT
        assert srv.proc is not None
        while srv.proc.poll() is None and not udp_port_bound(srv.port):
            assert time.monotonic() < deadline, srv.log()
            time.sleep(0.05)
        if srv.proc.poll() is None:
            results[name] = ("started", _limits(srv.proc.pid)["Max open files"])
        else:
            log = srv.log()
            assert "cannot increase the open file limit to 3000/3000" in log, log
            assert "ERROR: error could not increase file limits" in log, log
            results[name] = ("refused", srv.proc.returncode)
        srv.stop()
    assert results["siprouter"] == results["kamailio"]
    assert results["siprouter"] in (("started", ("3000", "3000")), ("refused", 255))


@pytest.mark.parametrize(("extra", "expected"), [("disable_core_dump=yes", ("0", "0")),
                                                  ("", None)])  # fmt: skip
def test_core_dump_limit(start: Callable[..., Proc], extra: str, expected: Any) -> None:
    hard = _hard(CORE)
    srv = start("siprouter", f"children=2\n{extra}").start({CORE: (0, hard)})
    assert srv.proc is not None
    if expected is None:  # by default raised to unlimited, else to the hard limit
        shown = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        got = _limits(srv.proc.pid)["Max core file size"]
        assert got[0] in ("unlimited", shown) and got[0] == got[1]
        expected = got
    for pid in [srv.proc.pid, *_workers(srv.proc.pid, 2)]:
        assert _limits(pid)["Max core file size"] == expected


# ---- socket options of the running server's UDP socket -------------------------------

_SYS_PIDFD_GETFD = 438


def _socket_of(pid: int, port: int) -> socket.socket:
    """A duplicate of the server's UDP socket bound to `port` (pidfd_getfd, Linux 5.6+)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        for entry in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{entry}").startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(entry), 0)
            if fd < 0:
                pytest.skip(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
            sock = socket.socket(fileno=fd)
            if sock.type == socket.SOCK_DGRAM and sock.getsockname()[1:2] == (port,):
                return sock
            sock.close()
    finally:
        os.close(pidfd)
    raise AssertionError(f"no UDP socket on port {port} in {pid}")


def test_udp_socket_options_of_a_running_server(start: Callable[..., Proc]) -> None:
    extra = "children=1\nmcast_ttl=7\nmcast_loopback=yes\npmtu_discovery=1\ntos=IPTOS_THROUGHPUT"
    srv = start("siprouter", extra).start({})
    assert srv.proc is not None
    with _socket_of(srv.proc.pid, srv.port) as s:
        assert s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL) == 7
        assert s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 1
        assert s.getsockopt(socket.IPPROTO_IP, 10) == 2  # IP_MTU_DISCOVER: IP_PMTUDISC_DO
        assert s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS) == 0x08


# ---- shutdown, rundir, TLS, ipv6_hex_style -------------------------------------------


def test_exit_timeout_kills_a_worker_that_does_not_stop(start: Callable[..., Proc]) -> None:
    srv = start("siprouter", "children=2\nexit_timeout=1").start({})
    assert srv.proc is not None
    worker = _workers(srv.proc.pid, 2)[0]
    os.kill(worker, signal.SIGSTOP)  # it cannot act on the SIGTERM of the shutdown
    deadline = time.monotonic() + START_TIMEOUT
    while Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the worker did not stop"
        time.sleep(0.02)  # stopped now: the SIGTERM waits (both pending, SIGTERM goes first)
    srv.proc.terminate()
    assert srv.wait() == 0
    log = srv.log()
    assert "CRITICAL: <core>: shutdown timeout triggered, dying..." in log, log
    assert f"(pid {worker}) was killed by signal 9" in log, log


@kamailio
def test_cfg_rundir_is_created_like_kamailio(start: Callable[..., Proc], tmp_path: Path) -> None:
    for name in ("siprouter", "kamailio"):
        run = tmp_path / f"{name}-run"
        srv = start(name, f'children=1\nrundir="{run}"', rundir=False).start({})
        assert run.is_dir() and (run.stat().st_mode & 0o777) == 0o700, name
        srv.stop()


@kamailio
def test_enable_tls_without_a_tls_module_warns_like_kamailio(
    start: Callable[..., Proc],
) -> None:
    for name in ("siprouter", "kamailio"):
        srv = start(name, "children=1\nenable_tls=yes").start({})
        deadline = time.monotonic() + START_TIMEOUT
        while "disabling tls..." not in srv.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = srv.log()
        assert re.search(r"WARNING: <core>.* main\(\): tls support enabled, but no tls engine", log)
        assert "main(): disabling tls..." in log, (name, log)
        srv.stop()
        # without TCP there is no TLS to disable: no warning (read once it has stopped)
        quiet = start(name, "children=1\nenable_tls=yes\ndisable_tcp=yes").start({})
        quiet.stop()
        assert "tls" not in quiet.log(), (name, quiet.log())


def test_ipv6_hex_style_is_refused_at_start_up_only(tmp_path: Path) -> None:
    cfg = tmp_path / "h.cfg"
    cfg.write_text(BASE.format(extra='ipv6_hex_style="A"').replace("@PORT@", "5098"))
    check = subprocess.run(
        [*siprouter_cmd(), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stderr  # as kamailio -c
    run = subprocess.run(
        [*siprouter_cmd(), "-DD", "-E", "-f", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 255
    assert f"ERROR: {cfg}:2:16: ipv6_hex_style is not supported yet (" in run.stderr
