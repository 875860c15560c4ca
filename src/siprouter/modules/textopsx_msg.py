"""textopsx functions over the whole message: msg_apply_changes, msg_set_buffer,
change_reply_status(_code), remove_body, keep_hf and fnmatch.

Behaviour checked against Kamailio 5.6.3 (tests/integration/test_mod_textopsx.py):

* msg_apply_changes(): the pending changes (and a new Request-URI, which then becomes
  the message's own) are applied and the result is parsed again; later functions see
  the new message. 1; -1 when the changes cannot be applied; 0 (the script stops)
  when the new message does not parse.
* msg_changed_route(name) (a later Kamailio release; not in 5.6.3): route[name] runs
  over a copy of the message with the changes applied; the message is not changed.
* msg_set_buffer(data): the message becomes `data`, pending changes are dropped; 0 (the
  script stops) when it does not parse.
* change_reply_status(code, reason) / change_reply_status_code(code): a new status
  code (100..699) and reason in the status line of a reply; the class of a 1xx/2xx
  reply cannot change, nor can a 3xx-6xx become 1xx/2xx (-1 and an error log), an
  empty reason is refused. `$rs` gives the new code, `$rr` still the received reason.
* remove_body(): the body goes, Content-Length becomes 0; always 1.
* keep_hf([regex]): every header whose name does not match `regex` is removed, except
  Via, From, To, Call-ID, CSeq, Content-Length, Content-Type, Max-Forwards, Contact,
  Route and Record-Route. Kamailio 5.6.3 returns -1 after doing so, and so do we.
* fnmatch(value, pattern[, flags]): shell-style matching (fnmatch(3) without flags);
  Kamailio 5.6.3 ignores the `i` flag, so matching is always case-sensitive.
"""

from __future__ import annotations

import contextlib
import logging
import re

from siprouter.engine.context import MsgContext
from siprouter.engine.script_rt import ScriptDrop, ScriptExit
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.lumps import Lump, LumpError
from siprouter.sip.message import SipMessage, parse_message
from siprouter.sip.msg_apply import MsgChanges

from . import textops_multipart
from .textops_msg import fix_content_length
from .textops_re import to_bytes

log = logging.getLogger("siprouter.textopsx")

_STATUS_KEY = "textopsx_status"
_CL_KEY = "textops_cl"
_ITER_KEYS = ("textopsx_hf_iter", "textopsx_bl_iter")

_KEEP_ALWAYS = frozenset(
    {
        H.VIA,
        H.FROM,
        H.TO,
        H.CALL_ID,
        H.CSEQ,
        H.CONTENT_LENGTH,
        H.CONTENT_TYPE,
        H.MAX_FORWARDS,
        H.CONTACT,
        H.ROUTE,
        H.RECORD_ROUTE,
    }
)


def _forget_state(ctx: MsgContext) -> None:
    """Per-message records tied to the old buffer (Content-Length and body records,
    status lump, iterators) are dropped with it."""
    textops_multipart.forget(ctx)
    if ctx.mod:
        for key in (_CL_KEY, _STATUS_KEY, *_ITER_KEYS):
            ctx.mod.pop(key, None)


def _copy(ctx: MsgContext) -> MsgChanges:
    out = MsgChanges(ctx.msg)
    if ctx.has_changes:
        for lump in ctx.changes.lumps:
            if lump.is_insert:
                out.lumps.insert(lump.start, lump.data or b"", what=lump.what)
            elif lump.data is None:
                out.lumps.delete(lump.start, lump.end, what=lump.what)
            else:
                out.lumps.replace(lump.start, lump.end, lump.data, what=lump.what)
    return out


def _install(ctx: MsgContext, new: SipMessage) -> None:
    ctx.msg = new
    ctx._changes = None  # the pending edits belonged to the old buffer
    _forget_state(ctx)


def msg_apply_changes(ctx: MsgContext) -> int:
    msg = ctx.msg
    try:
        data = _changed_bytes(ctx)
    except (LumpError, ValueError) as e:
        log.error("msg_apply_changes: %s", e)
        return -1
    try:
        new = parse_message(data, transport=msg.transport)
    except SipParseError as e:
        log.error("msg_apply_changes: the new message does not parse: %s", e)
        return 0
    _install(ctx, new)
    if new.is_request:
        ctx.new_uri = None
    return 1


def _changed_bytes(ctx: MsgContext) -> bytes:
    """The message with its pending changes (and a new Request-URI) applied."""
    msg = ctx.msg
    changes = _copy(ctx)
    if msg.is_request and ctx.new_uri is not None and ctx.new_uri != msg.ruri:
        changes.set_request_uri(ctx.new_uri)
    return changes.apply()


def msg_changed_route(ctx: MsgContext, rname: str) -> int:
    """Run route[rname] over a copy of the message with the changes applied; the
    message itself and its pending changes stay as they are. 1; -1 when there is no
    such route or the changed message cannot be built or parsed."""
    compiled = ctx.script.compiled
    fn = compiled.subroutes.get(rname) if compiled is not None else None
    if fn is None:
        log.error("msg_changed_route: route block [%s] not found", rname)
        return -1
    try:
        new = parse_message(_changed_bytes(ctx), transport=ctx.msg.transport)
    except (LumpError, ValueError, SipParseError) as e:
        log.error("msg_changed_route: cannot build the changed message: %s", e)
        return -1
    local = MsgContext(new, ctx.rcv, ctx.script, ctx.route_type)
    local.flags = ctx.flags
    local.bflags = ctx.bflags
    local.dst_uri = ctx.dst_uri
    local.log = ctx.log
    with contextlib.suppress(ScriptExit, ScriptDrop):  # they end that route only
        fn(local, 1)
    return 1


def msg_set_buffer(ctx: MsgContext, data: str) -> int:
    try:
        new = parse_message(to_bytes(data), transport=ctx.msg.transport)
    except SipParseError as e:
        log.error("msg_set_buffer: parsing the new message failed: %s", e)
        return 0
    _install(ctx, new)
    ctx.new_uri = None
    return 1


def _status_span(msg: SipMessage) -> tuple[int, int, int]:
    """(code start, code end, end of the status line) of a reply's first line."""
    start = msg.first_line_start
    line = msg.data[start : msg.first_line_end]
    sp = line.find(b" ")
    code_start = start + sp + 1
    return code_start, code_start + 3, msg.first_line_end


def _change_status(ctx: MsgContext, code: int, reason: str | None, fname: str) -> int:
    msg = ctx.msg
    if msg.is_request:
        log.error("%s: not a reply", fname)
        return -1
    if not 100 <= code <= 699:
        log.error("%s: wrong status code: %d", fname, code)
        return -1
    old = msg.status
    if (old < 300 or code < 300) and old // 100 != code // 100:
        log.error("%s: the class of provisional or positive final replies cannot be changed", fname)
        return -1
    cstart, cend, lend = _status_span(msg)
    st = ctx.module_state()
    rec: list[Lump | None] = st.setdefault(_STATUS_KEY, [None, None])
    try:
        lumps = ctx.changes.lumps
        new_code = b"%03d" % code
        if rec[0] is None:
            rec[0] = lumps.replace(cstart, cend, new_code, what=fname)
        else:
            rec[0].data = new_code
        if reason is not None:
            new_reason = to_bytes(reason)
            if rec[1] is None:
                rec[1] = lumps.replace(cend + 1, lend, new_reason, what=fname)
            else:
                rec[1].data = new_reason
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return -1
    msg.status = code  # Kamailio updates the parsed status code too ($rs)
    return 1


def change_reply_status(ctx: MsgContext, code: int, reason: str) -> int:
    if not reason:
        log.error("change_reply_status: invalid reason parameter")
        return -1
    return _change_status(ctx, code, reason, "change_reply_status")


def change_reply_status_code(ctx: MsgContext, code: int) -> int:
    return _change_status(ctx, code, None, "change_reply_status_code")


def remove_body(ctx: MsgContext) -> int:
    msg = ctx.msg
    start, end = msg.body_start, len(msg.data)
    if start >= end:
        return 1
    try:
        ctx.changes.lumps.delete(start, end, what="remove_body")
    except LumpError as e:
        log.error("remove_body: %s", e)
        return -1
    fix_content_length(ctx, start - end)
    return 1


def keep_hf(ctx: MsgContext, rx: re.Pattern[bytes] | None = None) -> int:
    for f in ctx.msg.header_fields:
        if f.hid in _KEEP_ALWAYS:
            continue
        if rx is not None and rx.search(to_bytes(f.name)):
            continue
        try:
            ctx.changes.remove_header(f)
        except LumpError as e:
            log.error("keep_hf: cannot remove header [%s]: %s", f.name, e)
    return -1


def glob_regex(pattern: str) -> re.Pattern[str]:
    """fnmatch(3) without flags as a regex: `*`, `?`, bracket expressions (`!` or `^`
    negates, a leading `]` is literal), `\\c` is c; an unclosed `[` is literal."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            neg = j < n and pattern[j] in "!^"
            if neg:
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            close = pattern.find("]", j)
            if close < 0:
                out.append(re.escape(c))
                continue
            inner = pattern[i + (1 if neg else 0) : close].replace("\\", "\\\\")
            out.append(("[^" if neg else "[") + inner.replace("[", "\\[") + "]")
            i = close + 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def fnmatch(value: str, pattern: str, flags: str = "") -> int:
    return 1 if glob_regex(pattern).fullmatch(value) else -1
