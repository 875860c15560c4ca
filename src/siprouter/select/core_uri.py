"""Select parts that work on a value's text: URI parts, name-addr parts, parameters.

Kamailio hands every select step the previous step's text, so `@from.uri.host` parses
the URI `@from.uri` returned. These steps do the same:

* URI (`URI_PARTS`, under every URI-valued select): type, user, pwd, host, port,
  hostport, transport, params.NAME; `.params` alone lists every parameter of the
  R-URI (`RURI_PARTS`) and has no value for other URIs, as in Kamailio 5.6.3;
* name-addr (`nameaddr_parts`): uri (then URI_PARTS), name (the display name as
  written, quotes kept; none without one, "" for a Contact), tag, params.NAME;
* `param_value(text, name)`: a `;name=value` parameter of a header-like text (a flag
  parameter without `=value` has no value).

A part that is absent or a text that does not parse gives None (no value).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_nameaddr import NameAddr, parse_nameaddr
from siprouter.sip.uri import SipUri, parse_uri

from .table import Arg, SelNode, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


@functools.lru_cache(maxsize=512)
def uri_of(text: str) -> SipUri | None:
    """The parsed URI (cached by text: a message's selects parse each text once)."""
    try:
        return parse_uri(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=512)
def nameaddr_of(text: str) -> NameAddr | None:
    """The parsed name-addr (cached by text)."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        return parse_nameaddr(data, 0, len(data))
    except (SipParseError, ValueError):
        return None


def param_value(params: list[tuple[str, str | None]], name: str) -> Text:
    want = name.lower()
    for n, v in params:
        if n.lower() == want:
            return v
    return None


def _params_text(params: list[tuple[str, str | None]]) -> str:
    return ";".join(n if v is None else f"{n}={v}" for n, v in params)


def _keep(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    return v


# ---- URI parts -------------------------------------------------------------------------


def _type(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else u.scheme


def _user(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else u.user


def _pwd(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else u.password


def _host(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else u.host


def _port(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None or not u.port_text else u.port_text


def _hostport(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else u.hostport


def _transport(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else param_value(u.sip_param_list, "transport")


def _uri_params(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else _params_text(u.sip_param_list)


def _uri_param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    u = uri_of(v)
    return None if u is None else param_value(u.sip_param_list, a.name)


def _no_value(_ctx: MsgContext, _v: str, _a: Arg) -> Text:
    return None


URI_PARTS: dict[str, SelNode] = {}
# `.params` alone lists the parameters of the R-URI only: for the other URIs
# (`@from.uri.params`, `@contact.uri.params`) Kamailio 5.6.3 gives no value
_URI_PARAMS = SelNode(_keep, end=_no_value, any=SelNode(_uri_param))
for _name, _fn in (
    ("type", _type),
    ("user", _user),
    ("pwd", _pwd),
    ("host", _host),
    ("port", _port),
    ("hostport", _hostport),
    ("transport", _transport),
):
    URI_PARTS[_name] = SelNode(_fn)
URI_PARTS["params"] = _URI_PARAMS
RURI_PARTS = dict(URI_PARTS)
RURI_PARTS["params"] = SelNode(_keep, end=_uri_params, any=SelNode(_uri_param))


def uri_node(fn: object, **kw: object) -> SelNode:
    """A node whose value is a URI: the URI parts may follow."""
    kw.setdefault("children", URI_PARTS)
    return SelNode(fn, **kw)  # type: ignore[arg-type]


# ---- name-addr parts -------------------------------------------------------------------


def _na_uri(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else na.uri_text


def _na_name(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else na.display_raw


def _na_name_or_empty(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else na.display_raw or ""


def _na_tag(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else param_value(na.params, "tag")


def _na_params(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else _params_text(na.params)


def _na_param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    na = nameaddr_of(v)
    return None if na is None else param_value(na.params, a.name)


def nameaddr_parts(
    *, tag: bool, params_alone: bool, empty_name: bool = False
) -> dict[str, SelNode]:
    """The parts of a name-addr value: uri, name, params.NAME (and tag when `tag`);
    `params_alone`: `.params` without a name gives every parameter; `empty_name`: no
    display name reads as "" (Contact) instead of no value (From, To)."""
    parts = {
        "uri": uri_node(_na_uri),
        "name": SelNode(_na_name_or_empty if empty_name else _na_name),
        "params": SelNode(_keep, end=_na_params, any=SelNode(_na_param), final=params_alone),
    }
    if tag:
        parts["tag"] = SelNode(_na_tag)
    return parts


def nameaddr_param(name: str) -> SelNode:
    """A node reading header parameter `name` of a name-addr value (`@contact.q`)."""

    def get(_ctx: MsgContext, v: str, _a: Arg) -> Text:
        na = nameaddr_of(v)
        return None if na is None else param_value(na.params, name)

    return SelNode(get)
