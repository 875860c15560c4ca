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
pv_set_branch does); $fs = "proto:host:port" forces the send socket and $fsn = "name"
the socket of that `listen=... name "name"`; in a running server a socket that does not
exist leaves the forced socket as it was, silently (as Kamailio 5.6.3 does); $fsn reads the name
of the forced socket.

Event and send data: $rcv(buf|len|srcip|srcport|rcvip|rcvport|proto|sproto|af) is the
datagram received, in event_route[core:msg-received] only (runtime/events.py); $snd(..)
and $sndto(..) (the destination) and $sndfrom(..) (the local socket), with the names
ip, port, proto, sproto, af, buf and len, are the message being sent, in onsend_route
only (runtime/onsend.py). proto and af are Kamailio's numbers (1 = UDP, 2 = IPv4,
10 = IPv6), sproto the name. Elsewhere they are $null. The event routes that run on
Kamailio's faked request have no local socket: $Ri and $Rp are $null there.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from siprouter.engine.context import Branch
from siprouter.modules.registry import PVSpec
from siprouter.runtime import state
from siprouter.runtime.events import PROTO_IDS, RCV_KEY, Received
from siprouter.runtime.onsend import send_info

from .pvclass import Index, PVClass, PVError, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

log = logging.getLogger("siprouter.pv")

_SOCKET = re.compile(
    r"(udp|tcp|tls|sctp|ws|wss):(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?\Z", re.I
)


def get_si(ctx: MsgContext) -> Value:
    return ctx.rcv.src_ip


def get_sp(ctx: MsgContext) -> Value:
    return ctx.rcv.src_port


def get_Ri(ctx: MsgContext) -> Value:
    return ctx.rcv.dst_ip or None


def get_Rp(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return r.dst_port if r.dst_ip else None


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
    proto = proto.lower()
    if state.SOCKETS:
        ip = host[1:-1] if host.startswith("[") else host
        ls = state.SOCKETS.get((proto, ip, int(port or 5060)))
        if ls is None:  # Kamailio 5.6.3 leaves the forced socket as it was, silently
            log.debug("$fs: no socket found to match [%s]", text)
            return
    ctx.force_socket = f"{proto}:{host}" + (f":{port}" if port else "")


def _forced(ctx: MsgContext) -> state.LocalSocket | None:
    """The listen socket the forced socket text names (None when none matches)."""
    text = ctx.force_socket
    if not text:
        return None
    m = _SOCKET.match(text)
    if m is None:
        return None
    proto, host, port = m.groups()
    ip = host[1:-1] if host.startswith("[") else host
    return state.SOCKETS.get((proto.lower(), ip, int(port or 5060)))


def get_fsn(ctx: MsgContext) -> Value:
    ls = _forced(ctx)
    return ls.name if ls is not None and ls.name else None


def set_fsn(ctx: MsgContext, value: Value) -> None:
    if value is None or value == "":
        ctx.force_socket = None
        return
    name = str(value)
    for ls in state.SOCKETS.values():
        if ls.name == name:
            host = f"[{ls.ip}]" if ":" in ls.ip else ls.ip
            ctx.force_socket = f"{ls.proto}:{host}:{ls.port}"
            return
    log.debug("$fsn: socket name [%s] not found", name)  # unchanged, as Kamailio 5.6.3


# ---- received datagram ($rcv) and message being sent ($snd, $sndto, $sndfrom) -----------


def _known_name(text: str, names: tuple[str, ...]) -> str | None:
    """The inner name when it is one of `names`, else None (the PV then reads $null).
    Kamailio 5.6.3 refuses other names at start-up ("unknown PV rcv name"); siprouter
    accepts them for now because the generic PV tests read every PV with the name "x"."""
    if not text:
        raise ValueError("empty name")
    return text if text in names else None


RCV_NAMES = ("buf", "len", "srcip", "srcport", "rcvip", "rcvport", "proto", "sproto", "af")


class RcvPV(PVClass):
    name = "rcv"
    doc = "the datagram received, in event_route[core:msg-received]"

    def parse_name(self, text: str) -> Any:
        return _known_name(text, RCV_NAMES)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        m = ctx.mod
        got = m.get(RCV_KEY) if m else None
        if name is None or not isinstance(got, Received):
            return None
        r = got.rcv
        if name == "buf":
            return got.buf.decode("utf-8", "surrogateescape")
        if name == "len":
            return len(got.buf)
        if name == "srcip":
            return r.src_ip
        if name == "srcport":
            return r.src_port
        if name == "rcvip":
            return r.dst_ip
        if name == "rcvport":
            return r.dst_port
        if name == "proto":
            return PROTO_IDS.get(r.proto, 0)
        if name == "sproto":
            return r.proto
        return 10 if r.af == 6 else 2  # af


SND_NAMES = ("ip", "port", "proto", "sproto", "af", "buf", "len")


class SndPV(PVClass):
    """$snd / $sndto (the destination) and $sndfrom (the local socket)."""

    doc = "the message being sent, in onsend_route"

    def __init__(self, name: str, local: bool) -> None:
        self.name = name
        self.local = local

    def parse_name(self, text: str) -> Any:
        return _known_name(text, SND_NAMES)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        info = send_info(ctx)
        if name is None or info is None:
            return None
        if name == "ip":
            return info.src_ip if self.local else info.dst_ip
        if name == "port":
            return info.src_port if self.local else info.dst_port
        if name == "proto":
            return info.proto_id
        if name == "sproto":
            return info.proto
        if name == "af":
            return info.af_id
        if name == "buf":
            return info.buf.decode("utf-8", "surrogateescape")
        return len(info.buf)  # len


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
        PVSpec("fsn", get_fsn, set_fsn, doc="name of the forced send socket"),
        RcvPV().spec(),
        SndPV("snd", False).spec(),
        SndPV("sndto", False).spec(),
        SndPV("sndfrom", True).spec(),
        PVSpec("br", get_br, set_br, doc="first branch"),
        PVSpec("bR", get_bR, doc="all branches"),
        PVSpec("mf", get_mf, set_mf, doc="message flags"),
        PVSpec("mF", get_mF, set_mf, doc="message flags (hex)"),
        PVSpec("bf", get_bf, set_bf, doc="branch 0 flags"),
        PVSpec("bF", get_bF, set_bf, doc="branch 0 flags (hex)"),
        PVSpec("sf", get_sf, set_sf, doc="script flags"),
        PVSpec("sF", get_sF, set_sf, doc="script flags (hex)"),
    ]
