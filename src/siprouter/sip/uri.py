"""SIP, SIPS and TEL URIs: parsing, comparison (RFC 3261 19.1.4) and building.

`parse_uri()` turns the text of a URI into a `SipUri` whose attributes mirror
Kamailio's parsed URI (scheme, user, password, host, port, params, headers,
and the well-known parameters transport/ttl/user/method/maddr/lr/r2/gr).
Values are kept as they appear on the wire (escapes such as ``%61`` are not
decoded; `unescape()` decodes them on demand), so an unmodified URI
serializes back to its input byte for byte.  `SipUri.replace()` builds a
changed URI that serializes canonically.

Two Kamailio core parameters shape parsing: ``phone2tel`` (a sip/sips URI
with ``user=phone`` is treated as a TEL URI: the user part loses its
``;params``, which become the URI params, while the envelope params stay in
``sip_params``) and ``uri_host_extra_chars`` (extra characters accepted in a
host name).  Both can be passed per call or set once with
`set_uri_defaults()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "SCHEMES",
    "SipUri",
    "UriError",
    "parse_uri",
    "parse_uri_cached",
    "set_uri_defaults",
    "unescape",
    "uri_equal",
]


class UriError(ValueError):
    """The text is not a URI we can parse; the message says what is wrong and where."""


# scheme name (lower case) -> default port (None for tel/urn, which have no port)
SCHEMES: dict[str, int | None] = {"sip": 5060, "sips": 5061, "tel": None, "tels": None, "urn": None}

_defaults: dict[str, object] = {"phone2tel": True, "host_extra_chars": ""}
_host_re_cache: dict[str, re.Pattern[str]] = {}

# RFC 3261 reserved characters: an escaped reserved char is not equal to the raw char.
_RESERVED = frozenset(";/?:@&=+$,")
_HEX = "0123456789abcdefABCDEF"
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_IPV4_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\Z")
# an IP reference: IPv6 (or, as Kamailio allows, IPv4) with an optional %25 zone id
_IPV6_RE = re.compile(r"\[[0-9A-Fa-f:.]+(?:%25[A-Za-z0-9\-._~]+)?\]\Z")
# user and password characters: unreserved, escaped, and the user-unreserved / password marks.
_USER_BAD_RE = re.compile(r"[\x00-\x20\x7f<>\"@]")
# Kamailio keeps parameters and headers as text: only blanks and controls are refused
_PARAM_BAD_RE = re.compile(r"[\x00-\x20\x7f]")
_TEL_VISUAL = str.maketrans("", "", "-.()")
# parameters that must match when present in either URI (RFC 3261 19.1.4)
_STRICT_PARAMS = ("transport", "user", "ttl", "method", "maddr")


def set_uri_defaults(*, phone2tel: bool | None = None, host_extra_chars: str | None = None) -> None:
    """Set the process-wide defaults (core parameters phone2tel and uri_host_extra_chars)."""
    if phone2tel is not None:
        _defaults["phone2tel"] = bool(phone2tel)
    if host_extra_chars is not None:
        _defaults["host_extra_chars"] = host_extra_chars
    _CACHE.clear()  # parses under the old defaults may differ


def _host_re(extra: str) -> re.Pattern[str]:
    pat = _host_re_cache.get(extra)
    if pat is None:
        # a host name starts with an alphanumeric (or an extra) char, as Kamailio checks
        x = re.escape(extra)
        pat = re.compile(rf"[A-Za-z0-9{x}][A-Za-z0-9\-.{x}]*\Z")
        _host_re_cache[extra] = pat
    return pat


def unescape(text: str) -> str:
    """Decode %XX escapes (as UTF-8 when possible, else byte-wise latin-1)."""
    if "%" not in text:
        return text
    raw = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _norm_escapes(text: str) -> str:
    """Equivalence form for RFC 3261 comparison: unreserved escapes decoded, others upper-cased."""
    if "%" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return "%" + m.group(1).upper() if ch in _RESERVED or ch == "%" else ch

    return _ESCAPE_RE.sub(sub, text)


def _split_params(text: str, where: str, raw: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    if not text:
        return out
    for item in text.split(";"):
        if not item:
            continue  # Kamailio skips empty parameters (";;")
        name, eq, value = item.partition("=")
        if _PARAM_BAD_RE.search(item):
            raise UriError(f"bad {where} parameter {item!r} in URI {raw!r}")
        out.append((name, value if eq else None))
    return out


def _split_headers(text: str, raw: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in text.split("&"):
        if not item:
            continue  # Kamailio accepts "?&a=b" and "?a=b&"
        name, _, value = item.partition("=")
        if _PARAM_BAD_RE.search(item):
            raise UriError(f"bad header {item!r} in URI {raw!r}")
        out.append((name, value))
    return out


class SipUri:
    """A parsed URI.  Text attributes are `str`; `raw` is the original bytes.

    ``type`` is the effective scheme after Kamailio's phone2tel rule ("tel"
    for a sip URI with user=phone when phone2tel is on); ``scheme`` is the
    scheme as written (lower case).  ``params`` / ``param_list`` are the
    parameters in effect (for phone2tel, the tel parameters from the user
    part); ``sip_params`` always holds the parameters after the host.
    """

    __slots__ = (
        "_params",
        "_simple",
        "_tail",
        "_text",
        "headers",
        "host",
        "param_list",
        "password",
        "port",
        "port_text",
        "raw",
        "scheme",
        "scheme_text",
        "sip_param_list",
        "type",
        "user",
        "user_phone",
    )

    def __init__(
        self,
        scheme: str,
        user: str,
        password: str | None,
        host: str,
        port_text: str,
        param_list: list[tuple[str, str | None]],
        headers: list[tuple[str, str]],
        *,
        scheme_text: str | None = None,
        sip_param_list: list[tuple[str, str | None]] | None = None,
        type_: str | None = None,
        user_phone: bool = False,
        raw: bytes | None = None,
        text: str | None = None,
    ) -> None:
        self.scheme = scheme
        self.scheme_text = scheme_text if scheme_text is not None else scheme
        self.user = user
        self.password = password
        self.host = host
        self.port_text = port_text
        self.port = int(port_text) if port_text else None
        self.param_list = param_list
        self.sip_param_list = param_list if sip_param_list is None else sip_param_list
        self.headers = headers
        self.type = type_ or scheme
        self.user_phone = user_phone
        self._params: dict[str, str | None] | None = None
        self._text = text
        self.raw = raw
        self._simple = False  # the fast parser's shape: replace() may skip re-parsing
        self._tail = ""  # with _simple: the ";params" text as written

    # ----------------------------------------------------------------- params
    @property
    def params(self) -> dict[str, str | None]:
        """Parameters by lower-case name (value None for a flag like ``lr``); first one wins."""
        d = self._params
        if d is None:
            d = {}
            for name, value in self.param_list:
                d.setdefault(name.lower(), value)
            self._params = d
        return d

    def _sip_param(self, name: str) -> str | None:
        for pname, value in self.sip_param_list:
            if pname.lower() == name:
                return value if value is not None else ""
        return None

    def has_param(self, name: str) -> bool:
        name = name.lower()
        return any(p.lower() == name for p, _ in self.sip_param_list)

    @property
    def transport(self) -> str | None:
        return self._sip_param("transport")

    @property
    def ttl(self) -> str | None:
        return self._sip_param("ttl")

    @property
    def user_param(self) -> str | None:
        return self._sip_param("user")

    @property
    def method(self) -> str | None:
        return self._sip_param("method")

    @property
    def maddr(self) -> str | None:
        return self._sip_param("maddr")

    @property
    def lr(self) -> bool:
        return self.has_param("lr")

    @property
    def r2(self) -> bool:
        return self.has_param("r2")

    @property
    def gr(self) -> str | None:
        return self._sip_param("gr")

    @property
    def default_port(self) -> int | None:
        """The port used when none is written: 5061 for sips or transport=tls, else 5060."""
        if self.scheme in ("tel", "tels", "urn"):
            return None
        if self.scheme == "sips":
            return 5061
        t = self.transport
        return 5061 if t is not None and t.lower() in ("tls", "wss") else 5060

    @property
    def user_unescaped(self) -> str:
        return unescape(self.user)

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port_text}" if self.port_text else self.host

    # ---------------------------------------------------------- serializing
    def __str__(self) -> str:
        if self._text is None:
            self._text = self._build()
        return self._text

    def to_bytes(self) -> bytes:
        if self.raw is None:
            self.raw = str(self).encode("utf-8", "surrogateescape")
        return self.raw

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def __repr__(self) -> str:
        return f"SipUri({str(self)!r})"

    def _build(self) -> str:
        parts = [self.scheme_text, ":"]
        if self.scheme in ("tel", "tels", "urn"):
            parts.append(self.user)
        else:
            user = self.user
            if self.user_phone and self.param_list:
                user = user + "".join(_fmt_param(p) for p in self.param_list)
            if user or self.password is not None:
                parts.append(user)
                if self.password is not None:
                    parts += (":", self.password)
                parts.append("@")
            parts.append(self.host)
            if self.port_text:
                parts += (":", self.port_text)
        plist = self.param_list if self.scheme in ("tel", "tels", "urn") else self.sip_param_list
        parts.extend(_fmt_param(p) for p in plist)
        if self.headers:
            parts.append("?")
            parts.append("&".join(f"{n}={v}" for n, v in self.headers))
        return "".join(parts)

    def _after_host(self) -> tuple[bool, str]:
        """Whether a ':' follows the host as written ("host:" may have an empty port),
        and the ``;params?headers`` text of a sip/sips URI exactly as written."""
        s = str(self)
        at = s.find("@")
        pos = at + 1 if at >= 0 else s.index(":") + 1
        pos += len(self.host)
        colon = s.startswith(":", pos)
        if colon:
            pos += 1 + len(self.port_text)
        return colon, s[pos:]

    def replace(
        self,
        *,
        user: str | None = None,
        password: str | bool | None = False,
        host: str | None = None,
        port: int | str | bool | None = False,
        params: Iterable[tuple[str, str | None]] | None = None,
        headers: Iterable[tuple[str, str]] | None = None,
    ) -> SipUri:
        """A new URI with the given parts changed, built the way Kamailio's rewrite
        functions build one: lower-case scheme, parts not changed kept as written.

        ``password=None`` / ``port=None`` remove them (False means "keep"); an empty
        ``user`` removes the password too.  ``params`` replaces the parameters after
        the host (sip) or the tel parameters (tel, or a sip URI with user=phone).
        Setting the host of a tel URI turns it into ``sip:number@host;user=phone``;
        a port alone cannot be set on a tel URI.  The result is parsed again, so an
        invalid part raises `UriError`.
        """
        if port is False:
            new_port = None
        elif port is None or port == "":
            new_port = ""
        else:
            new_port = str(int(port))
        if self._simple and password is False and params is None and headers is None:
            fast = self._replace_simple(user, host, new_port)
            if fast is not None:
                return fast
        fmt = _fmt_param
        if self.scheme in ("tel", "tels", "urn"):
            number = self.user if user is None else user
            tel = "".join(map(fmt, self.param_list if params is None else params))
            if host is None:
                if new_port:
                    raise UriError(f"cannot set a port on {self.scheme} URI {self}")
                return parse_uri(f"{self.scheme}:{number}{tel}")
            hp = host + (f":{new_port}" if new_port else "")
            return parse_uri(f"sip:{number}{tel}@{hp};user=phone")
        tel_part = ""
        if self.user_phone and user != "":
            tel_part = "".join(map(fmt, self.param_list if params is None else params))
        new_user = (self.user if user is None else user) + tel_part
        new_pass = self.password if password is False else password
        if not new_user:
            new_pass = None
        new_host = self.host if host is None else host
        had_colon, written_tail = self._after_host()
        port_text = self.port_text if new_port is None else new_port
        if params is None or self.user_phone:
            if headers is None:
                tail = written_tail
            else:
                tail = "".join(map(fmt, self.sip_param_list))
        else:
            tail = "".join(map(fmt, params))
        if headers is not None:
            hl = list(headers)
            tail += ("?" + "&".join(f"{n}={v}" for n, v in hl)) if hl else ""
        elif params is not None and not self.user_phone and self.headers:
            tail += "?" + "&".join(f"{n}={v}" for n, v in self.headers)
        parts = [self.scheme, ":"]
        if new_user:
            parts.append(new_user)
            if new_pass is not None:
                parts += (":", new_pass)
            parts.append("@")
        parts.append(new_host)
        if port_text or (had_colon and new_port is None):
            parts += (":", port_text)  # Kamailio keeps a written empty port ("host:")
        parts.append(tail)
        return parse_uri("".join(parts))

    def _replace_simple(
        self, user: str | None, host: str | None, new_port: str | None
    ) -> SipUri | None:
        """replace() for a URI of the fast parser's shape when the new parts keep that
        shape: the new text is built from the parts and not parsed again (None when a
        part needs the general path)."""
        if user is None:
            user = self.user
        elif user and _FAST_USER_RE.match(user) is None:
            return None
        if host is None:
            host = self.host
        elif _FAST_HOST_RE.match(host) is None:
            return None
        if new_port is None:
            new_port = self.port_text
        elif new_port and not (
            new_port.isdigit() and len(new_port) <= 5 and int(new_port) <= 65535
        ):
            return None
        tail = self._tail  # the parameters as written
        hostport = f"{host}:{new_port}{tail}" if new_port else host + tail
        text = f"{self.scheme}:{user}@{hostport}" if user else f"{self.scheme}:{hostport}"
        uri = _simple_uri(self.scheme, user, host, new_port, self.param_list, text, None, tail)
        _remember(text, uri)
        return uri

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SipUri):
            return uri_equal(self, other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


_new = object.__new__


def _simple_uri(
    scheme: str,
    user: str,
    host: str,
    port_text: str,
    plist: list[tuple[str, str | None]],
    text: str,
    raw: bytes | None,
    tail: str,
) -> SipUri:
    """A SipUri of the fast parser's shape (no password, headers or user=phone; the
    scheme as written), set up without __init__'s argument handling (hot path)."""
    u: SipUri = _new(SipUri)
    u.scheme = u.scheme_text = u.type = scheme
    u.user = user
    u.password = None
    u.host = host
    u.port_text = port_text
    u.port = int(port_text) if port_text else None
    u.param_list = u.sip_param_list = plist
    u.headers = []
    u.user_phone = False
    u._params = None
    u._text = text
    u.raw = raw
    u._simple = True
    u._tail = tail
    return u


def _fmt_param(p: tuple[str, str | None]) -> str:
    return f";{p[0]}" if p[1] is None else f";{p[0]}={p[1]}"


# The common shape: sip(s):[user@]host[:port][;simple params], no password, escapes,
# IPv6, headers or user=phone; anything else takes the general path below.
_FAST_RE = re.compile(
    r"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,/]+)@)?([A-Za-z0-9][A-Za-z0-9\-.]*)(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9\-_.!~*'()]+(?:=[A-Za-z0-9\-_.!~*'()]*)?)*)\Z"
)


_FAST_USER_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,/]+\Z")
_FAST_HOST_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-.]*\Z")

# text -> parsed URI, for parse_uri_cached (URIs repeat: the R-URI is read and rewritten
# several times per message); cleared when full and when the defaults change
_CACHE: dict[str, SipUri] = {}
CACHE_SIZE = 2048


def _remember(text: str, uri: SipUri) -> None:
    if len(_CACHE) >= CACHE_SIZE:
        _CACHE.clear()
    _CACHE[text] = uri


def parse_uri_cached(text: str) -> SipUri:
    """parse_uri() of a text with the process defaults, shared between callers: the
    result must not be modified. Raises UriError as parse_uri does (not cached)."""
    uri = _CACHE.get(text)
    if uri is None:
        uri = parse_uri(text)
        _remember(text, uri)
    return uri


def parse_uri(
    text: bytes | str,
    *,
    phone2tel: bool | None = None,
    host_extra_chars: str | None = None,
) -> SipUri:
    """Parse a sip/sips/tel/tels/urn URI; raise `UriError` when it is malformed."""
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        s = raw.decode("utf-8", "surrogateescape")
    else:
        s = text
        raw = None
    m = _FAST_RE.match(s)
    if m is not None:
        scheme, user, host, port_text, ptext = m.groups()
        if (port_text is None or int(port_text) <= 65535) and (
            "user=" not in ptext.lower() if ptext else True
        ):
            plist: list[tuple[str, str | None]] = []
            if ptext:
                for item in ptext[1:].split(";"):
                    name, eq, value = item.partition("=")
                    plist.append((name, value if eq else None))
            return _simple_uri(scheme, user or "", host, port_text or "", plist, s, raw, ptext)
    return _parse_general(s, raw, phone2tel, host_extra_chars)


def _parse_general(
    s: str, raw: bytes | None, phone2tel: bool | None, host_extra_chars: str | None
) -> SipUri:
    if phone2tel is None:
        phone2tel = bool(_defaults["phone2tel"])
    if host_extra_chars is None:
        host_extra_chars = str(_defaults["host_extra_chars"])

    colon = s.find(":")
    if colon <= 0:
        raise UriError(f"no scheme in URI {s!r}")
    scheme_text = s[:colon]
    scheme = scheme_text.lower()
    if scheme not in SCHEMES:
        raise UriError(f"unsupported URI scheme {scheme_text!r} in {s!r}")
    rest = s[colon + 1 :]
    if not rest:
        raise UriError(f"empty URI after scheme in {s!r}")

    if scheme in ("tel", "tels", "urn"):
        number, _, ptext = rest.partition(";")
        if not number or _USER_BAD_RE.search(number):
            raise UriError(f"bad {scheme} number {number!r} in URI {s!r}")
        plist = _split_params(ptext, "tel", s)
        return SipUri(
            scheme, number, None, "", "", plist, [], scheme_text=scheme_text, raw=raw, text=s
        )

    # userinfo ends at the first '@' (user parts may hold ';' and '?').
    at = rest.find("@")
    user = ""
    password: str | None = None
    if at >= 0:
        userinfo = rest[:at]
        rest = rest[at + 1 :]
        if "@" in rest:  # Kamailio refuses a second unescaped '@'
            raise UriError(f"second '@' in URI {s!r}")
        user, pc, pw = userinfo.partition(":")
        if pc:
            password = pw
            if _USER_BAD_RE.search(pw):
                raise UriError(f"bad password in URI {s!r}")
        if not user:
            raise UriError(f"empty user part before '@' in URI {s!r}")
        if _USER_BAD_RE.search(user):
            raise UriError(f"bad character in user part {user!r} of URI {s!r}")

    # host[:port] ends at ';' or '?'
    end = len(rest)
    semi = rest.find(";")
    q = rest.find("?")
    if semi >= 0:
        end = semi
    if q >= 0 and q < end:
        end = q
    hostport = rest[:end]
    if not hostport:
        raise UriError(f"no host in URI {s!r}")
    if hostport[0] == "[":
        close = hostport.find("]")
        if close < 0:
            raise UriError(f"unterminated IPv6 reference in URI {s!r}")
        host = hostport[: close + 1]
        after = hostport[close + 1 :]
        if after and after[0] != ":":
            raise UriError(f"junk after IPv6 reference in URI {s!r}")
        port_text = after[1:] if after else ""
        if not _IPV6_RE.match(host):
            raise UriError(f"bad IPv6 reference {host!r} in URI {s!r}")
        has_port_colon = bool(after)
    else:
        host, pc2, port_text = hostport.partition(":")
        has_port_colon = bool(pc2)
        if not host:
            raise UriError(f"empty host in URI {s!r}")
        if not _host_re(host_extra_chars).match(host):
            raise UriError(f"bad character in host {host!r} of URI {s!r}")
    if has_port_colon and port_text:  # "host:" (empty port) is accepted, as by Kamailio
        if (
            not port_text.isdigit()
            or not port_text.isascii()
            or len(port_text) > 5
            or int(port_text) > 65535
        ):
            raise UriError(f"bad port {port_text!r} in URI {s!r}")

    tail = rest[end:]
    headers: list[tuple[str, str]] = []
    ptext = ""
    if tail:
        if tail[0] == ";":
            ptext, qm, htext = tail[1:].partition("?")
        else:
            qm, htext = "?", tail[1:]
        if qm and htext:  # a bare trailing '?' is accepted, as by Kamailio
            headers = _split_headers(htext, s)
    plist = _split_params(ptext, "URI", s)
    uri = SipUri(
        scheme,
        user,
        password,
        host,
        port_text,
        plist,
        headers,
        scheme_text=scheme_text,
        raw=raw,
        text=s,
    )
    if phone2tel and at >= 0:
        uparam = uri.user_param
        if uparam is not None and uparam.lower() == "phone":
            number, _, tel_ptext = user.partition(";")
            uri.type = "tel"  # also for sips, as Kamailio does
            uri.user_phone = True
            uri.user = number
            uri.param_list = _split_params(tel_ptext, "tel", s) if tel_ptext else []
    return uri


def _userinfo_key(u: SipUri) -> tuple[str, str | None]:
    user = u.user
    if u.user_phone and u.param_list:
        user = user + "".join(_fmt_param(p) for p in u.param_list)
    pw = u.password
    return _norm_escapes(user), (_norm_escapes(pw) if pw is not None else None)


def _pdict(plist: list[tuple[str, str | None]]) -> dict[str, str | None]:
    d: dict[str, str | None] = {}
    for name, value in plist:
        d.setdefault(name.lower(), None if value is None else _norm_escapes(value).lower())
    return d


def _tel_equal(a: SipUri, b: SipUri) -> bool:
    if a.user.translate(_TEL_VISUAL).lower() != b.user.translate(_TEL_VISUAL).lower():
        return False
    return _pdict(a.param_list) == _pdict(b.param_list)


def uri_equal(a: SipUri | str | bytes, b: SipUri | str | bytes) -> bool:
    """URI equivalence per RFC 3261 19.1.4 (and RFC 3966 for tel URIs).

    Scheme must match; userinfo is case-sensitive with unreserved escapes
    equal to their characters; host is case-insensitive; a written port never
    equals an omitted one; transport/user/ttl/method/maddr must match when in
    either URI, other parameters only when in both; headers must all match.
    """
    if not isinstance(a, SipUri):
        a = parse_uri(a, phone2tel=False)
    if not isinstance(b, SipUri):
        b = parse_uri(b, phone2tel=False)
    if a.scheme != b.scheme:
        return False
    if a.scheme in ("tel", "tels", "urn"):
        return _tel_equal(a, b)
    if _userinfo_key(a) != _userinfo_key(b):
        return False
    if _norm_escapes(a.host).lower() != _norm_escapes(b.host).lower():
        return False
    if a.port != b.port:
        return False
    pa = _pdict(a.sip_param_list)
    pb = _pdict(b.sip_param_list)
    for name in _STRICT_PARAMS:
        if (name in pa or name in pb) and pa.get(name, "\0") != pb.get(name, "\0"):
            return False
    for name, value in pa.items():
        if name in pb and pb[name] != value:
            return False
    ha = sorted((n.lower(), _norm_escapes(v)) for n, v in a.headers)
    hb = sorted((n.lower(), _norm_escapes(v)) for n, v in b.headers)
    return ha == hb
