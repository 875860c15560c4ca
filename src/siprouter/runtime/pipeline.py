"""The receive pipeline: one datagram in, the routing blocks run, what they send goes out.

For each datagram (`Pipeline.receive`), in Kamailio 5.6.3's order (runtime/events.py
has the event routes):

1. size: a UDP datagram under 32 bytes is a probing packet, ignored (logged at debug); over
   SETTINGS.max_udp_size it is dropped with a warning; CRLF keep-alives are ignored;
2. event_route[core:msg-received] when received_route_mode=1 (it may drop it);
3. `parse_message` with the configured sip_parser_mode, the top Via parsed: a message
   that does not parse runs
   event_route[core:receive-parse-error] and is dropped, logged as an error (Kamailio
   does not answer what it cannot parse); the worker keeps serving;
4. event_route[core:pre-routing] (a `drop` there ends the message);
5. a message without Via, or without From, To, Call-ID or CSeq before a header that
   does not parse, is dropped with an error ("no via found in request", "required
   headers not found in reply", ...);
6. a request runs request_route; what the route does not send explicitly is dropped
   (the implicit end of request_route);
7. a reply runs the core reply route (`reply_route` or the unnamed `onreply_route`);
   it is forwarded statelessly by the second Via (runtime/forward.forward_reply)
   unless the route dropped it or ended with a value of 0 or less, as Kamailio 5.6.3
   does: `return(0)`, `return(-1)`, `exit(0)`, `exit(-1)`, `return(0)` or `exit(0)` in a
   sub-route, or a last statement whose value is negative (a function that failed);
   a bare `exit` forwards it (ctx.exited), as does a last statement that succeeded.
   With check_via=1 a reply whose top Via is not one of our addresses (host and port,
   `myself` rules) is not forwarded ("host in first via!=me").

Latency (runtime/latency.py): the time of request_route / of a reply's handling is logged
at the latency_cfg_log level ("request-route executed in: N usec"), and with
latency_limit_action > 0 every action slower than the limit is logged at latency_log.

`worker_init(rank)` runs event_route[core:worker-one-init] in the first worker; the
process model calls it right after creating the Pipeline.

A Python exception escaping route code (a bug, or a header that fails to parse late)
is logged with the cfg location and the message is dropped; the loop goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_via import Via
from siprouter.sip.message import SipMessage, is_keepalive, parse_message
from siprouter.stats import core as stats_core

from . import core_cfg, forward, onsend
from .events import EventRoutes, first_line_parses
from .forward import forward_reply
from .latency import LatencyLog, params_of
from .log_prefix import PREFIX
from .logging import L_DBG, L_ERR, L_WARN, LOG
from .state import SETTINGS, LocalSocket

ReplyForwarder = Callable[[MsgContext], None]

# Kamailio ignores UDP datagrams shorter than this ("probing packet")
MIN_UDP_PACKET = 32
_CRLF = (b"\r", b"\n")  # the first byte of a keep-alive
_RCV_CACHE_MAX = 4096
_REQUEST = RouteType.REQUEST
_CORE_ONREPLY = RouteType.CORE_ONREPLY

# (data, rcv) -> data: filters run on each datagram before anything else (corex's
# nio_intercept installs one); empty in most configs, so one `if` costs nothing
RECEIVE_HOOKS: list[Callable[[bytes, ReceiveInfo], bytes]] = []


class Pipeline:
    """Runs received messages through a compiled config, in one worker process.

    `params` are the core parameters (cfg/core_params.effective_params); by default they
    are read from the config the routes were compiled from."""

    def __init__(
        self,
        compiled: Any,
        script: ScriptState | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.compiled = compiled
        self.script = script if script is not None else ScriptState(compiled=compiled)
        if params is None:
            params = params_of(compiled)
        self.request_fn = compiled.get("request", "")
        reply_kind = None
        for kind, name in (("reply", ""), ("onreply", ""), ("onreply", "0")):
            if compiled.get(kind, name) is not None:
                reply_kind = (kind, name)
                break
        self.reply_block = reply_kind
        self.forward_reply: ReplyForwarder | None = forward_reply
        self.events = EventRoutes(
            compiled, self.script, int(params.get("received_route_mode") or 0)
        )
        self.latency = LatencyLog.from_params(params, compiled)
        self.check_via = bool(params.get("check_via"))
        onsend.configure(bool(params.get("onsend_route_reply")))
        forward.SETTINGS.mhomed = bool(params.get("mhomed"))
        self.received = 0
        self.dropped_bad = 0
        # (source, socket proto/ip/port/af) -> ReceiveInfo: frozen, so one instance serves
        # every message from that peer on that socket (bounded, cleared when full)
        self._rcv_cache: dict[tuple[Any, ...], ReceiveInfo] = {}
        core_cfg.attach(self)  # cfg.set_now changes reach self.latency (runtime/core_cfg.py)
        PREFIX.attach(self.script.compiled)  # log_prefix: compiled with the config's PVs

    def worker_init(self, rank: int) -> None:
        """The process with rank `rank` is about to serve: event_route[core:worker-one-init]
        runs in the first worker (rank 1, or 0 in a single-process server), once."""
        self.latency.traced(self.events.run_worker_one_init, rank)

    def receive(self, data: bytes, src: tuple[Any, ...], ls: LocalSocket) -> None:
        """Process one datagram from `src` (ip, port[, ...]) that arrived on `ls`."""
        core_cfg.refresh()  # core/tcp cfg values changed at runtime: one comparison
        self.received += 1
        n = len(data)
        if n < MIN_UDP_PACKET and ls.proto == "udp":
            if LOG.enabled(L_DBG):
                LOG.core(L_DBG, f"udp_rcv_loop(): probing packet received from {src[0]} {src[1]}")
            return
        if n > SETTINGS.max_udp_size and ls.proto == "udp":
            self.dropped_bad += 1
            if LOG.enabled(L_WARN):
                LOG.core(
                    L_WARN,
                    f"receive_msg(): message of {n} bytes from "
                    f"{src[0]}:{src[1]} is too big, dropped",
                )
            return
        if data[:1] in _CRLF and is_keepalive(data):
            return
        key = (src[0], src[1], ls.proto, ls.ip, ls.port, ls.af)
        rcv = self._rcv_cache.get(key)
        if rcv is None:
            rcv = ReceiveInfo(src[0], src[1], ls.ip, ls.port, ls.proto, ls.af)
            if len(self._rcv_cache) >= _RCV_CACHE_MAX:
                self._rcv_cache.clear()
            self._rcv_cache[key] = rcv
        try:
            if self.latency.timer is None:
                self._receive(data, rcv, ls)
            else:
                self.latency.traced(self._receive, data, rcv, ls)
        except Exception as e:  # one bad message must not stop the worker
            self._crashed(e, data, rcv)
        if LOG.current is not None:  # the message's log_prefix ends with it
            LOG.current = None

    def _receive(self, data: bytes, rcv: ReceiveInfo, ls: LocalSocket) -> None:
        if RECEIVE_HOOKS:
            for hook in RECEIVE_HOOKS:
                data = hook(data, rcv)
        events = self.events
        if events.msg_received and not events.run_msg_received(data, rcv):
            return
        try:
            msg = parse_message(
                data,
                transport=ls.proto,
                parser_mode=SETTINGS.sip_parser_mode,
                tcp_accept_no_cl=SETTINGS.tcp_accept_no_cl,
            )
            # parsed now: a bad top Via is a parse error
            via1 = msg.via1 if msg.is_request else _reply_via1(msg)
        except SipParseError as e:
            self.dropped_bad += 1
            if first_line_parses(data, ls.proto):  # it failed in the headers
                stats_core.bad_msg_hdr()
            if LOG.enabled(SETTINGS.sip_parser_log):
                LOG.core(
                    SETTINGS.sip_parser_log,
                    f"receive_msg(): core parsing of SIP message from "
                    f"{rcv.src_ip}:{rcv.src_port} failed ({e.reason}), dropped",
                )
            if events.parse_error:
                events.run_parse_error(data, rcv)
            return
        is_request = msg.is_request
        if is_request:
            stats_core.request_received(msg._method)
        else:
            stats_core.message_received(msg)
        if LOG.level >= L_DBG:
            LOG.core(
                L_DBG,
                f"receive_msg(): --- received sip message - {_kind(is_request)} - "
                f"call-id: [{_header_text(msg, 'Call-ID')}] - "
                f"cseq: [{_header_text(msg, 'CSeq')}]",
            )
        ctx = MsgContext(msg, rcv, self.script, _REQUEST if is_request else _CORE_ONREPLY)
        if PREFIX.on:
            PREFIX.begin(ctx)
        if events.pre_routing and not events.run_pre_routing(ctx):
            return
        if via1 is None:
            self.dropped_bad += 1
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"receive_msg(): no via found in {_kind(is_request)}")
            return
        if not _has_required_headers(msg):
            self.dropped_bad += 1
            if LOG.enabled(L_ERR):
                LOG.core(L_ERR, f"receive_msg(): required headers not found in {_kind(is_request)}")
            return
        if not is_request:
            self._reply(ctx)
        elif self.request_fn is not None:
            if self.latency.cfg_level > LOG.level:  # route timing not logged: run it
                self.compiled.run("request", "", ctx)
            else:
                self._request(ctx)

    def _request(self, ctx: MsgContext) -> None:
        if self.request_fn is None:
            return
        self.latency.run_route(self.compiled, "request", "", ctx, "request-route")

    def _reply(self, ctx: MsgContext) -> None:
        lat = self.latency
        if not lat.route_timing:
            self._reply_routed(ctx)
            return
        t0 = lat.clock()
        try:
            self._reply_routed(ctx)
        finally:
            lat.log_route("reply-route", t0)

    def _reply_routed(self, ctx: MsgContext) -> None:
        blk = self.reply_block
        if blk is not None:
            rc = self.compiled.run(blk[0], blk[1], ctx)
            if ctx.dropped or (rc <= 0 and not ctx.exited):
                stats_core.reply_dropped()
                if LOG.enabled(L_DBG):
                    LOG.core(L_DBG, f"receive_msg(): reply dropped by the reply route ({rc})")
                return
        if self.check_via and not self._via_is_mine(ctx.msg):
            return
        fwd = self.forward_reply
        if fwd is not None:
            fwd(ctx)

    def _via_is_mine(self, msg: SipMessage) -> bool:
        """check_via: the reply's top Via names one of our addresses (host and port)."""
        via = msg.via1
        matcher = getattr(self.compiled, "myself", None)
        if via is None or matcher is None:
            return True
        port = via.port if via.port is not None else 5060
        if matcher.check(via.host_bare, port):
            return True
        if LOG.enabled(L_ERR):
            LOG.core(L_ERR, f"do_forward_reply(): host in first via!=me : {via.host}:{port}")
        return False

    def _crashed(self, e: Exception, data: bytes, rcv: ReceiveInfo) -> None:
        if not LOG.enabled(L_ERR):
            return
        where = ""
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if frame.filename.endswith(".cfg") or "cfg" in frame.filename.rsplit("/", 1)[-1]:
                where = f" at {frame.filename}:{frame.lineno}"
                break
        first = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
        LOG.core(
            L_ERR,
            f"receive_msg(): error routing '{first}' from "
            f"{rcv.src_ip}:{rcv.src_port}{where}: {type(e).__name__}: {e}",
        )


def _kind(is_request: bool) -> str:
    return "request" if is_request else "reply"


def _header_text(msg: SipMessage, name: str) -> str:
    raw = msg.header(name)
    return "" if raw is None else raw.decode("utf-8", "replace")


def _reply_via1(msg: SipMessage) -> Via | None:
    """`msg.via1` of a reply, through `msg.parsed` (same form, same errors): a reply's
    first Via header often holds the whole Via list on one line (SIPp's replies do),
    which msg.via1's one-regex attempt cannot match and gives up on slowly before
    parsed() tries it again; parsed() alone pays that failure once."""
    hids = msg.header_ids
    if H.VIA not in hids:
        return None
    return msg.parsed(hids.index(H.VIA))[0]  # type: ignore[no-any-return]


_REQUIRED = frozenset((H.FROM, H.TO, H.CALL_ID, H.CSEQ))


def _has_required_headers(msg: SipMessage) -> bool:
    """From, To, Call-ID and CSeq are found before a Via that does not parse, as
    Kamailio's header scan sees them: it parses every Via on its way and stops at the
    first broken one ("parsing relevant headers failed"). (It parses To and CSeq too,
    but more leniently than siprouter's parsers: their values are left to the
    modules, sanity for one.) The first Via is parsed already."""
    ids = msg.header_ids
    if ids.count(H.VIA) < 2:  # no Via below the first to parse: presence is enough
        return _REQUIRED.issubset(ids)
    try:
        last = max(ids.index(H.FROM), ids.index(H.TO), ids.index(H.CALL_ID), ids.index(H.CSEQ))
    except ValueError:
        return False
    first = ids.index(H.VIA)
    for i in range(first + 1, last):
        if ids[i] == H.VIA:
            try:
                msg.parsed(i)
            except SipParseError:
                stats_core.bad_msg_hdr()
                if LOG.enabled(L_ERR):
                    LOG.core(L_ERR, "receive_msg(): parsing relevant headers failed")
                return False
    return True
