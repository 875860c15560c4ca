"""onsend_route: the last look at a request before it leaves, as Kamailio 5.6.3 runs it.

`run_onsend(ctx, info)` is called by the stateless forward (runtime/forward.py) with the
bytes about to be sent and where they go. It runs the config's `onsend_route` (when it
has one) on the context of the message being routed, with `info` visible as:

* the keywords snd_ip, snd_port, snd_proto, snd_af (the local socket), to_ip, to_port
  (the destination) and msg:len (the length of the bytes as sent), engine/keywords.py;
* `$snd(ip|port|proto|sproto|af|buf|len)` (the same as `$sndto(...)`: the destination)
  and `$sndfrom(...)` (the local socket), pv/impl_net.py; `proto` and `af` are
  Kamailio's numbers (1 for UDP, 2 for IPv4), `sproto` the name ("udp").

Only `drop` blocks the send (`exit`, `return` with any value or a failing last
statement let it go, verified with 5.6.3); forward() then returns E_ADM_PROHIBITED
(-510) without sending. Afterwards $rc holds what the onsend_route's statements left
(0 when they set nothing or dropped), as Kamailio's shared return code does; the route
type, drop and exit marks of the context are restored for the route that called
forward(). Replies forwarded by the core run onsend_route only with
onsend_route_reply=yes (`configure`); replies sent by sl never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .logging import L_DBG, LOG

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

SND_KEY = "core.snd"
E_ADM_PROHIBITED = -510  # what forward() returns when onsend_route dropped the request

PROTO_IDS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}


@dataclass(frozen=True, slots=True)
class SendInfo:
    """A message about to be sent: from the local socket proto:src_ip:src_port (address
    family af, 4 or 6) to dst_ip:dst_port, the bytes `buf`."""

    proto: str
    src_ip: str
    src_port: int
    af: int
    dst_ip: str
    dst_port: int
    buf: bytes

    @property
    def proto_id(self) -> int:
        return PROTO_IDS.get(self.proto, 0)

    @property
    def af_id(self) -> int:
        return 10 if self.af == 6 else 2


@dataclass(slots=True)
class OnsendSettings:
    reply: bool = False  # onsend_route_reply


SETTINGS = OnsendSettings()


def configure(reply: bool) -> None:
    """onsend_route_reply of the running config."""
    SETTINGS.reply = reply


def send_info(ctx: MsgContext) -> SendInfo | None:
    """The message being sent while onsend_route runs; None elsewhere."""
    m = ctx.mod
    if not m:
        return None
    info = m.get(SND_KEY)
    return info if isinstance(info, SendInfo) else None


def has_onsend(ctx: MsgContext) -> bool:
    compiled = ctx.script.compiled
    return compiled is not None and compiled.get("onsend", "") is not None


def run_onsend(ctx: MsgContext, info: SendInfo, reply: bool = False) -> bool:
    """Run onsend_route for `info` (see the module docstring); False when it dropped
    the message. A reply runs it only with onsend_route_reply=yes."""
    compiled: Any = ctx.script.compiled
    if compiled is None or compiled.get("onsend", "") is None:
        return True
    if reply and not SETTINGS.reply:
        return True
    state = ctx.module_state()
    before = state.get(SND_KEY)
    route_type, dropped, exited = ctx.route_type, ctx.dropped, ctx.exited
    ctx.dropped = ctx.exited = False
    state[SND_KEY] = info
    ctx.rc = 0
    try:
        compiled.run("onsend", "", ctx)
        blocked = ctx.dropped
    finally:
        if before is None:
            state.pop(SND_KEY, None)
        else:
            state[SND_KEY] = before
        ctx.route_type = route_type
        ctx.dropped, ctx.exited = dropped, exited
    if blocked:
        ctx.rc = 0
        if LOG.enabled(L_DBG):
            LOG.core(
                L_DBG,
                f"run_onsend(): message to {info.dst_ip}:{info.dst_port} dropped in onsend_route",
            )
        return False
    return True
