"""One TCP connection's state, the TCP core parameters, and the socket set-up helpers.

`TcpSettings.from_params(params)` reads the tcp_* core parameters once at start-up.
`TcpConnection` is what the I/O side of runtime/tcp_engine.py keeps per connection:
the socket, the real peer and the address the script sees ($si/$sp: the PROXY
protocol's client when tcp_accept_haproxy is on), the local listen socket, the framer
with its receive buffer, the write queue, and the times the idle lifetime and the
connect/send timeouts are measured from. `bind_tcp_listener` opens a listen socket and
`apply_keepalive` sets SO_KEEPALIVE and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT.

`AcceptLedger` counts the open connections per peer IP (tcp_accept_iplimit) and holds
the open source addresses (tcp_accept_unique) for the whole server, as Kamailio's single
TCP main process does: in one process plain dicts; with several workers two tables of
the shared database (shared/kv.SharedMap), each claim a check-and-add in one write
transaction, so workers accepting at the same time never pass the limit together. A
connection's claims are released when it closes; a worker that dies stops the server
(runtime/workers.py), so no count outlives its connections.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from siprouter.shared.kv import SharedMap
from siprouter.shared.space import space

from . import sockopts
from .interfaces import bind_address
from .state import LocalSocket
from .tcp_framing import StreamFramer

LISTEN_BACKLOG = 1024

# connection states
CONNECTING = "connecting"  # outbound, connect() in progress
PROXY_WAIT = "proxy"  # inbound, waiting for the PROXY protocol header
OPEN = "open"


@dataclass(slots=True)
class TcpSettings:
    """The tcp_* core parameters as the TCP runtime uses them."""

    rd_buf_size: int = 16384
    accept_no_cl: bool = False
    crlf_ping: bool = True
    connection_lifetime: float = 120.0
    connect_timeout: float = 10.0
    send_timeout: float = 10.0
    max_connections: int = 2048
    accept_iplimit: int = 1024
    accept_unique: bool = False
    accept_aliases: bool = False
    accept_haproxy: bool = False
    no_connect: bool = False
    script_mode: int = 0
    keepalive: bool = True
    keepidle: int | None = None
    keepintvl: int | None = None
    keepcnt: int | None = None
    conn_wq_max: int = 32768
    source_ipv4: str | None = None  # tcp_source_ipv4: local address of outbound connections
    source_ipv6: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TcpSettings:
        def num(name: str, default: Any) -> Any:
            value = params.get(name)
            return default if value is None else value

        def opt(name: str) -> int | None:
            value = params.get(name)
            return int(value) if value else None

        return cls(
            rd_buf_size=int(num("tcp_rd_buf_size", 16384)),
            accept_no_cl=bool(params.get("tcp_accept_no_cl")),
            crlf_ping=bool(num("tcp_crlf_ping", True)),
            connection_lifetime=float(num("tcp_connection_lifetime", 120)),
            connect_timeout=float(num("tcp_connect_timeout", 10)),
            send_timeout=float(num("tcp_send_timeout", 10)),
            max_connections=int(num("tcp_max_connections", 2048)),
            accept_iplimit=int(num("tcp_accept_iplimit", 1024)),
            accept_unique=bool(params.get("tcp_accept_unique")),
            accept_aliases=bool(params.get("tcp_accept_aliases")),
            accept_haproxy=bool(params.get("tcp_accept_haproxy")),
            no_connect=bool(params.get("tcp_no_connect")),
            script_mode=int(num("tcp_script_mode", 0)),
            keepalive=bool(num("tcp_keepalive", True)),
            keepidle=opt("tcp_keepidle"),
            keepintvl=opt("tcp_keepintvl"),
            keepcnt=opt("tcp_keepcnt"),
            conn_wq_max=int(num("tcp_conn_wq_max", 32768)),
            source_ipv4=str(params["tcp_source_ipv4"]) if params.get("tcp_source_ipv4") else None,
            source_ipv6=str(params["tcp_source_ipv6"]) if params.get("tcp_source_ipv6") else None,
        )


@dataclass(eq=False, slots=True)
class TcpConnection:
    """One open (or opening) TCP connection of this process."""

    id: int
    sock: socket.socket
    peer: tuple[str, int]  # the real remote address
    src: tuple[str, int]  # what the script sees as $si/$sp
    ls: LocalSocket  # the local socket messages are received on / sent from
    outbound: bool
    framer: StreamFramer
    state: str = OPEN
    last_active: float = 0.0
    blocked_since: float | None = None  # a write waiting for the socket since then
    started: float = 0.0
    wbuf: bytearray = field(default_factory=bytearray)
    close_after_write: bool = False
    write_armed: bool = False  # EPOLLOUT registered (a write waits for the socket)
    aliases: set[tuple[str, int]] = field(default_factory=set)
    held_source: tuple[str, int] | None = None  # claimed for tcp_accept_unique

    @property
    def fd(self) -> int:
        return self.sock.fileno()


def bind_tcp_listener(ip: str, port: int, *, reuseport: bool = False) -> socket.socket:
    """A listening, non-blocking TCP socket at ip:port (OSError when it cannot bind)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sockopts.apply_tcp(sock, listening=True)
        sock.bind(bind_address(ip, port))  # link-local IPv6: on its interface
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def apply_keepalive(sock: socket.socket, settings: TcpSettings) -> None:
    """SO_KEEPALIVE and the TCP_KEEP* options of tcp_keepalive/keepidle/keepintvl/
    keepcnt on a connection's socket (the OS defaults where a value is unset)."""
    if not settings.keepalive:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for opt, value in (
        (socket.TCP_KEEPIDLE, settings.keepidle),
        (socket.TCP_KEEPINTVL, settings.keepintvl),
        (socket.TCP_KEEPCNT, settings.keepcnt),
    ):
        if value:
            sock.setsockopt(socket.IPPROTO_TCP, opt, value)


class AcceptLedger:
    """Open connections per peer IP and the open source addresses of the server (see
    the module docstring); `shared` selects the shared tables (several workers)."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared
        self.per_ip: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        self._ips = SharedMap("tcp_conns_per_ip") if shared else None
        self._srcs = SharedMap("tcp_conn_sources") if shared else None

    def claim_ip(self, ip: str, limit: int | None = None) -> bool:
        """Count one more connection of `ip`; False (nothing counted) when `limit`
        connections of it are open already."""
        return self._claim(self._ips, self.per_ip, ip, limit)

    def release_ip(self, ip: str) -> None:
        self._release(self._ips, self.per_ip, ip)

    def ip_count(self, ip: str) -> int:
        if self._ips is None:
            return self.per_ip.get(ip, 0)
        value = self._ips.get(ip)
        return value if isinstance(value, int) else 0

    def claim_source(self, addr: tuple[str, int]) -> bool:
        """Hold the source address `addr`; False when a connection holds it already."""
        return self._claim(self._srcs, self.sources, _addr_key(addr), 1)

    def release_source(self, addr: tuple[str, int]) -> None:
        self._release(self._srcs, self.sources, _addr_key(addr))

    @staticmethod
    def _claim(table: SharedMap | None, local: dict[str, int], key: str, limit: int | None) -> bool:
        if table is None:
            n = local.get(key, 0)
            if limit is not None and n >= limit:
                return False
            local[key] = n + 1
            return True
        if limit is None:
            table.incr(key)
            return True
        table.get(key)  # makes the table exist before the transaction
        with space().transaction():
            value = table.get(key)
            n = value if isinstance(value, int) else 0
            if n >= limit:
                return False
            table.set(key, n + 1)
        return True

    @staticmethod
    def _release(table: SharedMap | None, local: dict[str, int], key: str) -> None:
        if table is None:
            left = local.get(key, 1) - 1
            if left > 0:
                local[key] = left
            else:
                local.pop(key, None)
            return
        table.get(key)  # makes the table exist before the transaction
        with space().transaction():
            value = table.get(key)
            left = (value if isinstance(value, int) else 1) - 1
            if left > 0:
                table.set(key, left)
            else:
                table.delete(key)


def _addr_key(addr: tuple[str, int]) -> str:
    return f"{addr[0]}|{addr[1]}"
