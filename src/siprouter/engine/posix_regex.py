"""POSIX extended regular expressions (as glibc's regcomp reads them) to Python `re`.

Kamailio matches `=~`, switch `case /"re":` and many module arguments with
regcomp(REG_EXTENDED [| REG_ICASE]) in the C locale. Differences handled here:

* bracket expressions: `[[:digit:]]`-style classes become ranges; a backslash inside
  brackets is a literal backslash; `]` first (after an optional `^`) is literal;
  `[.x.]` collating elements and `[=x=]` equivalence classes of one character;
* `$` is an end-of-string anchor everywhere outside brackets (Python's `$` would also
  match before a final newline), `^` a start anchor;
* backslash escapes outside brackets follow glibc: `\\w \\W \\s \\S \\b \\B \\< \\>`
  are GNU operators, `\\1`..`\\9` back-references, a backslash before another letter or
  digit (`\\d`, `\\q`) matches nothing (what Kamailio 5.6.3 does with them), before
  any other character it is that character;
* matching is ASCII only (C locale), case-insensitive when asked (`=~` always is).

Only match/no-match matters to callers (REG_NOSUB), so POSIX leftmost-longest vs
Python leftmost-first alternation makes no difference.
"""

from __future__ import annotations

import re

__all__ = ["compile_posix", "translate"]

_CLASSES: dict[str, str] = {
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "0-9A-Za-z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
    "word": "0-9A-Za-z_",
}

_GNU_ESCAPES: dict[str, str] = {
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": "[ \\t\\n\\r\\f\\v]",
    "S": "[^ \\t\\n\\r\\f\\v]",
    "b": "\\b",
    "B": "\\B",
    "<": "\\b(?=[0-9A-Za-z_])",
    ">": "\\b(?<=[0-9A-Za-z_])",
    "`": "\\A",
    "'": "\\Z",
}


def _bracket_char(c: str) -> str:
    """One literal character inside a Python character class."""
    return "\\" + c if c in "\\]^-[" else c


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression starting at pattern[i] == '['; returns the
    Python class and the index after its closing ']'."""
    n = len(pattern)
    j = i + 1
    out = ["["]
    if j < n and pattern[j] == "^":
        out.append("^")
        j += 1
    first = True
    while True:
        if j >= n:
            raise re.error("unterminated bracket expression", pattern, i)
        c = pattern[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "[" and j + 1 < n and pattern[j + 1] in ":.=":
            kind = pattern[j + 1]
            end = pattern.find(kind + "]", j + 2)
            if end < 0:
                raise re.error("unterminated character class", pattern, j)
            name = pattern[j + 2 : end]
            if kind == ":":
                if name not in _CLASSES:
                    raise re.error(f"invalid character class [:{name}:]", pattern, j)
                out.append(_CLASSES[name])
            else:
                if len(name) != 1:
                    raise re.error(f"invalid collating element {name!r}", pattern, j)
                out.append(_bracket_char(name))
            j = end + 2
            continue
        if c == "-":
            # a range dash (between two items) or a literal one (first/last)
            nxt = pattern[j + 1] if j + 1 < n else ""
            prev_is_item = out[-1] not in ("[", "^") and len(out) > 1
            if prev_is_item and nxt and nxt != "]":
                out.append("-")
            else:
                out.append("\\-")
            j += 1
            continue
        out.append(_bracket_char(c))
        j += 1


def translate(pattern: str) -> str:
    """The Python regex equivalent to POSIX ERE `pattern`."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "[":
            text, i = _bracket(pattern, i)
            out.append(text)
            continue
        if c == "\\":
            if i + 1 >= n:
                raise re.error("trailing backslash", pattern, i)
            e = pattern[i + 1]
            if e in _GNU_ESCAPES:
                out.append(_GNU_ESCAPES[e])
            elif e in "123456789":
                out.append("\\" + e)
            elif e.isalnum():
                out.append("(?!)")  # glibc: \d, \q, ... match nothing (verified)
            else:
                out.append(re.escape(e))
            i += 2
            continue
        if c == "$":
            out.append("\\Z")
        elif c == "(" and i + 1 < n and pattern[i + 1] == "?":
            raise re.error("'(?' is not valid in a POSIX regular expression", pattern, i)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def compile_posix(pattern: str, *, icase: bool = False) -> re.Pattern[str]:
    """Compile POSIX ERE `pattern` (raises re.error when invalid)."""
    flags = re.ASCII | re.DOTALL
    if icase:
        flags |= re.IGNORECASE
    return re.compile(translate(pattern), flags)
