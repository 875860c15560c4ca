"""Per-message context: the state compiled routes, core actions and PVs work on.

One `MsgContext` is built for each message run through the routes (a request, a reply,
an event). Compiled route code, core actions (engine/core_actions.py), module functions
and PV getters/setters all receive it as their first argument. It has `__slots__` and
no per-message dicts unless something asks for one.

Values: a script value is `int` (32-bit signed, see engine/ops.py), `str`, or `None`
for $null / undefined. PV getters return one of these; setters receive one.

Fields of MsgContext
--------------------
msg         SipMessage being routed (sip/message.py); never mutated in place.
changes     MsgChanges (sip/msg_apply.py) with the LumpList of pending edits to `msg`,
            created on first use (`ctx.changes`); None-free for callers.
route_type  RouteType of the block running now (REQUEST, FAILURE, CORE_ONREPLY, ...);
            the runner sets it per top-level block; sub-routes keep the caller's.
rc          last return code: what `$rc`, `$retcode` and `$?` read. Set after every
            module function / core action / sub-route call (1 when a route ends
            without `return`).
flags       message flags (setflag/resetflag/isflagset), int bit set of 0..31.
bflags      branch flags of branch 0 (setbflag(f) / setbflag(f, 0); $bf).
branch_flags  branch flags of the other branches, index -> int (setbflag(f, N)).
new_uri     the new Request-URI as text, None while unchanged ($ru, rewrite*, strip,
            prefix, ...; revert_uri sets it back to None).
dst_uri     destination URI ($du), None when unset.
force_socket  the forced send socket ($fs, force_send_socket), None when unset;
            a "proto:host:port" text until the network runtime has socket objects.
rcv         ReceiveInfo: where the message came from and arrived at ($si $sp $Ri $Rp
            $pr $af, src_ip/dst_ip keywords). Immutable.
msg_flags   internal per-message behaviour bits (MF_* below): force_rport,
            add_local_rport, set_forward_no_connect, set_forward_close,
            set_reply_no_connect, set_reply_close.
advertised_address / advertised_port
            set_advertised_address()/set_advertised_port() values, None when unset.
branches    the destination set (append_branch) as a list of Branch; empty at start.
avps / xavps  per-message AVP and XAVP stores, created and owned by the pv module
            (pv/impl_*.py); None until first used. Kamailio keeps them per message
            (later per transaction, once tm exists).
mod         per-message state of modules (tm's transaction, sl's "reply sent", ...),
            a dict created on first use via `ctx.module_state()`.
script      ScriptState shared by every message this process runs: script
            variables ($var(x) keep their value from one message to the next in
            the same Kamailio worker process; verified with Kamailio 5.6.3, see
            tests/unit/engine/test_kamailio_diff.py) and the compiled config.
log         list collecting (level, text) log lines when a test or the offline
            runner wants them; None means "log through the logging module only".
sent        list of what the routes asked to send (replies, forwards), recorded by
            the functions that send; read by the offline runner and tests.
dropped     True once `drop` ran (CompiledConfig.run sets it; what it means depends on
            the block type, see compiler.drop_applies).
exited      True once a bare `exit` (no value) ran: Kamailio 5.6.3 then forwards a
            reply from the core reply route although run() gives 0, as for exit(0)
            or return(0), which do not forward it (runtime/pipeline).

The current cfg file / line / route name ($cfg(file), $cfg(line), $cfg(route)) are
not stored per statement: compiled route code runs with the cfg file name and cfg
line numbers in its code objects, so `cfg_location()` reads them from the running
frame (no cost on the hot path).
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from siprouter.modules.registry import RouteType

if TYPE_CHECKING:
    from siprouter.sip.message import SipMessage
    from siprouter.sip.msg_apply import MsgChanges

Value = int | str | None

# msg_flags bits (Kamailio's FL_* message flags the core actions set)
MF_FORCE_RPORT = 1 << 0
MF_ADD_LOCAL_RPORT = 1 << 1
MF_FORWARD_NO_CONNECT = 1 << 2
MF_FORWARD_CLOSE = 1 << 3
MF_REPLY_NO_CONNECT = 1 << 4
MF_REPLY_CLOSE = 1 << 5


@dataclass(frozen=True, slots=True)
class ReceiveInfo:
    """Where a message came from and where it arrived. `proto` is the lower-case
    transport name ("udp", "tcp", "tls", "sctp", "ws", "wss"); `af` is 4 or 6."""

    src_ip: str = "127.0.0.1"
    src_port: int = 5060
    dst_ip: str = "127.0.0.1"
    dst_port: int = 5060
    proto: str = "udp"
    af: int = 4


@dataclass(slots=True)
class Branch:
    """One entry of the destination set: R-URI of the branch, its $du, q, flags, path,
    forced socket, instance and ruid (append_branch, lookup)."""

    uri: str
    dst_uri: str | None = None
    q: int = -1
    flags: int = 0
    path: str | None = None
    force_socket: str | None = None
    instance: str | None = None
    ruid: str | None = None


@dataclass(slots=True)
class ScriptState:
    """Process-level state shared by every message a worker routes.

    `vars` holds script variables ($var(name) -> value); they persist across messages
    (Kamailio: per process, not per message). `compiled` is the CompiledConfig whose
    routes run (so route(NAME) with a dynamic name and event routes can find blocks).
    """

    vars: dict[str, Value] = field(default_factory=dict)
    compiled: Any = None


class MsgContext:
    """Per-message routing state; see the module docstring for every field."""

    __slots__ = (
        "_changes",
        "advertised_address",
        "advertised_port",
        "avps",
        "bflags",
        "branch_flags",
        "branches",
        "dropped",
        "dst_uri",
        "exited",
        "flags",
        "force_socket",
        "log",
        "mod",
        "msg",
        "msg_flags",
        "new_uri",
        "rc",
        "rcv",
        "route_type",
        "script",
        "sent",
        "xavps",
    )

    def __init__(
        self,
        msg: SipMessage,
        rcv: ReceiveInfo | None = None,
        script: ScriptState | None = None,
        route_type: RouteType = RouteType.REQUEST,
    ) -> None:
        self.msg = msg
        self._changes: MsgChanges | None = None
        self.route_type = route_type
        self.rc = 0  # Kamailio 5.6.3: $rc reads 0 until a call sets it
        self.flags = 0
        self.bflags = 0
        self.branch_flags: dict[int, int] | None = None
        self.new_uri: str | None = None
        self.dst_uri: str | None = None
        self.force_socket: str | None = None
        self.rcv = rcv if rcv is not None else _DEFAULT_RCV
        self.msg_flags = 0
        self.advertised_address: str | None = None
        self.advertised_port: str | None = None
        self.branches: list[Branch] = []
        self.avps: Any = None
        self.xavps: Any = None
        self.mod: dict[str, Any] | None = None
        self.script = script if script is not None else ScriptState()
        self.log: list[tuple[str, str]] | None = None
        self.sent: list[Any] | None = None
        self.dropped = False
        self.exited = False

    # ---- lazily created parts ------------------------------------------------------

    @property
    def changes(self) -> MsgChanges:
        """The pending edits of `msg` (created on first use)."""
        ch = self._changes
        if ch is None:
            from siprouter.sip.msg_apply import MsgChanges

            ch = self._changes = MsgChanges(self.msg)
        return ch

    @property
    def has_changes(self) -> bool:
        """True when some edit was recorded (without creating the change list)."""
        return self._changes is not None

    def module_state(self) -> dict[str, Any]:
        """Per-message state dict of modules, created on first use."""
        m = self.mod
        if m is None:
            m = self.mod = {}
        return m

    # ---- derived values ------------------------------------------------------------

    @property
    def ruri(self) -> str:
        """The current Request-URI text: the new one if set, else the message's."""
        nu = self.new_uri
        if nu is not None:
            return nu
        return self.msg.ruri or ""

    def get_bflags(self, branch: int = 0) -> int:
        if branch == 0:
            return self.bflags
        bf = self.branch_flags
        return bf.get(branch, 0) if bf else 0

    def set_bflags(self, value: int, branch: int = 0) -> None:
        if branch == 0:
            self.bflags = value
        else:
            if self.branch_flags is None:
                self.branch_flags = {}
            self.branch_flags[branch] = value

    def cfg_location(self) -> tuple[str, int, str]:
        """(cfg file, cfg line, route name) of the statement running now, read from the
        innermost frame of compiled route code; ("", 0, "") outside routes."""
        return cfg_location()


_DEFAULT_RCV = ReceiveInfo()

# code objects of compiled routes -> route name (filled by the compiler); weak keys, so
# a reloaded config's old code goes away with it
ROUTE_CODE_NAMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def cfg_location() -> tuple[str, int, str]:
    """(file, line, route name) of the innermost running compiled-route frame."""
    f = sys._getframe(1)
    names = ROUTE_CODE_NAMES
    while f is not None:
        name = names.get(f.f_code)
        if name is not None:
            return f.f_code.co_filename, f.f_lineno or 0, name
        f = f.f_back
    return "", 0, ""
