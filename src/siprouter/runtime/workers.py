"""N worker processes for UDP and TCP, the design chosen in docs/process-model.md
(model f): SO_REUSEPORT receive sockets, one owner worker per Call-ID, hand-off over
socketpairs.

`run_workers(compiled, endpoints, children, rcvbuf, tcp_children=, tcp=)` (main process):

* runs max(children, tcp_children) workers (children alone without TCP endpoints);
* binds, for every UDP endpoint, one SO_REUSEPORT socket for each of the first
  `children` workers, for every TCP endpoint one SO_REUSEPORT listen socket for each of
  the first `tcp_children` workers, and one AF_UNIX datagram socketpair per worker (its
  inbox), all before forking; a worker without a socket of its own for an endpoint
  sends from the first worker's (it does not read it);
* forks the workers; each keeps only its own UDP sockets and inbox (plus the sending ends
  of every inbox), so the kernel spreads peers over the workers' sockets;
* waits for SIGTERM/SIGINT (stops the workers: SIGTERM, then, when some are still
  running after exit_timeout seconds (default 60; 0: wait for them without limit),
  Kamailio's CRITICAL "shutdown timeout triggered, dying..." and SIGKILL) or SIGCHLD:
  a worker that dies while the server is not stopping stops the
  whole server (as Kamailio 5.6.3 does: it never restarts a child) with Kamailio's
  ALERT lines ("child process PID exited by a signal 9", "core was not generated")
  and a line naming the worker; exit status 1, as Kamailio.

A worker (`Worker`) reads its UDP sockets; for each datagram it computes the owner
`crc32(Call-ID) % n` (`owner_of`): its own messages go to the pipeline at once, the
others are handed to the owner's inbox as a record (runtime/tcp_records: kind UDP, address family, endpoint index,
source port, source address, then the datagram) with a non-blocking send: a full inbox
drops the datagram and counts it, like a full UDP receive buffer. Messages without a
Call-ID (keep-alives, garbage) are processed by the receiving worker. The owner processes
the records from its inbox like datagrams received on its own socket of that endpoint
(replies then leave from the same address and port). So the messages of one Call-ID
are processed by one process, one at a time, in the order the receiving worker got them.
TCP connections are read by the worker that accepted (or opened) them; their messages
and the sends on them travel as TCP/SEND/CLOSE/ALIAS records
(runtime/tcp_transport.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import socket
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from typing import Any

from siprouter.engine.context import ScriptState

from . import state
from .logging import L_ALERT, L_CRIT, L_ERR, L_INFO, L_NOTICE, L_WARN, LOG
from .pipeline import Pipeline
from .tcp_conn import TcpSettings, bind_tcp_listener
from .tcp_records import UDP, pack, unpack
from .tcp_transport import RcProbe, TcpTransport
from .udp import BATCH, UdpLoop, bind_udp

_CALLID = re.compile(rb"\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
INBOX_SNDBUF = 1 << 20
EXIT_TIMEOUT = 60  # seconds, Kamailio's default exit_timeout
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def owner_of(data: bytes, n: int) -> int | None:
    """The worker owning the message's Call-ID (crc32 % n), None without a Call-ID."""
    end = data.find(b"\r\n\r\n")
    m = _CALLID.search(data, 0, end if end >= 0 else len(data))
    if m is None:
        return None
    callid = m.group(1).strip()
    if not callid:
        return None
    return zlib.crc32(callid) % n


class Worker:
    """One worker's receive side: its sockets (one per endpoint), its inbox, and the
    sending ends of every worker's inbox."""

    def __init__(
        self,
        index: int,
        sockets: list[state.LocalSocket],
        inbox: socket.socket,
        outboxes: list[socket.socket],
        pipeline: Pipeline,
        tcp: TcpTransport | None = None,
    ) -> None:
        self.index = index
        self.n = len(outboxes)
        self.sockets = sockets
        self.ep_index = {id(ls): i for i, ls in enumerate(sockets)}
        self.inbox = inbox
        self.outboxes = outboxes
        self.pipeline = pipeline
        self.tcp = tcp
        self.handed_off = 0
        self.handoff_dropped = 0
        self.rbuf = bytearray(INBOX_SNDBUF)  # the biggest record an inbox can hold
        self.rview = memoryview(self.rbuf)

    def on_udp(self, data: bytes, src: tuple[Any, ...], ls: state.LocalSocket) -> None:
        owner = owner_of(data, self.n)
        if owner is None or owner == self.index:
            self.pipeline.receive(data, src, ls)
            return
        try:
            record = pack(UDP, (src[0], src[1]), data, index=self.ep_index[id(ls)])
        except OSError:
            self.pipeline.receive(data, src, ls)
            return
        try:
            self.outboxes[owner].send(record)
            self.handed_off += 1
        except OSError as e:  # full inbox (EAGAIN) or a worker gone
            self.handoff_dropped += 1
            if LOG.enabled(L_WARN):
                LOG.core(
                    L_WARN,
                    f"hand-off to worker {owner + 1} failed ({e}): datagram "
                    f"from {src[0]}:{src[1]} dropped ({self.handoff_dropped} so far)",
                )

    def on_inbox(self) -> None:
        tcp = self.tcp
        if tcp is None:
            self._drain_inbox()
            return
        tcp.engine.begin_batch()  # replies handed back for one connection: one write
        try:
            self._drain_inbox()
        finally:
            tcp.engine.end_batch()

    def _drain_inbox(self) -> None:
        recv_into = self.inbox.recv_into
        view = self.rview
        for _ in range(BATCH):
            try:
                n = recv_into(self.rbuf)
            except BlockingIOError:
                return
            rec = unpack(bytes(view[:n]))
            if rec.kind == UDP:
                self.pipeline.receive(rec.payload, rec.addr, self.sockets[rec.index])
            elif self.tcp is not None:
                self.tcp.on_record(rec)


def _bind_all(
    endpoints: list[Any], n: int, proto: str, rcvbuf: int | None
) -> list[list[state.LocalSocket]]:
    """For each of n workers, one SO_REUSEPORT socket per `proto` endpoint; a UDP
    endpoint with socket_workers k (`ep.workers`) gets sockets for the first k workers,
    the lists of the others hold worker 0's socket object there (borrowed: sent from,
    not read; see _own)."""
    per_worker: list[list[state.LocalSocket]] = []
    counts = [
        (getattr(ep, "workers", None) or n) if proto == "udp" else n
        for ep in endpoints
        if ep.proto == proto
    ]
    lists = max(counts) if counts else n
    try:
        for w in range(lists):
            socks = []
            for ep in endpoints:
                if ep.proto != proto:
                    continue
                if w > 0 and w >= counts[len(socks)]:
                    socks.append(per_worker[0][len(socks)])
                    continue
                if proto == "udp":
                    sock = bind_udp(ep.ip, ep.port, rcvbuf=rcvbuf, reuseport=True)
                else:
                    sock = bind_tcp_listener(ep.ip, ep.port, reuseport=True)
                af = 6 if ":" in ep.ip else 4
                socks.append(state.LocalSocket(proto, ep.ip, ep.port, af, sock, ep.spec.name))
            per_worker.append(socks)
    except OSError:
        for socks in per_worker:
            for ls in socks:
                ls.sock.close()
        raise
    return per_worker


def _own(group: list[list[state.LocalSocket]], index: int) -> list[state.LocalSocket]:
    """The sockets worker `index` reads: its list without those borrowed from worker 0."""
    if index >= len(group):
        return []
    if index == 0:
        return group[0]
    return [ls for i, ls in enumerate(group[index]) if ls is not group[0][i]]


def _inboxes(n: int) -> list[tuple[socket.socket, socket.socket]]:
    pairs = []
    for _ in range(n):
        r, w = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        r.setblocking(False)
        w.setblocking(False)
        w.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, INBOX_SNDBUF)
        pairs.append((r, w))
    return pairs


def _worker_main(
    index: int,
    compiled: Any,
    udp: list[list[state.LocalSocket]],
    tcp_listen: list[list[state.LocalSocket]],
    pairs: list[tuple[socket.socket, socket.socket]],
    child_init: Callable[[int], None] | None = None,
    tcp: TcpSettings | None = None,
    conn_counts: Any = None,
) -> int:
    # keep the first worker's sockets (to send from when this worker has none of its
    # own) and this worker's; close the others
    for group in (udp, tcp_listen):
        for w in range(len(group)):
            if w not in (0, index):
                for ls in _own(group, w):
                    ls.sock.close()
    for w, (r, _s) in enumerate(pairs):
        if w != index:
            r.close()
    LOG.set_process(index + 1)
    state.clear_sockets()
    own_udp = _own(udp, index)
    own_tcp = _own(tcp_listen, index)
    addr_udp = udp[index] if index < len(udp) else (udp[0] if udp else [])
    addr_tcp = own_tcp or (tcp_listen[0] if tcp_listen else [])
    for ls in [*addr_udp, *addr_tcp]:
        state.register_socket(ls)
    if child_init is not None:
        child_init(index + 1)
    probe = RcProbe(compiled)
    pipeline = Pipeline(probe, ScriptState(compiled=compiled))
    pipeline.worker_init(index + 1)
    outboxes = [s for _r, s in pairs]
    transport = None
    if addr_tcp and tcp is not None:
        transport = TcpTransport(
            tcp,
            own_tcp,
            pipeline,
            locals_=addr_tcp,
            index=index,
            n=len(pairs),
            outboxes=outboxes,
            owner_of=owner_of,
            probe=probe,
            counts=conn_counts,
        )
        transport.install()
    worker = Worker(index, addr_udp, pairs[index][0], outboxes, pipeline, transport)
    stream = transport.engine if transport is not None else None
    try:
        UdpLoop(own_udp, worker.on_udp, {pairs[index][0].fileno(): worker.on_inbox}, stream).run()
    finally:
        if transport is not None:
            transport.engine.close_all()
    return 0


def run_workers(
    compiled: Any,
    endpoints: list[Any],
    children: int,
    rcvbuf: int | None,
    started: Callable[[], None] | None = None,
    child_init: Callable[[int], None] | None = None,
    *,
    tcp_children: int | None = None,
    tcp: TcpSettings | None = None,
) -> int:
    """Fork the workers and supervise them until a stop signal; the exit status.
    `started` runs once every socket is bound, before the fork (the socket listing);
    `child_init(rank)` runs in each worker (rank 1..n) before it serves."""
    has_tcp = any(ep.proto == "tcp" for ep in endpoints)
    tcp_n = (children if tcp_children is None else tcp_children) if has_tcp else 0
    udp = _bind_all(endpoints, children, "udp", rcvbuf)
    n = max(children, tcp_n, len(udp))  # socket_workers may ask for more readers
    try:
        tcp_listen = _bind_all(endpoints, tcp_n, "tcp", rcvbuf)
    except OSError:
        for socks in udp:
            for ls in socks:
                ls.sock.close()
        raise
    per_worker = [*udp, *tcp_listen]  # every socket, to close in the main process
    pairs = _inboxes(n)
    # open TCP connections per worker, for tcp_max_connections over the whole server
    conn_counts = multiprocessing.RawArray("i", n) if tcp_n else None
    if started is not None:
        try:
            started()
        except BaseException:
            for socks in per_worker:
                for ls in socks:
                    ls.sock.close()
            for r, w in pairs:
                r.close()
                w.close()
            raise
    watched = {*_STOP_SIGNALS, signal.SIGCHLD}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    pids: dict[int, int] = {}
    try:
        for w in range(n):
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the worker
                code = 255
                try:
                    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
                    code = _worker_main(
                        w, compiled, udp, tcp_listen, pairs, child_init, tcp, conn_counts
                    )
                except BaseException as e:  # the worker ends here, whatever happened
                    LOG.core(
                        L_CRIT,
                        f"worker {w + 1}: {type(e).__name__}: {e}\n"
                        + "".join(traceback.format_exc()),
                    )
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            pids[pid] = w
    finally:
        for socks in per_worker:
            for ls in socks:
                ls.sock.close()
        for r, s in pairs:
            r.close()
            s.close()
    try:
        return _supervise(pids, watched, _exit_timeout(compiled))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _exit_timeout(compiled: Any) -> float | None:
    """The shutdown grace period of the config's exit_timeout (None: no limit)."""
    from .latency import params_of

    seconds = params_of(compiled).get("exit_timeout", EXIT_TIMEOUT)
    return float(seconds) if seconds else None


def _reap(pids: dict[int, int]) -> list[tuple[int, int, int]]:
    """(pid, worker index, wait status) of every worker that ended."""
    out = []
    while pids:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in pids:
            out.append((pid, pids.pop(pid), status))
    return out


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def _supervise(pids: dict[int, int], watched: set[int], grace: float | None = EXIT_TIMEOUT) -> int:
    status = 0
    stopping_since: float | None = None
    killed = False
    while pids:
        timeout = 1.0 if stopping_since is None else 0.2
        info = signal.sigtimedwait(watched, timeout)
        for pid, w, st in _reap(pids):
            if stopping_since is None:
                _kamailio_child_lines(pid, st)
                LOG.core(
                    L_CRIT,
                    f"main(): worker {w + 1} (pid {pid}) {_describe(st)}; "
                    "workers are not restarted yet: stopping the server",
                )
                status = 1  # as Kamailio 5.6.3 exits when a child dies
                stopping_since = _stop_all(pids)
            elif os.WIFSIGNALED(st) and os.WTERMSIG(st) != signal.SIGTERM and LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"main(): worker {w + 1} (pid {pid}) {_describe(st)}")
        if info is not None and info.si_signo in _STOP_SIGNALS and stopping_since is None:
            if LOG.enabled(L_NOTICE):
                LOG.core(L_NOTICE, f"main(): signal {info.si_signo} received, shutting down")
            stopping_since = _stop_all(pids)
        if (
            not killed
            and pids
            and stopping_since is not None
            and grace is not None
            and time.monotonic() - stopping_since > grace
        ):
            LOG.core(L_CRIT, "shutdown timeout triggered, dying...")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            killed = True
    return status


def _kamailio_child_lines(pid: int, status: int) -> None:
    """The lines Kamailio 5.6.3's main process logs when a child ends unexpectedly
    (then it stops the server): ALERT "child process PID exited by a signal N" and
    whether a core was generated, or "exited normally, status=N"."""
    if os.WIFSIGNALED(status):
        LOG.core(
            L_ALERT, f"handle_sigs(): child process {pid} exited by a signal {os.WTERMSIG(status)}"
        )
        core = "core was generated" if os.WCOREDUMP(status) else "core was not generated"
        LOG.core(L_ALERT, f"handle_sigs(): {core}")
    else:
        code = os.waitstatus_to_exitcode(status)
        LOG.core(L_ALERT, f"handle_sigs(): child process {pid} exited normally, status={code}")
    if LOG.enabled(L_INFO):
        LOG.core(L_INFO, "handle_sigs(): terminating due to SIGCHLD")


def _stop_all(pids: dict[int, int]) -> float:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    return time.monotonic()
