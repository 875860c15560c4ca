"""The `sl` module's statistics (group "sl"), with Kamailio 5.6.3's names and counting
rules, and the calls modules/sl.py makes.

* `reply_sent(code)`: every stateless reply sent counts sent_replies and one of:
  <code>_replies for 200 202 300 301 302 400 401 403 404 407 408 483 500; else
  <N>xx_replies for a 2xx..6xx code; else xxx_replies (Kamailio 5.6.3 counts its
  provisional replies there, never in 1xx_replies);
* `failure()`: a reply that could not be sent (a reply to ACK refused, a request whose
  headers do not allow a reply, a send error): failures;
* `ack_received()`: an ACK to a reply sl sent (its To tag is sl's): received_ACKs.

sent_err_replies and 1xx_replies are declared with Kamailio's names; Kamailio 5.6.3
counts neither in the paths sl has (checked: sl_reply_error() counts as a 500).

The statistics are COMPUTED (registry.StatFlag): as in Kamailio, where they are backed by
sl's own per-process tables, stats.reset_statistics and reset_stat leave them alone and
update_stat/cnt_add do not change them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siprouter.shared.counters import CounterArray

from .registry import StatFlag

if TYPE_CHECKING:
    from .registry import StatsRegistry

GROUP = "sl"
CODES = (200, 202, 300, 301, 302, 400, 401, 403, 404, 407, 408, 483, 500)
NAMES: tuple[str, ...] = (
    "1xx_replies",
    *(f"{c}_replies" for c in CODES),
    *(f"{c}xx_replies" for c in range(2, 7)),
    "failures",
    "received_ACKs",
    "sent_err_replies",
    "sent_replies",
    "xxx_replies",
)

_arr: CounterArray | None = None
_code_slot: list[int] = []  # index code - 100 for 100..699
_SENT = _FAILURES = _ACKS = _XXX = 0


def declare(reg: StatsRegistry | None = None) -> None:
    """Declare sl's statistics (in the server's registry by default) and count into
    them from now on."""
    global _arr, _SENT, _FAILURES, _ACKS, _XXX
    if reg is None:
        from .registry import registry

        reg = registry()
    stats = reg.declare_many(GROUP, NAMES, StatFlag.COMPUTED)
    slot = {st.name: st.slot for st in stats}
    _SENT, _FAILURES = slot["sent_replies"], slot["failures"]
    _ACKS, _XXX = slot["received_ACKs"], slot["xxx_replies"]
    table = []
    for code in range(100, 700):
        cls = code // 100
        if code in CODES:
            table.append(slot[f"{code}_replies"])
        elif cls >= 2:
            table.append(slot[f"{cls}xx_replies"])
        else:
            table.append(_XXX)
    _code_slot[:] = table
    _arr = stats[0].array


def unbind() -> None:
    global _arr
    _arr = None


def _array() -> CounterArray:
    if _arr is None:
        declare()
    assert _arr is not None
    return _arr


def reply_sent(code: int) -> None:
    row = (_arr or _array()).row
    row[_SENT] += 1
    row[_code_slot[code - 100] if 100 <= code <= 699 else _XXX] += 1


def failure() -> None:
    (_arr or _array()).row[_FAILURES] += 1


def ack_received() -> None:
    (_arr or _array()).row[_ACKS] += 1
