"""textops functions that add to the replies sent for the message (runtime/reply_lumps).

* append_to_reply(text): header text for every reply sl sends for this message, used
  as given (PVs rendered per message); empty text: -1, nothing added; else 1;
* set_reply_body(body, content_type): a `Content-Type: <type>` header lump, then the
  body; an empty body: -1, nothing added; a second body: -1, its Content-Type line is
  added all the same (both as Kamailio 5.6.3 does); else 1;
* append_time(): a `Date: <RFC 1123 time, GMT>` header for the replies; 1.
"""

from __future__ import annotations

import time

from siprouter.engine.context import MsgContext
from siprouter.runtime import reply_lumps

from .textops_str import log


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def append_to_reply(ctx: MsgContext, text: str) -> int:
    if not reply_lumps.add_header(ctx, _bytes(text)):
        log.error("append_to_reply: empty header text, nothing added")
        return -1
    return 1


def set_reply_body(ctx: MsgContext, body: str, content_type: str) -> int:
    if not body:
        log.error("set_reply_body: empty body")
        return -1
    reply_lumps.add_header(ctx, b"Content-Type: " + _bytes(content_type) + b"\r\n")
    if not reply_lumps.set_body(ctx, _bytes(body)):
        log.error("set_reply_body: a reply body was already set")
        return -1
    return 1


def append_time(ctx: MsgContext) -> int:
    line = time.strftime("Date: %a, %d %b %Y %H:%M:%S GMT\r\n", time.gmtime())
    reply_lumps.add_header(ctx, line.encode())
    return 1
