"""Parsed authentication headers: digest credentials (Authorization, Proxy-Authorization)
and challenges (WWW-Authenticate, Proxy-Authenticate), RFC 3261 section 22 / RFC 2617.

``parse_credentials`` and ``parse_challenge`` return the scheme and the auth-params
(names lowercased, quoted values unquoted) with typed accessors for the digest fields.
A scheme without name=value params (e.g. ``Basic dXNlcjpwYXNz``) keeps its blob in ``token``.
"""

from __future__ import annotations

import re

from .errors import SipParseError
from .hdr_params import rskip_ws, skip_ws, text, unquote

_SCHEME_RE = re.compile(rb"[ \t\r\n]*([A-Za-z0-9.!%*_+`'~-]+)")
_TOKEN68_RE = re.compile(rb"[A-Za-z0-9._~+/-]+=*\Z")
_PARAM_RE = re.compile(
    rb"[ \t\r\n]*([A-Za-z0-9.!%*_+`'~-]+)[ \t\r\n]*=[ \t\r\n]*"
    rb'("[^"\\]*(?:\\[\s\S][^"\\]*)*"|[^ \t\r\n,"]+)[ \t\r\n]*(?:,|\Z)'
)


class _Auth:
    __slots__ = ("params", "scheme", "token")

    def __init__(self, scheme: str, params: dict[str, str], token: str | None) -> None:
        self.scheme = scheme
        self.params = params
        self.token = token

    def get(self, name: str) -> str | None:
        """Value of auth-param ``name`` (lowercase), unquoted; None if absent."""
        return self.params.get(name)

    @property
    def is_digest(self) -> bool:
        return self.scheme.lower() == "digest"

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def nonce(self) -> str | None:
        return self.params.get("nonce")

    @property
    def opaque(self) -> str | None:
        return self.params.get("opaque")

    @property
    def algorithm(self) -> str | None:
        return self.params.get("algorithm")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scheme!r}, {self.params!r})"


class Credentials(_Auth):
    """Authorization / Proxy-Authorization value."""

    __slots__ = ()

    @property
    def username(self) -> str | None:
        return self.params.get("username")

    @property
    def uri(self) -> str | None:
        return self.params.get("uri")

    @property
    def response(self) -> str | None:
        return self.params.get("response")

    @property
    def cnonce(self) -> str | None:
        return self.params.get("cnonce")

    @property
    def qop(self) -> str | None:
        return self.params.get("qop")

    @property
    def nc(self) -> str | None:
        return self.params.get("nc")


class Challenge(_Auth):
    """WWW-Authenticate / Proxy-Authenticate value."""

    __slots__ = ()

    @property
    def qop(self) -> list[str]:
        """qop options offered (``qop="auth,auth-int"`` -> ["auth", "auth-int"])."""
        v = self.params.get("qop")
        return [x.strip() for x in v.split(",") if x.strip()] if v else []

    @property
    def stale(self) -> bool:
        return (self.params.get("stale") or "").lower() == "true"

    @property
    def domain(self) -> str | None:
        return self.params.get("domain")


def _parse(data: bytes, start: int, end: int) -> tuple[str, dict[str, str], str | None]:
    m = _SCHEME_RE.match(data, start, end)
    if m is None:
        raise SipParseError(f"bad auth scheme {text(data[start:end][:40])!r}", offset=start)
    scheme = m.group(1).decode()
    pos = skip_ws(data, m.end(), end)
    end = rskip_ws(data, pos, end)
    params: dict[str, str] = {}
    if pos >= end:
        return scheme, params, None
    if pos == m.end():
        raise SipParseError("no space after auth scheme", offset=pos)
    first = _PARAM_RE.match(data, pos, end)
    if first is None:
        blob = data[pos:end]
        if _TOKEN68_RE.match(blob) is None:
            raise SipParseError(f"bad auth params {text(blob[:40])!r}", offset=pos)
        return scheme, params, text(blob)
    match = _PARAM_RE.match
    while pos < end:
        p = match(data, pos, end)
        if p is None:
            raise SipParseError(f"bad auth param near {text(data[pos : pos + 30])!r}", offset=pos)
        name = p.group(1).decode().lower()
        if name in params:
            raise SipParseError(f"duplicate auth param {name!r}", offset=pos)
        params[name] = unquote(text(p.group(2)))
        pos = p.end()
    return scheme, params, None


def parse_credentials(data: bytes, start: int, end: int) -> Credentials:
    """Parse an Authorization / Proxy-Authorization value."""
    return Credentials(*_parse(data, start, end))


def parse_challenge(data: bytes, start: int, end: int) -> Challenge:
    """Parse a WWW-Authenticate / Proxy-Authenticate value."""
    return Challenge(*_parse(data, start, end))
