"""The per-server shared directory and its SQLite database.

`space()` returns this server's `SharedSpace`, creating it on first use: a directory
under /dev/shm (or the system temporary directory) removed when the process that created
it exits. `db()` returns this process's connection to the shared database, opened on
first use in each process: a connection inherited over fork() is never used (nor
closed) by the child, as SQLite requires. `before_fork()` closes the main process's
connection so no open connection crosses a fork.

`configure(base_dir)` (the runtime, from -Y) puts the space directory under the runtime
directory when that exists and is writable (else /dev/shm or the temporary directory).
`give_to(uid, gid)` hands the space (directory and files) to the ids the server drops
to (-u/-g), so workers running as that user can still write the database.

The database runs in WAL mode with synchronous=OFF (the state lives as long as the
server: durability across a crash is not wanted) and a busy timeout, so concurrent
writers from several workers wait for each other instead of failing. `transaction()`
takes the write lock first (BEGIN IMMEDIATE) for read-modify-write sequences.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator

BUSY_TIMEOUT_MS = 10_000


class SharedSpace:
    """A directory and a SQLite database shared by the processes of one server."""

    def __init__(self, directory: str | None = None) -> None:
        base = _base_dir()
        if directory is None:
            remove_stale(base)
        self.path = directory or tempfile.mkdtemp(prefix=f"siprouter-{os.getpid()}-", dir=base)
        self.owner_pid = os.getpid()
        self.db_path = os.path.join(self.path, "state.db")
        self._conn: sqlite3.Connection | None = None
        self._conn_pid = 0
        self._inherited: list[sqlite3.Connection] = []  # kept open, never used (fork)
        self._schemas: set[str] = set()
        atexit.register(self.remove)

    def db(self) -> sqlite3.Connection:
        """This process's connection (autocommit mode; see transaction())."""
        conn = self._conn
        if conn is not None and self._conn_pid == os.getpid():
            return conn
        if conn is not None:
            self._inherited.append(conn)
        conn = sqlite3.connect(
            self.db_path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._conn, self._conn_pid = conn, os.getpid()
        self._schemas.clear()
        return conn

    def ensure_schema(self, key: str, ddl: str) -> sqlite3.Connection:
        """This process's connection, with `ddl` (CREATE ... IF NOT EXISTS statements)
        run once per process under the name `key`."""
        conn = self.db()
        if key not in self._schemas:
            conn.executescript(ddl)
            self._schemas.add(key)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: other processes' writes wait until it ends."""
        conn = self.db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def before_fork(self) -> None:
        """Close this process's connection (the main process, before forking workers)."""
        if self._conn is not None and self._conn_pid == os.getpid():
            self._conn.close()
        self._conn = None

    def remove(self) -> None:
        """Delete the directory (only the creating process does)."""
        if os.getpid() != self.owner_pid:
            return
        if self._conn is not None and self._conn_pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        shutil.rmtree(self.path, ignore_errors=True)


def _base_dir() -> str:
    """Where new spaces go: the -Y runtime directory when usable, else /dev/shm, else
    the system temporary directory."""
    for cand in (_RUNTIME_DIR, "/dev/shm"):
        if cand and os.path.isdir(cand) and os.access(cand, os.W_OK | os.X_OK):
            return cand
    return tempfile.gettempdir()


def remove_stale(base: str) -> None:
    """Remove the spaces of servers that are gone (killed before they could clean up):
    a space directory is named siprouter-<pid of its creator>-<random>."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        parts = name.split("-", 2)
        if len(parts) != 3 or parts[0] != "siprouter" or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
        except OSError:
            continue  # alive (another user's process)


_SPACE: SharedSpace | None = None
_RUNTIME_DIR: str | None = None


def configure(runtime_dir: str | None) -> None:
    """Set the runtime directory (-Y) new spaces are created in (None: the default)."""
    global _RUNTIME_DIR
    _RUNTIME_DIR = os.path.abspath(runtime_dir) if runtime_dir else None


def give_to(uid: int, gid: int) -> None:
    """chown the current space (if any) and its files to uid/gid (-1: unchanged)."""
    if _SPACE is None:
        return
    for root, _dirs, files in os.walk(_SPACE.path):
        for name in [root, *(os.path.join(root, f) for f in files)]:
            with contextlib.suppress(OSError):
                os.chown(name, uid, gid)


def space() -> SharedSpace:
    """This server's shared space (created on first use)."""
    global _SPACE
    if _SPACE is None:
        _SPACE = SharedSpace()
    return _SPACE


def before_fork() -> None:
    """Called by the runtime in the main process before it forks workers."""
    if _SPACE is not None:
        _SPACE.before_fork()


def remove_if_owner() -> None:
    """Remove the space if this process created it (server shutdown, also in a daemon
    that ends with os._exit, where atexit does not run)."""
    if _SPACE is not None and _SPACE.owner_pid == os.getpid():
        _SPACE.remove()


def reset() -> None:
    """Drop the current space (tests that start several servers in one process)."""
    global _SPACE
    if _SPACE is not None:
        _SPACE.remove()
    _SPACE = None
