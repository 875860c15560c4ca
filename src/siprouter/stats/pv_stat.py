"""`$stat(name)`: the value of a statistic, read-only (Kamailio's pv module provides it).

The inner name is a bare statistic name, taken literally (`$stat(rcv_requests)`,
`$stat(mystat)`; no group prefix, no pseudo-variable inside): the first statistic of
that name in any group, summed over every worker process. An unknown name is $null,
with a warning, as in Kamailio 5.6.3. The value is Kamailio's unsigned 32-bit view
(a statistic at -400 reads 4294966896). The statistic is looked up when read, not when the
config is compiled: modules declare theirs in their init hooks, after compilation.

Difference from Kamailio 5.6.3: there $stat of an sl statistic (sent_replies, ...)
returns the value computed at the last RPC read of it; here it is the current value.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from siprouter.pv.pvclass import Getter, Index, PVClass, Value

from .registry import registry

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

log = logging.getLogger("siprouter.pv")


def stat_value(name: str) -> int | None:
    st = registry().find(name)
    if st is None:
        log.warning("pv_get_stat(): No stat variable ``%s''", name)
        return None
    return st.value() & 0xFFFFFFFF  # Kamailio gives the value as an unsigned 32-bit int


class StatPV(PVClass):
    name = "stat"
    doc = "value of a statistic (read-only)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return stat_value(name)

    def bind_get(self, name: Any, idx: Index) -> Getter:
        return lambda _ctx: stat_value(name)


STAT = StatPV()
