"""The UDP transport: bound sockets and the receive loop of a worker.

`bind_udp(ip, port)` opens a non-blocking UDP socket (IPv4 or IPv6 by the address) with
the options of the core parameters (runtime/sockopts.py: pmtu_discovery, ip_free_bind,
mcast_loopback, mcast_ttl).
`UdpLoop` waits with one blocking `select.epoll` over the worker's sockets and a
signal wake-up socket (no asyncio on the hot path, see docs/process-model.md); when a
socket is readable it drains it with `recvfrom_into` until EAGAIN and hands every
datagram to the pipeline callback with its source and the LocalSocket it arrived on.
When a drain finds a lone datagram, the loop reads one datagram per readiness from then
on and asks `poll(0)` before waiting, so a lone datagram costs no read ending in EAGAIN
(a Python exception); a poll that finds something waiting already goes back to draining.
Other file descriptors (a worker's hand-off inbox) can be watched with their own
callback, and a stream transport (`IoSource`: the TCP engine) owns the fds it
registers itself, gets their events, and sets the poll timeout for its timers.
A SIGTERM/SIGINT writes to the wake-up socket (`signal.set_wakeup_fd`) so the loop
returns at once, without interrupting a message in the middle of its routing.
"""

from __future__ import annotations

import errno
import select
import signal
import socket
from collections.abc import Callable
from typing import Protocol

from .interfaces import bind_address
from .sockopts import apply_udp
from .state import LocalSocket

# the biggest UDP payload; bigger datagrams cannot arrive
RECV_BUF = 65535
# datagrams read from one socket before polling again
BATCH = 64

Handler = Callable[[bytes, tuple[str, int], LocalSocket], None]


class IoSource(Protocol):
    """Something with fds of its own in the loop (runtime/tcp_engine.TcpEngine)."""

    def attach(self, ep: select.epoll) -> None: ...
    def handles(self, fd: int) -> bool: ...
    def on_event(self, fd: int, events: int) -> None: ...
    def timeout(self) -> float | None: ...
    def tick(self) -> None: ...


def bind_udp(
    ip: str, port: int, *, rcvbuf: int | None = None, reuseport: bool = False
) -> socket.socket:
    """A bound, non-blocking UDP socket at ip:port (OSError when it cannot bind);
    `reuseport` sets SO_REUSEPORT (one socket per worker on the same address)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        apply_udp(sock)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind(bind_address(ip, port))  # link-local IPv6: on its interface
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class UdpLoop:
    """The receive loop over some UDP sockets; `run()` returns the signal that stopped it."""

    def __init__(
        self,
        sockets: list[LocalSocket],
        handler: Handler,
        extra: dict[int, Callable[[], None]] | None = None,
        stream: IoSource | None = None,
    ) -> None:
        self.sockets = sockets
        self.handler = handler
        self.extra = extra or {}  # other readable fds (a worker's inbox) -> callback
        self.stream = stream
        self.stop_signal = 0

    def run(self, stop_signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> int:
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        # the wake-up fd first: a stop signal caught by the handlers below always reaches
        # the loop (the other order lost one arriving in between, and the worker then
        # waited for the main process's exit_timeout kill)
        old_wakeup = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        old_handlers = {s: signal.signal(s, lambda *_: None) for s in stop_signals}
        ep = select.epoll()
        by_fd = {ls.sock.fileno(): ls for ls in self.sockets}
        try:
            for fd in [*by_fd, *self.extra]:
                ep.register(fd, select.EPOLLIN)
            extra = self.extra
            ep.register(wake_r.fileno(), select.EPOLLIN)
            wake_fd = wake_r.fileno()
            buf = bytearray(RECV_BUF)
            view = memoryview(buf)
            handler = self.handler
            stream = self.stream
            if stream is not None:
                stream.attach(ep)
            timeout: float | None = None
            drain = True
            while True:
                if stream is not None:
                    timeout = stream.timeout()
                if drain:
                    events = ep.poll(-1 if timeout is None else timeout)
                else:  # after lone datagrams: anything waiting already? else wait
                    events = ep.poll(0)
                    if events:
                        drain = True
                    else:
                        events = ep.poll(-1 if timeout is None else timeout)
                if stream is not None:
                    stream.tick()
                for fd, ev in events:
                    if fd == wake_fd:
                        sigs = wake_r.recv(64)
                        for s in sigs:
                            if s in stop_signals:
                                self.stop_signal = s
                        if self.stop_signal:
                            return self.stop_signal
                        continue
                    if fd in extra:
                        extra[fd]()
                        continue
                    ls = by_fd.get(fd)
                    if ls is None:
                        if stream is not None:
                            stream.on_event(fd, ev)
                        continue
                    recv = ls.sock.recvfrom_into
                    # draining: up to BATCH reads, then poll again (a stop signal is seen);
                    # after lone datagrams: one read, none that ends in EAGAIN
                    got = 0
                    for _ in range(BATCH if drain else 1):
                        try:
                            n, src = recv(buf)
                        except BlockingIOError:
                            break
                        except OSError as e:
                            if e.errno in (errno.EINTR, errno.ECONNREFUSED):
                                continue  # an ICMP error of an earlier send
                            raise
                        got += 1
                        handler(bytes(view[:n]), src, ls)
                    if drain and got < 2:
                        drain = False  # a lone datagram: read one at a time from now
        finally:
            ep.close()
            signal.set_wakeup_fd(old_wakeup)
            for s, h in old_handlers.items():
                signal.signal(s, h)
            wake_r.close()
            wake_w.close()
