"""Token-level helpers shared by the preprocessor passes: string literals, variables, IDs.

They mirror the states of Kamailio's cfg lexer that decide where a define ID may be
replaced: never inside "..." or '...' strings, comments, `$name(...)` variables, `@select`
names or `event_route[...]` names; never for a word that is a language keyword.
"""

from __future__ import annotations

import re

from .pp_keywords import KEYWORDS

ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUM_ID_RE = re.compile(r"[A-Za-z0-9_]+")
_HEX4 = r"[0-9a-fA-F]{1,4}"
IPV6_RE = re.compile(
    rf"(?:{_HEX4}:){{7}}{_HEX4}|(?:{_HEX4}:){{1,7}}(?::{_HEX4}){{1,7}}|:(?::{_HEX4}){{1,7}}"
    rf"|(?:{_HEX4}:){{1,7}}:|::"
)
# Keywords longer than an ID at the same place (flex takes the longest match).
COLON_KEYWORDS = ("uri:host", "uri:port", "msg:len")
EVRT_NAME_RE = re.compile(
    r"[ \t\r\n]*\[[ \t\r\n]*[A-Za-z][0-9A-Za-z-]*(?::[A-Za-z][0-9A-Za-z_-]*)+"
    r"[ \t\r\n]*\]"
)
EAT_ABLE = " \t\b\r"

_ESCAPES = {"n": "\n", "r": "\r", "a": "\a", "t": "\t", '"': '"', "\\": "\\"}


class UnclosedString(ValueError):
    """A string literal reaches the end of its buffer."""


def scan_dq_string(buf: str, i: int) -> tuple[int, str]:
    """`buf[i]` is `"`: return (end offset after the closing quote, decoded value)."""
    out: list[str] = []
    j = i + 1
    n = len(buf)
    while j < n:
        c = buf[j]
        if c == '"':
            return j + 1, "".join(out)
        if c == "\\" and j + 1 < n:
            nxt = buf[j + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                j += 2
                continue
            if nxt == "\n":
                j += 2
                continue
            if nxt == "x":
                m = re.compile(r"[0-9a-fA-F]{1,2}").match(buf, j + 2)
                if m:
                    out.append(chr(int(m.group(0), 16)))
                    j = m.end()
                    continue
            m = re.compile(r"[0-7]{2,3}").match(buf, j + 1)
            if m:
                out.append(chr(int(m.group(0), 8) & 0xFF))
                j = m.end()
                continue
        out.append(c)
        j += 1
    raise UnclosedString("unclosed string")


def scan_string_token(buf: str, i: int) -> tuple[int, str]:
    """A STRING token at `buf[i]` (`"` or `'`): adjacent "..." parts separated only by
    whitespace are one token, as in Kamailio. Returns (end, decoded value)."""
    if buf[i] == "'":
        j = buf.find("'", i + 1)
        if j < 0:
            raise UnclosedString("unclosed string")
        return j + 1, buf[i + 1 : j]
    end, value = scan_dq_string(buf, i)
    parts = [value]
    while True:
        k = end
        while k < len(buf) and buf[k] in EAT_ABLE + "\n":
            k += 1
        if k < len(buf) and buf[k] == '"':
            end, value = scan_dq_string(buf, k)
            parts.append(value)
            continue
        return end, "".join(parts)


def encode_string(value: str) -> str:
    """A "..." literal that decodes back to `value`."""
    body = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{body}"'


def scan_pvar(buf: str, i: int) -> int:
    """`buf[i]` is `$`: end of the variable token (name, then a balanced `(...)` on one line)."""
    n = len(buf)
    j = i + 1
    while j < n and (buf[j].isalnum() or buf[j] in "_."):
        j += 1
    if j < n and buf[j] == "(":
        depth = 0
        k = j
        while k < n and buf[k] != "\n":
            if buf[k] == "(":
                depth += 1
            elif buf[k] == ")":
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        return k
    if j == i + 1 and j < n and buf[j] == "?":
        return j + 1
    return j


def scan_select(buf: str, i: int) -> int:
    """`buf[i]` is `@`: end of a select name like `@from.uri.host` or `@hf_value[1]`."""
    j = i + 1
    while j < len(buf) and (buf[j].isalnum() or buf[j] in "_.[]*"):
        j += 1
    return j


def keyword_at(buf: str, i: int, word: str) -> int | None:
    """End offset when a keyword rule beats the ID rule at `i`, else None."""
    for kw in COLON_KEYWORDS:
        if buf.startswith(kw, i):
            return i + len(kw)
    m = IPV6_RE.match(buf, i)
    if m and m.end() > i + len(word):
        return m.end()
    if word in KEYWORDS:
        return i + len(word)
    return None
