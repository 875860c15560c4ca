"""What sl adds around sl_send_reply / sl_reply / send_reply: the `default_reason` and
`rich_redirect` modparams, and the 3xx Contact (sl_redirect.py).

`fixup_reply` wraps sl.fixup_reply. For the common case (a constant non-3xx code and a
reason that is text or a format with text around its PVs) it returns exactly what
sl.fixup_reply returns, so the hot path is unchanged. Otherwise the reason becomes a
`ReplyReason` whose `render(ctx)` (called by sl_send_reply before sending):

* gives the `default_reason` modparam ("Internal Server Error") when the reason is one
  pseudo-variable without value (Kamailio 5.6.3: "Could not convert PV to str", then its
  default reason; a format with text prints `<null>` instead);
* for a 3xx code, queues the destination set's Contact header once per message in the
  reply lumps (runtime/reply_lumps), so it lands after the copied headers, before
  Server, as in Kamailio's reply.

This lives outside sl.py because that file's send path is owned elsewhere; the Contact
would more naturally be built inside send_sl_reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules.sl_redirect import redirect_contact
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, split_format
from siprouter.runtime.reply_lumps import add_header

#: sl modparams kept here (sl.PARAMS holds default_code)
EXT_PARAMS: dict[str, Any] = {"default_reason": "Internal Server Error", "rich_redirect": 0}
_CONTACT_DONE = "sl_redirect_contact"


def set_default_reason(value: str) -> None:
    EXT_PARAMS["default_reason"] = value


def set_rich_redirect(value: int) -> None:
    EXT_PARAMS["rich_redirect"] = value


def valid_rich_redirect(value: Any) -> int:
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"rich_redirect must be a number >= 0, got {value!r}")
    return value


def add_redirect_contact(ctx: MsgContext, code: int) -> None:
    """Queue the 3xx Contact for this message's replies (once)."""
    if not 300 <= code < 400:
        return
    st = ctx.module_state()
    if st.get(_CONTACT_DONE):
        return
    st[_CONTACT_DONE] = True
    add_header(ctx, redirect_contact(ctx, EXT_PARAMS["rich_redirect"]))


class ReplyReason:
    """A reason that needs the message: default_reason for a PV without value, and/or
    the 3xx Contact. Duck-types pv.format.Format for sl_send_reply (`render`)."""

    __slots__ = ("code", "fmt", "pv_get", "text")

    def __init__(self, code: Any, reason: str | Format) -> None:
        self.code = code  # int or sl.CodePV
        self.text = reason if isinstance(reason, str) else None
        self.fmt = reason if isinstance(reason, Format) else None
        self.pv_get = None
        if self.fmt is not None:
            pieces = split_format(self.fmt.source)
            if len(pieces) == 1 and pieces[0][0]:
                try:
                    self.pv_get = compile_pv(pieces[0][1]).get
                except ConfigError:
                    self.pv_get = None

    def render(self, ctx: MsgContext) -> str:
        code = self.code if isinstance(self.code, int) else self.code.get(ctx)
        if isinstance(code, int):
            add_redirect_contact(ctx, code)
        if self.text is not None:
            return self.text
        if self.pv_get is not None:
            value = self.pv_get(ctx)
            return EXT_PARAMS["default_reason"] if value is None else str(value)
        assert self.fmt is not None
        return self.fmt.render(ctx)


def _needs_wrapper(code: Any, reason: str | Format) -> bool:
    if not isinstance(code, int) or 300 <= code < 400:
        return True
    if isinstance(reason, str):
        return False
    pieces = split_format(reason.source)
    return len(pieces) == 1 and pieces[0][0]


def fixup_reply(args: Sequence[Any]) -> list[Any]:
    """sl.fixup_reply, with the reason wrapped when default_reason or a 3xx Contact may
    apply (see the module docstring)."""
    from siprouter.modules import sl  # sl.py registers this fixup in its EXPORTS

    code, reason = sl.fixup_reply(args)
    if not _needs_wrapper(code, reason):
        return [code, reason]
    return [code, ReplyReason(code, reason)]
