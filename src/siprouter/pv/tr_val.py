"""The `val.*` transformations (n0, ne, json, jsonqe): give $null a value, JSON-escape.

Not in Kamailio 5.6.3 (its pv module has no `val` class; 5.7 added it): siprouter
accepts them as an extension.  They are the only transformations that take an
undefined value: n0 makes it 0, ne and json make it "", jsonqe makes it '""';
json/jsonqe escape a string for a JSON value (jsonqe also quotes it).
"""

from __future__ import annotations

from typing import Any

from siprouter.pv.tr_common import ArgReader, Factory, Step, Value

_JSON_ESC = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def json_escape(s: str) -> str:
    out: list[str] = []
    for c in s:
        e = _JSON_ESC.get(c)
        if e is not None:
            out.append(e)
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def _n0(v: Value, ctx: Any) -> Value:
    return 0 if v is None else v


def _ne(v: Value, ctx: Any) -> Value:
    return "" if v is None else v


def _json(v: Value, ctx: Any) -> Value:
    if v is None:
        return ""
    return json_escape(v) if isinstance(v, str) else v


def _jsonqe(v: Value, ctx: Any) -> Value:
    if v is None:
        return '""'
    if isinstance(v, int):
        return v
    esc = json_escape(v)
    return v if esc == v else f'"{esc}"'


def _factory(step: Step) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()
        return step

    return factory


FACTORIES: dict[str, Factory] = {
    "n0": _factory(_n0),
    "ne": _factory(_ne),
    "json": _factory(_json),
    "jsonqe": _factory(_jsonqe),
}
