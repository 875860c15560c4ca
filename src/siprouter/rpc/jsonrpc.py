"""JSON-RPC 2.0 over the RPC registry, answered as Kamailio 5.6.3's jsonrpcs answers.

`handle(request, registry)` takes one request (a decoded object, or its JSON text) and
returns the response object, or None where jsonrpcs sends nothing (the request is not
JSON-RPC 2.0: no "jsonrpc": "2.0" member, or no method name). `dumps(value)` prints a
value the way jsonrpcs' JSON printer (a cJSON derivative) formats it, so a transport can
send text identical to Kamailio's; `response_text(request, registry)` is the two
together. The transports themselves (FIFO, HTTP, datagram) belong to the
control-interface issue.

Rules, from Kamailio 5.6.3's answers (tests/integration/test_stats_rpc_kamailio.py
compares the text):

* params: an array gives the positional parameters; an object gives its member values
  in order; none is no parameter;
* id: echoed (a number or a string); `null` is answered as 0; no id, no "id" member;
* a command's result goes in "result" (`{}` when it added nothing); an RpcError in
  "error" as {"code", "message"}; an unknown method is 500 "Method Not Found".

Printing (cJSON's formatted mode): objects one member per line, indented with tabs, a
tab after the colon; arrays on one line, items separated by ", "; an empty object is
"{", a newline, the indentation and "}"; numbers that are integers within the 32-bit
range as integers, other numbers through a double ("%.0f" when integral, else "%f" or
"%e"); strings with \\" \\\\ \\b \\f \\n \\r \\t and \\u00XX escapes, other characters as
UTF-8.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .registry import RpcError, RpcRegistry

_INT32 = (-(2**31), 2**31 - 1)
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def handle(
    request: Mapping[str, Any] | str | bytes, registry: RpcRegistry
) -> dict[str, Any] | None:
    """The response object for one JSON-RPC request, or None for no answer."""
    if isinstance(request, str | bytes):
        try:
            request = json.loads(request)
        except ValueError:
            return None
    if not isinstance(request, Mapping) or request.get("jsonrpc") != "2.0":
        return None
    method = request.get("method")
    if not isinstance(method, str) or not method:
        return None
    raw = request.get("params")
    if isinstance(raw, list):
        params: tuple[Any, ...] = tuple(raw)
    elif isinstance(raw, Mapping):
        params = tuple(raw.values())
    else:
        params = ()
    response: dict[str, Any] = {"jsonrpc": "2.0"}
    try:
        response["result"] = registry.call(method, *params)
    except RpcError as e:
        response["error"] = {"code": e.code, "message": e.message}
    if "id" in request:
        rid = request["id"]
        response["id"] = 0 if rid is None else rid
    return response


def response_text(request: Mapping[str, Any] | str | bytes, registry: RpcRegistry) -> str | None:
    response = handle(request, registry)
    return None if response is None else dumps(response)


def dumps(value: Any, depth: int = 0) -> str:
    """`value` printed as Kamailio's jsonrpcs prints it (see the module docstring)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if _INT32[0] <= value <= _INT32[1]:
            return str(value)
        return _number(float(value))
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return _object(value, depth)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(v, depth + 1) for v in value) + "]"
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def _number(d: float) -> str:
    if math.isfinite(d) and d == math.floor(d) and abs(d) < 1.0e60:
        return f"{d:.0f}"
    if abs(d) < 1.0e-6 or abs(d) > 1.0e9:
        return f"{d:e}"
    return f"{d:f}"


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _object(obj: Mapping[str, Any], depth: int) -> str:
    inner = "\t" * (depth + 1)
    members = [f"{inner}{_string(str(k))}:\t{dumps(v, depth + 1)}" for k, v in obj.items()]
    body = ",\n".join(members)
    return "{\n" + (body + "\n" if body else "") + "\t" * depth + "}"
