"""Time and process pseudo-variables: $TV(s|u|sn|un|Sn) $Ts $TS $Tf $TF $Tb
$time(name) $timef(format) $version(num|full|hash) $pp $mi, and the class behind
$cfg(line|file|name|route) (`CFG`; exported by the corex module in Kamailio, not by
pv: a siprouter corex module exports `CFG.spec()`). $cfg(route) is the block's name,
"DEFAULT_ROUTE" in request_route, as in Kamailio 5.6.3.

As in Kamailio 5.6.3, the time of $TV(s)/$TV(u)/$Ts/$Tf/$time()/$timef() is taken once
per message, at the first read, and kept for the rest of that message; $TV(sn)/
$TV(un)/$TV(Sn)/$TS/$TF read the clock every time. $Tf/$TF look like C's ctime()
without the newline; $TV(Sn) is "seconds.microseconds" (6 digits). $time() uses local
time; its month, weekday (Sunday = 1) and day of the year (1 Jan = 1) count from 1.
$Tb is when this process loaded the pv module. $version(num) is the Kamailio release
siprouter follows (so version checks in configs behave the same).
$mi is a per-process counter of messages, assigned to a message the first time a
script reads it (Kamailio numbers every received message).
"""

from __future__ import annotations

import itertools
import os
import platform
import time
from typing import TYPE_CHECKING, Any

from siprouter import KAMAILIO_COMPAT_VERSION, __version__
from siprouter.modules.registry import PVSpec

from .pvclass import Index, PVClass, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

START_TIME = int(time.time())
_MSG_IDS = itertools.count(1)
_NOW_KEY = "pv.now"
_MSGID_KEY = "pv.msgid"


def msg_time_ns(ctx: MsgContext) -> int:
    """The message's time (ns since the epoch), taken at the first call for it."""
    state = ctx.module_state()
    t = state.get(_NOW_KEY)
    if t is None:
        t = state[_NOW_KEY] = time.time_ns()
    return int(t)


def _sec_usec(ns: int) -> tuple[int, int]:
    us = ns // 1000
    return us // 1_000_000, us % 1_000_000


class TvPV(PVClass):
    name = "TV"
    doc = "time of day: $TV(s), $TV(u) (per message), $TV(sn), $TV(un), $TV(Sn) (now)"
    NAMES = ("s", "u", "sn", "un", "Sn")

    def parse_name(self, text: str) -> Any:
        if text not in self.NAMES:
            raise ValueError(f"unknown PV timeval name {text}")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        ns = msg_time_ns(ctx) if name in ("s", "u") else time.time_ns()
        sec, usec = _sec_usec(ns)
        if name in ("s", "sn"):
            return sec
        if name in ("u", "un"):
            return usec
        return f"{sec}.{usec:06d}"


def get_Ts(ctx: MsgContext) -> Value:
    return msg_time_ns(ctx) // 1_000_000_000


def get_TS(ctx: MsgContext) -> Value:
    return int(time.time())


def get_Tf(ctx: MsgContext) -> Value:
    return time.ctime(msg_time_ns(ctx) // 1_000_000_000)


def get_TF(ctx: MsgContext) -> Value:
    return time.ctime()


def get_Tb(ctx: MsgContext) -> Value:
    return START_TIME


class TimePV(PVClass):
    name = "time"
    doc = "broken-down local time of the message: $time(sec|min|hour|mday|mon|year|wday|yday|isdst)"
    NAMES = ("sec", "min", "hour", "mday", "mon", "year", "wday", "yday", "isdst")

    def parse_name(self, text: str) -> Any:
        if text not in self.NAMES:
            raise ValueError(f"unknown PV time name {text}")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        tm = time.localtime(msg_time_ns(ctx) // 1_000_000_000)
        if name == "sec":
            return tm.tm_sec
        if name == "min":
            return tm.tm_min
        if name == "hour":
            return tm.tm_hour
        if name == "mday":
            return tm.tm_mday
        if name == "mon":
            return tm.tm_mon
        if name == "year":
            return tm.tm_year
        if name == "wday":
            return (tm.tm_wday + 1) % 7 + 1  # Python: Monday = 0; Kamailio: Sunday = 1
        if name == "yday":
            return tm.tm_yday
        return tm.tm_isdst if tm.tm_isdst > 0 else 0


class TimefPV(PVClass):
    name = "timef"
    doc = "the message's local time formatted with strftime: $timef(%Y-%m-%d)"

    def parse_name(self, text: str) -> Any:
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return time.strftime(name, time.localtime(msg_time_ns(ctx) // 1_000_000_000))


class VersionPV(PVClass):
    name = "version"
    doc = "$version(num), $version(full), $version(hash)"

    def parse_name(self, text: str) -> Any:
        if text not in ("num", "full", "hash"):
            raise ValueError("expected num, full or hash")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        num = ".".join(map(str, KAMAILIO_COMPAT_VERSION))
        if name == "num":
            return num
        if name == "full":
            arch = f"{platform.machine()}/{platform.system().lower()}"
            return f"siprouter {__version__} (kamailio {num} compatible) ({arch})"
        return __version__


def get_pp(ctx: MsgContext) -> Value:
    return os.getpid()


def get_mi(ctx: MsgContext) -> Value:
    state = ctx.module_state()
    mid = state.get(_MSGID_KEY)
    if mid is None:
        mid = state[_MSGID_KEY] = next(_MSG_IDS)
    return int(mid)


class CfgPV(PVClass):
    """$cfg(line|file|route): where in the config the running statement is."""

    name = "cfg"
    doc = "$cfg(line), $cfg(file), $cfg(route)"

    def parse_name(self, text: str) -> Any:
        if text not in ("line", "file", "name", "route"):
            raise ValueError("expected line, file, name or route")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        file, line, route = ctx.cfg_location()
        if name == "line":
            return line
        if name in ("file", "name"):
            return file or None
        if route in ("request_route", "route"):
            return "DEFAULT_ROUTE"  # Kamailio's name of the request route
        return route or None


CFG = CfgPV()


def time_specs() -> list[PVSpec]:
    """The PVSpecs of this file (all read-only)."""
    return [
        TvPV().spec(),
        PVSpec("Ts", get_Ts, doc="unix time of the message"),
        PVSpec("TS", get_TS, doc="unix time now"),
        PVSpec("Tf", get_Tf, doc="formatted time of the message"),
        PVSpec("TF", get_TF, doc="formatted time now"),
        PVSpec("Tb", get_Tb, doc="startup time"),
        TimePV().spec(),
        TimefPV().spec(),
        VersionPV().spec(),
        PVSpec("pp", get_pp, doc="process id"),
        PVSpec("mi", get_mi, doc="message id"),
    ]
