"""textopsx header-value functions: append_hf_value, insert_hf_value, remove_hf_value,
remove_hf_value2, assign_hf_value, assign_hf_value2, include_hf_value,
exclude_hf_value and hf_value_exists.

The header argument is `NAME[IDX].PARAM` (index and parameter optional). For the
plain functions the *values* of a header are its comma-separated items (commas inside
quotes or <...> do not split), counted over every header of that name in message
order: `X[1]` is the first value, `X[-1]` the last, `X[*]` all of them (commas inside
quotes do not split; inside <...> they do, as in Kamailio 5.6.3). Empty values count
(an empty header has one, `a,,b` has three) but equal nothing; a value ends, for
appending after it or removing it, where its comma is (blanks before it included). The `2`
variants treat a whole header as one value (Authorization style: commas separate its
parameters), so `X[2]` is the second header. Names match as textops matches them (a
known header by type, compact forms included; others by name, any case).

Semantics as Kamailio 5.6.3 (tests/integration/test_mod_textopsx_hfv.py):

* append_hf_value(X[i], v): `,v` after value i; without an index, or when there is
  no value i, a new header `X: v` at the end of the headers. 1.
* insert_hf_value(X[i], v): `v,` before value i when it is the first of its header,
  else `,v` after the value before it; -1 when there is no value i (but a new header
  at the end when there is no X at all); without an index a new header `X: v` above
  the first X (at the end when there is none). 1.
  Neither accepts `[*]` or a parameter: a config error, as in Kamailio.
* remove_hf_value(X[i]) (no index: the first value): a value followed by another goes
  from just after the comma before it to just after its own comma, the last one from
  the end of the value before it; a header left without values goes whole. With `.p` the parameter `;p[=..]` goes
  instead. -1 when nothing was found.
* assign_hf_value(X[i], v): value i becomes v; with `.p` parameter p gets `=v` (just
  `p` when v is empty), added when missing. `[*]` needs a parameter. -1 when no value.
* remove_hf_value2 / assign_hf_value2: the same over whole headers.
* include_hf_value(X, v): 1; when no value of X equals v (any case), `,v` is added
  after the last value of the first X header, or a header `X: v` at the end.
* exclude_hf_value(X, v): every value equal to v (any case) is removed; 1.
* hf_value_exists(X, v): 1 when a value of X equals v (any case), else -1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.sip.lumps import LumpError
from siprouter.sip.message import HeaderField

from .textops_hdr import NameMatcher
from .textops_re import to_bytes

log = logging.getLogger("siprouter.textopsx")

ALL = "*"
_SPEC_RE = re.compile(r"^\s*([^\[\].\s]+)\s*(?:\[\s*([-+]?\d+|\*)\s*\])?\s*(?:\.\s*([^\s.]+))?\s*$")


@dataclass(frozen=True, slots=True)
class HfSpec:
    """A parsed `NAME[IDX].PARAM`: idx is None (not given), an int (1-based, negative
    from the end) or ALL."""

    name: str
    idx: int | str | None
    param: str | None
    match: NameMatcher


def parse_spec(text: str) -> HfSpec:
    m = _SPEC_RE.match(text)
    if m is None:
        raise ValueError(f"bad header specification {text!r}: expected NAME[IDX].PARAM")
    name, idx, param = m.group(1), m.group(2), m.group(3)
    index: int | str | None = None
    if idx is not None:
        index = ALL if idx == ALL else int(idx)
        if index == 0:
            raise ValueError(f"bad index in {text!r}: the first value is 1")
    return HfSpec(name, index, param, NameMatcher(name))


@dataclass(slots=True)
class Value:
    """One value: its header, its byte span, and its position in that header."""

    field: HeaderField
    start: int
    end: int
    nth: int  # position in its header (0 = first)
    count: int  # number of values in its header
    raw_start: int  # just after the comma before it (the value start for the first)
    raw_end: int  # end with the blanks before the next comma


def _split(
    data: bytes, start: int, end: int, sep: int, keep_empty: bool = False
) -> list[tuple[int, int, int, int]]:
    """(start, end, raw start, raw end) of the `sep`-separated items of
    data[start:end]: start and end trimmed of blanks, the raw ones just after the
    separator before and at the separator after (the item text as Kamailio deletes
    it). Separators inside quotes do not count (inside <...> they do, as in Kamailio
    5.6.3). Empty items are kept only when `keep_empty` (header values: an empty header
    has one empty value)."""
    out: list[tuple[int, int, int, int]] = []
    quote = False
    item = start
    i = start
    while i <= end:
        c = data[i] if i < end else sep
        if quote:
            if c == 0x5C:  # backslash
                i += 1
            elif c == 0x22:
                quote = False
        elif c == 0x22:
            quote = True
        elif c == sep:
            s, e = item, min(i, end)
            while s < e and data[s] in b" \t\r\n":
                s += 1
            raw_end = e
            while e > s and data[e - 1] in b" \t\r\n":
                e -= 1
            if e > s or keep_empty:
                out.append((s, e, item, raw_end))
            item = i + 1
        i += 1
    return out


def body_end(data: bytes, f: HeaderField) -> int:
    """End of a header's body as Kamailio keeps it: the line end, trailing blanks kept."""
    end = f.end
    if end > f.value_start and data[end - 1 : end] == b"\n":
        end -= 1
        if end > f.value_start and data[end - 1 : end] == b"\r":
            end -= 1
    return max(end, f.value_end)


def values(ctx: MsgContext, match: NameMatcher, whole: bool) -> list[Value]:
    """Every value of the headers `match` selects (whole headers when `whole`)."""
    data = ctx.msg.data
    out: list[Value] = []
    for f in ctx.msg.header_fields:
        if not match(f):
            continue
        if whole:
            end = body_end(data, f)
            out.append(Value(f, f.value_start, end, 0, 1, f.value_start, end))
            continue
        spans = _split(data, f.value_start, body_end(data, f), 0x2C, keep_empty=True)
        out += [
            Value(f, s, e, n, len(spans), s if n == 0 else rs, r)
            for n, (s, e, rs, r) in enumerate(spans)
        ]
    return out


def _pick(vals: list[Value], idx: int | str | None) -> list[Value]:
    if idx == ALL:
        return vals
    i = 1 if idx is None else int(idx)
    i = i - 1 if i > 0 else len(vals) + i
    return [vals[i]] if 0 <= i < len(vals) else []


def _new_header(ctx: MsgContext, name: str, value: str, offset: int | None = None) -> None:
    where = ctx.msg.headers_end if offset is None else offset
    line = to_bytes(name) + b": " + to_bytes(value) + b"\r\n"
    ctx.changes.lumps.insert(where, line, what="hf_value")


def _guard(fname: str, action: Callable[[], int]) -> int:
    try:
        return action()
    except LumpError as e:
        log.error("%s: %s", fname, e)
        return -1


# ---- adding values ---------------------------------------------------------------------


def append_value(ctx: MsgContext, spec: HfSpec, value: str) -> int:
    def run() -> int:
        if spec.idx is not None:
            found = _pick(values(ctx, spec.match, False), spec.idx)
            if found:
                ctx.changes.lumps.insert(found[0].raw_end, b"," + to_bytes(value), what="hf_value")
                return 1
        _new_header(ctx, spec.name, value)
        return 1

    return _guard("append_hf_value", run)


def insert_value(ctx: MsgContext, spec: HfSpec, value: str) -> int:
    def run() -> int:
        vals = values(ctx, spec.match, False)
        if spec.idx is None or not vals:
            first = next((f for f in ctx.msg.header_fields if spec.match(f)), None)
            _new_header(ctx, spec.name, value, first.start if first is not None else None)
            return 1
        found = _pick(vals, spec.idx)
        if not found:
            return -1
        v = found[0]
        lumps = ctx.changes.lumps
        if v.start == v.end:  # an empty value: Kamailio adds ",v" there
            lumps.insert(v.start, b"," + to_bytes(value), what="hf_value")
        elif v.nth == 0:
            lumps.insert(v.start, to_bytes(value) + b",", what="hf_value")
        else:
            prev = vals[vals.index(v) - 1]
            lumps.insert(prev.raw_end, b"," + to_bytes(value), what="hf_value")
        return 1

    return _guard("insert_hf_value", run)


# ---- removing values -------------------------------------------------------------------


def _remove_values(ctx: MsgContext, all_vals: list[Value], chosen: list[Value]) -> None:
    """Remove values as Kamailio 5.6.3 does: a value followed by another goes from just
    after the comma before it (its start, for the first) to just after its own comma;
    the last one from the end of the value before it. Overlapping removals merge; a
    header left with no value goes whole."""
    picked = {id(v) for v in chosen}
    fields: dict[int, HeaderField] = {}
    for v in chosen:
        fields.setdefault(v.field.start, v.field)
    spans: list[tuple[int, int]] = []
    for f in fields.values():
        mine = [v for v in all_vals if v.field is f]
        if all(id(v) in picked for v in mine):
            ctx.changes.remove_header(f)
            continue
        for i, v in enumerate(mine):
            if id(v) not in picked:
                continue
            if i + 1 < len(mine):
                spans.append((v.raw_start, v.raw_end + 1))  # raw_end is its comma
            else:
                spans.append((mine[i - 1].end, v.raw_end))
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        if end > start:
            ctx.changes.lumps.delete(start, end, what="hf_value")


def _params(ctx: MsgContext, v: Value, whole: bool) -> list[tuple[int, int, int]]:
    """(start, end of the name, end) of each parameter of a value; `start` is the
    separator before it for ;-parameters."""
    data = ctx.msg.data
    out: list[tuple[int, int, int]] = []
    if whole:  # Authorization style: [scheme] name=value, name=value
        start = v.start
        m = re.match(rb"[^\s=,]+[ \t]+(?=[^\s=,]+\s*(=|,|$))", data[v.start : v.end])
        if m is not None:
            start += m.end()
        for s, e, _rs, _r in _split(data, start, v.end, 0x2C):
            eq = data.find(b"=", s, e)
            out.append((s, eq if eq >= 0 else e, e))
        return out
    items = _split(data, v.start, v.end, 0x3B)
    for s, e, _rs, _r in items[1:]:
        eq = data.find(b"=", s, e)
        name_end = eq if eq >= 0 else e
        while name_end > s and data[name_end - 1] in b" \t":
            name_end -= 1
        sep = data.rfind(b";", v.start, s)
        out.append((sep, name_end, e))
    return out


def _param_name(ctx: MsgContext, p: tuple[int, int, int], whole: bool) -> bytes:
    data = ctx.msg.data
    start = p[0] if whole else p[0] + 1
    return data[start : p[1]].strip().lower()


def _find_param(
    ctx: MsgContext, v: Value, name: str, whole: bool
) -> tuple[int, tuple[int, int, int] | None, list[tuple[int, int, int]]]:
    params = _params(ctx, v, whole)
    want = to_bytes(name).lower()
    for i, p in enumerate(params):
        if _param_name(ctx, p, whole) == want:
            return i, p, params
    return -1, None, params


def remove_value(ctx: MsgContext, spec: HfSpec, whole: bool) -> int:
    fname = "remove_hf_value2" if whole else "remove_hf_value"

    def run() -> int:
        vals = values(ctx, spec.match, whole)
        chosen = _pick(vals, spec.idx)
        if not chosen:
            return -1
        if spec.param is None:
            _remove_values(ctx, vals, chosen)
            return 1
        done = 0
        lumps = ctx.changes.lumps
        for v in chosen:
            i, p, params = _find_param(ctx, v, spec.param, whole)
            if p is None:
                continue
            if not whole:
                lumps.delete(p[0], p[2], what=fname)
            elif i > 0:
                lumps.delete(params[i - 1][2], p[2], what=fname)
            else:  # the first: up to and with its comma, as Kamailio
                comma = ctx.msg.data.find(b",", p[2], v.end)
                lumps.delete(p[0], comma + 1 if comma >= 0 else p[2], what=fname)
            done += 1
        return 1 if done else -1

    return _guard(fname, run)


# ---- assigning -------------------------------------------------------------------------


def assign_value(ctx: MsgContext, spec: HfSpec, value: str, whole: bool) -> int:
    fname = "assign_hf_value2" if whole else "assign_hf_value"
    data = to_bytes(value)

    def run() -> int:
        chosen = _pick(values(ctx, spec.match, whole), spec.idx)
        if not chosen:
            return -1
        lumps = ctx.changes.lumps
        for v in chosen:
            if spec.param is None:
                lumps.replace(v.start, v.end, data, what=fname)
                continue
            _i, p, params = _find_param(ctx, v, spec.param, whole)
            assigned = b"=" + data if data else b""
            if p is not None:
                if p[1] != p[2] or assigned:
                    lumps.replace(p[1], p[2], assigned, what=fname)
            else:
                sep = (b"," if params else b" ") if whole else b";"
                lumps.insert(v.end, sep + to_bytes(spec.param) + assigned, what=fname)
        return 1

    return _guard(fname, run)


# ---- sets of values --------------------------------------------------------------------


def _equal(ctx: MsgContext, v: Value, want: bytes) -> bool:
    """Whether the value is `want` (any case); an empty value equals nothing."""
    return v.end > v.start and ctx.msg.data[v.start : v.end].lower() == want


def include_value(ctx: MsgContext, spec: HfSpec, value: str) -> int:
    want = to_bytes(value).lower()

    def run() -> int:
        vals = values(ctx, spec.match, False)
        if any(_equal(ctx, v, want) for v in vals):
            return 1
        if vals:  # after the last value of the first such header
            last = [v for v in vals if v.field is vals[0].field][-1]
            ctx.changes.lumps.insert(last.raw_end, b"," + to_bytes(value), what="hf_value")
        else:
            _new_header(ctx, spec.name, value)
        return 1

    return _guard("include_hf_value", run)


def exclude_value(ctx: MsgContext, spec: HfSpec, value: str) -> int:
    want = to_bytes(value).lower()

    def run() -> int:
        vals = values(ctx, spec.match, False)
        chosen = [v for v in vals if _equal(ctx, v, want)]
        if chosen:
            _remove_values(ctx, vals, chosen)
        return 1

    return _guard("exclude_hf_value", run)


def value_exists(ctx: MsgContext, spec: HfSpec, value: str) -> int:
    want = to_bytes(value).lower()
    return 1 if any(_equal(ctx, v, want) for v in values(ctx, spec.match, False)) else -1


# ---- argument fix-ups ------------------------------------------------------------------


def fix_spec(
    *, star: bool, param: bool, star_needs_param: bool = False, index: bool = True
) -> Callable[[Any], Any]:
    """A fix-up parsing a constant NAME[IDX].PARAM, refusing what the function does not
    take (Kamailio's fix-up errors: asterisk / param not supported)."""

    def fix(a: Any) -> HfSpec:
        spec = parse_spec(str(a))
        if not index and (spec.idx is not None or spec.param is not None):
            raise ValueError(f"neither index nor param may be specified in {a!r}")
        if spec.idx == ALL and not star:
            raise ValueError(f"{a}: asterisk not supported")
        if spec.param is not None and not param:
            raise ValueError(f"{a}: param not supported")
        if star_needs_param and spec.idx == ALL and spec.param is None:
            raise ValueError(f"{a}: asterisk not supported without param")
        return spec

    return fix
