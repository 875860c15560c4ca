"""Per-message reply lumps: header text and a body for the replies sent to a request.

textops' append_to_reply(), set_reply_body() and append_time() store them here, in
`ctx.module_state()` (they live as long as the message); sl adds them to every reply it
sends for that message (all of them, not only the first), as Kamailio 5.6.3 does:

* header lumps are kept in call order and go after the headers copied from the request,
  before Server and Content-Length; their text is used as given (no CRLF is added:
  `append_to_reply("X-C: 3")` glues the next header line to it, as in Kamailio);
* set_reply_body(body, type) adds a `Content-Type: type` header lump, then the body;
  a second body is refused (-1) while its Content-Type line stays, as in Kamailio.

`REPLY_VIA_PARAM_HOOKS` hold functions giving parameter text (";a=1;b") to append to the
top Via of every local reply to the message (corex via_reply_add_xavp_params installs
one); `reply_via_params(ctx)` joins their results.
"""

from __future__ import annotations

from collections.abc import Callable

from siprouter.engine.context import MsgContext

_HDRS = "reply_hdr_lumps"
_BODY = "reply_body_lump"

REPLY_VIA_PARAM_HOOKS: list[Callable[[MsgContext], bytes]] = []


def add_header(ctx: MsgContext, text: bytes) -> bool:
    """Queue header text for the replies to this message; False for empty text."""
    if not text:
        return False
    ctx.module_state().setdefault(_HDRS, []).append(text)
    return True


def set_body(ctx: MsgContext, body: bytes) -> bool:
    """Set the replies' body; False when one was already set (Kamailio keeps the first)."""
    st = ctx.module_state()
    if _BODY in st:
        return False
    st[_BODY] = body
    return True


def reply_lumps(ctx: MsgContext) -> tuple[bytes, bytes]:
    """(header text, body) queued for the replies to this message (b"" when none)."""
    st = ctx.mod
    if not st:
        return b"", b""
    hdrs = st.get(_HDRS)
    return (b"".join(hdrs) if hdrs else b""), st.get(_BODY, b"")


def reply_via_params(ctx: MsgContext) -> bytes:
    """Parameter text for the top Via of a local reply to this message (b"" if none)."""
    if not REPLY_VIA_PARAM_HOOKS or not ctx.mod:
        return b""
    return b"".join(hook(ctx) for hook in REPLY_VIA_PARAM_HOOKS)
