"""The TCP I/O of one process: listen sockets, accepted and outbound connections,
non-blocking reads and writes, the connection limits and timers.

`TcpEngine` is driven by the process's epoll loop (runtime/udp.UdpLoop): `attach(ep)`
registers the listen sockets, `on_event(fd, events)` handles what epoll reports for
the fds it owns (`handles(fd)`), `tick(now)` closes idle connections
(tcp_connection_lifetime) and those whose connect or blocked write took too long
(tcp_connect_timeout, tcp_send_timeout); `timeout()` says how long the loop may sleep.

Every socket is non-blocking and has its own receive buffer (the framer) and write
queue, so a slow or hostile peer only fills its own buffers: a partial message waits
in its framer, a peer that does not read gets its queue filled up to tcp_conn_wq_max,
then the send fails and, after tcp_send_timeout, the connection is closed.

Received messages go to `deliver(data, src, local_socket, conn)`; CRLF CRLF pings are
answered with CRLF when tcp_crlf_ping is on; a framing error (no Content-Length, a
message over tcp_rd_buf_size, a bad PROXY header) closes that connection only.

`send(dest, data, ...)` writes on the connection with id `conn_id` when it is open, else
on a connection to `dest` (its peer address, the PROXY client address, or an alias),
else connects (unless `no_connect` or tcp_no_connect); `close=True` closes the
connection once the data is written (set_forward_close / set_reply_close).
"""

from __future__ import annotations

import contextlib
import errno
import re
import select
import socket
import time
from collections.abc import Callable
from typing import Any

from . import core_cfg, dst_blocklist, sockopts
from .dst_blocklist import BLST_ERR_CONNECT, BLST_ERR_SEND
from .logging import L_DBG, L_ERR, L_INFO, L_WARN, LOG
from .state import LocalSocket
from .tcp_conn import (
    CONNECTING,
    OPEN,
    PROXY_WAIT,
    AcceptLedger,
    TcpConnection,
    TcpSettings,
    apply_keepalive,
)
from .tcp_framing import PING, FramingError, StreamFramer
from .tcp_proxy import ProxyError, parse_proxy_header

Addr = tuple[str, int]
Deliver = Callable[[bytes, Addr, LocalSocket, TcpConnection], None]

RECV_SIZE = 65536
READS_PER_EVENT = 4  # then let the other connections have their turn
TICK = 0.25  # seconds between timer checks while connections are open
_IN = select.EPOLLIN | select.EPOLLRDHUP
_VIA_ALIAS = re.compile(
    rb"\n(?:via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+"
    rb"(\[[^\]]*\]|[^:;, \t\r\n]+)(?::(\d+))?([^,\r\n]*)",
    re.IGNORECASE,
)
_ALIAS_PARAM = re.compile(rb";[ \t]*alias(?:[ \t]*[;=,]|[ \t]*$)", re.IGNORECASE)


def via_alias_port(data: bytes) -> int | None:
    """The sent-by port of the top Via when it carries the `alias` parameter (5060
    when it names no port), else None."""
    end = data.find(b"\r\n\r\n")
    m = _VIA_ALIAS.search(data, 0, end if end >= 0 else len(data))
    if m is None or not _ALIAS_PARAM.search(m.group(3)):
        return None
    return int(m.group(2)) if m.group(2) else 5060


class TcpEngine:
    """The TCP connections of one process (see the module docstring)."""

    def __init__(
        self,
        settings: TcpSettings,
        listeners: list[LocalSocket],
        deliver: Deliver,
        *,
        id_base: int = 0,
        max_connections: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        counts: Any = None,
        slot: int = 0,
    ) -> None:
        self.settings = settings
        self.listeners = {ls.sock.fileno(): ls for ls in listeners}
        self.locals = list(listeners)
        self.deliver = deliver
        self.id_base = id_base  # connection ids of this process: id_base + serial
        self.max_connections = (
            settings.max_connections if max_connections is None else max_connections
        )
        self.clock = clock
        # open connections of every worker, one slot each (shared memory written by its
        # own worker only, summed for tcp_max_connections); None in one process
        self.counts = counts
        self.slot = slot
        self.ep: select.epoll | None = None
        self.by_fd: dict[int, TcpConnection] = {}
        self.by_id: dict[int, TcpConnection] = {}
        self.by_addr: dict[Addr, TcpConnection] = {}
        # connections per peer IP and held source addresses: tcp_accept_iplimit and
        # tcp_accept_unique count for the whole server (shared with several workers)
        self.ledger = AcceptLedger(shared=counts is not None)
        self.serial = 0
        self.next_tick = 0.0
        self.refused = 0
        self.deferring = 0  # > 0: writes are collected and flushed by end_batch()
        self.dirty: list[TcpConnection] = []
        self.on_alias: Callable[[Addr, TcpConnection], None] | None = None

    # ---- loop integration -----------------------------------------------------------

    def attach(self, ep: select.epoll) -> None:
        self.ep = ep
        for fd in self.listeners:
            ep.register(fd, select.EPOLLIN)

    def handles(self, fd: int) -> bool:
        return fd in self.by_fd or fd in self.listeners

    def timeout(self) -> float | None:
        """Seconds the loop may wait before `tick` is due; None without connections."""
        if not self.by_fd:
            return None
        return max(0.0, self.next_tick - self.clock())

    def begin_batch(self) -> None:
        """Collect the writes of what follows (the messages of one read, the records
        of one inbox drain) and write each connection's share with one send()."""
        self.deferring += 1

    def end_batch(self) -> None:
        self.deferring -= 1
        if self.deferring or not self.dirty:
            return
        dirty, self.dirty = self.dirty, []
        for conn in dirty:
            if conn.fd >= 0 and conn.state == OPEN and conn.blocked_since is None:
                self._flush(conn)

    def on_event(self, fd: int, events: int) -> None:
        core_cfg.refresh()  # tcp cfg values changed at runtime apply from this read on
        self.begin_batch()
        try:
            self._on_event(fd, events)
        finally:
            self.end_batch()

    def _on_event(self, fd: int, events: int) -> None:
        ls = self.listeners.get(fd)
        if ls is not None:
            self._accept(ls)
            return
        conn = self.by_fd.get(fd)
        if conn is None:
            return
        if conn.state == CONNECTING:
            if events & (select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP):
                self._connected(conn)
            return
        if events & select.EPOLLOUT:
            self._flush(conn)
            if conn.fd < 0:
                return
        if events & (select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR):
            self._read(conn)

    def tick(self, now: float | None = None) -> None:
        """Close what outlived tcp_connection_lifetime, tcp_connect_timeout or
        tcp_send_timeout."""
        now = self.clock() if now is None else now
        if now < self.next_tick:
            return
        self.next_tick = now + TICK
        core_cfg.refresh()  # tcp cfg values changed at runtime reach an idle process too
        s = self.settings
        for conn in list(self.by_fd.values()):
            if conn.state == CONNECTING:
                if now - conn.started >= s.connect_timeout:
                    self._blocklist(conn, BLST_ERR_CONNECT)
                    self.close(conn, f"connect timeout ({s.connect_timeout:g} s)", L_ERR)
            elif conn.blocked_since is not None and now - conn.blocked_since >= s.send_timeout:
                self._blocklist(conn, BLST_ERR_SEND)
                self.close(conn, f"send timeout ({s.send_timeout:g} s)", L_ERR)
            elif now - conn.last_active >= s.connection_lifetime:
                self.close(conn, "idle lifetime reached", L_DBG)

    def close_all(self) -> None:
        for conn in list(self.by_fd.values()):
            self.close(conn, "shutdown", L_DBG)

    # ---- connections ----------------------------------------------------------------

    def open_connections(self) -> int:
        """Open connections of the whole server (this process alone without `counts`)."""
        counts = self.counts
        return len(self.by_fd) if counts is None else sum(counts)

    def _count(self) -> None:
        if self.counts is not None:
            self.counts[self.slot] = len(self.by_fd)

    def _new_conn(
        self,
        sock: socket.socket,
        peer: Addr,
        ls: LocalSocket,
        outbound: bool,
        held_source: Addr | None = None,
    ) -> TcpConnection:
        """A connection of this process; an inbound one has claimed its peer IP (and
        `held_source`) in the ledger already, an outbound one is counted here."""
        self.serial += 1
        s = self.settings
        now = self.clock()
        conn = TcpConnection(
            id=self.id_base + self.serial,
            sock=sock,
            peer=peer,
            src=peer,
            ls=ls,
            outbound=outbound,
            framer=StreamFramer(s.rd_buf_size, s.accept_no_cl),
            last_active=now,
            started=now,
        )
        self.by_fd[sock.fileno()] = conn
        self.by_id[conn.id] = conn
        self.by_addr[peer] = conn
        conn.held_source = held_source
        if outbound:
            self.ledger.claim_ip(peer[0])
        self._count()
        if self.next_tick == 0.0 or self.next_tick > now + TICK:
            self.next_tick = now + TICK
        return conn

    def _refuse(self, sock: socket.socket, peer: Addr, why: str) -> None:
        self.refused += 1
        if LOG.enabled(L_WARN):
            LOG.core(L_WARN, f"tcp_accept(): connection from {peer[0]}:{peer[1]} refused: {why}")
        sock.close()

    def _accept(self, ls: LocalSocket) -> None:
        s = self.settings
        for _ in range(64):
            try:
                sock, addr = ls.sock.accept()
            except BlockingIOError:
                return
            except OSError as e:
                if LOG.enabled(L_ERR):
                    LOG.core(L_ERR, f"tcp_accept(): accept failed: {e.strerror or e}")
                return
            peer = (str(addr[0]), int(addr[1]))
            if self.open_connections() >= self.max_connections:
                self._refuse(sock, peer, f"maximum number of connections ({s.max_connections})")
                continue
            if not self.ledger.claim_ip(peer[0], s.accept_iplimit):
                self._refuse(sock, peer, f"tcp_accept_iplimit ({s.accept_iplimit}) reached")
                continue
            if s.accept_unique and not self.ledger.claim_source(peer):
                self.ledger.release_ip(peer[0])
                self._refuse(sock, peer, "a connection from this address is open")
                continue
            sock.setblocking(False)
            try:
                apply_keepalive(sock, s)
            except OSError as e:
                if LOG.enabled(L_WARN):
                    LOG.core(L_WARN, f"tcp_accept(): keepalive options: {e.strerror or e}")
            held = peer if s.accept_unique else None
            conn = self._new_conn(sock, peer, ls, outbound=False, held_source=held)
            if s.accept_haproxy:
                conn.state = PROXY_WAIT
            assert self.ep is not None
            self.ep.register(sock.fileno(), _IN)
            if LOG.enabled(L_DBG):
                LOG.core(L_DBG, f"tcp_accept(): new connection {conn.id} from {peer[0]}:{peer[1]}")

    def close(self, conn: TcpConnection, why: str = "", level: int = L_DBG) -> None:
        fd = conn.fd
        if fd < 0:
            return
        if LOG.enabled(level):
            LOG.core(
                level,
                f"tcp: closing connection {conn.id} with {conn.peer[0]}:{conn.peer[1]}"
                + (f": {why}" if why else ""),
            )
        if conn.wbuf and conn.state == OPEN:  # what was queued goes out first if it can
            with contextlib.suppress(OSError):
                conn.sock.send(conn.wbuf)
        self.by_fd.pop(fd, None)
        self._count()
        self.by_id.pop(conn.id, None)
        for addr in (conn.peer, conn.src, *conn.aliases):
            if self.by_addr.get(addr) is conn:
                del self.by_addr[addr]
        self.ledger.release_ip(conn.peer[0])
        if conn.held_source is not None:
            self.ledger.release_source(conn.held_source)
            conn.held_source = None
        if self.ep is not None:
            with contextlib.suppress(OSError, ValueError):
                self.ep.unregister(fd)
        conn.sock.close()

    def add_alias(self, conn: TcpConnection, addr: Addr) -> None:
        """Let requests to `addr` use this connection (tcp_accept_aliases, force_tcp_alias)."""
        if conn.fd < 0:
            return
        conn.aliases.add(addr)
        self.by_addr[addr] = conn
        if self.on_alias is not None:
            self.on_alias(addr, conn)

    # ---- reading --------------------------------------------------------------------

    def _read(self, conn: TcpConnection) -> None:
        for _ in range(READS_PER_EVENT):
            try:
                data = conn.sock.recv(RECV_SIZE)
            except BlockingIOError:
                return
            except OSError as e:
                self.close(conn, f"read error: {e.strerror or e}", L_DBG)
                return
            if not data:
                self.close(conn, "closed by the peer", L_DBG)
                return
            conn.last_active = self.clock()
            if not self._received(conn, data) or conn.fd < 0:
                return
            if len(data) < RECV_SIZE:
                return

    def _received(self, conn: TcpConnection, data: bytes) -> bool:
        """Frame `data`; deliver messages, answer pings. False once the connection closed."""
        if conn.state == PROXY_WAIT:
            conn.framer.buf += data
            try:
                hdr = parse_proxy_header(bytes(conn.framer.buf))
            except ProxyError as e:
                self.close(conn, f"PROXY protocol: {e}", L_ERR)
                return False
            if hdr is None:
                return True
            del conn.framer.buf[: hdr.length]
            conn.state = OPEN
            if hdr.src is not None:
                conn.src = hdr.src
                if self.settings.accept_unique and hdr.src != conn.held_source:
                    if conn.held_source is not None:
                        self.ledger.release_source(conn.held_source)
                        conn.held_source = None
                    if not self.ledger.claim_source(hdr.src):
                        self.close(conn, "a connection from this address is open", L_WARN)
                        return False
                    conn.held_source = hdr.src
                self.by_addr[hdr.src] = conn
            data = b""
        try:
            events = conn.framer.feed(data)
        except FramingError as e:
            self.close(conn, f"bad message from {conn.src[0]}:{conn.src[1]}: {e}", L_ERR)
            return False
        for ev in events:
            if ev is PING:
                if self.settings.crlf_ping:
                    self._queue(conn, b"\r\n")
                continue
            if self.settings.accept_aliases:
                port = via_alias_port(ev)
                if port is not None:
                    self.add_alias(conn, (conn.src[0], port))
            self.deliver(ev, conn.src, conn.ls, conn)
            if conn.fd < 0:
                return False
        return True

    # ---- writing --------------------------------------------------------------------

    def find(self, dest: Addr, conn_id: int = 0) -> TcpConnection | None:
        """The open connection with id `conn_id`, else the one for address `dest`."""
        if conn_id:
            conn = self.by_id.get(conn_id)
            if conn is not None:
                return conn
        return self.by_addr.get(dest)

    def send(
        self,
        dest: Addr,
        data: bytes,
        *,
        conn_id: int = 0,
        local: Addr | None = None,
        no_connect: bool = False,
        close: bool = False,
    ) -> bool:
        """Queue `data` for `dest` (see the module docstring); False when it cannot be
        sent (no connection and none may be opened, the queue is full)."""
        conn = self.find(dest, conn_id)
        if conn is None:
            if no_connect or self.settings.no_connect:
                if LOG.enabled(L_INFO):
                    LOG.core(
                        L_INFO,
                        f"tcp_send(): no open connection to {dest[0]}:{dest[1]}, not connecting",
                    )
                return False
            conn = self._connect(dest, local)
            if conn is None:
                return False
            if conn.state == CONNECTING:
                if not self._first_send(conn, data):
                    return False
            elif not self._queue(conn, data):
                return False
        elif not self._queue(conn, data):
            return False
        if close:
            conn.close_after_write = True
            if not conn.wbuf and conn.state == OPEN:
                self.close(conn, "closed after the send (set_*_close)", L_DBG)
        return True

    def _local_for(self, dest: Addr, local: Addr | None) -> LocalSocket | None:
        af = 6 if ":" in dest[0] else 4
        if local is not None:
            for ls in self.locals:
                if (ls.ip, ls.port) == local and ls.af == af:
                    return ls
        for ls in self.locals:
            if ls.af == af:
                return ls
        return None

    def _connect(self, dest: Addr, local: Addr | None) -> TcpConnection | None:
        ls = self._local_for(dest, local)
        if ls is None:
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"tcp_send(): no TCP socket to connect to {dest[0]}:{dest[1]} from")
            return None
        if self.open_connections() >= self.max_connections:
            if LOG.enabled(L_ERR):
                LOG.core(
                    L_ERR,
                    f"tcp_send(): maximum number of connections reached, "
                    f"not connecting to {dest[0]}:{dest[1]}",
                )
            return None
        family = socket.AF_INET6 if ls.af == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sockopts.apply_tcp(sock, listening=False)
            source = self.settings.source_ipv6 if ls.af == 6 else self.settings.source_ipv4
            if source:
                try:
                    sock.bind((source, 0))
                except OSError as e:  # Kamailio: the default address is used then
                    if LOG.enabled(L_WARN):
                        LOG.core(L_WARN, f"tcp_send(): cannot bind to {source}: {e.strerror or e}")
                    source = None
            if not source and ls.ip not in ("0.0.0.0", "::"):
                sock.bind((ls.ip, 0))
            apply_keepalive(sock, self.settings)
            rc = sock.connect_ex(dest)
        except OSError as e:
            sock.close()
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"tcp_send(): connect to {dest[0]}:{dest[1]}: {e.strerror or e}")
            return None
        if rc not in (0, errno.EINPROGRESS):
            sock.close()
            if LOG.enabled(L_ERR):
                LOG.core(
                    L_ERR,
                    f"tcp_send(): connect to {dest[0]}:{dest[1]}: {errno.errorcode.get(rc, rc)}",
                )
            return None
        conn = self._new_conn(sock, dest, ls, outbound=True)
        conn.state = CONNECTING if rc else OPEN
        assert self.ep is not None
        self.ep.register(sock.fileno(), _IN | (select.EPOLLOUT if rc else 0))
        conn.write_armed = bool(rc)
        return conn

    def _first_send(self, conn: TcpConnection, data: bytes) -> bool:
        """Write `data` on a connection whose connect() is in progress, as Kamailio's
        first send does: a refused connect (on loopback the kernel knows at once) fails
        the send now and blocklists the destination; otherwise what the socket does not
        take waits in the queue for the connect to finish."""
        try:
            sent = conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            conn.wbuf += data
            return True
        except OSError as e:
            if e.errno == errno.ENOTCONN:  # still connecting
                conn.wbuf += data
                return True
            self._blocklist(conn, BLST_ERR_CONNECT | BLST_ERR_SEND)
            self.close(
                conn,
                f"connect to {conn.peer[0]}:{conn.peer[1]} failed: "
                f"{errno.errorcode.get(e.errno or 0, e.strerror or e)}",
                L_ERR,
            )
            return False
        conn.state = OPEN  # the data went out: the connection is up
        now = self.clock()
        conn.last_active = now
        if sent < len(data):
            conn.wbuf += data[sent:]
            conn.blocked_since = now
        else:
            self._arm(conn, False)
        return True

    def _blocklist(self, conn: TcpConnection, reason: int) -> None:
        """Report a failed connect or send to the destination blocklist (outbound
        connections: the peer is the destination a send was meant for)."""
        if conn.outbound and dst_blocklist.BLOCKLIST.settings.enabled:
            dst_blocklist.report(reason, conn.ls.proto, conn.peer[0], conn.peer[1])

    def _connected(self, conn: TcpConnection) -> None:
        err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._blocklist(conn, BLST_ERR_CONNECT)
            self.close(
                conn,
                f"connect to {conn.peer[0]}:{conn.peer[1]} failed: {errno.errorcode.get(err, err)}",
                L_ERR,
            )
            return
        conn.state = OPEN
        conn.last_active = self.clock()
        self._flush(conn)

    def _queue(self, conn: TcpConnection, data: bytes) -> bool:
        if self.deferring and not conn.wbuf and conn.state == OPEN:
            conn.wbuf += data
            self.dirty.append(conn)
            return True
        if conn.wbuf or conn.state != OPEN:
            if len(conn.wbuf) + len(data) > self.settings.conn_wq_max:
                if LOG.enabled(L_ERR):
                    LOG.core(
                        L_ERR,
                        f"tcp_send(): write queue of connection {conn.id} full "
                        f"({len(conn.wbuf)} bytes), message dropped",
                    )
                return False
            conn.wbuf += data
            return True
        try:
            sent = conn.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as e:
            self._blocklist(conn, BLST_ERR_SEND)
            self.close(conn, f"write error: {e.strerror or e}", L_ERR)
            return False
        conn.last_active = self.clock()
        if sent < len(data):
            conn.wbuf += data[sent:]
            conn.blocked_since = self.clock()
            self._arm(conn, True)
        return True

    def _arm(self, conn: TcpConnection, on: bool) -> None:
        """Watch the socket for writability (on) or for reading only."""
        if conn.write_armed != on:
            assert self.ep is not None
            self.ep.modify(conn.fd, _IN | select.EPOLLOUT if on else _IN)
            conn.write_armed = on

    def _flush(self, conn: TcpConnection) -> None:
        while conn.wbuf:
            try:
                sent = conn.sock.send(conn.wbuf)
            except BlockingIOError:
                if conn.blocked_since is None:
                    conn.blocked_since = self.clock()
                self._arm(conn, True)
                return
            except OSError as e:
                self._blocklist(conn, BLST_ERR_SEND)
                self.close(conn, f"write error: {e.strerror or e}", L_ERR)
                return
            del conn.wbuf[:sent]
            conn.last_active = self.clock()
            conn.blocked_since = self.clock() if conn.wbuf else None
        conn.blocked_since = None
        if conn.close_after_write:
            self.close(conn, "closed after the send (set_*_close)", L_DBG)
            return
        self._arm(conn, False)
