"""htable's event routes and expiry timer.

* `run_mod_init(compiled)`: event_route[htable:mod-init], once, in the main process
  during module initialisation (before the workers fork), on Kamailio's faked request
  (built here: runtime/events.py, which has the same, had not landed yet).
  Kamailio runs it after every module's mod_init; here it runs in htable's init hook,
  so modules loaded after htable are not initialised yet when it runs.
* `expire_tick(tables, compiled, script, now)`: purge the expired items of every table
  with autoexpire and run event_route[htable:expired:<table>] once per removed item,
  with `$shtrecord(key)` / `$shtrecord(value)` set; returns how many items went.
* `start_timers(...)`: forks the timer processes (as Kamailio's htable timer, which runs
  every `timer_interval` seconds; `timer_procs` > 1 splits the tables with autoexpire
  over that many processes, else one process scans them all). Each is created in the main process
  during init, before any socket is bound, ends when the main process ends (parent-death
  signal, and a check of the parent pid every tick); the main process's database
  connection is closed before the fork (SQLite connections must not cross a fork, and
  the process reopens its own on first use). State that a module loaded after htable
  creates in its own init is not in the timer processes (cfgutils' flags are shared
  anyway; its lock set is not: lock() in an expired route then fails when cfgutils is
  loaded after htable). It leaves with os._exit so
  nothing of the main process's exit handling runs twice. None when no table has
  autoexpire.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import time
from collections.abc import Sequence
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.shared import space as shared_space
from siprouter.sip.message import parse_message

from .htable_pv import EXPIRED_STATE
from .htable_store import HTable, now_s

log = logging.getLogger("siprouter.htable")

MOD_INIT = "htable:mod-init"
EXPIRED_PREFIX = "htable:expired:"
_PR_SET_PDEATHSIG = 1

# Kamailio's faked request, the message of event routes that run without one
_FAKED_REQUEST = (
    b"OPTIONS sip:you@kamailio.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1\r\n"
    b"From: <sip:you@kamailio.org>;tag=123\r\n"
    b"To: <sip:you@kamailio.org>\r\n"
    b"Call-ID: 123\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)
_FAKED_RCV = ReceiveInfo(src_ip="1.0.0.127", src_port=5060, dst_ip="", dst_port=0)


def _event_ctx(script: ScriptState) -> MsgContext:
    return MsgContext(parse_message(_FAKED_REQUEST), _FAKED_RCV, script, RouteType.EVENT)


def run_mod_init(compiled: Any) -> bool:
    """Run event_route[htable:mod-init] when the config has it; True when it ran."""
    if compiled is None or compiled.get("event", MOD_INIT) is None:
        return False
    compiled.run("event", MOD_INIT, _event_ctx(ScriptState(compiled=compiled)))
    return True


def expire_tick(
    tables: Sequence[HTable], compiled: Any, script: ScriptState, now: int | None = None
) -> int:
    """One timer pass: purge expired items, run the expired event route for each."""
    t = now_s() if now is None else now
    gone = 0
    for ht in tables:
        if not ht.spec.autoexpire:
            continue
        items = ht.purge_expired(t)
        gone += len(items)
        route = EXPIRED_PREFIX + ht.name
        if not items or compiled is None or compiled.get("event", route) is None:
            continue
        for item in items:
            ctx = _event_ctx(script)
            ctx.module_state()[EXPIRED_STATE] = item
            try:
                compiled.run("event", route, ctx)
            except Exception as e:  # a failing route must not stop the timer
                log.error("event_route[%s] failed: %s: %s", route, type(e).__name__, e)
    return gone


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _timer_main(tables: Sequence[HTable], compiled: Any, interval: int, parent: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    _die_with_parent()
    script = ScriptState(compiled=compiled)
    step = min(1.0, float(interval))
    next_run = time.monotonic() + interval
    while os.getppid() == parent:
        time.sleep(step)
        if time.monotonic() < next_run:
            continue
        next_run += interval
        try:
            expire_tick(tables, compiled, script)
        except Exception as e:
            log.error("htable timer: %s: %s", type(e).__name__, e)


def timer_groups(tables: Sequence[HTable], procs: int) -> list[list[HTable]]:
    """The tables with autoexpire split over `procs` timer processes (at least one; as
    Kamailio's timer_procs, each process scans its share of the tables); empty groups
    are dropped, so there is no process without work."""
    expiring = [t for t in tables if t.spec.autoexpire]
    n = max(1, procs)
    groups = [expiring[i::n] for i in range(n)]
    return [g for g in groups if g]


def start_timers(tables: Sequence[HTable], compiled: Any, interval: int, procs: int) -> list[int]:
    """Fork the timer processes (none when no table expires items); their pids."""
    pids = []
    for group in timer_groups(tables, procs):
        parent = os.getpid()
        shared_space.before_fork()  # no SQLite connection may cross a fork
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _timer_main(group, compiled, max(1, interval), parent)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    return pids
