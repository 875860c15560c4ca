"""The core statistics (group "core"), with Kamailio 5.6.3's names, and the hot-path
calls that count them.

What each counts (checked against Kamailio 5.6.3 with kex loaded, see
tests/integration/test_stats_core_kamailio.py):

* `message_received(msg)`: one of the next two for a parsed message;
* `request_received(method)`: every request that parsed, before request_route:
  rcv_requests, and rcv_requests_<method> for ACK BYE CANCEL INFO INVITE MESSAGE NOTIFY
  OPTIONS PRACK PUBLISH REFER REGISTER SUBSCRIBE UPDATE (case-insensitive); KDMQ GET
  POST PUT DELETE count nothing more; any other method counts unsupported_methods;
* `reply_received(code, cseq_method)`: every reply that parsed, before the reply route:
  rcv_replies, rcv_replies_<N>xx, rcv_replies_18x (180..189), rcv_replies_<code> for
  401 404 407 480 486, and rcv_replies_<N>xx_<m> when the CSeq method is one of BYE
  CANCEL INVITE MESSAGE PRACK REFER REGISTER ("reg") UPDATE;
* `request_forwarded()` / `request_dropped()`: a stateless forward() sent, or not sent
  because onsend_route dropped it or no socket could send it (fwd_requests /
  drop_requests);
* `reply_forwarded()` / `reply_dropped()`: a received reply forwarded by its second Via,
  or dropped by the reply route (fwd_replies / drop_replies; a reply with one Via
  counts neither);
* `bad_uri()`: a failed parse of the request URI (bad_URIs_rcvd; Kamailio counts every
  failed attempt, so a config reading $rU three times counts three);
* `bad_msg_hdr()`: a received message whose headers (not its first line) do not parse.

err_requests and err_replies are declared with Kamailio's names; no stateless path of
Kamailio 5.6.3 counts them, so nothing here does either.

Each call is two or three integer additions in this process's row of the shared counter
array (no lock, no system call); docs/shared-state.md has the cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siprouter.shared.counters import CounterArray
from siprouter.sip.errors import SipParseError

if TYPE_CHECKING:
    from .registry import StatsRegistry

GROUP = "core"

REQUEST_METHODS = [
    "ack",
    "bye",
    "cancel",
    "info",
    "invite",
    "message",
    "notify",
    "options",
    "prack",
    "publish",
    "refer",
    "register",
    "subscribe",
    "update",
]
# methods Kamailio's parser knows without a counter of their own: not "unsupported"
OTHER_KNOWN_METHODS = ("KDMQ", "GET", "POST", "PUT", "DELETE")
REPLY_METHODS = {
    "BYE": "bye",
    "CANCEL": "cancel",
    "INVITE": "invite",
    "MESSAGE": "message",
    "PRACK": "prack",
    "REFER": "refer",
    "REGISTER": "reg",
    "UPDATE": "update",
}
REPLY_CODES = (401, 404, 407, 480, 486)

NAMES: tuple[str, ...] = (
    "bad_URIs_rcvd",
    "bad_msg_hdr",
    "drop_replies",
    "drop_requests",
    "err_replies",
    "err_requests",
    "fwd_replies",
    "fwd_requests",
    "rcv_replies",
    "rcv_replies_18x",
    *(f"rcv_replies_{c}xx" for c in range(1, 7)),
    *(f"rcv_replies_{c}xx_{m}" for c in range(1, 7) for m in sorted(REPLY_METHODS.values())),
    *(f"rcv_replies_{code}" for code in REPLY_CODES),
    "rcv_requests",
    *(f"rcv_requests_{m}" for m in REQUEST_METHODS),
    "unsupported_methods",
)

_arr: CounterArray | None = None
_slot: dict[str, int] = {}
_method_slots: dict[str, int] = {}
_reply_slots: dict[tuple[int, str | None], tuple[int, ...]] = {}
_RCV_REQ = _UNSUPPORTED = _FWD_REQ = _DROP_REQ = _FWD_RPL = _DROP_RPL = 0
_BAD_URI = _BAD_HDR = 0


def declare(reg: StatsRegistry) -> None:
    """Declare the core statistics in `reg` and count into them from now on."""
    global _arr, _RCV_REQ, _UNSUPPORTED, _FWD_REQ, _DROP_REQ, _FWD_RPL, _DROP_RPL
    global _BAD_URI, _BAD_HDR
    stats = reg.declare_many(GROUP, NAMES)
    _slot.clear()
    _slot.update({st.name: st.slot for st in stats})
    _method_slots.clear()
    for m in REQUEST_METHODS:
        _method_slots[m.upper()] = _slot[f"rcv_requests_{m}"]
    _reply_slots.clear()
    for m in OTHER_KNOWN_METHODS:
        _method_slots[m] = -1
    _RCV_REQ, _UNSUPPORTED = _slot["rcv_requests"], _slot["unsupported_methods"]
    _FWD_REQ, _DROP_REQ = _slot["fwd_requests"], _slot["drop_requests"]
    _FWD_RPL, _DROP_RPL = _slot["fwd_replies"], _slot["drop_replies"]
    _BAD_URI, _BAD_HDR = _slot["bad_URIs_rcvd"], _slot["bad_msg_hdr"]
    _arr = stats[0].array


def unbind() -> None:
    global _arr
    _arr = None


def _array() -> CounterArray:
    if _arr is None:
        from .registry import registry

        registry()  # declares the core statistics, binding _arr
    assert _arr is not None
    return _arr


def reply_slots(code: int, cseq_method: str | None) -> tuple[int, ...]:
    """The slots a reply of `code` to `cseq_method` adds one to."""
    key = (code, cseq_method)
    slots = _reply_slots.get(key)
    if slots is not None:
        return slots
    _array()
    cls = code // 100
    names = ["rcv_replies"]
    if 1 <= cls <= 6:
        names.append(f"rcv_replies_{cls}xx")
        m = REPLY_METHODS.get((cseq_method or "").upper())
        if m is not None:
            names.append(f"rcv_replies_{cls}xx_{m}")
    if 180 <= code <= 189:
        names.append("rcv_replies_18x")
    if code in REPLY_CODES:
        names.append(f"rcv_replies_{code}")
    slots = tuple(_slot[n] for n in names)
    if len(_reply_slots) < 4096:  # bounded: codes x methods seen
        _reply_slots[key] = slots
    return slots


def request_received(method: str) -> None:
    row = (_arr or _array()).row
    row[_RCV_REQ] += 1
    s = _method_slots.get(method)
    if s is None:
        s = _method_slots.get(method.upper(), _UNSUPPORTED)
    if s >= 0:
        row[s] += 1


def reply_received(code: int, cseq_method: str | None) -> None:
    row = (_arr or _array()).row
    for s in reply_slots(code, cseq_method):
        row[s] += 1


def message_received(msg: Any) -> None:
    """request_received or reply_received for a parsed SipMessage (a reply whose CSeq
    does not parse counts without a method)."""
    if msg.is_request:
        request_received(msg.method)
        return
    try:
        method = msg.method
    except SipParseError:
        method = None
    reply_received(msg.status, method)


def request_forwarded() -> None:
    (_arr or _array()).row[_FWD_REQ] += 1


def request_dropped() -> None:
    (_arr or _array()).row[_DROP_REQ] += 1


def reply_forwarded() -> None:
    (_arr or _array()).row[_FWD_RPL] += 1


def reply_dropped() -> None:
    (_arr or _array()).row[_DROP_RPL] += 1


def bad_uri() -> None:
    (_arr or _array()).row[_BAD_URI] += 1


def bad_msg_hdr() -> None:
    (_arr or _array()).row[_BAD_HDR] += 1
