"""textopsx iterators: over the header fields (hf_iterator_*) and over the body lines
(bl_iterator_*) of the message as received, with $hfitname, $hfitbody and $blitval.

An iterator is named by a (rendered) text; at most 4 of each kind exist at a time.
Semantics as Kamailio 5.6.3 (tests/integration/test_mod_textopsx.py):

* *_start(name): (re)starts before the first item; 1 (-1 when 4 others exist);
* *_next(name): to the next item, 1; -1 at the end (the iterator is then finished:
  next and prev give -1 until it is started again) or for an unknown name;
* hf_iterator_prev(name): to the previous item; from the first item (or before it)
  it goes back before the first one and still gives 1;
* *_end(name): forgets the iterator, 1; -1 (error log) for an unknown name;
* *_rm(name): removes the current item; *_append / *_insert(name, text) add text after
  / before it; -1 when the iterator is not on an item, and for bl_iterator_append on a
  last body line without line end. Body edits update Content-Length.
* Kamailio 5.6.3 gives such a last line in $blitval with a NUL byte after it (it reads
  one byte too many); siprouter gives the line as it is.
* $hfitname / $hfitbody: name as written and value of the current header (leading
  blanks dropped, trailing ones kept, folding as written);
  $blitval the current body line with its line end; $null when not on an item.
"""

from __future__ import annotations

import logging
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.sip.lumps import LumpError

from .textops_msg import fix_content_length
from .textops_re import to_bytes, to_text
from .textopsx_hfv import body_end

log = logging.getLogger("siprouter.textopsx")

MAX_ITERATORS = 4
HF_KEY = "textopsx_hf_iter"
BL_KEY = "textopsx_bl_iter"


class Iter:
    """Position over `spans` (start, end, value start, value end) of items."""

    __slots__ = ("ended", "pos", "spans")

    def __init__(self, spans: list[tuple[int, int, int, int]]) -> None:
        self.spans = spans
        self.pos = -1
        self.ended = False

    def current(self) -> tuple[int, int, int, int] | None:
        if self.ended or not 0 <= self.pos < len(self.spans):
            return None
        return self.spans[self.pos]


def _table(ctx: MsgContext, key: str) -> dict[str, Iter]:
    return ctx.module_state().setdefault(key, {})  # type: ignore[no-any-return]


def _find(ctx: MsgContext, key: str, name: str) -> Iter | None:
    return (ctx.mod or {}).get(key, {}).get(name)


def _hf_spans(ctx: MsgContext) -> list[tuple[int, int, int, int]]:
    """Each header line, and its value as Kamailio's header body: from the first
    non-blank after the colon to the line end (trailing blanks kept)."""
    data = ctx.msg.data
    return [(f.start, f.end, f.value_start, body_end(data, f)) for f in ctx.msg.header_fields]


def _bl_spans(ctx: MsgContext) -> list[tuple[int, int, int, int]]:
    data = ctx.msg.data
    pos, end = ctx.msg.body_start, len(data)
    out: list[tuple[int, int, int, int]] = []
    while pos < end:
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        out.append((pos, stop, pos, stop))
        pos = stop
    return out


def _start(ctx: MsgContext, key: str, name: str, fname: str) -> int:
    table = _table(ctx, key)
    if name not in table and len(table) >= MAX_ITERATORS:
        log.error("%s: no iterator available for [%s]", fname, name)
        return -1
    table[name] = Iter(_hf_spans(ctx) if key == HF_KEY else _bl_spans(ctx))
    return 1


def _next(ctx: MsgContext, key: str, name: str) -> int:
    it = _find(ctx, key, name)
    if it is None or it.ended:
        return -1
    if it.pos + 1 < len(it.spans):
        it.pos += 1
        return 1
    it.ended = True
    return -1


def _end(ctx: MsgContext, key: str, name: str, fname: str) -> int:
    table = (ctx.mod or {}).get(key, {})
    if name not in table:
        log.error("%s: iterator not available [%s]", fname, name)
        return -1
    del table[name]
    return 1


def _edit(ctx: MsgContext, key: str, name: str, text: str | None, where: str, fname: str) -> int:
    """Remove the current item (where="rm") or add text before/after it."""
    it = _find(ctx, key, name)
    cur = it.current() if it is not None else None
    if cur is None:
        log.error("%s: iterator [%s] is not on an item", fname, name)
        return -1
    start, end = cur[0], cur[1]
    if key == BL_KEY and where == "after" and not ctx.msg.data[start:end].endswith(b"\n"):
        log.error("%s: cannot append text after last line (it has no line end)", fname)
        return -1
    lumps = ctx.changes.lumps
    before = lumps.delta()
    try:
        if where == "rm":
            lumps.delete(start, end, what=fname)  # twice the same line is one removal
        else:
            data = to_bytes(text or "")
            lumps.insert(end if where == "after" else start, data, what=fname)
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return -1
    if key == BL_KEY:
        fix_content_length(ctx, lumps.delta() - before)
    return 1


# ---- headers ---------------------------------------------------------------------------


def hf_start(ctx: MsgContext, name: str) -> int:
    return _start(ctx, HF_KEY, name, "hf_iterator_start")


def hf_next(ctx: MsgContext, name: str) -> int:
    return _next(ctx, HF_KEY, name)


def hf_prev(ctx: MsgContext, name: str) -> int:
    it = _find(ctx, HF_KEY, name)
    if it is None or it.ended:
        return -1
    it.pos = max(-1, it.pos - 1)
    return 1


def hf_end(ctx: MsgContext, name: str) -> int:
    return _end(ctx, HF_KEY, name, "hf_iterator_end")


def hf_rm(ctx: MsgContext, name: str) -> int:
    return _edit(ctx, HF_KEY, name, None, "rm", "hf_iterator_rm")


def hf_append(ctx: MsgContext, name: str, text: str) -> int:
    return _edit(ctx, HF_KEY, name, text, "after", "hf_iterator_append")


def hf_insert(ctx: MsgContext, name: str, text: str) -> int:
    return _edit(ctx, HF_KEY, name, text, "before", "hf_iterator_insert")


def get_hfitname(ctx: MsgContext, name: Any) -> str | None:
    it = _find(ctx, HF_KEY, str(name))
    cur = it.current() if it is not None else None
    if it is None or cur is None:
        return None
    return ctx.msg.header_fields[it.pos].name


def get_hfitbody(ctx: MsgContext, name: Any) -> str | None:
    it = _find(ctx, HF_KEY, str(name))
    cur = it.current() if it is not None else None
    if cur is None:
        return None
    return to_text(ctx.msg.data[cur[2] : cur[3]])


# ---- body lines ------------------------------------------------------------------------


def bl_start(ctx: MsgContext, name: str) -> int:
    return _start(ctx, BL_KEY, name, "bl_iterator_start")


def bl_next(ctx: MsgContext, name: str) -> int:
    return _next(ctx, BL_KEY, name)


def bl_end(ctx: MsgContext, name: str) -> int:
    return _end(ctx, BL_KEY, name, "bl_iterator_end")


def bl_rm(ctx: MsgContext, name: str) -> int:
    return _edit(ctx, BL_KEY, name, None, "rm", "bl_iterator_rm")


def bl_append(ctx: MsgContext, name: str, text: str) -> int:
    return _edit(ctx, BL_KEY, name, text, "after", "bl_iterator_append")


def bl_insert(ctx: MsgContext, name: str, text: str) -> int:
    return _edit(ctx, BL_KEY, name, text, "before", "bl_iterator_insert")


def get_blitval(ctx: MsgContext, name: Any) -> str | None:
    it = _find(ctx, BL_KEY, str(name))
    cur = it.current() if it is not None else None
    if cur is None:
        return None
    return to_text(ctx.msg.data[cur[0] : cur[1]])
