"""Low-level scanners shared by the parsed header forms: comma lists, `;name=value` params,
quoted strings.

All scanners work on offsets into the whole message buffer (``data, start, end``) so that the
parsed forms can report absolute offsets for lumps without copying the value first. Whitespace
includes CR and LF, so folded header values (``CRLF`` followed by SP/HTAB) scan like one line.
They raise :class:`SipParseError` without a header name; ``SipMessage`` adds the name.
"""

from __future__ import annotations

import re

from .errors import SipParseError

WS = b" \t\r\n"

# One `;name[=value]` parameter; the value is a token-ish run, an IPv6 reference or a quoted string.
_PARAM_RE = re.compile(
    rb'[ \t\r\n]*;[ \t\r\n]*([^ \t\r\n;=,"<>]+)'
    rb'(?:[ \t\r\n]*=[ \t\r\n]*("[^"\\]*(?:\\[\s\S][^"\\]*)*"|[^ \t\r\n;,"<>]*))?[ \t\r\n]*'
)
# A whole run of simple params (no quotes, no folding), validated in one C-level match.
_SIMPLE_PARAMS = re.compile(
    rb'(?:[ \t]*;[ \t]*[^ \t\r\n;=,"<>]+(?:[ \t]*=[ \t]*[^ \t\r\n;,"<>]*)?)*[ \t]*\Z'
)
_SPECIAL_RE = re.compile(rb'[",<]')
_FOLD_RE = re.compile(rb"\r?\n[ \t]+")

Params = list[tuple[str, str | None]]


def text(b: bytes) -> str:
    """Bytes to str without ever failing (UTF-8, undecodable bytes kept as surrogates)."""
    return b.decode("utf-8", "surrogateescape")


def unfold(value: bytes) -> bytes:
    """Replace each folded line break (CRLF or LF followed by SP/HTAB) with one space."""
    if b"\n" in value:
        return _FOLD_RE.sub(b" ", value)
    return value


def skip_ws(data: bytes, pos: int, end: int) -> int:
    """First offset at or after pos that is not whitespace (or end)."""
    while pos < end and data[pos] in WS:
        pos += 1
    return pos


def rskip_ws(data: bytes, start: int, end: int) -> int:
    """Offset just after the last non-whitespace byte in [start, end)."""
    while end > start and data[end - 1] in WS:
        end -= 1
    return end


def quoted_end(data: bytes, pos: int, end: int) -> int:
    """data[pos] is a double quote: offset just after the closing quote (honours backslash)."""
    i = pos + 1
    while i < end:
        c = data[i]
        if c == 0x22:
            return i + 1
        if c == 0x5C:
            i += 2
            continue
        i += 1
    raise SipParseError("unterminated quoted string", offset=pos)


def unquote(value: str) -> str:
    """Strip surrounding double quotes and resolve backslash escapes; other text unchanged."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        if "\\" not in inner:
            return inner
        out: list[str] = []
        it = iter(inner)
        for ch in it:
            out.append(next(it, "") if ch == "\\" else ch)
        return "".join(out)
    return value


def split_commas(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Split data[start:end] at top-level commas: not inside quotes or <...>.

    Returns (start, end) offsets of the elements with surrounding whitespace trimmed; empty
    elements (``a,,b``) are skipped. An unterminated quote or ``<`` is an error only when
    a comma follows (without a comma the value is one element, checked by its own parser).
    """
    out: list[tuple[int, int]] = []
    if data.find(b",", start, end) < 0:
        s = skip_ws(data, start, end)
        e = rskip_ws(data, s, end)
        if e > s:
            out.append((s, e))
        return out
    seg = data[start:end]
    if b'"' not in seg and b"<" not in seg:
        s = start
        for part in seg.split(b","):
            e = s + len(part)
            a = skip_ws(data, s, e)
            b = rskip_ws(data, a, e)
            if b > a:
                out.append((a, b))
            s = e + 1
        return out
    i = start
    elem = start
    search = _SPECIAL_RE.search
    while True:
        m = search(data, i, end)
        if m is None:
            break
        j = m.start()
        c = data[j]
        if c == 0x22:
            i = quoted_end_fast(data, j, end)
        elif c == 0x3C:
            k = data.find(b">", j + 1, end)
            if k < 0:
                raise SipParseError("unterminated <...>", offset=j)
            i = k + 1
        else:
            a = skip_ws(data, elem, j)
            b = rskip_ws(data, a, j)
            if b > a:
                out.append((a, b))
            elem = i = j + 1
    a = skip_ws(data, elem, end)
    b = rskip_ws(data, a, end)
    if b > a:
        out.append((a, b))
    return out


def parse_params(data: bytes, pos: int, end: int) -> Params:
    """Parse ``;name[=value]`` pairs from data[pos:end] (must start with ';' after whitespace).

    Names and values are returned as text exactly as written (quoted values keep their quotes);
    a parameter without '=' has value None, ``name=`` has value ''.
    """
    out: Params = []
    seg = data[pos:end]
    if b'"' not in seg and _SIMPLE_PARAMS.match(seg) is not None:
        blanks = b" " in seg or b"\t" in seg
        for p in seg.split(b";")[1:]:
            name, eq, value = p.partition(b"=")
            if blanks:
                name = name.strip(b" \t")
                value = value.strip(b" \t")
            out.append(
                (
                    name.decode("utf-8", "surrogateescape"),
                    value.decode("utf-8", "surrogateescape") if eq else None,
                )
            )
        return out
    match = _PARAM_RE.match
    while pos < end:
        m = match(data, pos, end)
        if m is None or m.end() == pos:
            raise SipParseError(f"bad parameter near {text(data[pos : pos + 20])!r}", offset=pos)
        v = m.group(2)
        out.append((text(m.group(1)), None if v is None else text(v)))
        pos = m.end()
    return out


def check_params(data: bytes, pos: int, end: int) -> Params | None:
    """Validate the ``;name=value`` run in data[pos:end] now, parse it later.

    Returns None when the run is simple (no quotes, no folding) and valid: the caller keeps
    the offsets and calls ``parse_params`` when a parameter is read. Otherwise the run is
    parsed (and so validated) at once and the list is returned. Raises SipParseError."""
    if pos >= end:
        return []
    if data.find(b'"', pos, end) < 0 and _SIMPLE_PARAMS.match(data, pos, end) is not None:
        return None
    return parse_params(data, pos, end)


_QUOTED_RE = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*"')


def quoted_end_fast(data: bytes, pos: int, end: int) -> int:
    """Like quoted_end, with the scan done in C."""
    j = data.find(b'"', pos + 1, end)
    if j >= 0 and data.find(b"\\", pos + 1, j) < 0:
        return j + 1
    m = _QUOTED_RE.match(data, pos, end)
    if m is None:
        raise SipParseError("unterminated quoted string", offset=pos)
    return m.end()


def param_spans(data: bytes, pos: int, end: int) -> list[tuple[str, int, int]]:
    """Like parse_params but returns (lowercase name, start, end) of each ``;name=value`` text.

    ``start`` is the offset of the ';', ``end`` the offset after the value; used to replace or
    extend a parameter in place (e.g. Via ``;rport`` -> ``;rport=5060``).
    """
    out: list[tuple[str, int, int]] = []
    match = _PARAM_RE.match
    while pos < end:
        m = match(data, pos, end)
        if m is None or m.end() == pos:
            raise SipParseError(f"bad parameter near {text(data[pos : pos + 20])!r}", offset=pos)
        semi = data.find(b";", pos, m.end())
        last = m.end(2) if m.group(2) is not None else m.end(1)
        out.append((text(m.group(1)).lower(), semi, last))
        pos = m.end()
    return out


def get_param(params: Params, name: str) -> str | None:
    """Value of the first parameter called ``name`` (case-insensitive); None if absent or
    valueless (use has_param to tell those apart)."""
    for n, v in params:
        if n == name or n.lower() == name:
            return v
    return None


def has_param(params: Params, name: str) -> bool:
    """True when a parameter called ``name`` (case-insensitive) is present, with or without value."""
    return any(n == name or n.lower() == name for n, _v in params)
