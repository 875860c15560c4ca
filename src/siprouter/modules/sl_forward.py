"""sl_forward_reply([code[, reason]]): forward the reply being routed now, statelessly,
from an onreply_route, optionally with another status code (same class) and reason.

As Kamailio 5.6.3 (tested): a copy is sent by the second Via the way the core forwards
replies (runtime/forward.forward_reply: top Via removed, the script's edits applied);
the message itself is not changed, so unless the route drops it the core forwards the
original reply too. A code of another class is refused ("reply code class cannot be
changed", -1); without a reason the received one stays; the reason is a format
(`<null>` for a PV without value). Returns 1 when sent on, -1 otherwise (a request, no
second Via, a bad code).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, compile_format
from siprouter.runtime import forward as fwd
from siprouter.sip.msg_apply import MsgChanges

log = logging.getLogger("siprouter.sl")


class _Code:
    """A code argument: a constant or a PV read per message."""

    __slots__ = ("const", "get")

    def __init__(self, text: str) -> None:
        self.const: int | None = None
        self.get: Any = None
        t = text.strip()
        if t.startswith("$"):
            try:
                self.get = compile_pv(t).get
            except ConfigError as e:
                raise ValueError(e.message) from None
            return
        try:
            self.const = int(t)
        except ValueError:
            raise ValueError(f"reply code {t!r} is not a number") from None
        if not 100 <= self.const <= 699:
            raise ValueError(f"reply code {self.const} is not in 100..699")

    def value(self, ctx: MsgContext) -> int | None:
        if self.const is not None:
            return self.const
        v = self.get(ctx)
        if isinstance(v, str):
            try:
                v = int(v.strip())
            except ValueError:
                return None
        return v if isinstance(v, int) else None


def fixup_forward_reply(args: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    if args:
        out.append(_Code(str(args[0])))
    if len(args) > 1:
        try:
            out.append(compile_format(str(args[1])))
        except ConfigError as e:
            raise ValueError(e.message) from None
    return out


def _status_lump(ctx: MsgContext, code: int | None, reason: str | None) -> MsgChanges:
    """The script's edits plus the new status code / reason on the first line."""
    msg = ctx.msg
    data = msg.data
    out = MsgChanges(msg)
    if ctx.has_changes:
        for lump in ctx.changes.lumps:
            if lump.is_insert:
                out.lumps.insert(lump.start, lump.data or b"", what=lump.what)
            elif lump.data is None:
                out.lumps.delete(lump.start, lump.end, what=lump.what)
            else:
                out.lumps.replace(lump.start, lump.end, lump.data, what=lump.what)
    code_start = data.index(b" ") + 1
    code_end = code_start + 3
    line_end = data.index(b"\r\n") if b"\r\n" in data[:4096] else data.index(b"\n")
    if reason is not None:
        new = f"{code if code is not None else msg.status} {reason}".encode(
            "utf-8", "surrogateescape"
        )
        out.lumps.replace(code_start, line_end, new, what="status")
    elif code is not None:
        out.lumps.replace(code_start, code_end, str(code).encode(), what="status")
    return out


def sl_forward_reply(
    ctx: MsgContext, code: _Code | None = None, reason: Format | None = None
) -> int:
    msg = ctx.msg
    if msg.is_request:
        log.error("sl_forward_reply: the message is a request, not a reply")
        return -1
    if msg.via2 is None:
        log.error("sl_forward_reply: no second Via in the reply")
        return -1
    new_code = code.value(ctx) if code is not None else None
    if code is not None:
        if new_code is None or not 100 <= new_code <= 699:
            log.error("sl_forward_reply: bad reply code %r", new_code)
            return -1
        if new_code // 100 != (msg.status or 0) // 100:
            log.error("sl_forward_reply: reply code class cannot be changed")
            return -1
    text = reason.render(ctx) if reason is not None else None
    saved = ctx._changes  # forward_reply sends ctx's edits: give it ours for this send
    ctx._changes = _status_lump(ctx, new_code, text)
    try:
        fwd.forward_reply(ctx)
    finally:
        ctx._changes = saved
    return 1
