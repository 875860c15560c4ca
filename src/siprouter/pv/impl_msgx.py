"""Message, socket and credential PVs of the pv module added for real configs, with the
values Kamailio 5.6.3 gives (checked against `kamailio -E` with the same request):

* $msg(len|buf|body|hdrs|fline): the received message: its length, whole text, body,
  header block (first header to the end of the last one, without the final CRLF) and
  first line (without CRLF); $mbu the message with the script's changes applied;
  $msgbuf(i) one character of the message (assignable, see MsgbufPV);
  $mts "rq" / "rp"; $csb the CSeq body ("1 INVITE"); $true 1;
* $expires(min|max): the smallest / largest expires of the Contacts (a Contact without
  expires parameter takes the Expires header), the Expires header alone when there is
  no Contact; $null when none;
* $K(name): constants: IPv4 2, IPv6 10, UDP 1, TCP 2, TLS 3, SCTP 4, WS 5, WSS 6;
* $_s(format): the format rendered (`$_s(a$rm-b)` -> "aINVITE-b");
* $via0(k), $via1(k), $viaZ(k): attribute k of the first, second, last Via: host, port,
  proto, protocol, branch, rport, received, i (a parameter without value is $null);
* $AU the user of $Au (the From URI's user, credentials or not), $adc/$adn/$ado/$adr
  the cnonce, nonce,
  opaque and response of the credentials ("" when the parameter is absent);
* $dic the Diversion `counter` parameter;
* $Ras the receiving socket as proto:ip:port (its advertised address when it has one),
  $Rn its name; $sas the source as proto:ip:port; $src_ip the source IP, $siz with IPv6
  in brackets; $fsp the forced socket's port (0 when none); $conid the TCP connection
  id ($null over UDP, or when another worker holds the connection); $sid the server_id core parameter; $prid the process rank.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siprouter.cfg.errors import ConfigError
from siprouter.modules.registry import PVSpec
from siprouter.runtime import state
from siprouter.runtime.logging import LOG
from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.lumps import LumpError

from .impl_hdr import _cred_getter, _na_getter, first_line_value, get_Au
from .pvclass import Getter, Index, PVClass, PVError, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class MsgPV(PVClass):
    name = "msg"
    doc = "the received message: $msg(len|buf|body|hdrs|fline)"
    KEYS = ("len", "buf", "body", "hdrs", "fline")

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in self.KEYS:
            raise ValueError(f"unknown $msg key {text!r} ({', '.join(self.KEYS)})")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        msg = ctx.msg
        data = msg.data
        if name == "len":
            return len(data)
        if name == "buf":
            return _text(data)
        if name == "body":
            return _text(msg.body)
        if name == "fline":
            return _text(msg.first_line).rstrip("\r\n")
        end = msg.headers_end
        if data[end - 2 : end] == b"\r\n":
            end -= 2
        elif data[end - 1 : end] == b"\n":
            end -= 1
        return _text(data[msg.headers_start : end])


class MsgbufPV(PVClass):
    """$msgbuf(i): the character at offset i of the received message; assigning replaces
    that character in the message sent on (a lump). Kamailio 5.6.3 returns the
    character followed by a NUL byte; siprouter returns the character alone."""

    name = "msgbuf"
    settable = True
    doc = "character at an offset of the message: $msgbuf(index)"

    def parse_name(self, text: str) -> Any:
        try:
            i = int(text.strip())
        except ValueError:
            raise ValueError(f"$msgbuf index {text!r} is not a number") from None
        if i < 0:
            raise ValueError(f"$msgbuf index {i} is negative")
        return i

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        data = ctx.msg.data
        return _text(data[name : name + 1]) if name < len(data) else None

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        data = ctx.msg.data
        if name >= len(data):
            raise PVError(f"$msgbuf({name}): index out of range (message of {len(data)} bytes)")
        new = str(value if value is not None else "").encode("utf-8", "surrogateescape")
        try:
            ctx.changes.lumps.replace(name, name + 1, new, what=f"$msgbuf({name})")
        except LumpError as e:
            raise PVError(str(e)) from None


def get_mbu(ctx: MsgContext) -> Value:
    return _text(ctx.changes.apply() if ctx.has_changes else ctx.msg.data)


def get_mts(ctx: MsgContext) -> Value:
    return "rq" if ctx.msg.is_request else "rp"


def get_csb(ctx: MsgContext) -> Value:
    text = first_line_value(ctx.msg, H.CSEQ)
    return text.strip() if text else None


def get_true(ctx: MsgContext) -> Value:
    return 1


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


class ExpiresPV(PVClass):
    name = "expires"
    doc = "smallest / largest expires of the Contacts: $expires(min|max)"

    def parse_name(self, text: str) -> Any:
        if text.strip() not in ("min", "max"):
            raise ValueError(f"unknown $expires key {text!r} (min or max)")
        return text.strip()

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        msg = ctx.msg
        try:
            header = msg.expires
            contacts = msg.contacts
        except SipParseError:
            return None
        values: list[int] = []
        for c in contacts:
            if getattr(c, "star", False):
                continue
            v = _int(c.param("expires"))
            if v is None:
                v = header
            if v is not None:
                values.append(v)
        if not contacts and header is not None:
            values.append(header)
        if not values:
            return None
        return min(values) if name == "min" else max(values)


_K = {"IPv4": 2, "IPv6": 10, "UDP": 1, "TCP": 2, "TLS": 3, "SCTP": 4, "WS": 5, "WSS": 6}


class KPV(PVClass):
    name = "K"
    doc = "constants: $K(IPv4|IPv6|UDP|TCP|TLS|SCTP|WS|WSS)"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in _K:
            raise ValueError(f"unknown $K key {text!r} ({', '.join(_K)})")
        return _K[key]

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return int(name)

    def bind_get(self, name: Any, idx: Index) -> Getter:
        value = int(name)
        return lambda ctx: value


class FormatPV(PVClass):
    name = "_s"
    doc = "a format rendered: $_s(text with $pv)"

    def parse_name(self, text: str) -> Any:
        from .format import compile_format

        try:
            return compile_format(text)
        except ConfigError as e:
            raise ValueError(e.message) from None

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return str(name.render(ctx))


_VIA_KEYS = ("host", "port", "proto", "protocol", "branch", "rport", "received", "i")


class ViaPV(PVClass):
    """$via0 / $via1 / $viaZ (which: 0, 1, -1)."""

    def __init__(self, name: str, which: int) -> None:
        self.name = name
        self.which = which
        self.doc = f"attribute of the {'last' if which < 0 else which + 1}. Via"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in _VIA_KEYS:
            raise ValueError(f"unknown PV via key {text!r} ({', '.join(_VIA_KEYS)})")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        try:
            vias = ctx.msg.vias
        except SipParseError:
            return None
        if not vias or (self.which > 0 and len(vias) <= self.which):
            return None
        via = vias[self.which]
        if name == "host":
            return via.host
        if name == "port":
            return via.port if via.port is not None else 5060
        if name == "proto":
            return via.transport.upper()
        if name == "protocol":
            return f"{via.protocol}/{via.version}"
        return via.param(name)


def _sock_text(proto: str, ip: str, port: int) -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return f"{proto}:{host}:{port}"


def get_Ras(ctx: MsgContext) -> Value:
    r = ctx.rcv
    adv = state.SETTINGS.advertised.get((r.dst_ip, r.dst_port))
    if adv is not None:
        return f"{r.proto}:{adv[0]}:{adv[1] or r.dst_port}"
    return _sock_text(r.proto, r.dst_ip, r.dst_port)


def get_Rn(ctx: MsgContext) -> Value:
    r = ctx.rcv
    ls = state.SOCKETS.get((r.proto, r.dst_ip, r.dst_port))
    return ls.name if ls is not None and ls.name else None


def get_sas(ctx: MsgContext) -> Value:
    r = ctx.rcv
    return _sock_text(r.proto, r.src_ip, r.src_port)


def get_src_ip(ctx: MsgContext) -> Value:
    return ctx.rcv.src_ip


def get_siz(ctx: MsgContext) -> Value:
    ip = ctx.rcv.src_ip
    return f"[{ip}]" if ":" in ip else ip


def get_fsp(ctx: MsgContext) -> Value:
    text = ctx.force_socket
    if not text:
        return 0
    tail = text.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() and not text.endswith("]") else 0


def get_conid(ctx: MsgContext) -> Value:
    """The id of the TCP connection the message came on, when this process holds it."""
    r = ctx.rcv
    if r.proto == "udp":
        return None
    from siprouter.runtime import tcp_transport

    transport = tcp_transport.ACTIVE
    if transport is None:
        return None
    conn = transport.engine.find((r.src_ip, r.src_port))
    return conn.id if conn is not None else None


def get_sid(ctx: MsgContext) -> Value:
    from siprouter.modules.kex_args import core_param

    return int(core_param(ctx, "server_id", 0) or 0)


def get_prid(ctx: MsgContext) -> Value:
    return LOG.proc_no


def get_AU(ctx: MsgContext) -> Value:
    au = get_Au(ctx)
    return au.partition("@")[0] if isinstance(au, str) else None


def _dic(ctx: MsgContext) -> Value:
    v = _na_getter(H.DIVERSION, "counter")(ctx)
    n = _int(v) if isinstance(v, str) else None
    return n if n is not None else v


def msgx_specs() -> list[PVSpec]:
    return [
        MsgPV().spec(),
        MsgbufPV().spec(),
        PVSpec("mbu", get_mbu, doc="message with the script's changes"),
        PVSpec("mts", get_mts, doc="message type: rq or rp"),
        PVSpec("csb", get_csb, doc="CSeq body"),
        PVSpec("true", get_true, doc="1"),
        ExpiresPV().spec(),
        KPV().spec(),
        FormatPV().spec(),
        ViaPV("via0", 0).spec(),
        ViaPV("via1", 1).spec(),
        ViaPV("viaZ", -1).spec(),
        PVSpec("AU", get_AU, doc="user part of $Au (From URI user)"),
        PVSpec("adc", _cred_getter("cnonce"), doc="credentials cnonce"),
        PVSpec("adn", _cred_getter("nonce"), doc="credentials nonce"),
        PVSpec("ado", _cred_getter("opaque"), doc="credentials opaque"),
        PVSpec("adr", _cred_getter("response"), doc="credentials response"),
        PVSpec("dic", _dic, doc="Diversion counter"),
        PVSpec("Ras", get_Ras, doc="receiving socket (advertised) as proto:ip:port"),
        PVSpec("Rn", get_Rn, doc="receiving socket name"),
        PVSpec("sas", get_sas, doc="source as proto:ip:port"),
        PVSpec("src_ip", get_src_ip, doc="source IP"),
        PVSpec("siz", get_siz, doc="source IP, IPv6 in brackets"),
        PVSpec("fsp", get_fsp, doc="forced socket port"),
        PVSpec("conid", get_conid, doc="TCP connection id"),
        PVSpec("sid", get_sid, doc="server_id"),
        PVSpec("prid", get_prid, doc="process rank"),
    ]
