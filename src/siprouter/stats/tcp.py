"""The TCP statistics (group "tcp"), with Kamailio 5.6.3's names and counting rules, for
the TCP transport to call.

Kamailio lists this group when TCP is enabled; here it exists once the TCP transport
calls `declare()` (main process, before the workers fork, when a TCP socket is
configured), so no statistic is listed that nothing counts. What each call counts
(observed on Kamailio 5.6.3 with a loopback client and next hop):

* `accepted()`: an incoming connection: passive_open, established and the gauge
  current_opened_connections;
* `connected()` / `connect_failed()`: an outgoing connection that came up (connect_success,
  established, current_opened_connections) or failed (connect_failed);
* `closed()`: a connection gone, whatever the reason (current_opened_connections - 1);
* `reset()`: the peer reset the connection (con_reset); `timed_out()`: closed by the
  connection lifetime (con_timeout); `rejected()`: refused by a local limit
  (local_reject: tcp_max_connections, tcp_accept_iplimit);
* `send_timed_out()` (send_timeout), `queue_full()` (sendq_full),
  `queued(delta)`: bytes added to (or, negative, written from) the write queues
  (the gauge current_write_queue_size).

Gauges are sums over the processes too: a connection opened by one worker and closed by
another leaves the total right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siprouter.shared.counters import CounterArray

if TYPE_CHECKING:
    from .registry import StatsRegistry

GROUP = "tcp"
NAMES = (
    "con_reset",
    "con_timeout",
    "connect_failed",
    "connect_success",
    "current_opened_connections",
    "current_write_queue_size",
    "established",
    "local_reject",
    "passive_open",
    "send_timeout",
    "sendq_full",
)

_arr: CounterArray | None = None
_slot: dict[str, int] = {}


def declare(reg: StatsRegistry | None = None) -> None:
    """Declare the tcp group (in the server's registry by default); the calls below
    count nothing before this."""
    global _arr
    if reg is None:
        from .registry import registry

        reg = registry()
    stats = reg.declare_many(GROUP, NAMES)
    _slot.clear()
    _slot.update({st.name: st.slot for st in stats})
    _arr = stats[0].array


def unbind() -> None:
    global _arr
    _arr = None


def _add(*names: str, delta: int = 1) -> None:
    arr = _arr
    if arr is None:
        return
    row = arr.row
    for name in names:
        row[_slot[name]] += delta


def accepted() -> None:
    _add("passive_open", "established", "current_opened_connections")


def connected() -> None:
    _add("connect_success", "established", "current_opened_connections")


def connect_failed() -> None:
    _add("connect_failed")


def closed() -> None:
    _add("current_opened_connections", delta=-1)


def reset() -> None:
    _add("con_reset")


def timed_out() -> None:
    _add("con_timeout")


def rejected() -> None:
    _add("local_reject")


def send_timed_out() -> None:
    _add("send_timeout")


def queue_full() -> None:
    _add("sendq_full")


def queued(delta: int) -> None:
    _add("current_write_queue_size", delta=delta)
