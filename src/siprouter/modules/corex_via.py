"""corex via_add_srvid(flag) and via_add_xavp_params(flag): parameters added to the Via
this server puts on requests it forwards (forward(), forward_uac()), as Kamailio 5.6.3
adds them on a stateless forward (tests/compat/cases/corex_via.toml):

* via_add_srvid(1): ";srvid=<server_id>" (the core parameter; nothing when it is 0);
  via_add_srvid(0) turns it off again;
* via_add_xavp_params(1): ";name=value" for each field of the first XAVP named by the
  core parameter *xavp_via_params*, newest field first (";name" for an empty value).
  Kamailio 5.6.3 keeps that name in one string whose text is also written by
  *xavp_via_fields* while its length is only set by xavp_via_params (checked by
  running it): only xavp_via_fields set gives no parameters; xavp_via_params="xvia"
  then xavp_via_fields="customvia" reads the XAVP "cust" (the first 4 characters);
  a later xavp_via_params sets both again. `xavp_params_name()` reproduces that from
  the config's assignments in order, so configs behave as under 5.6.3.

Both come after the Via's own parameters (branch, rport). The flags are per message.

via_use_xavp_fields(flag) sets (1) or clears (0) the per-message flag that asks for the
Via to be built from the fields of the *xavp_via_fields* XAVP (address, port, ...).
Kamailio 5.6.3 keeps the flag but builds the Via of a stateless forward without it
(checked: `$xavp(mvia=>address)` set, `via_use_xavp_fields("1")`, forward(): the Via
is the socket's); siprouter, which forwards statelessly only, does the same: the flag
is kept (`uses_xavp_fields(ctx)`) and the Via stays the socket's. Returns 1, or -1
with an error log when the argument is not an int (as 5.6.3).
`via_params(ctx)` gives the text; runtime/forward.py asks it through
forward.VIA_PARAM_HOOKS, where importing this module installs it.

via_reply_add_xavp_params(flag) (Kamailio 5.7+, so not checked against 5.6.3): 1 adds
";name=value" for each field of the first XAVP named by the core parameter
*xavp_via_reply_params* (newest field first, as above) to the top Via of the local
replies sent for this message (sl_send_reply, send_reply, sl_reply_error, sanity's and
the other modules' replies), after received/rport; 0 stops it. Nothing is added while
the core parameter is unset or the XAVP is missing. `reply_via_params(ctx)` gives the
text, through runtime/reply_lumps.REPLY_VIA_PARAM_HOOKS.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from siprouter.cfg.core_params import ast_value
from siprouter.engine.context import MsgContext
from siprouter.runtime import forward, reply_lumps

from .kex_args import IntArg, core_param, err, int_value

FLAGS_KEY = "corex.via_flags"
SRVID = 1
XAVP_PARAMS = 2
USE_XAVP_FIELDS = 4
REPLY_XAVP_PARAMS = 8


def _set(ctx: MsgContext, arg: IntArg, bit: int, fname: str) -> int:
    on = int_value(ctx, arg, fname)
    if on is None:
        return err(fname, "invalid flag value", "corex")
    m = ctx.module_state()
    flags = int(m.get(FLAGS_KEY, 0))
    m[FLAGS_KEY] = flags | bit if on else flags & ~bit
    return 1


def via_add_srvid(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, SRVID, "via_add_srvid")


def via_add_xavp_params(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, XAVP_PARAMS, "via_add_xavp_params")


def via_use_xavp_fields(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, USE_XAVP_FIELDS, "via_use_xavp_fields")


def via_reply_add_xavp_params(ctx: MsgContext, flag: IntArg) -> int:
    return _set(ctx, flag, REPLY_XAVP_PARAMS, "via_reply_add_xavp_params")


def uses_xavp_fields(ctx: MsgContext) -> bool:
    m = ctx.mod
    return bool(m and int(m.get(FLAGS_KEY, 0)) & USE_XAVP_FIELDS)


def _value_text(value: object) -> str:
    if value is None or value == "":
        return ""
    return f"={value}"


# id(compiled config) -> (weak reference to it: a reload drops the old one, its name)
_NAMES: dict[int, tuple[weakref.ref[Any], str | None]] = {}


def xavp_params_name(params: Sequence[tuple[str, object]]) -> str | None:
    """The XAVP name via_add_xavp_params reads under Kamailio 5.6.3, from the config's
    (name, value) core-parameter assignments in order (see the module docstring)."""
    text: str | None = None
    length = 0
    for name, value in params:
        if name == "xavp_via_params":
            text = str(value)
            length = len(text)
        elif name == "xavp_via_fields":
            text = str(value)
    if text is None or not length or len(text) < length:
        return None
    return text[:length]


def _via_params_name(ctx: MsgContext) -> str | None:
    compiled = ctx.script.compiled
    config = getattr(compiled, "config", None)
    if config is None:
        return core_param(ctx, "xavp_via_params", None)
    entry = _NAMES.get(id(compiled))
    if entry is None or entry[0]() is not compiled:
        assigned = [
            (p.name, ast_value(p.value))
            for p in config.params
            if p.name in ("xavp_via_params", "xavp_via_fields")
        ]
        entry = (weakref.ref(compiled), xavp_params_name(assigned))
        _NAMES[id(compiled)] = entry
    return entry[1]


def _xavp_params(ctx: MsgContext, core_name: str) -> list[str]:
    name = (
        _via_params_name(ctx)
        if core_name == "xavp_via_params"
        else core_param(ctx, core_name, None)
    )
    if not name or ctx.xavps is None:
        return []
    items = ctx.xavps.items(str(name))
    return [f";{n}{_value_text(v)}" for n, v in items[0].fields] if items else []


def reply_via_params(ctx: MsgContext) -> bytes:
    """The parameters for the top Via of this message's local replies (or b"")."""
    m = ctx.mod
    if not m or not int(m.get(FLAGS_KEY, 0)) & REPLY_XAVP_PARAMS:
        return b""
    return "".join(_xavp_params(ctx, "xavp_via_reply_params")).encode("utf-8", "surrogateescape")


def via_params(ctx: MsgContext) -> str:
    """The Via parameters the script asked for (or "")."""
    m = ctx.mod
    flags = int(m.get(FLAGS_KEY, 0)) if m else 0
    if not flags & (SRVID | XAVP_PARAMS):
        return ""
    out = []
    if flags & SRVID:
        server_id = int(core_param(ctx, "server_id", 0))
        if server_id:
            out.append(f";srvid={server_id}")
    if flags & XAVP_PARAMS:
        out.extend(_xavp_params(ctx, "xavp_via_params"))
    return "".join(out)


if via_params not in forward.VIA_PARAM_HOOKS:
    forward.VIA_PARAM_HOOKS.append(via_params)
if reply_via_params not in reply_lumps.REPLY_VIA_PARAM_HOOKS:
    reply_lumps.REPLY_VIA_PARAM_HOOKS.append(reply_via_params)
