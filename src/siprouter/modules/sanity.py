"""The `sanity` module: RFC sanity checks on a received message, with Kamailio's replies.

Functions (REQUEST and ONREPLY routes, as Kamailio 5.6.3):

* `sanity_check([msg_checks [, uri_checks]])`: runs the checks whose bits are set
  (default: the `default_checks` / `uri_checks` modparams; the arguments are ints or
  pseudo-variables holding ints). Check bits, order and replies are in sanity_checks.py.
  All pass: 1. A check fails: unless `noreply` is set, the reply for it is sent with sl
  (a failure Kamailio reports without a reply sends none), and its code and reason are
  kept for `sanity_reply()`; then 0 (the script stops) when `autodrop` is 1, else -1.
  Bits outside 1..32767 or URI bits outside 1..15: -1 and an error log, nothing checked.
* `sanity_reply()`: with `noreply` set, sends the reply of the last failed check of this
  message (500 "Server Sanity Failure" when none failed); returns 1 (also when `noreply`
  is 0: then nothing is sent).

Parameters: default_checks (int, 3047), uri_checks (int, 7), proxy_require (str, "":
the extensions a Proxy-Require may name, comma separated, blanks trimmed), autodrop
(int, 1), noreply (int, 0).

Size limits (newer than 5.6.3, which refuses them; sanity_size.py has siprouter's
reading): size_checks (int, 0: off) and the limits size_message, size_body,
size_headers, size_header, size_method, size_ruri, size_from_uri, size_to_uri,
size_contact_uri, size_pai_uri, size_path_uri, size_route_uri (ints). With size_checks
set, sanity_check runs them before the check bits; a limit exceeded fails like a check.
Known difference: a datagram whose Content-Length is smaller than its body is cut to
the Content-Length by siprouter's parser (sip/message.py) before the route runs, so the
Content-Length check (128) cannot see the extra bytes Kamailio reports as a mis-match.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.modules.sl import send_sl_reply
from siprouter.runtime.reply_lumps import add_header

from . import sanity_checks as sc
from . import sanity_size as ss
from .siputils_args import IntArg, fix_int, int_value

log = logging.getLogger("siprouter.sanity")

_DEFAULTS: dict[str, Any] = {
    "default_checks": sc.DEFAULT_CHECKS,
    "uri_checks": sc.DEFAULT_URI_CHECKS,
    "proxy_require": "",
    "autodrop": 1,
    "noreply": 0,
    **ss.DEFAULTS,
}

#: modparam values (process-wide, one config per process)
PARAMS: dict[str, Any] = dict(_DEFAULTS)
#: the proxy_require list, split
SUPPORTED: set[str] = set()

_STATE_KEY = "sanity_reply"
DEFAULT_REPLY = (500, "Server Sanity Failure")


def _setter(name: str) -> Any:
    def put(value: Any) -> None:
        PARAMS[name] = value
        if name == "proxy_require":
            SUPPORTED.clear()
            SUPPORTED.update(t.strip() for t in str(value).split(",") if t.strip())

    return put


def reset() -> None:
    """Back to the defaults (tests, reloading a config)."""
    for name, value in _DEFAULTS.items():
        _setter(name)(value)


def _init(loaded: Any) -> None:
    """mod_init: take every parameter from the loaded module (defaults included)."""
    for name in _DEFAULTS:
        _setter(name)(loaded.param(name))


def check(ctx: MsgContext, checks: int, uri_checks: int) -> int:
    """Run the checks on ctx.msg; the return code of sanity_check."""
    if not 1 <= checks <= sc.MAX_CHECKS:
        log.error("sanity_check: input parameter (%d) outside of range 1..32767", checks)
        return -1
    if not 1 <= uri_checks <= sc.MAX_URI_CHECKS:
        log.error("sanity_check: second input parameter (%d) outside of range 1..15", uri_checks)
        return -1
    failed = None
    if PARAMS["size_checks"]:
        failed = ss.run_size_checks(ctx.msg, ctx.ruri, PARAMS)
    if failed is None:
        failed = sc.run_checks(ctx.msg, ctx.ruri, checks, uri_checks, SUPPORTED)
    if failed is None:
        return 1
    if failed.code:
        ctx.module_state()[_STATE_KEY] = (failed.code, failed.reason)
        if failed.header:
            add_header(ctx, failed.header)
        if not PARAMS["noreply"] and ctx.msg.is_request:
            send_sl_reply(ctx, failed.code, failed.reason)
    return 0 if PARAMS["autodrop"] else -1


def sanity_check(ctx: MsgContext, checks: IntArg | None = None, uris: IntArg | None = None) -> int:
    c = int_value(ctx, checks, "sanity_check") if checks is not None else PARAMS["default_checks"]
    u = int_value(ctx, uris, "sanity_check") if uris is not None else PARAMS["uri_checks"]
    if c is None or u is None:
        return -1
    return check(ctx, c, u)


def sanity_reply(ctx: MsgContext) -> int:
    if not PARAMS["noreply"] or not ctx.msg.is_request:
        return 1
    code, reason = (ctx.mod or {}).get(_STATE_KEY, DEFAULT_REPLY)
    send_sl_reply(ctx, code, reason)
    return 1


def _fix_ints(args: Sequence[Any]) -> list[IntArg]:
    return [fix_int(a) for a in args]


_ROUTES = RouteType.REQUEST | RouteType.ONREPLY

EXPORTS = ModuleExports.of(
    "sanity",
    functions=[
        FunctionSpec(
            "sanity_check",
            sanity_check,
            (0, 1, 2),
            (ArgKind.STR, ArgKind.STR),
            route_types=_ROUTES,
            fixup=_fix_ints,
            dynamic_args=True,  # Kamailio 5.6.3 -c accepts expressions (fixup per value)
            doc="RFC sanity checks; replies with the error and returns -1 (0: autodrop)",
        ),
        FunctionSpec(
            "sanity_reply",
            sanity_reply,
            (0,),
            route_types=_ROUTES,
            doc="send the reply of the last failed check (noreply mode)",
        ),
    ],
    params=[
        ParamSpec(
            name,
            ParamType.STR if name == "proxy_require" else ParamType.INT,
            default,
            setter=_setter(name),
            doc=f"sanity {name}",
        )
        for name, default in _DEFAULTS.items()
    ],
    init=_init,
)
