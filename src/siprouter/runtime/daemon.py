"""Daemon mode (Kamailio's default, no -D): detach from the terminal, report start-up.

`daemonize(work_dir)` forks twice with a setsid() between, as Kamailio does:

* the original process (the command the user ran) waits on a pipe for the daemon's
  start-up status and exits with it: 0 once the daemon reports its sockets bound, the
  daemon's status when start-up failed, 255 when the daemon died without a word;
* the first child becomes a session and process group leader and exits after the
  second fork;
* the second child is the daemon (the main process of the server): it changes to the
  -w directory (or '/') and gets a `Daemon` handle to report with.

`Daemon.ready(keep_stderr)` (once the sockets are bound, the pid files written and the
socket list printed) points stdin and stdout at /dev/null, stderr too unless logging
goes to stderr (-E / log_stderror, as Kamailio keeps it), then tells the waiting
process "started". The daemon closes the pipes and terminals it inherited below fd 32
right after the fork (Kamailio closes its inherited descriptors below 32). `Daemon.failed(status)` tells it start-up failed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys

EXIT_NO_STATUS = 255


class Daemon:
    """The daemon's end of the start-up status pipe."""

    def __init__(self, status_fd: int) -> None:
        self._fd: int | None = status_fd

    def _send(self, status: int) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._fd, bytes([status & 0xFF]))
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def ready(self, keep_stderr: bool) -> None:
        """Start-up done: detach the standard streams and release the waiting process."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        null = os.open(os.devnull, os.O_RDWR)
        try:
            targets = (0, 1) if keep_stderr else (0, 1, 2)
            for fd in targets:
                os.dup2(null, fd)
        finally:
            os.close(null)
        self._send(0)

    def failed(self, status: int) -> None:
        """Start-up failed with exit `status` (nothing happens after `ready`)."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        self._send(status if status else EXIT_NO_STATUS)


def _close_inherited_pipes(keep: int) -> None:
    """In the new daemon: close the inherited pipes and terminals among descriptors
    3..31 (Kamailio closes every inherited descriptor below 32 when it daemonizes). A
    daemon holding a copy of its caller's output pipe would keep the caller's reader (a
    shell pipeline, a test runner) waiting for end-of-file as long as it runs. Sockets
    and files are left alone: nothing of the server is open yet, but be conservative."""
    for fd in range(3, 32):
        if fd == keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            with contextlib.suppress(OSError):
                os.close(fd)


def _wait_status(read_fd: int, child: int) -> int:
    """In the original process: the daemon's start-up status."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(child, 0)
    try:
        data = b""
        while True:
            try:
                chunk = os.read(read_fd, 1)
            except InterruptedError:
                continue
            data = chunk
            break
    finally:
        os.close(read_fd)
    return data[0] if data else EXIT_NO_STATUS


def daemonize(work_dir: str | None) -> tuple[int | None, Daemon | None]:
    """Fork into a daemon. In the original process: (exit status, None) once the daemon
    reported; in the daemon: (None, Daemon). The first child never returns."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child:
        os.close(write_fd)
        return _wait_status(read_fd, child), None
    # first child
    code = EXIT_NO_STATUS
    try:
        os.close(read_fd)
        os.setsid()
        if os.fork():
            code = 0
        else:
            _close_inherited_pipes(keep=write_fd)
            os.chdir(work_dir or "/")
            return None, Daemon(write_fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.write(2, f"ERROR: cannot daemonize: {e}\n".encode())
    os._exit(code)
