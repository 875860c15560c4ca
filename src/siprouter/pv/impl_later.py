"""pv module PVs of Kamailio versions after 5.6.3 (5.6.3's `-c` refuses them), written
from the later pv documentation:

* $ruri.user, $ruri.domain, $from.user, $from.domain, $to.user, $to.domain: the same
  values (and assignments) as $rU, $rd, $fU, $fd, $tU, $td;
* $utime(name) and $utimef(format): $time(name) / $timef(format) in UTC instead of
  local time (same names: sec, min, hour, mday, mon, year, wday, yday, isdst);
* $shvinc(name): add 1 to $shv(name) and give the new value, atomically across the
  workers when the shared variables live in the shared store (a $shv holding a string
  counts as 0).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from siprouter.modules.registry import PVSpec

from .impl_time import TimefPV, TimePV, msg_time_ns
from .pvclass import Index, PVClass, Value
from .stores import SHARED_VARS

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

ALIASES = {
    "ruri.user": "rU", "ruri.domain": "rd", "from.user": "fU", "from.domain": "fd",
    "to.user": "tU", "to.domain": "td",
}  # fmt: skip


def alias_specs(specs: list[PVSpec]) -> list[PVSpec]:
    """PVSpecs for the dotted names, sharing the getters/setters of `specs`."""
    by_name = {s.name: s for s in specs}
    return [
        PVSpec(alias, by_name[target].getter, by_name[target].setter, doc=f"same as ${target}")
        for alias, target in ALIASES.items()
    ]


class UtimePV(TimePV):
    name = "utime"
    doc = "broken-down UTC time of the message: $utime(sec|min|hour|...)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        tm = time.gmtime(msg_time_ns(ctx) // 1_000_000_000)
        values = {
            "sec": tm.tm_sec, "min": tm.tm_min, "hour": tm.tm_hour, "mday": tm.tm_mday,
            "mon": tm.tm_mon, "year": tm.tm_year, "wday": (tm.tm_wday + 1) % 7 + 1,
            "yday": tm.tm_yday, "isdst": 0,
        }  # fmt: skip
        return values[name]


class UtimefPV(TimefPV):
    name = "utimef"
    doc = "the message's UTC time formatted with strftime: $utimef(%Y-%m-%d)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return time.strftime(name, time.gmtime(msg_time_ns(ctx) // 1_000_000_000))


_LOCAL_INCR = threading.Lock()


class ShvIncPV(PVClass):
    name = "shvinc"
    doc = "$shv(name) plus 1, stored and returned"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        store = SHARED_VARS.store
        incr = getattr(store, "incr", None)
        if incr is not None:  # the shared store: one atomic update for every worker
            return int(incr(name, 1))
        with _LOCAL_INCR:
            v = store.get(name)
            new = (v if isinstance(v, int) else 0) + 1
            store.set(name, new)
            return new


def later_specs(existing: list[PVSpec]) -> list[PVSpec]:
    return [*alias_specs(existing), UtimePV().spec(), UtimefPV().spec(), ShvIncPV().spec()]
