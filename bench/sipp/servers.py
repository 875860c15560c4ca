"""Starting and stopping the servers under test, bounded in time.

Both run in the foreground (`-DD -E`) with the same children count and the same listen
address on the command line; the cfg has no listen line of its own. A start waits (at most
`START_TIMEOUT`) for the socket list on stdout and for the UDP port to be bound; a stop
sends SIGTERM to the main process and kills the whole process group if it has not exited
within `STOP_TIMEOUT`.
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAMAILIO = "/usr/sbin/kamailio"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def udp_port_bound(port: int) -> bool:
    """Whether a UDP socket of this network namespace is bound to `port`."""
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


UDP_TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))


def udp_drops(port: int, tables: tuple[Path, ...] = UDP_TABLES) -> int:
    """Datagrams dropped so far (receive buffer full) by the UDP sockets bound to `port`:
    the last column of /proc/net/udp, added up over the sockets (SO_REUSEPORT: several)."""
    total = 0
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                total += int(fields[-1])
    return total


def udp_rcvbuf_errors(snmp: Path = Path("/proc/net/snmp")) -> int:
    """RcvbufErrors of this network namespace: datagrams dropped on full receive buffers by
    any UDP socket (the server's, SIPp's, anyone's)."""
    try:
        lines = snmp.read_text().splitlines()
    except OSError:
        return 0
    rows = [ln.split()[1:] for ln in lines if ln.startswith("Udp:")]
    if len(rows) < 2:
        return 0
    return int(dict(zip(rows[0], rows[1], strict=False)).get("RcvbufErrors", 0))


def siprouter_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "siprouter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]


def kamailio_cmd() -> list[str] | None:
    exe = KAMAILIO if os.access(KAMAILIO, os.X_OK) else shutil.which("kamailio")
    return [exe] if exe else None


def server_cmd(
    kind: str, cfg: Path, port: int, children: int, extra: Sequence[str] = ()
) -> list[str]:
    """The command line of `kind` ("siprouter" or "kamailio") serving `cfg` on `port`;
    `extra` options (the same for both, e.g. `-b 4194304`) go before `-f`."""
    base = siprouter_cmd() if kind == "siprouter" else kamailio_cmd()
    if base is None:
        raise RuntimeError(f"{kind} is not installed")
    return [
        *base, "-DD", "-E", "-n", str(children), "-l", f"udp:127.0.0.1:{port}", *extra,
        "-f", str(cfg),
    ]  # fmt: skip


@dataclass
class Server:
    """A running server: kind, port, its process and where its output goes."""

    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 1500) -> str:
        text = self.err.read_text(errors="replace") if self.err.exists() else ""
        return text[-chars:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM, wait (bounded), then SIGKILL the process group; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        # workers left behind by a main process that died: end them by the group id
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return int(self.proc.returncode)


def start(
    kind: str, cfg_text: str, workdir: Path, children: int, extra: Sequence[str] = ()
) -> Server:
    """Write the cfg, start `kind` on a free port and wait until it serves."""
    port = free_udp_port()
    cfg = workdir / f"{kind}.cfg"
    cfg.write_text(cfg_text)
    out, err = workdir / f"{kind}.out", workdir / f"{kind}.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            server_cmd(kind, cfg, port, children, extra),
            stdout=fo,
            stderr=fe,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=workdir,
        )
    server = Server(kind, port, proc, out, err)
    deadline = time.monotonic() + START_TIMEOUT
    while "Listening on" not in out.read_text(errors="replace") or not udp_port_bound(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{kind} did not start on port {port}: {server.log_tail()}")
        time.sleep(0.05)
    return server
