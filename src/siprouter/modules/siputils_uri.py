"""siputils functions over URIs: R-URI parameters, tel2sip, set_uri_user/host.

Semantics as Kamailio 5.6.3 (tests/compat/cases/siputils_uri.toml):

* uri_param(name[, value]): 1 when the R-URI has a parameter `name` without value (with
  exactly `value`; a parameter without value matches ""), names and values compared
  exactly; else -1. uri_param_any(name): 1 when present with or without value.
* add_uri_param("n=v"): appends `;n=v` to the R-URI (the argument is literal text);
  1, or -1 when it is empty. With URI headers (`?h=v`) the parameter goes before them
  (Kamailio 5.6.3 loses the R-URI there).
* get_uri_param(name, $pv): the value of the last `name` parameter ("" without value)
  into $pv, 1; -1 when absent.
* uri_param_rm(name): removes the parameters called exactly `name`; 1 (also when none),
  -1 when the R-URI does not parse.
* tel2sip(uri, host, $out): for a tel: URI (scheme in any case), writes
  `sip:<number without - . ( )><;params lower-cased>@host;user=phone` to $out and
  returns 1; 2 when uri is not a tel: URI (tels:, sip:, unparsable); -1 when $out
  cannot be set.
* set_uri_user($uri, user) / set_uri_host($uri, host): rewrite the user (dropping the
  password; an empty user removes `user@`) or the host (empty: -1) of the URI held in
  $uri; -1 when it does not parse. For a tel: URI the number counts as the host, as in
  Kamailio (`tel:+123` with user x gives `tel:x@+123`).
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext
from siprouter.pv.access import PVAccess
from siprouter.sip.uri import SipUri

from .siputils_args import log
from .siputils_checks import parse_ok


def _ruri(ctx: MsgContext) -> SipUri | None:
    return parse_ok(ctx.ruri)


def uri_param(ctx: MsgContext, name: str, value: str | None = None) -> int:
    uri = _ruri(ctx)
    if uri is None:
        return -1
    for n, v in uri.sip_param_list:
        if n != name:
            continue
        if value is None:
            if v is None:
                return 1
        elif (v or "") == value:
            return 1
    return -1


def uri_param_any(ctx: MsgContext, name: str) -> int:
    uri = _ruri(ctx)
    if uri is None:
        return -1
    return 1 if any(n == name for n, _v in uri.sip_param_list) else -1


def _split_headers(text: str) -> tuple[str, str]:
    q = text.find("?")
    return (text, "") if q < 0 else (text[:q], text[q:])


def add_uri_param(ctx: MsgContext, param: str) -> int:
    if not param:
        return -1
    base, headers = _split_headers(ctx.ruri)
    ctx.new_uri = f"{base};{param}{headers}"
    return 1


def get_uri_param(ctx: MsgContext, name: str, out: PVAccess) -> int:
    uri = _ruri(ctx)
    if uri is None:
        return -1
    found: str | None = None
    for n, v in uri.sip_param_list:
        if n == name:
            found = v or ""
    if found is None or out.set is None:
        return -1
    out.set(ctx, found)
    return 1


def without_param(text: str, name: str) -> str | None:
    """The URI text without its `;name[=value]` parameters (after the host, or after
    the number of a tel: URI; names compared exactly); None when it has none."""
    base, q, headers = text.partition("?")
    at = base.rfind("@")
    host_from = at + 1 if at >= 0 else base.find(":") + 1
    semi = base.find(";", host_from)
    if semi < 0:
        return None
    items = base[semi:].split(";")[1:]
    kept = [p for p in items if p.partition("=")[0] != name]
    if len(kept) == len(items):
        return None
    return base[:semi] + "".join(";" + p for p in kept) + q + headers


def uri_param_rm(ctx: MsgContext, name: str) -> int:
    text = ctx.ruri
    if parse_ok(text) is None:
        return -1
    new = without_param(text, name)
    if new is not None:
        ctx.new_uri = new
    return 1


_VISUAL = str.maketrans("", "", "-.()")


def tel2sip(ctx: MsgContext, uri: str, host: str, out: PVAccess) -> int:
    if uri[:4].lower() != "tel:":
        return 2
    number, _sep, params = uri[4:].partition(";")
    number = number.translate(_VISUAL)
    extra = "".join(";" + p.lower() for p in params.split(";") if p) if params else ""
    result = f"sip:{number}{extra}@{host};user=phone"
    if out.set is None:
        return -1
    try:
        out.set(ctx, result)
    except Exception as e:  # a PV setter refusing the value (PVError and friends)
        log.error("tel2sip: cannot set %s: %s", out.raw, e)
        return -1
    return 1


def _hostport_split(text: str) -> tuple[str, str, str] | None:
    """(scheme: , userinfo, host and the rest) of a sip/sips URI text."""
    colon = text.find(":")
    if colon < 0:
        return None
    scheme, rest = text[: colon + 1], text[colon + 1 :]
    base, _h = _split_headers(rest)
    at = base.rfind("@")
    if at < 0:
        return scheme, "", rest
    return scheme, rest[:at], rest[at + 1 :]


def _tel_split(text: str) -> tuple[str, str, str]:
    """A tel/urn URI split as Kamailio does for these functions: the number is the host."""
    colon = text.find(":")
    return text[: colon + 1], "", text[colon + 1 :]


def _host_end(hostpart: str) -> int:
    if hostpart.startswith("["):
        return hostpart.find("]") + 1
    ends = [i for i in (hostpart.find(c) for c in ":;?") if i >= 0]
    return min(ends) if ends else len(hostpart)


def _rewrite(ctx: MsgContext, target: PVAccess, user: str | None, host: str | None) -> int:
    value = target.get(ctx)
    text = value if isinstance(value, str) else ""
    uri = parse_ok(text)
    if uri is None:
        return -1
    parts = _hostport_split(text) if uri.scheme in ("sip", "sips") else _tel_split(text)
    if parts is None or target.set is None:
        return -1
    scheme, userinfo, hostpart = parts
    if user is not None:
        userinfo = user
    if host is not None:
        hostpart = host + hostpart[_host_end(hostpart) :]
    new = f"{scheme}{userinfo}@{hostpart}" if userinfo else f"{scheme}{hostpart}"
    target.set(ctx, new)
    return 1


def set_uri_user(ctx: MsgContext, target: PVAccess, user: str) -> int:
    return _rewrite(ctx, target, user, None)


def set_uri_host(ctx: MsgContext, target: PVAccess, host: str) -> int:
    if not host:
        return -1
    return _rewrite(ctx, target, None, host)
