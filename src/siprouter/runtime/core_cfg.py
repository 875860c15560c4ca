"""The cfg groups at runtime (the core's `core` and `tcp`, and the groups of the loaded
modules that have one: maxfwd, xlog, siputils): their shared values, each process's
view of them, and the appliers that make a change take effect.

Values (the variables of cfg/core_cfg_vars.py):

* the value in effect at start is the config's (`core_cfg_vars.START`, computed before
  the workers fork; `started()` takes the `debug` level the server was started with,
  which -d may have changed);
* `set_value(group, name, value)` (the cfg.* RPCs) checks the value as Kamailio 5.6.3
  does, writes it to a `SharedMap` of the shared space and publishes a new generation
  in the word custom parameters use (cfg/custom_params.py): one design for both;
* `current(key)` is the shared value now (what cfg.get answers).

Each process applies the values between messages, as Kamailio's workers update their
cfg values before each message: `refresh()` (called by the pipeline when a message
arrives, and by the TCP engine's timer) costs one comparison of the shared generation
with the one this process last saw. When they differ, the shared values are read
once, `VIEW` becomes the new set, and the appliers of every variable whose value
changed run (`register(keys, fn)`; `fn(view)`). A message therefore sees one set of
values from start to end; a change is seen from the next message.

The appliers of this file make the core use the values: the log level (`debug`; a
per-process kex setdebug() level wins, and resetdebug() goes back to the current
global level, as in Kamailio), the syslog facility, `max_while_loops`, the latency
logs of every attached pipeline, `udp_mtu`/`udp_mtu_try_proto`, `force_rport`,
`sip_parser_log`, the TCP settings of this process's TCP engine, the socket options of
new TCP connections and the destination blocklist's settings; for the module groups,
the `max_limit` maxfwd's mf_process_maxfwd_header() reads (maxfwd.PARAMS) and the
`methods_filter` of xlog's xlogm() (xlog_params.XLOG_PARAMS). Variables without an
applier are stored and answered only (docs/runtime-config.md lists which is which).
"""

from __future__ import annotations

import dataclasses
import logging
import mmap
import sys
import syslog
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from siprouter.cfg import core_cfg_vars as cv
from siprouter.cfg import custom_params
from siprouter.cfg.core_cfg_vars import CfgVar, SetError
from siprouter.shared.kv import SharedMap

from . import state
from .logging import L_ERR, L_INFO, LOG, python_level

Value = int | str
Applier = Callable[[dict[str, Value]], None]

STORE = SharedMap("cfg_core")
_GEN = custom_params.GEN
# how many sets were stored, one word shared with the processes forked after this
# import: while it is 0 the shared database is never opened (a process that cannot
# reach it, e.g. after a chroot, serves with the start values)
_SETS = memoryview(mmap.mmap(-1, 8)).cast("q")
# the generation VIEW was read at (-1: never), and the values this process uses now
_SEEN = [-1]
VIEW: dict[str, Value] = {}
# key -> appliers to run when its value changes (an applier may serve several keys)
APPLIERS: dict[str, list[Applier]] = {}
# pipelines of this process whose latency logs follow the latency_* values
_PIPELINES: weakref.WeakSet[Any] = weakref.WeakSet()
# the declaration (core_cfg_vars.SERIAL) whose start debug level started() took, and
# the one VIEW derives from
_DEBUG_TAKEN = [-1]
_VIEW_SERIAL = [-1]
# effects nothing else configures at start-up: applied with the start values too (the
# module values, so that a module-level value left by an earlier config of the process
# gives way to this config's start value)
_AT_START = ("core.sip_parser_log", *(v.key for vs in cv.MODULE_GROUPS.values() for v in vs))


# ---- values ---------------------------------------------------------------------------


def lookup(group: str, name: str) -> CfgVar | None:
    return cv.lookup(group, name)


def is_group(group: str) -> bool:
    """Whether `group` is a cfg group of the core or of a loaded module (not custom)."""
    return cv.present(group)


def current(key: str) -> Value:
    """The shared value of `key` ("core.debug") now."""
    v = STORE.get(key) if _SETS[0] else None
    return cv.START[key] if v is None else v


def value(key: str) -> Value | None:
    """This process's value of `key` for the message being routed (None: unknown)."""
    if _SEEN[0] < 0:
        refresh()
    return VIEW.get(key)


def set_value(group: str, name: str, new: Value) -> Value:
    """Set group.name for every process (from their next message); the value stored.
    KeyError for an unknown variable; SetError (a ValueError) when Kamailio refuses
    the value. Both are logged as Kamailio logs them."""
    var = cv.lookup(group, name)
    if var is None:
        raise KeyError(f"{group}.{name}")
    try:
        if var.is_int and isinstance(new, str):
            try:
                new = custom_params.parse_int(new)
            except ValueError:
                raise SetError(f"cannot convert string to integer '{new}'") from None
        stored = cv.check_set(var, new)
    except SetError as e:
        if LOG.enabled(L_ERR):
            LOG.core(L_ERR, f"cfg_set_now(): {e}")
            LOG.core(L_ERR, f"cfg_set_now(): failed to set the variable: {var.key}")
        raise
    STORE.set(var.key, stored)
    _SETS[0] += 1
    custom_params.publish_change()
    if LOG.enabled(L_INFO):
        shown = stored if isinstance(stored, int) else f'"{stored}"'
        LOG.core(L_INFO, f"cfg_set_now(): {var.key} has been changed to {shown}")
    return stored


def reset_values() -> None:
    """Back to the start values in every process (tests; a restart of the config)."""
    if _SETS[0]:
        for key in STORE.names():
            STORE.delete(key)
        _SETS[0] = 0
    custom_params.publish_change()


def started() -> None:
    """The log level the server runs with is the start value of `debug` (-d changes it);
    called before the first message of a process (and by cfg_rpc in the main process)."""
    if _DEBUG_TAKEN[0] == cv.SERIAL[0]:
        return
    _DEBUG_TAKEN[0] = cv.SERIAL[0]
    cv.START["core.debug"] = LOG.level


def attach(pipeline: Any) -> None:
    """A pipeline of this process: its latency log follows the latency_* values."""
    started()
    _PIPELINES.add(pipeline)


# ---- the per-message refresh --------------------------------------------------------------


def refresh() -> None:
    """Apply the values changed since this process last looked (one comparison when
    nothing changed)."""
    if _GEN[0] != _SEEN[0]:
        _reload()


def _reload() -> None:
    gen = _GEN[0]
    start = cv.START
    new: dict[str, Value] = dict(start)
    for key, v in STORE.items() if _SETS[0] else ():
        if key in new and v is not None:
            new[key] = v
    _SEEN[0] = gen
    if _VIEW_SERIAL[0] == cv.SERIAL[0]:
        changed = [k for k, v in new.items() if VIEW.get(k) != v]
    else:  # the first values of this process (or of a new config): the start values
        _VIEW_SERIAL[0] = cv.SERIAL[0]  # are in effect already, but for _AT_START
        changed = [k for k, v in new.items() if start[k] != v or k in _AT_START]
    VIEW.clear()
    VIEW.update(new)
    done: set[int] = set()
    for key in changed:
        for fn in APPLIERS.get(key, ()):
            if id(fn) not in done:
                done.add(id(fn))
                try:
                    fn(VIEW)
                except Exception as e:  # an applier must not stop the worker
                    if LOG.enabled(L_ERR):
                        LOG.core(L_ERR, f"cfg_update(): {key}: {type(e).__name__}: {e}")


def register(keys: Iterable[str], fn: Applier) -> Applier:
    """Run `fn(view)` in a process whenever one of `keys` changes there."""
    for key in keys:
        if key not in cv.VARS:
            raise KeyError(key)
        APPLIERS.setdefault(key, []).append(fn)
    return fn


def applier(*keys: str) -> Callable[[Applier], Applier]:
    """Decorator form of `register`."""
    return lambda fn: register(keys, fn)


# ---- appliers -------------------------------------------------------------------------------


@applier("core.debug")
def _debug(view: dict[str, Value]) -> None:
    level = int(view["core.debug"])
    kex = sys.modules.get("siprouter.modules.kex_core")
    base = getattr(kex, "_BASE_LEVEL", None)
    if base:  # a setdebug() level is in force: resetdebug() goes back to this one
        base[0] = level
        return
    LOG.level = level
    root = logging.getLogger("siprouter")
    if any(type(h).__name__ == "_Bridge" for h in root.handlers):
        root.setLevel(python_level(level))


_FACILITY_CODES = {name: getattr(syslog, name) for name in cv.FACILITIES if hasattr(syslog, name)}


@applier("core.log_facility")
def _facility(view: dict[str, Value]) -> None:
    if LOG.stream is not None:  # lines go to stderr: no facility
        return
    code = _FACILITY_CODES.get(str(view["core.log_facility"]), syslog.LOG_DAEMON)
    syslog.openlog(cv.LOG_NAME[0], syslog.LOG_PID, code)


@applier("core.max_while_loops")
def _while_loops(view: dict[str, Value]) -> None:
    from siprouter.engine import script_rt

    v = int(view["core.max_while_loops"])
    # the compiled limit is the config's: only a changed value overrides it
    script_rt.WHILE_LIMIT[0] = None if v == cv.START["core.max_while_loops"] else v


@applier("core.latency_cfg_log", "core.latency_log", "core.latency_limit_action")
def _latency(view: dict[str, Value]) -> None:
    from .latency import LatencyLog

    params = {
        "latency_cfg_log": view["core.latency_cfg_log"],
        "latency_log": view["core.latency_log"],
        "latency_limit_action": view["core.latency_limit_action"],
    }
    for p in list(_PIPELINES):
        p.latency = LatencyLog.from_params(params, p.compiled)


@applier("core.udp_mtu", "core.udp_mtu_try_proto", "core.force_rport", "core.sip_parser_log")
def _settings(view: dict[str, Value]) -> None:
    s = state.SETTINGS
    s.udp_mtu = int(view["core.udp_mtu"])
    s.udp_mtu_try_proto = cv.PROTO_NAMES.get(int(view["core.udp_mtu_try_proto"]), "udp")
    s.force_rport = bool(view["core.force_rport"])
    s.sip_parser_log = int(view["core.sip_parser_log"])


def _seconds(v: Value, default: float) -> float:
    """A TCP timeout in seconds; a negative value means the default."""
    n = int(v)
    return default if n < 0 else float(n)


# tcp variable -> (TcpSettings attribute, conversion)
_TCP_FIELDS: dict[str, tuple[str, Callable[[Value], Any]]] = {
    "tcp.connect_timeout": ("connect_timeout", lambda v: _seconds(v, 10.0)),
    "tcp.send_timeout": ("send_timeout", lambda v: _seconds(v, 10.0)),
    "tcp.connection_lifetime": ("connection_lifetime", lambda v: _seconds(v, 120.0)),
    "tcp.max_connections": ("max_connections", int),
    "tcp.no_connect": ("no_connect", bool),
    "tcp.conn_wq_max": ("conn_wq_max", int),
    "tcp.keepalive": ("keepalive", bool),
    "tcp.keepidle": ("keepidle", lambda v: int(v) or None),
    "tcp.keepintvl": ("keepintvl", lambda v: int(v) or None),
    "tcp.keepcnt": ("keepcnt", lambda v: int(v) or None),
    "tcp.crlf_ping": ("crlf_ping", bool),
    "tcp.accept_aliases": ("accept_aliases", bool),
    "tcp.accept_no_cl": ("accept_no_cl", bool),
    "tcp.rd_buf_size": ("rd_buf_size", int),
}


@applier(*_TCP_FIELDS)
def _tcp(view: dict[str, Value]) -> None:
    accept_no_cl = bool(view["tcp.accept_no_cl"])
    state.SETTINGS.tcp_accept_no_cl = accept_no_cl  # the parser's check
    transport = getattr(sys.modules.get("siprouter.runtime.tcp_transport"), "ACTIVE", None)
    if transport is None:
        return
    settings = transport.settings
    for key, (attr, conv) in _TCP_FIELDS.items():
        if hasattr(settings, attr):
            setattr(settings, attr, conv(view[key]))
    engine = transport.engine
    engine.max_connections = settings.max_connections
    for conn in list(engine.by_fd.values()):
        conn.framer.accept_no_cl = accept_no_cl


_BLST_PROTOS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4}


@applier(
    "core.use_dst_blocklist",
    "core.dst_blocklist_expire",
    "core.dst_blocklist_mem",
    *(f"core.dst_blocklist_{p}_imask" for p in _BLST_PROTOS),
)
def _blocklist(view: dict[str, Value]) -> None:
    from . import dst_blocklist

    s = dst_blocklist.BLOCKLIST.settings
    s.enabled = bool(view["core.use_dst_blocklist"])
    s.expire = float(int(view["core.dst_blocklist_expire"]))
    s.max_mem = int(view["core.dst_blocklist_mem"]) << 10
    for proto, number in _BLST_PROTOS.items():
        s.imask[number] = int(view[f"core.dst_blocklist_{proto}_imask"])
    s.imask[0] = s.imask[1]  # no proto uses the UDP mask, as at start-up


@applier("tcp.syncnt", "tcp.linger2", "tcp.delayed_ack")
def _tcp_sockopts(view: dict[str, Value]) -> None:
    from . import sockopts

    sockopts.TCP = dataclasses.replace(
        sockopts.TCP,
        syncnt=int(view["tcp.syncnt"]) or None,  # 0: the OS default
        linger2=int(view["tcp.linger2"]) or None,
        delayed_ack=bool(view["tcp.delayed_ack"]),
    )


# ---- module groups ----------------------------------------------------------------------
# The module keeps its modparam value where its functions read it; the appliers write
# the runtime value there (a module that is not loaded is not imported: nothing to do).


@applier("maxfwd.max_limit")
def _maxfwd_limit(view: dict[str, Value]) -> None:
    maxfwd = sys.modules.get("siprouter.modules.maxfwd")
    if maxfwd is not None:
        maxfwd.PARAMS["max_limit"] = int(view["maxfwd.max_limit"])


@applier("xlog.methods_filter")
def _xlog_methods_filter(view: dict[str, Value]) -> None:
    params = sys.modules.get("siprouter.modules.xlog_params")
    if params is not None:
        params.XLOG_PARAMS.methods_filter = int(view["xlog.methods_filter"])
