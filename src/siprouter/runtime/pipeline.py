"""The receive pipeline: one datagram in, the routing blocks run, what they send goes out.

For each datagram (`Pipeline.receive`):

1. too big (over SETTINGS.max_udp_size) -> dropped with a log line;
2. CRLF keep-alives are ignored;
3. `parse_message` with the configured sip_parser_mode; a message that does not parse,
   or whose top Via does not, is dropped with an error log (as Kamailio 5.6.3 does: it
   does not answer what it cannot parse); the worker keeps serving;
4. a request runs request_route with a fresh MsgContext and ReceiveInfo; what the
   route does not send explicitly is dropped (the implicit end of request_route);
5. a reply runs the core reply route (`reply_route` or the unnamed `onreply_route`);
   it is forwarded statelessly by the second Via (runtime/forward.forward_reply)
   unless the route dropped it or ended with a value of 0 or less, as Kamailio 5.6.3
   does: `return(0)`, `return(-1)`, `exit(0)`, `exit(-1)`, `return(0)` or `exit(0)` in a
   sub-route, or a last statement whose value is negative (a function that failed);
   a bare `exit` forwards it (ctx.exited), as does a last statement that succeeded.

A Python exception escaping route code (a bug, or a header that fails to parse late)
is logged with the cfg location and the message is dropped; the loop goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.registry import RouteType
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import SipMessage, is_keepalive, parse_message

from .forward import forward_reply
from .logging import L_DBG, L_ERR, L_WARN, LOG
from .state import SETTINGS, LocalSocket

ReplyForwarder = Callable[[MsgContext], None]


class Pipeline:
    """Runs received messages through a compiled config, in one worker process."""

    def __init__(self, compiled: Any, script: ScriptState | None = None) -> None:
        self.compiled = compiled
        self.script = script if script is not None else ScriptState(compiled=compiled)
        self.request_fn = compiled.get("request", "")
        reply_kind = None
        for kind, name in (("reply", ""), ("onreply", ""), ("onreply", "0")):
            if compiled.get(kind, name) is not None:
                reply_kind = (kind, name)
                break
        self.reply_block = reply_kind
        self.forward_reply: ReplyForwarder | None = forward_reply
        self.received = 0
        self.dropped_bad = 0

    def receive(self, data: bytes, src: tuple[Any, ...], ls: LocalSocket) -> None:
        """Process one datagram from `src` (ip, port[, ...]) that arrived on `ls`."""
        self.received += 1
        if len(data) > SETTINGS.max_udp_size:
            self.dropped_bad += 1
            if LOG.enabled(L_WARN):
                LOG.core(
                    L_WARN,
                    f"receive_msg(): message of {len(data)} bytes from "
                    f"{src[0]}:{src[1]} is too big, dropped",
                )
            return
        if is_keepalive(data):
            return
        try:
            msg = parse_message(data, transport=ls.proto, parser_mode=SETTINGS.sip_parser_mode)
            via1 = msg.via1
            if via1 is None:
                raise SipParseError("no Via header", 400)
        except SipParseError as e:
            self.dropped_bad += 1
            if LOG.enabled(L_ERR):
                LOG.core(
                    L_ERR,
                    f"receive_msg(): core parsing of SIP message from "
                    f"{src[0]}:{src[1]} failed ({e.reason}), dropped",
                )
            return
        rcv = ReceiveInfo(src[0], src[1], ls.ip, ls.port, ls.proto, ls.af)
        try:
            if msg.is_request:
                self._request(msg, rcv)
            else:
                self._reply(msg, rcv)
        except Exception as e:  # one bad message must not stop the worker
            self._crashed(e, msg, rcv)

    def _request(self, msg: SipMessage, rcv: ReceiveInfo) -> None:
        fn = self.request_fn
        if fn is None:
            return
        ctx = MsgContext(msg, rcv, self.script, RouteType.REQUEST)
        self.compiled.run("request", "", ctx)

    def _reply(self, msg: SipMessage, rcv: ReceiveInfo) -> None:
        ctx = MsgContext(msg, rcv, self.script, RouteType.CORE_ONREPLY)
        blk = self.reply_block
        if blk is not None:
            rc = self.compiled.run(blk[0], blk[1], ctx)
            if ctx.dropped or (rc <= 0 and not ctx.exited):
                if LOG.enabled(L_DBG):
                    LOG.core(L_DBG, f"receive_msg(): reply dropped by the reply route ({rc})")
                return
        fwd = self.forward_reply
        if fwd is not None:
            fwd(ctx)

    def _crashed(self, e: Exception, msg: SipMessage, rcv: ReceiveInfo) -> None:
        if not LOG.enabled(L_ERR):
            return
        where = ""
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if frame.filename.endswith(".cfg") or "cfg" in frame.filename.rsplit("/", 1)[-1]:
                where = f" at {frame.filename}:{frame.lineno}"
                break
        first = msg.first_line.decode("utf-8", "replace")
        LOG.core(
            L_ERR,
            f"receive_msg(): error routing '{first}' from "
            f"{rcv.src_ip}:{rcv.src_port}{where}: {type(e).__name__}: {e}",
        )
