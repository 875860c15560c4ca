"""Signatures of the core actions (cookbook "Core Functions"), for the checker.

This is a table, not an implementation: the routing engine implements these later.
Each row gives the name, aliases, the accepted argument lists (one tuple of argument
kinds per accepted arity), the route types it may be used in, whether it may be
written without parentheses (`revert_uri;`), and for a few rows the module Kamailio 5.6
actually resolves the name from (the cookbook lists `is_int` among core functions, but
`kamailio -c` says "unknown command, missing loadmodule?" without pv).

Verified with `kamailio -c` 5.6.3: core actions take constant arguments only (no
pseudo-variables or expressions: `strip($var(n))` is "bad argument, number expected");
all but a few are refused in onsend_route ("command not allowed in onsend_route").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from siprouter.modules.registry import RouteType


class CoreArg(enum.Enum):
    """Kinds of core action arguments (all constants)."""

    STR = "string"  # a quoted string literal
    NUM = "number"  # a non-negative integer literal
    FLAG = "flag"  # 0..31 or a name declared with `flags`
    AVPFLAG = "avpflag"  # a name declared with `avpflags`
    HOST = "host"  # string, IP, host name, or uri:host
    PORT = "port"  # integer literal or uri:port
    SOCKET = "socket"  # [proto:]host[:port] or a string holding it
    PROTO = "proto"  # UDP, TCP, TLS or SCTP (bare word)
    LEVEL = "level"  # log level number


NOT_ONSEND = RouteType.ANY & ~RouteType.ONSEND


@dataclass(frozen=True, slots=True)
class CoreFunction:
    """One core action."""

    name: str
    signatures: tuple[tuple[CoreArg, ...], ...]
    doc: str
    aliases: tuple[str, ...] = ()
    route_types: RouteType = NOT_ONSEND
    bare_ok: bool = False  # may be written without parentheses
    kind: str = "function"  # "function", "statement" or "declaration"
    module: str | None = None  # Kamailio 5.6 resolves it from this module
    in_spec: bool = True

    @property
    def arg_counts(self) -> tuple[int, ...]:
        return tuple(sorted({len(s) for s in self.signatures}))

    def signature_for(self, count: int) -> tuple[CoreArg, ...] | None:
        for sig in self.signatures:
            if len(sig) == count:
                return sig
        return None


CORE_FUNCTIONS: list[CoreFunction] = []


def _f(name: str, sigs: tuple[tuple[CoreArg, ...], ...], doc: str, **kw: object) -> None:
    CORE_FUNCTIONS.append(CoreFunction(name, sigs, doc, **kw))  # type: ignore[arg-type]


NONE: tuple[tuple[CoreArg, ...], ...] = ((),)
A = CoreArg

_f("add_local_rport", NONE, "Add rport to the Via siprouter adds (RFC 3581)", bare_ok=True)
_f(
    "avpflags",
    ((A.AVPFLAG,),),
    "Declare named AVP flags",
    kind="declaration",
    route_types=RouteType(0),
)
_f(
    "break",
    NONE,
    "End a switch case or leave a while loop",
    kind="statement",
    route_types=RouteType.ANY,
)
_f(
    "drop",
    (*NONE, (A.NUM,)),
    "Stop the script; drop the request/reply/branch",
    kind="statement",
    route_types=RouteType.ANY,
)
_f(
    "exit",
    (*NONE, (A.NUM,)),
    "Stop the script, like return(0)",
    kind="statement",
    route_types=RouteType.ANY,
)
_f("error", ((A.STR, A.STR),), "Log the two strings (placeholder action in Kamailio)")
_f("exec", ((A.STR,),), "Run an external command through the shell")
_f(
    "force_rport",
    NONE,
    "Add rport to the top Via of the received message",
    aliases=("add_rport",),
    bare_ok=True,
)
_f("force_send_socket", ((A.SOCKET,),), "Send from this listen socket")
_f(
    "force_tcp_alias",
    (*NONE, (A.NUM,)),
    "Alias the current TCP connection to the Via port (or the given port)",
    aliases=("add_tcp_alias",),
    bare_ok=True,
)
_f(
    "forward",
    (*NONE, (A.HOST,), (A.HOST, A.PORT)),
    "Stateless forward to $du/$ru or to host[, port]",
)
_f("isavpflagset", ((A.STR, A.AVPFLAG),), "Test a named AVP flag")
_f(
    "isflagset",
    ((A.FLAG,),),
    "Test a message flag (0..31 or a declared name)",
    route_types=RouteType.ANY,
)
_f("is_int", ((A.STR,),), "True if the pseudo-variable holds an integer", module="pv")
_f(
    "log",
    ((A.STR,), (A.LEVEL, A.STR)),
    "Log a constant text, optionally at a level",
    route_types=RouteType.ANY,
)
_f("prefix", ((A.STR,),), "Prepend a string to the R-URI user")
_f("resetavpflag", ((A.STR, A.AVPFLAG),), "Reset a named AVP flag")
_f("resetflag", ((A.FLAG,),), "Reset a message flag", route_types=RouteType.ANY)
_f(
    "return",
    (*NONE, (A.NUM,)),
    "Return from a route block with a value",
    kind="statement",
    route_types=RouteType.ANY,
)
_f("revert_uri", NONE, "Restore the R-URI as received", bare_ok=True)
_f("rewritehostport", ((A.STR,),), "Rewrite R-URI host and port", aliases=("sethostport", "sethp"))
_f(
    "rewritehostporttrans",
    ((A.STR,),),
    "Rewrite R-URI host, port and transport",
    aliases=("sethostporttrans", "sethpt"),
)
_f("rewritehost", ((A.STR,),), "Rewrite the R-URI host", aliases=("sethost", "seth"))
_f("rewriteport", ((A.STR,),), "Rewrite the R-URI port", aliases=("setport", "setp"))
_f("rewriteuri", ((A.STR,),), "Rewrite the whole R-URI", aliases=("seturi",))
_f("rewriteuserpass", ((A.STR,),), "Rewrite the R-URI password", aliases=("setuserpass", "setup"))
_f("rewriteuser", ((A.STR,),), "Rewrite the R-URI user", aliases=("setuser", "setu"))
_f("route", ((A.STR,),), "Run a route[NAME] block", kind="statement", route_types=RouteType.ANY)
_f(
    "selval",
    ((A.STR, A.STR, A.STR),),
    "Pick one of two values by a condition",
    kind="statement",
    route_types=RouteType.ANY,
)
_f("set_advertised_address", ((A.STR,),), "Advertised address for this message")
_f("set_advertised_port", ((A.NUM,),), "Advertised port for this message")
_f(
    "set_forward_no_connect",
    NONE,
    "Forward only over an existing TCP/TLS connection",
    route_types=RouteType.ANY,
    bare_ok=True,
)
_f(
    "set_forward_close",
    NONE,
    "Close the connection after forwarding",
    route_types=RouteType.ANY,
    bare_ok=True,
)
_f(
    "set_reply_no_connect",
    NONE,
    "Send replies only over existing connections",
    route_types=RouteType.ANY,
    bare_ok=True,
)
_f(
    "set_reply_close",
    NONE,
    "Close the connection after sending the reply",
    route_types=RouteType.ANY,
    bare_ok=True,
)
_f("setavpflag", ((A.STR, A.AVPFLAG),), "Set a named AVP flag")
_f(
    "setflag",
    ((A.FLAG,),),
    "Set a message flag (0..31 or a declared name)",
    route_types=RouteType.ANY,
)
_f("strip", ((A.NUM,),), "Remove the first N characters of the R-URI user")
_f("strip_tail", ((A.NUM,),), "Remove the last N characters of the R-URI user")
_f("udp_mtu_try_proto", ((A.PROTO,),), "Protocol for this request when it exceeds udp_mtu")
_f("userphone", NONE, "Add user=phone to the R-URI")
# Known to Kamailio 5.6's core grammar, not described in the cookbook.
_f("forward_udp", (*NONE, (A.HOST,), (A.HOST, A.PORT)), "forward() over UDP", in_spec=False)
_f("forward_tcp", (*NONE, (A.HOST,), (A.HOST, A.PORT)), "forward() over TCP", in_spec=False)
_f("forward_tls", (*NONE, (A.HOST,), (A.HOST, A.PORT)), "forward() over TLS", in_spec=False)
_f("forward_sctp", (*NONE, (A.HOST,), (A.HOST, A.PORT)), "forward() over SCTP", in_spec=False)
_f("remove_branch", (*NONE, (A.NUM,)), "Remove a branch (the last one by default)", in_spec=False)
_f("clear_branches", NONE, "Remove all branches", in_spec=False, bare_ok=True)

CORE_BY_NAME: dict[str, CoreFunction] = {}
for _row in CORE_FUNCTIONS:
    for _key in (_row.name, *_row.aliases):
        if _key in CORE_BY_NAME:
            raise RuntimeError(f"core function {_key} listed twice")
        CORE_BY_NAME[_key] = _row


def lookup(name: str) -> CoreFunction | None:
    """The core function (by name or alias); None for module functions."""
    return CORE_BY_NAME.get(name)


MAX_FLAG = 31
