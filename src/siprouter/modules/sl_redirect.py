"""The Contact header of a stateless 3xx reply: the destination set, as Kamailio adds it.

A redirect (300..399) sent by sl carries one Contact header listing the new Request-URI
(only when the script changed it) and every branch added (append_branch, lookup):
`Contact: <sip:new@h>, <sip:b1@h2>;q=0.5, <sip:b2@h3>`. The `rich_redirect` modparam adds
the branch flags to each entry (bit 1: `;flags=N`), as Kamailio 5.6.3 prints them.
With an empty destination set no Contact is added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

RICH_FLAGS = 1


def q_text(q: int) -> str:
    """A q value 0..1000 as Kamailio prints it: 1000 -> "1", 500 -> "0.5", 50 -> "0.05"."""
    if q >= 1000:
        return "1"
    return ("0." + f"{q:03d}".rstrip("0")) if q > 0 else "0"


def _entry(uri: str, q: int, flags: int, rich: int) -> str:
    text = f"<{uri}>"
    if q >= 0:
        text += f";q={q_text(q)}"
    if rich & RICH_FLAGS:
        text += f";flags={flags}"
    return text


def redirect_contact(ctx: MsgContext, rich: int) -> bytes:
    """The Contact header line (with CRLF) of a 3xx reply to ctx.msg; b"" when the
    destination set is empty."""
    entries: list[str] = []
    if ctx.new_uri is not None:
        entries.append(_entry(ctx.new_uri, -1, ctx.bflags, rich))
    for b in ctx.branches:
        entries.append(_entry(b.uri, b.q, b.flags, rich))
    if not entries:
        return b""
    return ("Contact: " + ", ".join(entries) + "\r\n").encode("utf-8", "surrogateescape")
