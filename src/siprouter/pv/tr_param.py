"""The `param.*` transformations: value, valueat, name, count, in over `a=1;b;c="x"` lists.

`split_params()` is Kamailio's parameter list parser (also used by `{uri.param,NAME}`):
names end at '=', the separator or whitespace; a value is a token or a quoted string
(quotes dropped); a trailing separator is ignored, a ',' ends the list (header lists)
and leading whitespace is an error, as in Kamailio 5.6.3.  Kamailio keeps the list in reverse
order, so `{param.value,a}` on `a=1;a=2` finds the last `a` ("2").  An optional last
argument is a one-character separator (default ';').
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from siprouter.pv.tr_common import Arg, ArgReader, Factory, Step, Value, to_str

_WS = " \t\r\n"


@lru_cache(maxsize=256)
def split_params(text: str, sep: str = ";") -> tuple[tuple[str, str], ...] | None:
    """((name, value), ...) in written order; None when Kamailio's parser rejects the text.

    Results are cached (the same header or URI is usually read several times)."""
    if len(text) > 1 and text[-1] == sep:
        text = text[:-1]
    out: list[tuple[str, str]] = []
    i = 0
    n = len(text)
    if text[:1] in _WS and text:
        return None
    while True:
        while i < n and text[i] in _WS:
            i += 1
        j = i
        while j < n and text[j] not in _WS and text[j] not in "=," and text[j] != sep:
            j += 1
        name = text[i:j]
        i = j
        while i < n and text[i] in _WS:
            i += 1
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in _WS:
                i += 1
            if i < n and text[i] in "\"'":
                q = text[i]
                k = text.find(q, i + 1)
                if k < 0:
                    return None
                value = text[i + 1 : k]
                i = k + 1
            else:
                j = i
                while j < n and text[j] not in _WS and text[j] != sep and text[j] != ",":
                    j += 1
                value = text[i:j]
                i = j
            while i < n and text[i] in _WS:
                i += 1
        out.append((name, value))
        if i >= n or text[i] == ",":
            return tuple(out)
        if text[i] != sep:
            return None
        i += 1


def _sep_arg(r: ArgReader) -> str:
    """An optional ',X' one-character separator after the arguments."""
    r.skip_ws()
    if not r.has_more():
        return ";"
    start = r.i
    a = r.string()
    if a.getter is not None or r.i - start != 1:
        raise r.error("the separator must be one character")
    return str(a.const)


def _name_factory(want_in: bool) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.comma("a parameter name")
        a_name = r.string()
        sep = _sep_arg(r)
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            s = to_str(v)
            plist = split_params(s, sep) if s else None
            if not plist:
                return None
            name = a_name.str_value(ctx)
            if name is None:
                return None
            low = name.lower()
            for pname, pval in reversed(plist):
                if pname.lower() == low:
                    return 1 if want_in else pval
            return 0 if want_in else ""

        return step

    return factory


def _index_factory(want_name: bool) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.comma("an index")
        a_idx: Arg = r.number()
        sep = _sep_arg(r)
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            s = to_str(v)
            plist = split_params(s, sep) if s else None
            if not plist:
                return None
            n = a_idx.int_value(ctx)
            if n is None:
                return None
            if n < 0:
                n += len(plist)
                if n < 0:
                    return ""
            elif n >= len(plist):
                return ""
            return plist[n][0] if want_name else plist[n][1]

        return step

    return factory


def _count(r: ArgReader) -> Step:
    a_sep: Arg = Arg(const=";")
    r.skip_ws()
    if r.has_more():
        start = r.i
        a_sep = r.string(marker=True)
        if a_sep.getter is None and r.i - start != 1:
            raise r.error("the separator must be one character")
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        sep = a_sep.str_value(ctx)
        if sep is None:
            return None
        s = to_str(v)
        plist = split_params(s, sep[0]) if s else None
        if not plist:
            return None
        return len(plist)

    return step


FACTORIES: dict[str, Factory] = {
    "value": _name_factory(False),
    "in": _name_factory(True),
    "valueat": _index_factory(False),
    "name": _index_factory(True),
    "count": _count,
}
