"""The `nameaddr.*` transformations: name, uri and len of `"Name" <uri>` text.

As Kamailio's parse_nameaddr: the name is everything before the first '<' outside
quotes (trailing spaces kept), the URI is up to the next '>', and len counts up to and
including that '>'.  Without '<' the whole value is the URI (name "", len its length);
a '<' without '>' makes the transformation fail.
"""

from __future__ import annotations

from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Step, Value, byte_len


def split_nameaddr(s: str) -> tuple[str, str, int] | None:
    """(name, uri, len) or None when a '<' has no '>'."""
    inq = False
    lt = -1
    i = 0
    while i < len(s):
        c = s[i]
        if c == '"':
            inq = not inq
        elif c == "\\" and inq:
            i += 1
        elif c == "<" and not inq:
            lt = i
            break
        i += 1
    if lt < 0:
        return "", s, byte_len(s)
    gt = s.find(">", lt + 1)
    if gt < 0:
        return None
    return s[:lt], s[lt + 1 : gt], byte_len(s[: gt + 1])


def _factory(index: int) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if not isinstance(v, str) or not v:
                return None
            parts = split_nameaddr(v)
            return None if parts is None else parts[index]

        return step

    return factory


FACTORIES: dict[str, Factory] = {"name": _factory(0), "uri": _factory(1), "len": _factory(2)}
