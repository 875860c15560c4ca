"""The core event routes of the receive pipeline, as Kamailio 5.6.3 runs them.

* `event_route[core:msg-received]` (only with `received_route_mode=1`): runs for every
  datagram that passed the size checks, before parsing, with Kamailio's *faked request*
  as the message (an `OPTIONS sip:you@kamailio.org` of 184 bytes, $si "1.0.0.127" and
  $sp 5060 as Kamailio prints them, no local socket: $Ri/$Rp are $null). What was
  received is in `$rcv(buf|len|srcip|srcport|rcvip|rcvport|proto|sproto|af)`. `drop`,
  or a route that ends with a negative value (`return -1`, `exit(-1)`, a last statement
  that failed), drops the datagram; `exit`, `return 0` and positive values go on.
* `event_route[core:pre-routing]`: runs on the parsed message, with the context that
  request_route / reply_route then get (flags and changes carry over); only `drop`
  stops the message, whatever the route returns.
* `event_route[core:receive-parse-error]`: a datagram the core cannot parse; the route
  sees the source and local socket ($si $sp $Ri $Rp $pr $af), the whole buffer ($mb,
  $ml) and the first line when it parses ($rm, $ru); headers read as absent. The
  message is dropped afterwards.
* `event_route[core:worker-one-init]`: once, in the first worker (rank 1, or 0 in a
  single-process server) before it serves, with the faked request as message.

`EventRoutes` looks the blocks up once; each `run_*` returns quickly when the config has
no such block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import SipMessage, parse_message

from .logging import L_DBG, L_ERR, LOG

MSG_RECEIVED = "core:msg-received"
PRE_ROUTING = "core:pre-routing"
PARSE_ERROR = "core:receive-parse-error"
WORKER_ONE_INIT = "core:worker-one-init"

# Kamailio's faked request (core/fmsg.c), the message of event routes run without one
FAKED_REQUEST = (
    b"OPTIONS sip:you@kamailio.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1\r\n"
    b"From: <sip:you@kamailio.org>;tag=123\r\n"
    b"To: <sip:you@kamailio.org>\r\n"
    b"Call-ID: 123\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)

# Kamailio 5.6.3 stores 127.0.0.1 in host byte order in the faked message's source, so
# $si prints "1.0.0.127"; there is no local socket (dst_ip "" reads as $null).
FAKED_RCV = ReceiveInfo(src_ip="1.0.0.127", src_port=5060, dst_ip="", dst_port=0)

# key of the received datagram ($rcv) in the module state of the msg-received context
RCV_KEY = "core.rcv"
# corex's is_faked_msg() mark of a context running the faked request
FAKED_KEY = "core.faked"

PROTO_IDS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}


@dataclass(frozen=True, slots=True)
class Received:
    """What `$rcv(...)` shows in event_route[core:msg-received]."""

    buf: bytes
    rcv: ReceiveInfo


_FAKED: list[SipMessage] = []


def faked_message() -> SipMessage:
    """The faked request, parsed once: a SipMessage is never changed in place (a route's
    edits are lumps in its own context), so every event route may share it."""
    if not _FAKED:
        _FAKED.append(parse_message(FAKED_REQUEST))
    return _FAKED[0]


def _first_line(data: bytes) -> bytes:
    start = len(data) - len(data.lstrip(b"\r\n"))
    eol = data.find(b"\n", start)
    line = data[start:eol] if eol >= 0 else data[start:]
    return line.rstrip(b"\r")


def first_line_parses(data: bytes, transport: str = "udp") -> bool:
    """Whether the first line of `data` is a valid request or status line."""
    try:
        parse_message(_first_line(data) + b"\r\n\r\n", transport=transport)
    except SipParseError:
        return False
    return True


def unparsed_message(data: bytes, transport: str = "udp") -> SipMessage:
    """A message for the parse-error route: the first line when it parses (so $rm and
    $ru work), no headers, and the whole datagram as its buffer ($mb, $ml)."""
    try:
        msg = parse_message(_first_line(data) + b"\r\n\r\n", transport=transport)
    except SipParseError:
        msg = parse_message(b"SIP/2.0 100 -\r\n\r\n", transport=transport)
        msg.status = 0
        msg.reason = b""
    msg.data = data
    return msg


def _faked_context(script: ScriptState) -> MsgContext:
    ctx = MsgContext(faked_message(), FAKED_RCV, script, RouteType.EVENT)
    ctx.module_state()[FAKED_KEY] = True
    return ctx


class EventRoutes:
    """The core event route blocks of one compiled config."""

    def __init__(self, compiled: Any, script: ScriptState, received_route_mode: int = 0) -> None:
        self.compiled = compiled
        self.script = script

        def has(name: str) -> bool:
            return compiled is not None and compiled.get("event", name) is not None

        self.msg_received = received_route_mode == 1 and has(MSG_RECEIVED)
        self.pre_routing = has(PRE_ROUTING)
        self.parse_error = has(PARSE_ERROR)
        self.worker_one_init = has(WORKER_ONE_INIT)
        self.worker_init_done = False

    def run_msg_received(self, data: bytes, rcv: ReceiveInfo) -> bool:
        """Run event_route[core:msg-received]; False when the datagram is dropped."""
        ctx = _faked_context(self.script)
        ctx.module_state()[RCV_KEY] = Received(data, rcv)
        rc = self.compiled.run("event", MSG_RECEIVED, ctx)
        if ctx.dropped or rc < 0:
            if LOG.enabled(L_DBG):
                if ctx.dropped:
                    LOG.core(L_DBG, "ksr_evrt_received(): dropping received message")
                LOG.core(L_DBG, "receive_msg(): dropping the received message")
            return False
        return True

    def run_pre_routing(self, ctx: MsgContext) -> bool:
        """Run event_route[core:pre-routing] on the context the main routes get next;
        False when it dropped the message. The context's route state is reset after."""
        route_type = ctx.route_type
        rc = self.compiled.run("event", PRE_ROUTING, ctx)
        if LOG.enabled(L_DBG):
            LOG.core(L_DBG, f"ksr_evrt_pre_routing(): execution returned {rc}")
        dropped = ctx.dropped
        ctx.dropped = False
        ctx.exited = False
        ctx.route_type = route_type
        if dropped and LOG.enabled(L_DBG):
            LOG.core(L_DBG, "receive_msg(): dropping the message by the pre-routing event route")
        return not dropped

    def run_parse_error(self, data: bytes, rcv: ReceiveInfo) -> None:
        """Run event_route[core:receive-parse-error] for a datagram that did not parse."""
        try:
            msg = unparsed_message(data, rcv.proto)
        except SipParseError:  # pragma: no cover - the stand-in line always parses
            return
        ctx = MsgContext(msg, rcv, self.script, RouteType.EVENT)
        self.compiled.run("event", PARSE_ERROR, ctx)

    def run_worker_one_init(self, rank: int) -> bool:
        """Run event_route[core:worker-one-init] when `rank` is the first worker (1, or
        0 in a single-process server) and it has not run yet; True when it ran."""
        if not self.worker_one_init or self.worker_init_done or rank not in (0, 1):
            return False
        self.worker_init_done = True
        ctx = _faked_context(self.script)
        try:
            self.compiled.run("event", WORKER_ONE_INIT, ctx)
        except Exception as e:  # a bug in the route must not stop the worker
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"worker-one-init event route failed: {type(e).__name__}: {e}")
        return True
