"""textops functions on header fields: presence, removal, insertion, search and subst.

Header names match as Kamailio matches them: a known header by its type (so `v` and
`Via` are the same header), any other by its name, case-insensitively. Regex variants
match the header *name* as written (is_present_hf_re, remove_hf_re, remove_hf_exp) or
the header *value* (search_hf, subst_hf), case-insensitively (subst_hf per its flags).

Edits are lumps on `ctx.changes` (the message as received is what is searched, as in
Kamailio). Return codes (checked against Kamailio 5.6.3):
* is_present_hf*, remove_hf*, search_hf, subst_hf: 1 when something matched, else -1;
* remove_hf_idx: 1 when the header at the index was removed, 2 when the index is out of
  range (negative indexes count from the last one);
* remove_hf_match(name, op, expr): see remove_match(); 1, -2 when nothing matched;
* append_hf / insert_hf: 1. The text is inserted as given (it should end with CRLF).
  append_hf(text) adds it after the last header, append_hf(text, name) after the last
  `name` header; insert_hf(text) before the first header, insert_hf(text, name) before
  the first `name` header; with no such header, the place of the one-argument form.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

from siprouter.engine.context import MsgContext
from siprouter.sip import headers as H
from siprouter.sip.lumps import LumpError
from siprouter.sip.message import HeaderField, SipMessage

from .textops_re import Subst, to_bytes

log = logging.getLogger("siprouter.textops")

NameMatch = Callable[[HeaderField], bool]


class NameMatcher:
    """A test for header fields called `name` (type for known headers, else the name);
    `present(msg)` answers from the message's header index without field objects."""

    __slots__ = ("hid", "low", "raw")

    def __init__(self, name: str) -> None:
        self.raw = name.strip().encode("utf-8", "surrogateescape")
        self.hid = H.lookup(self.raw)
        self.low = self.raw.decode("utf-8", "surrogateescape").lower()

    def __call__(self, f: HeaderField) -> bool:
        if self.hid:
            return f.hid == self.hid
        return f.hid == 0 and f.name.lower() == self.low

    def present(self, msg: SipMessage) -> bool:
        return msg.has_header(self.hid if self.hid else self.raw)


def name_matcher(name: str) -> NameMatch:
    """A test for header fields called `name`."""
    return NameMatcher(name)


def re_matcher(rx: re.Pattern[bytes]) -> NameMatch:
    """A test for header fields whose name (as written) matches `rx`."""
    return lambda f: rx.search(f.name.encode("utf-8", "surrogateescape")) is not None


def fields(ctx: MsgContext, match: NameMatch) -> list[HeaderField]:
    return [f for f in ctx.msg.header_fields if match(f)]


def is_present(ctx: MsgContext, match: NameMatch) -> int:
    if isinstance(match, NameMatcher):
        return 1 if match.present(ctx.msg) else -1
    return 1 if any(match(f) for f in ctx.msg.header_fields) else -1


def _remove_spans(ctx: MsgContext, spans: list[tuple[int, int]], fname: str) -> int:
    if not spans:
        return -1
    try:
        lumps = ctx.changes.lumps
        for start, end in spans:
            lumps.remove_span(start, end, what=fname)
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return -1
    return 1


def _remove(ctx: MsgContext, found: list[HeaderField], fname: str) -> int:
    return _remove_spans(ctx, [(f.start, f.end) for f in found], fname)


def remove(ctx: MsgContext, match: NameMatch, fname: str = "remove_hf") -> int:
    if isinstance(match, NameMatcher) and match.hid:
        # a known header: its lines straight from the header index
        msg = ctx.msg
        offsets = msg.header_offsets()
        hid = match.hid
        spans = [(offsets[i], offsets[i + 1]) for i, h in enumerate(msg.header_ids) if h == hid]
        return _remove_spans(ctx, spans, fname)
    return _remove(ctx, fields(ctx, match), fname)


def remove_exp(ctx: MsgContext, keep_out: NameMatch, skip: NameMatch) -> int:
    """remove_hf_exp: remove the headers matching the first regex and not the second."""
    found = [f for f in ctx.msg.header_fields if keep_out(f) and not skip(f)]
    return _remove(ctx, found, "remove_hf_exp")


def remove_idx(ctx: MsgContext, match: NameMatch, idx: int) -> int:
    found = fields(ctx, match)
    if idx < 0:
        idx += len(found)
    if not 0 <= idx < len(found):
        return 2
    return _remove(ctx, [found[idx]], "remove_hf_idx")


def add_text(ctx: MsgContext, text: str, match: NameMatch | None, *, append: bool) -> int:
    """append_hf / insert_hf: `text` after the last / before the first matching header."""
    msg = ctx.msg
    offset = msg.headers_end if append else msg.headers_start
    if match is not None:
        found = fields(ctx, match)
        if found:
            offset = found[-1].end if append else found[0].start
    what = "append_hf" if append else "insert_hf"
    try:
        ctx.changes.lumps.insert(offset, to_bytes(text), what=what)
    except LumpError as e:
        log.error("%s: %s", what, e)
        return -1
    return 1


def _pick(found: list[HeaderField], flags: str) -> list[HeaderField]:
    if not found:
        return []
    if "f" in flags:
        return found[:1]
    if "l" in flags:
        return found[-1:]
    return found


def search_hf(ctx: MsgContext, match: NameMatch, rx: re.Pattern[bytes], flags: str) -> int:
    data = ctx.msg.data
    for f in _pick(fields(ctx, match), flags):
        if rx.search(data, f.value_start, f.value_end):
            return 1
    return -1


def subst_hf(ctx: MsgContext, match: NameMatch, sub: Subst, flags: str) -> int:
    data = ctx.msg.data
    done = 0
    for f in _pick(fields(ctx, match), flags):
        if sub.replace_all:
            ms = [m for m in sub.regex.finditer(data, f.value_start, f.value_end)]
        else:
            m1 = sub.regex.search(data, f.value_start, f.value_end)
            ms = [m1] if m1 is not None else []
        for m in ms:
            if m.end() == m.start():
                continue
            try:
                ctx.changes.lumps.replace(m.start(), m.end(), sub.expand(ctx, m), what="subst_hf")
            except LumpError as e:
                log.error("subst_hf: %s", e)
                return -1
            done += 1
    return 1 if done else -1


def append_urihf(ctx: MsgContext, prefix: str, suffix: str) -> int:
    """A header line prefix + current R-URI + suffix, after the last header."""
    return add_text(ctx, prefix + ctx.ruri + suffix, None, append=True)


@functools.lru_cache(maxsize=256)
def _value_re(expr: str) -> re.Pattern[bytes] | None:
    from .textops_re import compile_msg_re

    try:
        return compile_msg_re(expr)
    except ValueError as e:
        log.error("remove_hf_match: %s", e)
        return None


def remove_match(ctx: MsgContext, match: NameMatch, op: str, expr: str) -> int:
    """remove_hf_match: remove the `match` headers whose value satisfies `op expr`:
    eq (equal), ne (not equal), in (expr occurs in the value; all case-sensitive) or re
    (the case-insensitive regex matches the value). 1 when some were removed, -2 when
    none (or no such header), -1 for an unknown operator or a bad regex."""
    ex = to_bytes(expr)
    test: Callable[[bytes], bool]
    if op == "eq":
        test = ex.__eq__
    elif op == "ne":
        test = ex.__ne__
    elif op == "in":
        test = lambda v: ex in v  # noqa: E731
    elif op == "re":
        rx = _value_re(expr)
        if rx is None:
            return -1
        test = lambda v: rx.search(v) is not None  # noqa: E731
    else:
        log.error("remove_hf_match: unknown operator %r", op)
        return -1
    found = [f for f in fields(ctx, match) if test(f.value)]
    if not found:
        return -2
    return _remove(ctx, found, "remove_hf_match")
