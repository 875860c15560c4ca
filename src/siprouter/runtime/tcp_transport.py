"""TCP in one process of the server: the engine's messages to the pipeline (or to their
Call-ID owner), and the "tcp" sender of state.send that finds the right connection
whichever worker holds it. The design is docs/process-model.md, section TCP.

`TcpTransport(settings, listeners, pipeline, index=w, n=N, outboxes=...)`:

* a framed message whose Call-ID another worker owns is handed to that worker as a
  `TCP` record (source as the script sees it, listen socket index, connection id); the
  owner runs it through its pipeline and remembers which connection that source came
  on (`peers`), so its replies find the connection;
* `send(local_ip, local_port, dest, data, flags)` (state.SENDERS["tcp"]): a connection
  of this process to dest (its peer, PROXY client or alias address) is written to at
  once; a connection of another worker (known from `peers`) gets a `SEND` record to
  that worker; with none, the outbound owner of dest (crc32(ip:port) % N) connects and
  sends, so one destination gets one connection for the whole server;
* tcp_script_mode 0: a message that fails to parse or whose request_route returns a
  negative value closes its connection (a `CLOSE` record when another worker holds it),
  as Kamailio 5.6.3 does; `RcProbe` wraps the compiled config to see that value
  without changing the pipeline.

Connection ids carry the worker holding the connection: (worker index + 1) << 24 | serial.

`force_tcp_alias(ctx, port=None)` is the core function of that name (add_tcp_alias is
its alias) over the transport installed in this process: requests to the message's
source IP and `port` (default: the top Via's port, else 5060) then use the connection
the message came on. The worker holding the connection adds the alias and tells the
others (`ALIAS` records). engine/core_actions.py does not register it yet.
"""

from __future__ import annotations

import socket
import zlib
from collections.abc import Callable
from typing import Any

from . import state
from .logging import L_WARN, LOG
from .state import LocalSocket
from .tcp_conn import TcpConnection, TcpSettings
from .tcp_engine import TcpEngine
from .tcp_records import ALIAS, ANY_SOCKET, CLOSE, SEND, TCP, Record, pack

Addr = tuple[str, int]
ID_SHIFT = 24
PEERS_MAX = 100_000  # remembered sources of other workers' connections

ACTIVE: TcpTransport | None = None  # the transport of this process (install())


def worker_of(conn_id: int) -> int:
    """The index of the worker holding connection `conn_id`."""
    return (conn_id >> ID_SHIFT) - 1


def outbound_owner(dest: Addr, n: int) -> int:
    """The worker that opens the connection to `dest` when none is open."""
    return zlib.crc32(f"{dest[0]}:{dest[1]}".encode()) % n


class RcProbe:
    """A compiled config that records the return value of request_route."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled
        self.request_rc = 1

    def run(self, kind: str, name: str, ctx: Any) -> Any:
        rc = self._compiled.run(kind, name, ctx)
        if kind == "request" and not name:
            self.request_rc = rc
        return rc

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._compiled, attr)


class TcpTransport:
    """The TCP side of one process (see the module docstring)."""

    def __init__(
        self,
        settings: TcpSettings,
        listeners: list[LocalSocket],
        pipeline: Any,
        *,
        locals_: list[LocalSocket] | None = None,
        index: int = 0,
        n: int = 1,
        outboxes: list[socket.socket] | None = None,
        owner_of: Callable[[bytes, int], int | None] | None = None,
        probe: RcProbe | None = None,
        counts: Any = None,
    ) -> None:
        self.locals = locals_ if locals_ is not None else listeners
        self.engine = TcpEngine(
            settings,
            listeners,
            self._on_message,
            id_base=(index + 1) << ID_SHIFT,
            counts=counts,
            slot=index,
        )
        self.engine.locals = list(self.locals)
        self.engine.on_alias = self._on_alias
        self.settings = settings
        self.pipeline = pipeline
        self.probe = probe
        self.index = index
        self.n = n
        self.outboxes = outboxes or []
        self.owner_of = owner_of
        self.peers: dict[Addr, int] = {}
        self.local_index = {(ls.ip, ls.port): i for i, ls in enumerate(self.locals)}
        self.handoff_dropped = 0

    def install(self) -> None:
        """Make this the "tcp" sender of state.send in this process."""
        global ACTIVE
        state.SENDERS["tcp"] = self.send
        ACTIVE = self

    def alias(self, src: Addr, addr: Addr) -> bool:
        """Let sends to `addr` use the connection messages from `src` came on; False
        when no such connection is known here."""
        conn = self.engine.find(src)
        if conn is not None:
            self.engine.add_alias(conn, addr)
            return True
        conn_id = self.peers.get(src, 0)
        w = worker_of(conn_id) if conn_id else -1
        if not 0 <= w < self.n or w == self.index:
            return False
        self._remember(addr, conn_id)
        return self._handoff(w, pack(ALIAS, addr, conn_id=conn_id))

    # ---- receiving ------------------------------------------------------------------

    def _on_message(self, data: bytes, src: Addr, ls: LocalSocket, conn: TcpConnection) -> None:
        if self.n > 1 and self.owner_of is not None:
            owner = self.owner_of(data, self.n)
            if owner is not None and owner != self.index:
                idx = self.local_index.get((ls.ip, ls.port), 0)
                self._handoff(owner, pack(TCP, src, data, index=idx, conn_id=conn.id))
                return
        self.process(data, src, ls, conn.id)

    def process(self, data: bytes, src: Addr, ls: LocalSocket, conn_id: int) -> None:
        """Run one message through the pipeline; tcp_script_mode decides whether an
        error closes its connection."""
        pipeline = self.pipeline
        bad = pipeline.dropped_bad
        probe = self.probe
        if probe is not None:
            probe.request_rc = 1
        pipeline.receive(data, src, ls)
        if self.settings.script_mode:
            return
        failed = pipeline.dropped_bad != bad or (probe is not None and probe.request_rc < 0)
        if failed:
            self.close_connection(conn_id)

    def close_connection(self, conn_id: int) -> None:
        conn = self.engine.by_id.get(conn_id)
        if conn is not None:
            self.engine.close(conn, "message processing failed (tcp_script_mode 0)")
            return
        w = worker_of(conn_id)
        if w != self.index and 0 <= w < self.n:
            self._handoff(w, pack(CLOSE, ("0.0.0.0", 0), conn_id=conn_id))

    def on_record(self, rec: Record) -> None:
        """A TCP, SEND, CLOSE or ALIAS record from another worker's hand-off."""
        if rec.kind == TCP:
            ls = self.locals[rec.index] if rec.index < len(self.locals) else self.locals[0]
            self._remember(rec.addr, rec.conn_id)
            self.process(rec.payload, rec.addr, ls, rec.conn_id)
        elif rec.kind == SEND:
            local = None
            if rec.index != ANY_SOCKET and rec.index < len(self.locals):
                ls = self.locals[rec.index]
                local = (ls.ip, ls.port)
            self.engine.send(
                rec.addr,
                rec.payload,
                conn_id=rec.conn_id,
                local=local,
                no_connect=bool(rec.flags & state.SEND_NO_CONNECT),
                close=bool(rec.flags & state.SEND_CLOSE),
            )
        elif rec.kind == CLOSE:
            conn = self.engine.by_id.get(rec.conn_id)
            if conn is not None:
                self.engine.close(conn, "message processing failed (tcp_script_mode 0)")
        elif rec.kind == ALIAS:
            conn = self.engine.by_id.get(rec.conn_id)
            if conn is not None:  # ours: add it, and tell the other workers
                self.engine.add_alias(conn, rec.addr)
            else:
                self._remember(rec.addr, rec.conn_id)

    def _remember(self, addr: Addr, conn_id: int) -> None:
        peers = self.peers
        if len(peers) >= PEERS_MAX and addr not in peers:
            peers.clear()
        peers[addr] = conn_id

    def _on_alias(self, addr: Addr, conn: TcpConnection) -> None:
        if self.n < 2:
            return
        rec = pack(ALIAS, addr, conn_id=conn.id)
        for w in range(self.n):
            if w != self.index:
                self._handoff(w, rec)

    # ---- sending --------------------------------------------------------------------

    def send(self, local_ip: str, local_port: int, dest: Addr, data: bytes, flags: int = 0) -> bool:
        """state.SENDERS["tcp"]: send `data` to dest over TCP (see the module docstring)."""
        no_connect = bool(flags & state.SEND_NO_CONNECT)
        close = bool(flags & state.SEND_CLOSE)
        engine = self.engine
        local = (local_ip, local_port)
        conn = engine.find(dest)
        if conn is not None or self.n == 1:
            return engine.send(dest, data, local=local, no_connect=no_connect, close=close)
        conn_id = self.peers.get(dest, 0)
        target = worker_of(conn_id) if conn_id else outbound_owner(dest, self.n)
        if target == self.index or not 0 <= target < self.n:
            return engine.send(dest, data, local=local, no_connect=no_connect, close=close)
        idx = self.local_index.get(local, ANY_SOCKET)
        try:
            rec = pack(SEND, dest, data, index=idx, flags=flags, conn_id=conn_id)
        except OSError:
            return False
        return self._handoff(target, rec)

    def _handoff(self, w: int, rec: bytes) -> bool:
        try:
            self.outboxes[w].send(rec)
        except OSError as e:  # a full inbox or a worker gone
            self.handoff_dropped += 1
            if LOG.enabled(L_WARN):
                LOG.core(L_WARN, f"tcp: hand-off to worker {w + 1} failed ({e}), dropped")
            return False
        return True


def force_tcp_alias(ctx: Any, port: int | None = None) -> int:
    """Core force_tcp_alias([port]) / add_tcp_alias: see the module docstring.
    1 when the alias was added, -1 when the message did not come over TCP."""
    rcv = ctx.rcv
    transport = ACTIVE
    if rcv.proto != "tcp" or transport is None:
        return -1
    if port is None:
        via = ctx.msg.via1
        port = via.port if via is not None and via.port else 5060
    ok = transport.alias((rcv.src_ip, rcv.src_port), (rcv.src_ip, int(port)))
    return 1 if ok else -1
