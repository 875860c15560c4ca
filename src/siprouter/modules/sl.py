"""The `sl` module: stateless replies to the request being routed.

Functions (REQUEST route, as `kamailio -c` 5.6.3 accepts them; send_reply also in
FAILURE and ONREPLY routes):

* `sl_send_reply(code, reason)`: code 100..699 or one pseudo-variable holding an int
  (a PV with a string value, e.g. $hdr(..), gives the `default_code` modparam, 500, as in
  Kamailio 5.6.3); the reason may hold pseudo-variables
  (`sl_send_reply("404", "No $rU here")`), but a reason that starts with one is that
  PV alone, the rest dropped (`"$var(a) then text"` -> the value of $var(a), as
  Kamailio 5.6.3 does); `sl_reply(...)` is the same function;
* `send_reply(code, reason)`: the same while siprouter has no tm (Kamailio sends it
  statefully when a transaction exists);
* `sl_reply_error()`: a reply for the last internal error; with none recorded, Kamailio's
  `500 I'm terribly sorry, server error occurred (1/SL)`.

The reply is built by sip/reply.build_reply: the Server line from the server_header /
server_signature core parameters, received/rport on the top Via, a To tag that is stable
across retransmissions (sl_to_tag) for code >= 180, and the header text and body that
textops' append_to_reply / set_reply_body / append_time stored for this message
(runtime/reply_lumps; after the copied headers, before Server, in every reply sent). It goes to sip/via.reply_address
(source IP, rport or Via port) from the socket the request arrived on
(runtime/state.send_udp). A reply to ACK is refused (-1) as in Kamailio. Every reply sent
is also appended to `ctx.sent` as ("reply", (host, port), bytes) when that list exists
(tests and the offline runner).

Return codes: 1 sent, -1 failure (bad code, a header the reply needs does not parse, no
socket to send from).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MF_FORCE_RPORT, MsgContext
from siprouter.modules import sl_more
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, compile_format, split_format
from siprouter.runtime import state
from siprouter.runtime.reply_lumps import reply_lumps, reply_via_params
from siprouter.sip.errors import SipParseError
from siprouter.sip.reply import build_reply
from siprouter.sip.via import reply_address, reply_via1_fix
from siprouter.stats import sl as sl_stats

log = logging.getLogger("siprouter.sl")

#: modparam values: default_code is the code used when a code PV does not hold an int
PARAMS: dict[str, Any] = {"default_code": 500}


def _set_default_code(value: int) -> None:
    PARAMS["default_code"] = value


def _valid_code(value: Any) -> int:
    if not isinstance(value, int) or not 100 <= value <= 699:
        raise ValueError(f"reply code {value!r} is not in 100..699")
    return value


#: the reply of sl_reply_error() when no error was recorded (Kamailio's E_UNSPEC text)
DEFAULT_ERROR = (500, "I'm terribly sorry, server error occurred (1/SL)")


class CodePV:
    """A reply code given as one pseudo-variable: its value must be an int."""

    __slots__ = ("get", "raw")

    def __init__(self, raw: str, get: Any) -> None:
        self.raw = raw
        self.get = get


def _fix_code(arg: Any) -> int | CodePV:
    if isinstance(arg, int):
        code = arg
    else:
        text = str(arg).strip()
        if text.startswith("$"):
            try:
                acc = compile_pv(text)
            except ConfigError as e:
                raise ValueError(e.message) from None
            return CodePV(text, acc.get)
        try:
            code = int(text)
        except ValueError:
            raise ValueError(f"reply code {text!r} is not a number") from None
    if not 100 <= code <= 699:
        raise ValueError(f"reply code {code} is not in 100..699")
    return code


def _fix_reason(arg: Any) -> str | Format:
    text = str(arg)
    if "$" not in text:
        return text
    try:
        fmt = compile_format(text)
        if text.startswith("$") and not text.startswith("$$"):
            # Kamailio 5.6.3 takes a reason that starts with a pseudo-variable as that
            # one PV: "$var(a) then text" gives the value of $var(a) only
            first_is_pv, first = split_format(text)[0]
            if first_is_pv and first != text:
                fmt = compile_format(first)
    except ConfigError as e:
        raise ValueError(e.message) from None
    return fmt.constant if fmt.constant is not None else fmt


def fixup_reply(args: Sequence[Any]) -> list[Any]:
    """sl_send_reply(code, reason): the code as an int (or a format when it has PVs),
    the reason as text (or a format)."""
    return [_fix_code(args[0]), _fix_reason(args[1])]


def send_sl_reply(ctx: MsgContext, code: int, reason: str) -> int:
    """Build and send a stateless reply to ctx.msg; 1 when sent, -1 on failure."""
    msg = ctx.msg
    if not msg.is_request:
        log.error("sl_send_reply: the message is a reply, not a request")
        sl_stats.failure()
        return -1
    if msg.method == "ACK":
        log.warning("sl_send_reply: I won't send a reply for ACK!!")
        sl_stats.failure()
        return -1
    rcv = ctx.rcv
    settings = state.SETTINGS
    force_rport = settings.force_rport or bool(ctx.msg_flags & MF_FORCE_RPORT)
    try:
        via = msg.via1
        if via is None:
            raise SipParseError("no Via header")
        server = settings.server_header
        src_ip = rcv.src_ip
        src_port = rcv.src_port
        # one scan of the top Via's parameters gives its reply edits and whether it has
        # rport (where the reply goes)
        edits, has_rport = reply_via1_fix(via, src_ip, src_port, force_rport=force_rport)
        if ctx.mod:  # textops' reply lumps, corex's Via params: only when a module stored some
            extra, body = reply_lumps(ctx)
            if extra and server and not extra.endswith(b"\n"):
                # build_reply ends extra header text with CRLF; Kamailio adds nothing
                extra, server = b"", extra + server
            data = build_reply(
                msg,
                code,
                reason,
                extra_headers=extra,
                body=body,
                server_header=server,
                src=(src_ip, src_port),
                via1_params=reply_via_params(ctx),
                via1_edits=edits,
            )
        else:
            data = build_reply(
                msg, code, reason, server_header=server, src=(src_ip, src_port), via1_edits=edits
            )
        dest = reply_address(
            via,
            src_ip,
            src_port,
            rcv.proto,
            force_rport=force_rport,
            reply_to_via=settings.reply_to_via,
            has_rport=has_rport,
        )
    except (SipParseError, ValueError) as e:
        log.error("sl_send_reply: cannot build the %d reply: %s", code, e)
        sl_stats.failure()
        return -1
    if ctx.sent is not None:
        ctx.sent.append(("reply", dest, data))
    mflags = ctx.msg_flags
    if state.SOCKETS and not state.send(
        rcv.proto, rcv.dst_ip, rcv.dst_port, dest, data, state.reply_flags(mflags) if mflags else 0
    ):
        sl_stats.failure()
        return -1
    if not state.SOCKETS and ctx.sent is None:
        log.error("sl_send_reply: no socket to send from (the server is not running)")
        sl_stats.failure()
        return -1
    sl_stats.reply_sent(code)
    return 1


def sl_send_reply(ctx: MsgContext, code: int | CodePV, reason: str | Format) -> int:
    if not isinstance(code, int):
        value = code.get(ctx)
        if isinstance(value, int):
            code = value
        else:  # Kamailio: "Could not convert PV to int", then its default_code
            log.error("sl_send_reply: could not convert %s to int (%r)", code.raw, value)
            code = PARAMS["default_code"]
        if not 100 <= code <= 699:
            log.error("sl_send_reply: reply code %d is not in 100..699", code)
            return -1
    if not isinstance(reason, str):
        reason = reason.render(ctx)
    return send_sl_reply(ctx, code, reason)


def sl_reply_error(ctx: MsgContext) -> int:
    err = ctx.module_state().get("ser_error")
    code, reason = err if err is not None else DEFAULT_ERROR
    return send_sl_reply(ctx, code, reason)


_S = ArgKind.STR
_REQ = RouteType.REQUEST

EXPORTS = ModuleExports.of(
    "sl",
    functions=[
        FunctionSpec(
            "sl_send_reply",
            sl_send_reply,
            (2,),
            (_S, _S),
            route_types=_REQ,
            fixup=sl_more.fixup_reply,
            doc="stateless reply code + reason (PVs allowed)",
        ),
        FunctionSpec(
            "sl_reply",
            sl_send_reply,
            (2,),
            (_S, _S),
            route_types=_REQ,
            fixup=sl_more.fixup_reply,
            doc="alias of sl_send_reply",
        ),
        FunctionSpec(
            "send_reply",
            sl_send_reply,
            (2,),
            (_S, _S),
            route_types=_REQ | RouteType.FAILURE | RouteType.ONREPLY,
            fixup=sl_more.fixup_reply,
            doc="reply (stateless until siprouter has tm)",
        ),
        FunctionSpec(
            "sl_reply_error",
            sl_reply_error,
            (0,),
            route_types=_REQ,
            doc="reply for the last internal error",
        ),
        *sl_more.FUNCTIONS,
    ],
    params=[
        ParamSpec(
            "default_code",
            ParamType.INT,
            500,
            validator=_valid_code,
            setter=_set_default_code,
            doc="code sent when a code pseudo-variable does not hold an int",
        ),
        *sl_more.PARAMS,
    ],
    pvs=sl_more.PVS,
    init=lambda _lm: sl_stats.declare(),  # sl's statistics, shared by every worker
)
