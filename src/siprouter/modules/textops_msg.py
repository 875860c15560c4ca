"""textops functions over the message text and body: search, replace, subst, has_body.

All of them match the message as received (`ctx.msg.data`, not earlier changes) and
record their edits as lumps (`ctx.changes`), as Kamailio does; return 1 when they
matched/changed something and -1 otherwise. Behaviour checked against Kamailio 5.6.3
(tests/integration/test_mod_textops.py):

* search/replace/replace_all/search_append work on the whole message (first line
  included); subst on everything after the first line (headers and body); the *_body
  functions on the body only;
* every edit inside the body updates Content-Length (Kamailio recomputes it when it
  sends): one Content-Length lump per message carries the sum of the length changes;
* regexes are case-insensitive and newline-sensitive (`^`/`$` at lines) POSIX EREs;
  replacement texts of replace* and search_append* are literal, subst's may hold
  `\\N` groups and pseudo-variables;
* changes that overlap an earlier change are refused (-1, error log) instead of
  producing a corrupt message.
"""

from __future__ import annotations

import logging
import re

from siprouter.engine import core_actions
from siprouter.engine.context import MsgContext
from siprouter.sip import headers as H
from siprouter.sip.lumps import LumpError
from siprouter.sip.uri import UriError, parse_uri

from .textops_re import Subst, to_bytes, to_text

log = logging.getLogger("siprouter.textops")

_CL_KEY = "textops_cl"


def _body_span(ctx: MsgContext) -> tuple[int, int]:
    msg = ctx.msg
    return msg.body_start, len(msg.data)


def fix_content_length(ctx: MsgContext, delta: int) -> None:
    """Record a body length change of `delta` bytes in the Content-Length value."""
    if delta == 0:
        return
    st = ctx.module_state()
    rec = st.get(_CL_KEY)
    if rec is None:
        found = [f for f in ctx.msg.header_fields if f.hid == H.CONTENT_LENGTH]
        if not found:
            return
        f = found[0]
        raw = ctx.msg.data[f.value_start : f.value_end]
        if not raw.isdigit():
            return
        lump = ctx.changes.lumps.replace(f.value_start, f.value_end, raw, what="fix Content-Length")
        rec = st[_CL_KEY] = [lump, int(raw), 0]
    rec[2] += delta
    rec[0].data = str(rec[1] + rec[2]).encode()


def _edit(ctx: MsgContext, start: int, end: int, data: bytes, what: str) -> bool:
    """Record one edit; an edit inside the body also updates Content-Length."""
    try:
        ctx.changes.lumps.replace(start, end, data, what=what)
    except LumpError as e:
        log.error("%s: %s", what, e)
        return False
    if start >= ctx.msg.body_start:
        fix_content_length(ctx, len(data) - (end - start))
    return True


def _search_in(ctx: MsgContext, rx: re.Pattern[bytes], start: int, end: int) -> int:
    if start >= end:
        return -1
    return 1 if rx.search(ctx.msg.data, start, end) else -1


def search(ctx: MsgContext, rx: re.Pattern[bytes]) -> int:
    return _search_in(ctx, rx, 0, len(ctx.msg.data))


def search_body(ctx: MsgContext, rx: re.Pattern[bytes]) -> int:
    return _search_in(ctx, rx, *_body_span(ctx))


def _append_at_match(
    ctx: MsgContext, rx: re.Pattern[bytes], text: str, start: int, end: int
) -> int:
    if start >= end:
        return -1
    m = rx.search(ctx.msg.data, start, end)
    if m is None:
        return -1
    data = to_bytes(text)
    if not _edit(ctx, m.end(), m.end(), data, "search_append"):
        return -1
    return 1


def search_append(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _append_at_match(ctx, rx, text, 0, len(ctx.msg.data))


def search_append_body(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _append_at_match(ctx, rx, text, *_body_span(ctx))


def _replace_in(
    ctx: MsgContext,
    rx: re.Pattern[bytes],
    text: str,
    start: int,
    end: int,
    *,
    every: bool,
    what: str,
) -> int:
    if start >= end:
        return -1
    data = to_bytes(text)
    matches = list(rx.finditer(ctx.msg.data, start, end)) if every else []
    if not every:
        m = rx.search(ctx.msg.data, start, end)
        matches = [m] if m is not None else []
    done = 0
    for m in matches:
        if m.end() == m.start() and every:
            continue  # an empty match replaces nothing (Kamailio stops there)
        if not _edit(ctx, m.start(), m.end(), data, what):
            return -1
        done += 1
    return 1 if done else -1


def replace(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _replace_in(ctx, rx, text, 0, len(ctx.msg.data), every=False, what="replace")


def replace_all(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _replace_in(ctx, rx, text, 0, len(ctx.msg.data), every=True, what="replace_all")


def replace_body(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _replace_in(ctx, rx, text, *_body_span(ctx), every=False, what="replace_body")


def replace_body_all(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    return _replace_in(ctx, rx, text, *_body_span(ctx), every=True, what="replace_body_all")


def _subst_in(ctx: MsgContext, sub: Subst, start: int, end: int) -> int:
    if start >= end:
        return -1
    data = ctx.msg.data
    if sub.replace_all:
        matches = [m for m in sub.regex.finditer(data, start, end) if m.end() > m.start()]
    else:
        m1 = sub.regex.search(data, start, end)
        matches = [m1] if m1 is not None else []
    if not matches:
        return -1
    for m in matches:
        new = sub.expand(ctx, m)
        if not _edit(ctx, m.start(), m.end(), new, "subst"):
            return -1
    return 1


def subst(ctx: MsgContext, sub: Subst) -> int:
    return _subst_in(ctx, sub, ctx.msg.headers_start, len(ctx.msg.data))


def subst_body(ctx: MsgContext, sub: Subst) -> int:
    return _subst_in(ctx, sub, *_body_span(ctx))


def subst_text(ctx: MsgContext, sub: Subst, text: str) -> str | None:
    """`text` with the substitution applied, None when the regex does not match."""
    data = to_bytes(text)
    out: list[bytes] = []
    pos = 0
    for m in sub.regex.finditer(data):
        if m.end() == m.start() and sub.replace_all:
            continue
        out.append(data[pos : m.start()])
        out.append(sub.expand(ctx, m))
        pos = m.end()
        if not sub.replace_all:
            break
    if not out:
        return None
    out.append(data[pos:])
    return to_text(b"".join(out))


def subst_uri(ctx: MsgContext, sub: Subst) -> int:
    new = subst_text(ctx, sub, ctx.ruri)
    if new is None:
        return -1
    ctx.new_uri = new
    return 1


def subst_user(ctx: MsgContext, sub: Subst) -> int:
    try:
        user = parse_uri(ctx.ruri).user or ""
    except UriError as e:
        log.error("subst_user: bad R-URI %r: %s", ctx.ruri, e)
        return -1
    new = subst_text(ctx, sub, user)
    if new is None:
        return -1
    return core_actions.rewriteuser(ctx, new)


def _mime(ctx: MsgContext) -> str | None:
    raw = ctx.msg.header("Content-Type")
    if raw is None:
        return None
    return to_text(raw).split(";", 1)[0].strip().lower()


def fix_mime(arg: object) -> str | None:
    """has_body's argument: "type/subtype" (parameters ignored, any case), "" for any."""
    text = str(arg).split(";", 1)[0].strip().lower()
    if not text:
        return None
    main, sep, sub = text.partition("/")
    if not sep or not main or not sub:
        raise ValueError(f"bad content type {arg!r}: expected type/subtype")
    return text


def has_body(ctx: MsgContext, mime: str | None = None) -> int:
    """1 when there is a body (of that content type: a message without Content-Type
    counts as application/sdp, as in Kamailio 5.6.3; a multipart body is its
    multipart type, not its parts)."""
    msg = ctx.msg
    length = msg.content_length if msg.content_length is not None else len(msg.body)
    if length <= 0:
        return -1
    if mime is None:
        return 1
    ctype = _mime(ctx) or "application/sdp"
    return 1 if ctype == mime else -1


def replace_body_atonce(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    """Every match over the whole body at once (`^`/`$` at the body's ends)."""
    return _replace_in(ctx, rx, text, *_body_span(ctx), every=True, what="replace_body_atonce")


def replace_hdrs(ctx: MsgContext, rx: re.Pattern[bytes], text: str) -> int:
    """The first match inside the header fields (not the first line, not the body)."""
    msg = ctx.msg
    return _replace_in(
        ctx, rx, text, msg.headers_start, msg.headers_end, every=False, what="replace_hdrs"
    )


def _replace_literal(
    ctx: MsgContext, match: str, text: str, flags: str, start: int, end: int, what: str
) -> int:
    """replace_*_str: literal, case-sensitive; every occurrence with flag `a`, else the
    first. Kamailio 5.6.3 returns 1 whether or not the text was found."""
    if not match:
        log.error("%s: empty match string", what)
        return -1
    if start >= end:
        return 1
    rx = re.compile(re.escape(to_bytes(match)))
    rc = _replace_in(ctx, rx, text, start, end, every="a" in flags, what=what)
    if rc < 0 and rx.search(ctx.msg.data, start, end):
        return -1  # found but the edit was refused (overlap)
    return 1


def replace_hdrs_str(ctx: MsgContext, match: str, text: str, flags: str) -> int:
    msg = ctx.msg
    return _replace_literal(
        ctx, match, text, flags, msg.headers_start, msg.headers_end, "replace_hdrs_str"
    )


def replace_str(ctx: MsgContext, match: str, text: str, flags: str) -> int:
    """Literal replace over the headers and the body (not the first line)."""
    msg = ctx.msg
    end = len(msg.data)
    return _replace_literal(ctx, match, text, flags, msg.headers_start, end, "replace_str")


def replace_body_str(ctx: MsgContext, match: str, text: str, flags: str) -> int:
    return _replace_literal(ctx, match, text, flags, *_body_span(ctx), "replace_body_str")


def set_body(ctx: MsgContext, body: str, ctype: str) -> int:
    """Replace the body; the Content-Type headers go and `Content-Type: ctype` is added
    after the last header; Content-Length follows (as Kamailio 5.6.3)."""
    msg = ctx.msg
    data = to_bytes(body)
    if not data:
        log.error("set_body: the new body is empty")
        return -1
    try:
        for f in msg.header_fields:
            if f.hid == H.CONTENT_TYPE:
                ctx.changes.remove_header(f)
    except LumpError as e:
        log.error("set_body: %s", e)
        return -1
    start, end = _body_span(ctx)
    if not _edit(ctx, start, end, data, "set_body"):
        return -1
    if ctype:
        try:
            ctx.changes.lumps.insert(
                msg.headers_end, b"Content-Type: " + to_bytes(ctype) + b"\r\n", what="set_body"
            )
        except LumpError as e:
            log.error("set_body: %s", e)
            return -1
    return 1


def is_privacy(ctx: MsgContext, kind: str) -> int:
    """1 when a Privacy header lists `kind` (header, session, user, none, critical, id,
    history), case-insensitively."""
    want = kind.strip().lower()
    for raw in ctx.msg.headers("Privacy"):
        tokens = [t.strip().lower() for t in to_text(raw).replace(",", ";").split(";")]
        if want in tokens:
            return 1
    return -1
