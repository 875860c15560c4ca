"""The core's selects over the message being routed, as Kamailio 5.6.3 names them.

Registered under the select tree's root (select/table.py ROOT) when this module is
imported (select/__init__.py does):

* request URI: `@ruri` / `@request_uri` (the current one, after rewrites), `@dst_uri`
  ($du), `@next_hop` ($du, else the R-URI); each followed by the URI parts;
* name-addr headers: `@from`/`@f`, `@to`/`@t`, `@refer_to`, `@rpid`/`@remote_party_id`
  (the header value; `.uri[.part]`, `.name`, `.tag`, `.params.NAME`); `@contact`/`@m`
  (the first Contact header; its parts read the *last* contact of that header, as
  Kamailio 5.6.3 does: its contact parser lists them in reverse; `.q`, `.expires`,
  `.methods`, `.received`, `.instance` are those parameters);
  `@record_route`/`@rr` (the first Record-Route header; parts of its first entry);
* `@via[n]`/`@v[n]`: the n-th via value over all Via headers (default the first):
  `.name`, `.version`, `.transport`, `.host`, `.port`, `.branch`, `.received`, `.rport`,
  `.i`, `.alias`, `.params.NAME` (a parameter without value has none);
* `@cseq` (`.num`, `.method`), and header values: `@call_id`, `@expires`,
  `@max_forwards`, `@content_type`, `@content_length`, `@subject`, `@organization`,
  `@priority`, `@session_expires`, `@min_se`, `@user_agent`, `@sip_if_match`,
  `@event`, `@date`, `@identity`, `@identity_info`;
* `@msg`/`@message` (the whole message): `.first_line`, `.len`, `.type` (1 request, 2
  reply), `.flags`, `.header`/`.h` (`.NAME[n]` the n-th header of that name, `_` read as
  `-`; `.params.NAME`, `.nameaddr.uri|name|params`), `.body`/`.content`,
  `.request`/`.req` (`.method`, `.uri[.part]`, `.version`), `.response`/`.res`
  (`.version`, `.status`/`.code`, `.reason`); and the short forms `@method`,
  `@version`, `@status`, `@code`, `@reason`;
* `@proxy_authorization["realm"]` / `@authorization["realm"]`: the credentials for
  that realm: `.username[.user|.domain]`, `.realm`, `.nonce`, `.uri`, `.cnonce`, `.nc`,
  `.response`, `.opaque`, `.algorithm`, `.qop`;
* `@src`, `@dst`, `@received` (`.ip`, `.port`, `.ip_port`; `@received.proto`,
  `.proto_ip_port`);
* `@sys.pid`, `@sys.now`, `@sys.server_id`; `@branch.count`, `@branch.uri[n]`,
  `@branch.dst_uri[n]` (n from 0, default 0).

Every value is text, as Kamailio's selects give strings.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from siprouter.sip import headers as H
from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_auth import parse_credentials
from siprouter.sip.hdr_params import split_commas
from siprouter.sip.hdr_via import parse_via

from .core_uri import RURI_PARTS, nameaddr_param, nameaddr_parts, param_value, uri_node
from .table import ROOT, Arg, SelNode, Step, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _alias(node: SelNode, *names: str) -> None:
    for n in names:
        ROOT.child(n, node)


def header_value(hid: int) -> Callable[[MsgContext, str, Arg], Text]:
    """A step giving the first value of a known header."""

    def get(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        b = ctx.msg.header(hid)
        return None if b is None else _dec(b)

    return get


# ---- request URI / destination -----------------------------------------------------------


def _ruri(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    if ctx.new_uri is not None:
        return ctx.new_uri
    return ctx.msg.ruri if ctx.msg.is_request else None


def _dst_uri(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return ctx.dst_uri or None


def _next_hop(ctx: MsgContext, v: str, a: Arg) -> Text:
    return ctx.dst_uri or _ruri(ctx, v, a)


_alias(uri_node(_ruri, children=RURI_PARTS), "ruri", "request_uri")
_alias(uri_node(_dst_uri), "dst_uri")
_alias(uri_node(_next_hop), "next_hop")

# ---- name-addr headers -------------------------------------------------------------------

_NA_TAGGED = nameaddr_parts(tag=True, params_alone=False)
_alias(SelNode(header_value(H.FROM), children=_NA_TAGGED), "from", "f")
_alias(SelNode(header_value(H.TO), children=_NA_TAGGED), "to", "t")
_alias(SelNode(header_value(H.REFER_TO), children=_NA_TAGGED), "refer_to")


def _rpid(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    b = ctx.msg.header("Remote-Party-ID")
    return None if b is None else _dec(b)


_alias(SelNode(_rpid, children=_NA_TAGGED), "rpid", "remote_party_id")


def _element(first: bool) -> Callable[[MsgContext, str, Arg], Text]:
    """The first (or last) comma-separated entry of the value."""

    def get(_ctx: MsgContext, v: str, _a: Arg) -> Text:
        data = _enc(v)
        spans = split_commas(data, 0, len(data))
        if not spans:
            return None
        s, e = spans[0] if first else spans[-1]
        return _dec(data[s:e]).strip()

    return get


def _list_header(first: bool) -> Callable[[SelNode], SelNode]:
    """Wrap a name-addr node: its step reads one entry (the first or the last) of a
    list header's value."""
    pick = _element(first)

    def wrap(node: SelNode) -> SelNode:
        def picked(step: Step) -> Step:
            def get(ctx: MsgContext, v: str, a: Arg) -> Text:
                one = pick(ctx, v, a)
                return None if one is None else step(ctx, one, a)

            return get

        end = None if node.end is None else picked(node.end)
        return SelNode(
            picked(node.fn), children=node.children, any=node.any, final=node.final, end=end
        )

    return wrap


_last = _list_header(first=False)
_CONTACT_PARTS = {
    k: _last(n) for k, n in nameaddr_parts(tag=False, params_alone=False, empty_name=True).items()
}
for _p in ("q", "expires", "methods", "received", "instance"):
    _CONTACT_PARTS[_p] = _last(nameaddr_param("+sip.instance" if _p == "instance" else _p))
_alias(SelNode(header_value(H.CONTACT), children=_CONTACT_PARTS), "contact", "m")

_first = _list_header(first=True)
_RR_PARTS = {k: _first(n) for k, n in nameaddr_parts(tag=False, params_alone=False).items()}
_alias(SelNode(header_value(H.RECORD_ROUTE), children=_RR_PARTS), "record_route", "rr")

# ---- Via ---------------------------------------------------------------------------------


def _via(ctx: MsgContext, _v: str, a: Arg) -> Text:
    n = a.index if isinstance(a.index, int) else 1
    try:
        vias = ctx.msg.vias
    except SipParseError:
        return None
    i = n - 1 if n > 0 else len(vias) + n  # [-1]: the last one
    if n == 0 or not 0 <= i < len(vias):
        return None
    return vias[i].text


@functools.lru_cache(maxsize=256)
def _via_of(text: str) -> Any:
    """The parsed via-parm (cached by text), None when it does not parse."""
    data = _enc(text)
    try:
        return parse_via(data, 0, len(data))[0]
    except (SipParseError, IndexError, ValueError):
        return None


def _via_attr(get: Callable[[Any], str | None]) -> SelNode:
    def step(_ctx: MsgContext, v: str, _a: Arg) -> Text:
        via = _via_of(v)
        return None if via is None else get(via)

    return SelNode(step)


def _via_param(name: str) -> SelNode:
    return _via_attr(lambda via: param_value(via.params, name))


def _via_any_param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    via = _via_of(v)
    return None if via is None else param_value(via.params, a.name)


_VIA_PARTS: dict[str, SelNode] = {
    "name": _via_attr(lambda via: via.protocol),
    "version": _via_attr(lambda via: via.version),
    "transport": _via_attr(lambda via: via.transport),
    "host": _via_attr(lambda via: via.host),
    "port": _via_attr(lambda via: None if via.port is None else str(via.port)),
    "params": SelNode(lambda _c, v, _a: v, any=SelNode(_via_any_param), final=False),
}
for _p in ("branch", "received", "rport", "i", "alias"):
    _VIA_PARTS[_p] = _via_param(_p)
_alias(SelNode(_via, children=_VIA_PARTS, index="int"), "via", "v")

# ---- CSeq and plain headers --------------------------------------------------------------


def _cseq_part(num: bool) -> SelNode:
    def get(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        try:
            cs = ctx.msg.cseq
        except SipParseError:
            return None
        if cs is None:
            return None
        return str(cs.num) if num else cs.method

    return SelNode(get)


_alias(
    SelNode(header_value(H.CSEQ), children={"num": _cseq_part(True), "method": _cseq_part(False)}),
    "cseq",
)


def _named_header(name: str) -> Callable[[MsgContext, str, Arg], Text]:
    def get(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        b = ctx.msg.header(name)
        return None if b is None else _dec(b)

    return get


for _sel, _hname in (
    ("call_id", "Call-ID"),
    ("expires", "Expires"),
    ("max_forwards", "Max-Forwards"),
    ("content_type", "Content-Type"),
    ("content_length", "Content-Length"),
    ("subject", "Subject"),
    ("organization", "Organization"),
    ("priority", "Priority"),
    ("session_expires", "Session-Expires"),
    ("min_se", "Min-SE"),
    ("user_agent", "User-Agent"),
    ("sip_if_match", "SIP-If-Match"),
    ("event", "Event"),
    ("date", "Date"),
    ("identity", "Identity"),
    ("identity_info", "Identity-Info"),
):
    _alias(SelNode(_named_header(_hname)), _sel)

# ---- the message -------------------------------------------------------------------------


def _msg(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return _dec(ctx.msg.data)


def _first_line(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return _dec(ctx.msg.first_line)


def _len(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return str(len(ctx.msg.data))


def _type(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return "1" if ctx.msg.is_request else "2"


def _flags(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return str(ctx.flags)


def _headers(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    m = ctx.msg
    return _dec(m.data[m.headers_start : m.headers_end])


def _any_header(ctx: MsgContext, _v: str, a: Arg) -> Text:
    vals = ctx.msg.headers(a.name.replace("_", "-"))
    n = a.index if isinstance(a.index, int) else 1
    if n < 1 or n > len(vals):
        return None
    return _dec(vals[n - 1])


def _hdr_param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    data = _enc(v)
    semi = data.find(b";")
    if semi < 0:
        return None
    from siprouter.sip.hdr_params import parse_params

    try:
        params = parse_params(data, semi, len(data))
    except (SipParseError, ValueError):
        return None
    return param_value(params, a.name)


_ANY_HEADER = SelNode(
    _any_header,
    index="int",
    children={
        "params": SelNode(lambda _c, v, _a: v, any=SelNode(_hdr_param), final=False),
        "nameaddr": SelNode(
            lambda _c, v, _a: v, children=nameaddr_parts(tag=True, params_alone=True)
        ),
    },
)
_HEADER = SelNode(_headers, any=_ANY_HEADER)


def _body(ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return _dec(ctx.msg.body)


def _req(get: Callable[[MsgContext], str | None]) -> Callable[[MsgContext, str, Arg], Text]:
    def step(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        return get(ctx) if ctx.msg.is_request else None

    return step


def _res(get: Callable[[MsgContext], str | None]) -> Callable[[MsgContext, str, Arg], Text]:
    def step(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        return None if ctx.msg.is_request else get(ctx)

    return step


def _first_line_part(n: int) -> Callable[[MsgContext], str | None]:
    def get(ctx: MsgContext) -> str | None:
        parts = _dec(ctx.msg.first_line).split(" ", 2)
        return parts[n] if n < len(parts) else None

    return get


_METHOD = SelNode(_req(lambda ctx: ctx.msg.method))
_REQ_URI = uri_node(_req(lambda ctx: ctx.msg.ruri))
_VERSION_REQ = SelNode(_req(_first_line_part(2)))
_STATUS = SelNode(_res(lambda ctx: str(ctx.msg.status)))
_REASON = SelNode(_res(lambda ctx: _dec(ctx.msg.reason)))
_REQUEST = SelNode(
    _req(lambda ctx: _dec(ctx.msg.first_line)),
    children={"method": _METHOD, "uri": _REQ_URI, "version": _VERSION_REQ},
)
_RESPONSE = SelNode(
    _res(lambda ctx: _dec(ctx.msg.first_line)),
    children={
        "version": SelNode(_res(_first_line_part(0))),
        "status": _STATUS,
        "code": _STATUS,
        "reason": _REASON,
    },
)
_MSG = SelNode(
    _msg,
    children={
        "first_line": SelNode(_first_line),
        "len": SelNode(_len),
        "type": SelNode(_type),
        "flags": SelNode(_flags),
        "header": _HEADER,
        "h": _HEADER,
        "body": SelNode(_body),
        "content": SelNode(_body),
        "request": _REQUEST,
        "req": _REQUEST,
        "response": _RESPONSE,
        "res": _RESPONSE,
    },
)
_alias(_MSG, "msg", "message")
_alias(_METHOD, "method")
_alias(
    SelNode(lambda ctx, _v, _a: _first_line_part(2 if ctx.msg.is_request else 0)(ctx)), "version"
)
_alias(_STATUS, "status", "code")
_alias(_REASON, "reason")

# ---- credentials -------------------------------------------------------------------------


def _auth(hid: int) -> Callable[[MsgContext, str, Arg], Text]:
    def get(ctx: MsgContext, _v: str, a: Arg) -> Text:
        realm = str(a.index)
        for raw in ctx.msg.headers(hid):
            try:
                cred = parse_credentials(raw, 0, len(raw))
            except (SipParseError, ValueError):
                continue
            if cred.realm == realm:
                return _dec(raw)
        return None

    return get


def _cred(param: str) -> Callable[[MsgContext, str, Arg], Text]:
    def get(_ctx: MsgContext, v: str, _a: Arg) -> Text:
        data = _enc(v)
        try:
            return parse_credentials(data, 0, len(data)).get(param)
        except (SipParseError, ValueError):
            return None

    return get


def _user_part(domain: bool) -> Callable[[MsgContext, str, Arg], Text]:
    def get(_ctx: MsgContext, v: str, _a: Arg) -> Text:
        user, at, dom = v.partition("@")
        if domain:
            return dom if at else None
        return user

    return get


def _need_realm(a: Arg) -> None:
    if not isinstance(a.index, str):
        raise ValueError(f'{a.name} needs the realm as index: @{a.name}["realm"]')


_CRED_PARTS: dict[str, SelNode] = {
    "username": SelNode(
        _cred("username"),
        children={"user": SelNode(_user_part(False)), "domain": SelNode(_user_part(True))},
    )
}
for _p in ("realm", "nonce", "uri", "cnonce", "nc", "response", "opaque", "algorithm", "qop"):
    _CRED_PARTS[_p] = SelNode(_cred(_p))
_alias(
    SelNode(_auth(H.PROXY_AUTHORIZATION), children=_CRED_PARTS, index="str", check=_need_realm),
    "proxy_authorization",
)
_alias(
    SelNode(_auth(H.AUTHORIZATION), children=_CRED_PARTS, index="str", check=_need_realm),
    "authorization",
)

# ---- addresses -------------------------------------------------------------------------


def _addr(which: str, what: str) -> SelNode:
    def get(ctx: MsgContext, _v: str, _a: Arg) -> Text:
        r = ctx.rcv
        ip, port = (r.src_ip, r.src_port) if which == "src" else (r.dst_ip, r.dst_port)
        if what == "ip":
            return ip
        if what == "port":
            return str(port)
        host = f"[{ip}]" if ":" in ip else ip
        if what == "ip_port":
            return f"{host}:{port}"
        if what == "proto":
            return r.proto.lower()
        return f"{r.proto.lower()}:{host}:{port}"

    return SelNode(get)


def _pass(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    return v


for _which, _names in (
    ("src", ("ip", "port", "ip_port")),
    ("dst", ("ip", "port", "ip_port")),
    ("received", ("ip", "port", "ip_port", "proto", "proto_ip_port")),
):
    _node = SelNode(_pass, final=False)
    for _w in _names:
        _node.child(_w, _addr("src" if _which == "src" else "dst", _w))
    _alias(_node, _which)

# ---- system and branches -----------------------------------------------------------------


def _server_id() -> str:
    from siprouter.cfg import core_params

    row = core_params.lookup("server_id")
    default = getattr(row, "default", 0) if row is not None else 0
    return str(default or 0)


_SYS = SelNode(
    _pass,
    final=False,
    children={
        "pid": SelNode(lambda _c, _v, _a: str(os.getpid())),
        "now": SelNode(lambda _c, _v, _a: str(int(time.time()))),
        "server_id": SelNode(lambda _c, _v, _a: _server_id()),
    },
)
_alias(_SYS, "sys")


def _branch_field(attr: str) -> Callable[[MsgContext, str, Arg], Text]:
    def get(ctx: MsgContext, _v: str, a: Arg) -> Text:
        n = a.index if isinstance(a.index, int) else 0
        if n < 0 or n >= len(ctx.branches):
            return None
        value = getattr(ctx.branches[n], attr)
        return None if value is None else str(value)

    return get


_BRANCH = SelNode(
    _pass,
    final=False,
    children={
        "count": SelNode(lambda ctx, _v, _a: str(len(ctx.branches))),
        "uri": uri_node(_branch_field("uri"), index="int"),
        "dst_uri": uri_node(_branch_field("dst_uri"), index="int"),
    },
)
_alias(_BRANCH, "branch")
