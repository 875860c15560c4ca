"""sl exports beyond sl_send_reply: send_reply_mode, send_reply_error, sl_forward_reply
(sl_forward.py), $ltt, and the modparams bind_tm, default_reason, rich_redirect,
event_callback_fl_ack, event_callback_lres_sent. Registered in sl.py's EXPORTS.

* send_reply_mode(code, reason, mode): send_reply with mode bits: 1 do not open a
  connection to send the reply (set_reply_no_connect), 2 close the connection after
  sending (set_reply_close); over UDP the reply goes as with send_reply. Returns what
  send_reply returns (Kamailio 5.6.3 verified: 1 and the reply);
* send_reply_error(): the reply for the last internal error, as sl_reply_error (stateful
  in Kamailio when a transaction exists; siprouter has no tm). Not in Kamailio 5.6.3
  (a later version added it): implemented from its documentation;
* $ltt(key): the local To tag of the replies to this request: `s` the stateless one
  (the tag sl_send_reply puts in a reply, known before the reply is sent), `t` the
  transaction's ($null: siprouter has no tm), `x` the transaction's when there is one,
  else the stateless one. $null for a reply;
* bind_tm (int, 1): whether send_reply may go through tm. Without tm loaded Kamailio
  sends statelessly whatever the value ("could not bind tm"); siprouter has no tm, so
  both values mean stateless replies;
* default_reason (str, "Internal Server Error"), rich_redirect (int, 0): see
  sl_reply_ext.py / sl_redirect.py;
* event_callback_fl_ack / event_callback_lres_sent (str): names of KEMI functions run
  for filtered ACKs / local replies. siprouter has no KEMI engine, so a value fails `-c`
  with that reason rather than being ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from siprouter.engine.context import MF_REPLY_CLOSE, MF_REPLY_NO_CONNECT
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.modules.sl_forward import fixup_forward_reply, sl_forward_reply
from siprouter.modules.sl_reply_ext import (
    fixup_reply,
    set_default_reason,
    set_rich_redirect,
    valid_rich_redirect,
)
from siprouter.pv.pvclass import Getter, Index, PVClass, Value
from siprouter.sip.errors import SipParseError
from siprouter.sip.reply import sl_to_tag

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

MODE_NO_CONNECT = 1
MODE_CLOSE = 2


def _sl() -> Any:
    from siprouter.modules import sl  # sl.py imports this file for its EXPORTS

    return sl


class _Mode:
    __slots__ = ("const", "get")

    def __init__(self, arg: Any) -> None:
        self.const: int | None = None
        self.get: Any = None
        text = str(arg).strip()
        if text.startswith("$"):
            from siprouter.cfg.errors import ConfigError
            from siprouter.pv.access import compile_pv

            try:
                self.get = compile_pv(text).get
            except ConfigError as e:
                raise ValueError(e.message) from None
            return
        try:
            self.const = int(text)
        except ValueError:
            raise ValueError(f"mode {text!r} is not a number") from None

    def value(self, ctx: MsgContext) -> int:
        if self.const is not None:
            return self.const
        v = self.get(ctx)
        try:
            return int(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return 0


def _fix_mode(args: Sequence[Any]) -> list[Any]:
    return [*fixup_reply(args[:2]), _Mode(args[2])]


def send_reply_mode(ctx: MsgContext, code: Any, reason: Any, mode: _Mode) -> int:
    bits = mode.value(ctx)
    if bits & MODE_NO_CONNECT:
        ctx.msg_flags |= MF_REPLY_NO_CONNECT
    if bits & MODE_CLOSE:
        ctx.msg_flags |= MF_REPLY_CLOSE
    return int(_sl().sl_send_reply(ctx, code, reason))


def send_reply_error(ctx: MsgContext) -> int:
    return int(_sl().sl_reply_error(ctx))


class LttPV(PVClass):
    """$ltt(s|t|x)."""

    name = "ltt"
    doc = "local To tag: $ltt(s) stateless, $ltt(t) transaction, $ltt(x) either"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in ("s", "t", "x"):
            raise ValueError(f"unknown $ltt key {text!r} (s, t or x)")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        if name == "t":
            return None  # no transactions in siprouter
        msg = ctx.msg
        if not msg.is_request:
            return None
        try:
            return sl_to_tag(msg)
        except SipParseError:
            return None

    def bind_get(self, name: Any, idx: Index) -> Getter:
        get_at = self.get_at
        return lambda ctx: get_at(ctx, name, idx)


def _no_kemi(name: str) -> Any:
    def refuse(value: Any) -> Any:
        raise ValueError(
            f"{name} names a KEMI function ({value!r}); siprouter has no KEMI engine to "
            "run it, use event_route blocks of the native config instead"
        )

    return refuse


_S = ArgKind.STR
_ONREPLY = RouteType.ONREPLY

FUNCTIONS = [
    FunctionSpec(
        "send_reply_mode",
        send_reply_mode,
        (3,),
        (_S, _S, ArgKind.INT),
        route_types=RouteType.REQUEST | RouteType.FAILURE | RouteType.ONREPLY,
        fixup=_fix_mode,
        doc="send_reply with mode bits (1 no connect, 2 close)",
    ),
    FunctionSpec(
        "send_reply_error",
        send_reply_error,
        (0,),
        route_types=RouteType.REQUEST,
        doc="reply for the last internal error (Kamailio > 5.6)",
    ),
    FunctionSpec(
        "sl_forward_reply",
        sl_forward_reply,
        (0, 1, 2),
        (_S, _S),
        route_types=_ONREPLY,
        fixup=fixup_forward_reply,
        doc="forward the reply, optionally with a new code (same class) and reason",
    ),
]

PARAMS = [
    ParamSpec("bind_tm", ParamType.INT, 1, doc="send_reply through tm when loaded"),
    ParamSpec(
        "default_reason",
        ParamType.STR,
        "Internal Server Error",
        setter=set_default_reason,
        doc="reason when the reason PV has no value",
    ),
    ParamSpec(
        "rich_redirect",
        ParamType.INT,
        0,
        validator=valid_rich_redirect,
        setter=set_rich_redirect,
        doc="3xx Contact details: 1 adds ;flags=",
    ),
    ParamSpec(
        "event_callback_fl_ack",
        ParamType.STR,
        None,
        validator=_no_kemi("event_callback_fl_ack"),
    ),
    ParamSpec(
        "event_callback_lres_sent",
        ParamType.STR,
        None,
        validator=_no_kemi("event_callback_lres_sent"),
    ),
]

LTT = LttPV()
PVS = [LTT.spec()]
