"""Network and routing-state pseudo-variables: where the message came from and arrived
($si $sp $Ri $Rp $RAi $RAp $pr $proto $af(id|name)), the forced send socket ($fs), the
destination set ($br $bR) and flags ($mf $mF $bf $bF $sf $sF).

Formats follow Kamailio 5.6.3: addresses without IPv6 brackets; ports ints; $pr/$proto
lower case ("udp"); $su/$Ru are "sip:ip:port" (IPv6 in brackets), $sut/$Rut add
";transport=proto"; $af(id) 2 or 10, $af(name) "IPv4"/"IPv6"; $mF/$bF are the flags as
8 hex digits; $bR lists the branches (not the R-URI) as "uri" or "<uri>;q=0.5" joined
by ", ". $RAi/$RAp are the receiving socket's advertised address and port: until the
runtime gives sockets an advertised address they equal $Ri/$Rp.

Setters: $mf/$mF/$bf/$bF set the flags; $br = uri appends a branch (as Kamailio's
pv_set_branch does); $fs = "proto:host:port" forces the send socket (checked against
the listen sockets once the network runtime provides them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from siprouter.engine.context import Branch
from siprouter.modules.registry import PVSpec

from .pvclass import Index, PVClass, PVError, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

_SOCKET = re.compile(
    r"(udp|tcp|tls|sctp|ws|wss):(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?\Z", re.I
)


def get_si(ctx: MsgContext) -> Value:
    return ctx.rcv.src_ip


def get_sp(ctx: MsgContext) -> Value:
    return ctx.rcv.src_port


def get_Ri(ctx: MsgContext) -> Value:
    return ctx.rcv.dst_ip


def get_Rp(ctx: MsgContext) -> Value:
    return ctx.rcv.dst_port


def get_pr(ctx: MsgContext) -> Value:
    return ctx.rcv.proto


def _sip_uri(ip: str, port: int, proto: str | None) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"sip:{host}:{port}" + (f";transport={proto}" if proto else "")


def get_su(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return _sip_uri(r.src_ip, r.src_port, None)


def get_sut(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return _sip_uri(r.src_ip, r.src_port, r.proto)


def get_Ru(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return _sip_uri(r.dst_ip, r.dst_port, None)


def get_Rut(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return _sip_uri(r.dst_ip, r.dst_port, r.proto)


class AfPV(PVClass):
    name = "af"
    doc = "address family of the received message: $af(id), $af(name)"

    def parse_name(self, text: str) -> Any:
        if text not in ("id", "name"):
            raise ValueError("expected id or name")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        v6 = ctx.rcv.af == 6
        if name == "id":
            return 10 if v6 else 2
        return "IPv6" if v6 else "IPv4"


# ---- forced socket -------------------------------------------------------------------------


def get_fs(ctx: MsgContext) -> Value:
    return ctx.force_socket


def set_fs(ctx: MsgContext, value: Value) -> None:
    if value is None or value == "":
        ctx.force_socket = None
        return
    if isinstance(value, int):
        raise PVError("$fs needs a string proto:address[:port]")
    text = value
    m = _SOCKET.match(text)
    if m is None:
        raise PVError(f"bad socket {text!r} for $fs: expected proto:address[:port]")
    proto, host, port = m.groups()
    ctx.force_socket = f"{proto.lower()}:{host}" + (f":{port}" if port else "")


# ---- branches ----------------------------------------------------------------------------


def q_text(q: int) -> str:
    """Kamailio's q value text from its 0..1000 integer form: 1000 -> "1", 500 -> "0.5"."""
    if q >= 1000:
        return "1"
    if q <= 0:
        return "0"
    return "0." + f"{q:03d}".rstrip("0")


def get_br(ctx: MsgContext) -> Value:
    b = ctx.branches
    return b[0].uri if b else None


def set_br(ctx: MsgContext, value: Value) -> None:
    if value is None or value == "" or isinstance(value, int):
        raise PVError("$br needs a URI string")
    ctx.branches.append(Branch(str(value), force_socket=ctx.force_socket))


def get_bR(ctx: MsgContext) -> Value:
    if not ctx.branches:
        return None
    return ", ".join(b.uri if b.q < 0 else f"<{b.uri}>;q={q_text(b.q)}" for b in ctx.branches)


# ---- flags -------------------------------------------------------------------------------


def _flags(value: Value, what: str) -> int:
    if value is None:
        return 0
    try:
        n = value if isinstance(value, int) else int(value.strip(), 0)
    except ValueError:
        raise PVError(f"{what} needs a number, got {value!r}") from None
    return n & 0xFFFFFFFF


def get_mf(ctx: MsgContext) -> Value:
    return ctx.flags


def get_mF(ctx: MsgContext) -> Value:
    return f"{ctx.flags & 0xFFFFFFFF:08x}"


def set_mf(ctx: MsgContext, value: Value) -> None:
    ctx.flags = _flags(value, "$mf")


def get_bf(ctx: MsgContext) -> Value:
    return ctx.bflags


def get_bF(ctx: MsgContext) -> Value:
    return f"{ctx.bflags & 0xFFFFFFFF:08x}"


def set_bf(ctx: MsgContext, value: Value) -> None:
    ctx.bflags = _flags(value, "$bf")


# Script flags (kex's setsflag/issflagset/resetsflag; $sf/$sF) are per message in
# Kamailio 5.6.3 (a second message starts with 0). MsgContext has no field for them yet,
# so they live in its per-message module state under this key; kex uses the same helpers.
SFLAGS_KEY = "core.sflags"


def get_sflags(ctx: MsgContext) -> int:
    m = ctx.mod
    return int(m.get(SFLAGS_KEY, 0)) if m else 0


def set_sflags(ctx: MsgContext, value: int) -> None:
    ctx.module_state()[SFLAGS_KEY] = value & 0xFFFFFFFF


def get_sf(ctx: MsgContext) -> Value:
    return get_sflags(ctx)


def get_sF(ctx: MsgContext) -> Value:
    return f"{get_sflags(ctx):08x}"


def set_sf(ctx: MsgContext, value: Value) -> None:
    set_sflags(ctx, _flags(value, "$sf"))


def net_specs() -> list[PVSpec]:
    """The PVSpecs of this file."""
    return [
        PVSpec("si", get_si, doc="source IP"),
        PVSpec("sp", get_sp, doc="source port"),
        PVSpec("Ri", get_Ri, doc="receiving IP"),
        PVSpec("Rp", get_Rp, doc="receiving port"),
        PVSpec("RAi", get_Ri, doc="receiving socket's advertised IP"),
        PVSpec("RAp", get_Rp, doc="receiving socket's advertised port"),
        PVSpec("pr", get_pr, doc="protocol"),
        PVSpec("proto", get_pr, doc="protocol"),
        AfPV().spec(),
        PVSpec("su", get_su, doc="source address as a SIP URI"),
        PVSpec("sut", get_sut, doc="source address as a SIP URI with transport"),
        PVSpec("Ru", get_Ru, doc="receiving socket as a SIP URI"),
        PVSpec("Rut", get_Rut, doc="receiving socket as a SIP URI with transport"),
        PVSpec("RAu", get_Ru, doc="advertised receiving socket as a SIP URI"),
        PVSpec("RAut", get_Rut, doc="advertised receiving socket as a SIP URI with transport"),
        PVSpec("fs", get_fs, set_fs, doc="forced send socket"),
        PVSpec("br", get_br, set_br, doc="first branch"),
        PVSpec("bR", get_bR, doc="all branches"),
        PVSpec("mf", get_mf, set_mf, doc="message flags"),
        PVSpec("mF", get_mF, set_mf, doc="message flags (hex)"),
        PVSpec("bf", get_bf, set_bf, doc="branch 0 flags"),
        PVSpec("bF", get_bF, set_bf, doc="branch 0 flags (hex)"),
        PVSpec("sf", get_sf, set_sf, doc="script flags"),
        PVSpec("sF", get_sF, set_sf, doc="script flags (hex)"),
    ]
