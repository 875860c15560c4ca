"""corex network I/O interception: the nio_* parameters, event_route[network:msg] and
is_incoming(), as Kamailio 5.6.3 has them (tests/integration/test_mod_corex_nio.py runs
the same config through both servers).

* `nio_intercept` (int, 0): non-zero runs event_route[network:msg] for every datagram
  received (before anything else looks at it, event_route[core:msg-received] included)
  and for every buffer about to be sent (replies, forwarded requests, send_data, ...).
  Start-up fails without a non-empty event_route[network:msg].
* `nio_min_msg_len` (int, 0): data shorter than this skips the route (a negative value
  counts as 0, with a warning).
* `nio_msg_avp` (str, ""): an AVP spec (`$avp(msg)`); when the route leaves a value in
  it, that value replaces the data (parsed and routed when received, sent instead when
  outgoing). Not an AVP: start-up fails. Unset or empty: the data stays as it was.
* In the route, $mb / $ml are the data; the message is the data parsed (a buffer that
  does not parse shows its first line when that parses, headers read as absent).
* `is_incoming()`: 1 when the last network:msg event of this process was for received
  data, -1 for outgoing data and before any (Kamailio keeps one flag per process, so a
  request_route running after the event of its own datagram sees 1).

The hooks: `pipeline.RECEIVE_HOOKS` (data, rcv) -> data and `state.SEND_HOOKS`
(proto, local_ip, local_port, dest, data) -> data, installed by mod init when
nio_intercept is set. $var values set in the route belong to its own per-process script
state (not shared with request_route, unlike Kamailio where $var is per process).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.runtime import lifecycle, pipeline, state
from siprouter.runtime.events import unparsed_message
from siprouter.runtime.logging import L_ERR, L_WARN, LOG
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import SipMessage, parse_message

from .siputils_args import fix_pv

ROUTE = "network:msg"
PARAMS: dict[str, Any] = {"nio_intercept": 0, "nio_min_msg_len": 0, "nio_msg_avp": ""}


@dataclass
class _Nio:
    compiled: Any = None
    script: ScriptState | None = None
    avp: Any = None  # PVAccess of nio_msg_avp
    min_len: int = 0
    incoming: bool = False
    busy: bool = False  # a send from inside the route is not intercepted again


NIO = _Nio()


def reset() -> None:
    PARAMS.update(nio_intercept=0, nio_min_msg_len=0, nio_msg_avp="")
    uninstall()
    NIO.__init__()  # type: ignore[misc]


def check_avp(value: Any) -> str:
    text = str(value)
    if text:
        _avp_access(text)
    return text


def _avp_access(text: str) -> Any:
    acc = fix_pv(text)
    if not (text.startswith("$avp(") or text.startswith("$(avp(")) or acc.set is None:
        raise ValueError(f"malformed or non AVP {text} AVP definition")
    return acc


def init(compiled: Any) -> None:
    """mod_init: with nio_intercept set, check the route and install the hooks."""
    if not int(PARAMS["nio_intercept"] or 0):
        return
    block = compiled.get("event", ROUTE) if compiled is not None else None
    if block is None:
        raise lifecycle.ModuleInitError("corex: no event_route[network:msg] found")
    min_len = int(PARAMS["nio_min_msg_len"] or 0)
    if min_len < 0:
        LOG.core(L_WARN, "corex: min_msg_len is less then zero, setting it to zero")
        min_len = 0
    text = str(PARAMS["nio_msg_avp"] or "")
    NIO.compiled = compiled
    NIO.avp = _avp_access(text) if text else None
    NIO.min_len = min_len
    install()


def install() -> None:
    if on_received not in pipeline.RECEIVE_HOOKS:
        pipeline.RECEIVE_HOOKS.append(on_received)
    if on_send not in state.SEND_HOOKS:
        state.SEND_HOOKS.append(on_send)


def uninstall() -> None:
    if on_received in pipeline.RECEIVE_HOOKS:
        pipeline.RECEIVE_HOOKS.remove(on_received)
    if on_send in state.SEND_HOOKS:
        state.SEND_HOOKS.remove(on_send)


def _message(data: bytes, proto: str) -> SipMessage:
    try:
        return parse_message(data, transport=proto)
    except SipParseError:
        return unparsed_message(data, proto)


def run_route(data: bytes, rcv: ReceiveInfo, incoming: bool) -> bytes:
    """Run event_route[network:msg] over `data`; the data to go on with."""
    if NIO.busy or NIO.compiled is None or len(data) < NIO.min_len:
        return data
    NIO.incoming = incoming
    if NIO.script is None:
        NIO.script = ScriptState(compiled=NIO.compiled)
    NIO.busy = True
    try:
        ctx = MsgContext(_message(data, rcv.proto), rcv, NIO.script, RouteType.EVENT)
        NIO.compiled.run("event", ROUTE, ctx)
        value = NIO.avp.get(ctx) if NIO.avp is not None and ctx.avps is not None else None
    except Exception as e:  # a failing route must not lose the message
        if LOG.enabled(L_ERR):
            LOG.core(L_ERR, f"corex: event_route[network:msg] failed: {type(e).__name__}: {e}")
        return data
    finally:
        NIO.busy = False
    if value is None or value == "":
        return data
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


def on_received(data: bytes, rcv: ReceiveInfo) -> bytes:
    return run_route(data, rcv, True)


def on_send(
    proto: str, local_ip: str, local_port: int, dest: tuple[str, int], data: bytes
) -> bytes:
    rcv = ReceiveInfo(dest[0], dest[1], local_ip, local_port, proto)
    return run_route(data, rcv, False)


def is_incoming(ctx: MsgContext) -> int:
    return 1 if NIO.incoming else -1
