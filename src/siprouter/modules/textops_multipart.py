"""textops functions over multipart bodies: get_body_part(_raw), filter_body,
remove_body_part, append_body_part(_hex) and set_body_multipart.

How Kamailio 5.6.3 reads a multipart body (checked against it, see
tests/integration/test_mod_textops_multipart.py):

* the delimiter is `--` + the `boundary` parameter of the message's Content-Type
  (quotes removed); without one the functions fail (-1), except get_body_part(_raw),
  which then give the whole body (any type asked for);
* a part is found by its Content-Type line: a line of the body starting with
  `Content-Type:` (any case), blanks, then exactly the given type followed by CRLF
  (`text/plain` does not match `text/plain;x=1`); the first such line wins, wherever
  it is in the body;
* the part's *content* runs from the line after that Content-Type line (other part
  headers below it included) to the CRLF before the next delimiter line; its *raw*
  form from the Content-Type line to the end of that delimiter line;
* filter_body keeps the content only, minus one leading empty line and the CRLF that
  ends it; remove_body_part deletes the raw form; append_body_part adds
  `Content-Type: T CRLF [Content-Disposition: D CRLF] CRLF text CRLF --B CRLF` at the
  end of the body;
* after append_body_part / remove_body_part the body is re-framed when the message is
  sent (Kamailio's check_boundaries): the text before the first delimiter goes, a
  closing `--B--` line in the middle becomes `--B`, and everything from the last
  delimiter line on becomes `--B--` CRLF. The boundary is the one of the message's
  Content-Type: a body made multipart by set_body_multipart is sent as built (its
  last delimiter without `--`) until msg_apply_changes() makes its Content-Type the
  message's;
* set_body_multipart on a message that is multipart already changes no header (and
  without text leaves the body alone).

All edits of one message go into one replacement of the whole body (a record in the
message's module state, like the Content-Length record of textops_msg), so successive
edits see each other's changes (get_body_part reads the message as received, as
Kamailio does); another textops edit of the body in the same message
conflicts with it and is refused (-1, error log). msg_apply_changes() (textopsx)
forgets the record.
"""

from __future__ import annotations

import itertools
import logging
import re

from siprouter.engine.context import MsgContext
from siprouter.sip import headers as H
from siprouter.sip.lumps import Lump, LumpError

from .textops_msg import fix_content_length
from .textops_re import to_bytes

log = logging.getLogger("siprouter.textops")

_KEY = "textops_multipart"
_DEFAULT_BOUNDARY = "unique-boundary-1"
_CT_LINE = re.compile(rb"^content-type:[ \t]*", re.IGNORECASE | re.MULTILINE)
_BOUNDARY = re.compile(rb';\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))', re.IGNORECASE)


class BodyEdit:
    """The body as the multipart functions changed it, and its lump."""

    __slots__ = ("body", "lump", "multipart", "sent_len")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.lump: Lump | None = None
        self.multipart = False  # re-frame the delimiters when sent
        self.sent_len = len(body)


def delimiter(ctx: MsgContext) -> bytes | None:
    """`--boundary` from the received message's Content-Type, None without one."""
    raw = ctx.msg.header(H.CONTENT_TYPE)
    if raw is None:
        return None
    m = _BOUNDARY.search(raw)
    if m is None:
        return None
    value = m.group(1) if m.group(1) is not None else m.group(2)
    return b"--" + value if value else None


def _record(ctx: MsgContext) -> BodyEdit:
    st = ctx.module_state()
    rec = st.get(_KEY)
    if rec is None:
        rec = st[_KEY] = BodyEdit(ctx.msg.data[ctx.msg.body_start :])
    return rec  # type: ignore[no-any-return]


def forget(ctx: MsgContext) -> None:
    """Drop the record (the message was rebuilt by msg_apply_changes)."""
    if ctx.mod:
        ctx.mod.pop(_KEY, None)


def _line_end(data: bytes, pos: int) -> int:
    nl = data.find(b"\n", pos)
    return len(data) if nl < 0 else nl + 1


def _find_delim_line(data: bytes, delim: bytes, pos: int) -> int:
    """Start of the first line at or after `pos` beginning with `delim`, -1 if none."""
    while pos <= len(data):
        if data.startswith(delim, pos):
            return pos
        nl = data.find(b"\n", pos)
        if nl < 0:
            return -1
        pos = nl + 1
    return -1


def find_part(body: bytes, ctype: str, delim: bytes) -> tuple[int, int, int, int] | None:
    """(Content-Type line start, content start, next delimiter line start, its end) of
    the first part of type `ctype`, None when there is none."""
    want = to_bytes(ctype).lower()
    for m in _CT_LINE.finditer(body):
        vstart = m.end()
        value = body[vstart : vstart + len(want)]
        if value.lower() != want or body[vstart + len(want) : vstart + len(want) + 2] != b"\r\n":
            continue
        content = vstart + len(want) + 2
        nxt = _find_delim_line(body, delim, content)
        if nxt < 0:
            return None
        return m.start(), content, nxt, _line_end(body, nxt)
    return None


def _reframe(body: bytes, delim: bytes) -> bytes:
    """Kamailio's check_boundaries: the text before the first delimiter line goes, a
    delimiter line in the middle that is not exactly `--B` CRLF (a closing `--B--`)
    becomes one, and `--B--` CRLF replaces the last delimiter line and what follows."""
    starts: list[int] = []
    pos = _find_delim_line(body, delim, 0)
    while pos >= 0:
        starts.append(pos)
        pos = _find_delim_line(body, delim, _line_end(body, pos))
    if len(starts) < 2:
        return body  # sent as it is (Kamailio logs "wrong number of boundaries")
    plain = delim + b"\r\n"
    out: list[bytes] = []
    for here, nxt in itertools.pairwise(starts):
        end = _line_end(body, here)
        if body[here:end] == plain:
            out.append(body[here:nxt])
        else:
            out += [plain, body[end:nxt]]
    out.append(delim + b"--\r\n")
    return b"".join(out)


def _store(ctx: MsgContext, rec: BodyEdit, body: bytes, fname: str) -> bool:
    """Make `body` the new (pre-framing) body and update the body lump."""
    msg = ctx.msg
    delim = delimiter(ctx)
    out = _reframe(body, delim) if rec.multipart and delim is not None else body
    try:
        if rec.lump is None:
            start = msg.body_start
            rec.lump = ctx.changes.lumps.replace(start, len(msg.data), out, what=fname)
        else:
            rec.lump.data = out
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return False
    rec.body = body
    fix_content_length(ctx, len(out) - rec.sent_len)
    rec.sent_len = len(out)
    return True


def get_body_part(ctx: MsgContext, ctype: str, raw: bool) -> bytes | None:
    """The content (raw=False) or the raw form of the first part of type `ctype` in the
    message's body (pending changes not applied, as Kamailio reads it); a body that is
    not multipart is returned whole, whatever `ctype` (as Kamailio 5.6.3)."""
    delim = delimiter(ctx)
    body = ctx.msg.data[ctx.msg.body_start :]
    if delim is None:
        return body or None
    found = find_part(body, ctype, delim)
    if found is None:
        return None
    ct_start, content, nxt, nxt_end = found
    return body[ct_start:nxt_end] if raw else body[content:nxt]


def filter_body(ctx: MsgContext, ctype: str) -> int:
    """Keep only the content of the first part of type `ctype`."""
    delim = delimiter(ctx)
    if delim is None:
        log.error("filter_body: no boundary in Content-Type")
        return -1
    rec = _record(ctx)
    found = find_part(rec.body, ctype, delim)
    if found is None:
        return -1
    _ct, content, nxt, _end = found
    if rec.body.startswith(b"\r\n", content):
        content += 2
    end = max(content, nxt - 2)
    return 1 if _store(ctx, rec, rec.body[content:end], "filter_body") else -1


def remove_body_part(ctx: MsgContext, ctype: str) -> int:
    delim = delimiter(ctx)
    if delim is None:
        return -1
    rec = _record(ctx)
    found = find_part(rec.body, ctype, delim)
    if found is None:
        return -1
    ct_start, _content, _nxt, nxt_end = found
    rec.multipart = True
    body = rec.body[:ct_start] + rec.body[nxt_end:]
    return 1 if _store(ctx, rec, body, "remove_body_part") else -1


def _part_text(delim: bytes, text: bytes, ctype: str, disposition: str | None) -> bytes:
    out = [b"Content-Type: ", to_bytes(ctype), b"\r\n"]
    if disposition:
        out += [b"Content-Disposition: ", to_bytes(disposition), b"\r\n"]
    out += [b"\r\n", text, b"\r\n", delim, b"\r\n"]
    return b"".join(out)


def append_body_part(ctx: MsgContext, text: bytes, ctype: str, disposition: str | None) -> int:
    """Add a part (its headers, text and a delimiter line) at the end of the body."""
    delim = delimiter(ctx)
    if delim is None:
        log.error("append_body_part: the message has no multipart body")
        return -1
    rec = _record(ctx)
    if not rec.body:
        log.error("append_body_part: the message has no body")
        return -1
    rec.multipart = True
    body = rec.body + _part_text(delim, text, ctype, disposition)
    return 1 if _store(ctx, rec, body, "append_body_part") else -1


def hex_text(text: str) -> bytes | None:
    """append_body_part_hex's content: pairs of hex digits, blanks ignored."""
    digits = "".join(text.split())
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def set_body_multipart(
    ctx: MsgContext, text: str | None, ctype: str | None, boundary: str | None
) -> int:
    """Make the body multipart: one part with `text` of type `ctype`, or (without them)
    the present body as the part, of the present Content-Type. The Content-Type headers
    are replaced by `multipart/mixed;boundary="B"` and `Mime-Version: 1.0`. A message
    that is multipart already keeps its headers (and, without text, its body)."""
    msg = ctx.msg
    bnd = to_bytes(boundary or _DEFAULT_BOUNDARY)
    rec = _record(ctx)
    raw_ct = msg.header(H.CONTENT_TYPE)
    already = raw_ct is not None and raw_ct.strip().lower().startswith(b"multipart/")
    if already and text is None:
        return 1
    if text is None:
        content = rec.body
        if not content:
            log.error("set_body_multipart: no body to convert")
            return -1
        ct = raw_ct.strip() if raw_ct is not None else b"application/sdp"
    else:
        content = to_bytes(text)
        ct = to_bytes(ctype or "")
    delim = b"--" + bnd
    body = delim + b"\r\nContent-Type: " + ct + b"\r\n\r\n" + content + b"\r\n" + delim + b"\r\n"
    try:
        if not already:
            for f in msg.header_fields:
                if f.hid == H.CONTENT_TYPE:
                    ctx.changes.remove_header(f)
            ctx.changes.lumps.insert(
                msg.headers_end,
                b'Content-Type: multipart/mixed;boundary="' + bnd + b'"\r\nMime-Version: 1.0\r\n',
                what="set_body_multipart",
            )
    except LumpError as e:
        log.error("set_body_multipart: %s", e)
        return -1
    rec.multipart = False
    if not _store(ctx, rec, body, "set_body_multipart"):
        return -1
    if msg.content_length is None and not any(f.hid == H.CONTENT_LENGTH for f in msg.header_fields):
        ctx.changes.lumps.insert(
            msg.headers_end, b"Content-Length: %d\r\n" % len(body), what="set_body_multipart"
        )
    return 1
