"""Latency logs of the routing script: latency_cfg_log, latency_limit_action, latency_log.

As Kamailio 5.6.3 prints them (checked with the same cfg):

* the duration of request_route, and of a received reply's handling (the core reply
  route when there is one, and forwarding the reply: Kamailio 5.6.3 prints it without a
  reply route too), at the latency_cfg_log level (default 3, debug) when that level is
  printable: `receive_msg(): request-route executed in: 318 usec` /
  `reply-route executed in: ...`;
* with latency_limit_action > 0 (microseconds), every action that took at least that
  long, at the latency_log level (default -1, error), after it ends (so the actions of
  a sub-route come before the route(...) call that ran them):
  `run_actions(): alert - action [corefunc (63)] cfg [/etc/k.cfg:16] took too long [37 us]`.
  A module function is named with its Kamailio action type
  (`[is_method (25)]`: MODULE1_T), a core action as `corefunc (N)` with Kamailio's
  action type number (ACTION_TYPES below, verified against 5.6.3's output).

Actions are timed per cfg line with `sys.settrace` over the frames of compiled route
code (their code objects carry cfg file names and lines), only while
latency_limit_action is set: a line's time runs from its first event to the next line
event (or the end) of the same route frame, so a `route(X)` line includes the
sub-route. An `if` line is the evaluation of its condition, named after the function
it calls when it calls one (Kamailio logs that call on the `if` line too). Several
statements on one cfg line are one action here.

latency_limit_db applies to database queries; with no database module it has nothing
to time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg import core_functions as cf
from siprouter.engine.context import ROUTE_CODE_NAMES, MsgContext

from .logging import LOG, clamp_level

# Kamailio 5.6.3's action types (enum action_type) of the core actions
ACTION_TYPES: dict[str, int] = {
    "forward": 1,
    "drop": 2,
    "log": 3,
    "error": 4,
    "route": 5,
    "exec": 6,
    "rewritehost": 7,
    "rewritehostport": 8,
    "rewriteuser": 9,
    "rewriteuserpass": 10,
    "rewriteport": 11,
    "rewriteuri": 12,
    "rewritehostporttrans": 13,
    "userphone": 15,
    "if": 16,
    "switch": 21,
    "while": 23,
    "setflag": 39,
    "resetflag": 40,
    "isflagset": 41,
    "setavpflag": 42,
    "resetavpflag": 42,
    "isavpflagset": 42,
    "prefix": 44,
    "strip": 45,
    "strip_tail": 46,
    "append_branch": 47,
    "remove_branch": 48,
    "clear_branches": 49,
    "revert_uri": 50,
    "forward_tcp": 51,
    "forward_udp": 52,
    "forward_tls": 53,
    "forward_sctp": 54,
    "force_rport": 55,
    "add_local_rport": 56,
    "set_advertised_address": 57,
    "set_advertised_port": 58,
    "force_tcp_alias": 59,
    "force_send_socket": 62,
    "assign": 63,
    "udp_mtu_try_proto": 65,
    "set_forward_no_connect": 66,
    "set_reply_no_connect": 67,
    "set_forward_close": 68,
    "set_reply_close": 69,
}
MODULE0_T = 24  # MODULE0_T .. MODULE6_T, then MODULEX_T
MODULEX_T = 31
MODULE_RVE_T = 31  # MODULE1_RVE_T = 32 .. MODULE6_RVE_T = 37, MODULEX_RVE_T = 38
MODULEX_RVE_T = 38


def params_of(compiled: Any) -> dict[str, Any]:
    """The core parameters of the config `compiled` was built from ({} when unknown:
    every parameter then has its default)."""
    config = getattr(compiled, "config", None)
    if config is None:
        return {}
    from siprouter.cfg.core_params import effective_params
    from siprouter.cfg.errors import ConfigError

    try:
        return effective_params(config)
    except ConfigError:
        return {}


# ---- names of the actions, per cfg line ----------------------------------------------------


def call_name(call: ast.Call) -> str:
    """`name (type)` of a function call, as Kamailio names the action."""
    core = cf.lookup(call.name)
    if core is not None and core.module is None:
        num = ACTION_TYPES.get(core.name, ACTION_TYPES.get(call.name))
        return f"corefunc ({num if num is not None else 0})"
    n = len(call.args)
    constant = all(isinstance(a, ast.Literal) for a in call.args)
    if constant:
        num = MODULE0_T + n if n <= 6 else MODULEX_T
    else:
        num = MODULE_RVE_T + n if n <= 6 else MODULEX_RVE_T
    return f"{call.name} ({num})"


def _first_call(expr: Any) -> ast.Call | None:
    if isinstance(expr, ast.Call):
        return expr
    for attr in ("left", "right", "operand", "expr", "value", "cond"):
        sub = getattr(expr, attr, None)
        if sub is not None and not isinstance(sub, str | int):
            found = _first_call(sub)
            if found is not None:
                return found
    return None


def stmt_name(stmt: Any) -> str:
    """`name (type)` of one statement (see the module docstring)."""
    if isinstance(stmt, ast.Call):
        return call_name(stmt)
    if isinstance(stmt, ast.Assign):
        return f"corefunc ({ACTION_TYPES['assign']})"
    if isinstance(stmt, ast.If | ast.While):
        call = _first_call(stmt.cond)
        if call is not None:
            return call_name(call)
        return f"corefunc ({ACTION_TYPES['if' if isinstance(stmt, ast.If) else 'while']})"
    if isinstance(stmt, ast.Switch):
        return f"corefunc ({ACTION_TYPES['switch']})"
    if isinstance(stmt, ast.RouteCall):
        return f"corefunc ({ACTION_TYPES['route']})"
    return f"corefunc ({ACTION_TYPES['drop']})"  # return, exit, drop, break


def _children(stmt: Any) -> Iterable[Any]:
    if isinstance(stmt, ast.If):
        yield from stmt.then
        if stmt.otherwise:
            yield from stmt.otherwise
    elif isinstance(stmt, ast.While):
        yield from stmt.body
    elif isinstance(stmt, ast.Switch):
        for case in stmt.cases:
            yield from case.body


def action_names(blocks: Iterable[Any]) -> dict[tuple[str, int], str]:
    """(cfg file, line) -> action name of the first statement on that line, over the
    bodies of the given route blocks (ast.RouteBlock)."""
    out: dict[tuple[str, int], str] = {}
    todo: list[Any] = []
    for blk in blocks:
        todo.extend(reversed(blk.body))
    while todo:
        stmt = todo.pop()
        pos = getattr(stmt, "pos", None)
        if pos is not None:
            out.setdefault((pos.file, pos.line), stmt_name(stmt))
        todo.extend(reversed(list(_children(stmt))))
    return out


# ---- the per-action tracer -----------------------------------------------------------------


@dataclass
class ActionTimer:
    """Times the cfg lines of compiled route code while `run` calls a function."""

    names: dict[tuple[str, int], str]
    limit_us: int
    level: int
    clock: Callable[[], int] = time.perf_counter_ns
    emit: Callable[[int, str], None] = field(default=LOG.core)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) with the tracer installed (the previous one is put back after)."""
        old = sys.gettrace()
        sys.settrace(self._on_call)
        try:
            return fn(*args)
        finally:
            sys.settrace(old)

    def _on_call(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call" and frame.f_code in ROUTE_CODE_NAMES:
            return self._frame_tracer()
        return None

    def _frame_tracer(self) -> Callable[[FrameType, str, Any], Any]:
        current = [0, 0]  # line, start time (ns)
        clock = self.clock

        def local(frame: FrameType, event: str, _arg: Any) -> Any:
            now = clock()
            line = current[0]
            if line:
                self._done(frame.f_code.co_filename, line, now - current[1])
                current[0] = 0
            if event == "line":
                current[0] = frame.f_lineno or 0
                current[1] = clock()
            return local

        return local

    def _done(self, file: str, line: int, ns: int) -> None:
        us = ns // 1000
        if us < self.limit_us:
            return
        name = self.names.get((file, line))
        if name is None:
            return
        self.emit(
            self.level,
            f"run_actions(): alert - action [{name}] cfg [{file}:{line}] took too long [{us} us]",
        )


# ---- what the pipeline uses ----------------------------------------------------------------


class LatencyLog:
    """The latency settings of one pipeline and the timing around its routes."""

    def __init__(
        self,
        cfg_level: int = 3,
        limit_us: int = 0,
        level: int = -1,
        names: dict[tuple[str, int], str] | None = None,
        clock: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self.cfg_level = cfg_level
        self.limit_us = limit_us
        self.level = clamp_level(level)
        self.clock = clock
        self.timer: ActionTimer | None = None
        if limit_us > 0:
            self.timer = ActionTimer(names or {}, limit_us, self.level, clock)

    @classmethod
    def from_params(cls, params: dict[str, Any], compiled: Any = None) -> LatencyLog:
        limit = int(params.get("latency_limit_action") or 0)
        names = action_names(getattr(compiled, "blocks", {}).values()) if limit > 0 else None
        cfg_level = params.get("latency_cfg_log")
        level = params.get("latency_log")
        return cls(
            3 if cfg_level is None else int(cfg_level),
            limit,
            -1 if level is None else int(level),
            names,
        )

    @property
    def route_timing(self) -> bool:
        """Whether the route durations are printed (latency_cfg_log <= debug)."""
        return LOG.enabled(self.cfg_level)

    def run_route(self, compiled: Any, kind: str, name: str, ctx: MsgContext, label: str) -> int:
        """compiled.run(kind, name, ctx), logging its duration as `label` when
        latency_cfg_log is printable."""
        if not LOG.enabled(self.cfg_level):
            return int(compiled.run(kind, name, ctx))
        t0 = self.clock()
        rc = int(compiled.run(kind, name, ctx))
        self.log_route(label, t0)
        return rc

    def log_route(self, label: str, t0: int) -> None:
        """Log `label` as having run since clock value t0 (at the latency_cfg_log level)."""
        us = (self.clock() - t0) // 1000
        LOG.core(self.cfg_level, f"receive_msg(): {label} executed in: {us} usec")

    def traced(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args), with every slow action logged when latency_limit_action is set."""
        timer = self.timer
        if timer is None:
            return fn(*args)
        return timer.run(fn, *args)
