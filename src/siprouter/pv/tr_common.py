"""Shared pieces of the transformation classes: values, the argument reader, byte helpers.

A transformation step is ``step(value, ctx) -> value``; a value is ``str``, ``int`` or
``None`` (undefined / $null).  A step returns ``None`` when Kamailio's transformation
fails on its input (Kamailio then makes the whole pseudo-variable undefined).

Kamailio values can carry an integer and a different text at once (``{s.int}`` of "007"
is 7 and prints "007"); here an integer result is a plain ``int`` (the engine's operators
test ``type(v) is int``), so such a value prints as "7".

`ArgReader` reads the arguments after a transformation name the way Kamailio's
parser does: numbers (``+``/``-`` sign, digits), strings (up to ``,`` or the end, tabs and
newlines end them too), single separator characters, and pseudo-variables (``$var(i)``,
``$(avp(x){s.int})``) compiled once through the caller's ``arg_getter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from siprouter.cfg.errors import ConfigError, Pos

Value = int | str | None
Step = Callable[[Value, Any], Value]
Getter = Callable[[Any], Value]
ArgGetterFactory = Callable[[str, Pos], Getter]

_WS = " \t\n"


def to_str(v: int | str) -> str:
    """Kamailio's string form of a defined value (int2str for integers)."""
    return v if isinstance(v, str) else str(v)


def to_bytes(s: str) -> bytes:
    """The bytes Kamailio would hold for this text."""
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    """Text for bytes produced by a transformation (invalid UTF-8 kept as surrogates)."""
    return b.decode("utf-8", "surrogateescape")


def byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(to_bytes(s))


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument: a constant, or a getter evaluated per message."""

    const: int | str | None = None
    getter: Getter | None = None

    def int_value(self, ctx: Any) -> int | None:
        """A number argument; a PV must hold an integer (else None, the step fails)."""
        if self.getter is None:
            return self.const  # type: ignore[return-value]
        v = self.getter(ctx)
        return int(v) if isinstance(v, int) else None

    def str_value(self, ctx: Any) -> str | None:
        """A string argument; a PV must give a non-empty string (else None, step fails)."""
        if self.getter is None:
            return self.const  # type: ignore[return-value]
        v = self.getter(ctx)
        if v is None:
            return None
        s = to_str(v)
        return s or None


class ArgReader:
    """Reads `{class.name,arg,...}` arguments from the text after the name."""

    def __init__(
        self, spec: str, start: int, pos: Pos, arg_getter: ArgGetterFactory | None
    ) -> None:
        self.spec = spec
        self.i = start
        self.pos = pos
        self.arg_getter = arg_getter

    def error(self, why: str) -> ConfigError:
        return ConfigError(f"bad transformation {{{self.spec}}}: {why}", self.pos)

    def skip_ws(self) -> None:
        while self.i < len(self.spec) and self.spec[self.i] in _WS:
            self.i += 1

    def has_more(self) -> bool:
        """True when a ',' follows (then consumed): more arguments come."""
        if self.i < len(self.spec) and self.spec[self.i] == ",":
            self.i += 1
            return True
        return False

    def comma(self, what: str) -> None:
        self.skip_ws()
        if not self.has_more():
            raise self.error(f"expected ',' and {what}")

    def end(self) -> None:
        self.skip_ws()
        if self.i != len(self.spec):
            raise self.error(f"unexpected {self.spec[self.i :]!r}")

    def _pv(self) -> Arg:
        s = self.spec
        j = self.i + 1
        if j < len(s) and s[j] == "(":
            j = close_group(s, j)
        else:
            while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                j += 1
            if j < len(s) and s[j] == "(":
                j = close_group(s, j)
        if j < 0 or j == self.i + 1:
            raise self.error("bad pseudo-variable argument")
        text = s[self.i : j]
        self.i = j
        if self.arg_getter is None:
            raise self.error(f"the argument {text} is a pseudo-variable, not supported here")
        return Arg(getter=self.arg_getter(text, self.pos))

    def number(self) -> Arg:
        """A signed integer or a pseudo-variable."""
        self.skip_ws()
        s = self.spec
        if self.i < len(s) and s[self.i] == "$":
            return self._pv()
        sign = 1
        if self.i < len(s) and s[self.i] in "+-":
            sign = -1 if s[self.i] == "-" else 1
            self.i += 1
        elif self.i >= len(s) or not s[self.i].isdigit():
            raise self.error("expected a number")
        self.skip_ws()
        j = self.i
        while j < len(s) and "0" <= s[j] <= "9":
            j += 1
        n = int(s[self.i : j]) if j > self.i else 0
        self.i = j
        return Arg(const=sign * n)

    def string(self, *, marker: bool = False) -> Arg:
        """A string (to ',', tab, newline or the end) or a pseudo-variable.

        With `marker` (s.count, s.before, ...) one ',' right after the text belongs to
        it, so `{s.count,,}` counts commas (only the first character is used).
        """
        self.skip_ws()
        s = self.spec
        if self.i < len(s) and s[self.i] == "$":
            return self._pv()
        j = self.i
        while j < len(s) and s[j] not in "\t\n,}":
            j += 1
        if marker and j < len(s) and s[j] == ",":
            j += 1
        text = s[self.i : j]
        self.i = j
        return Arg(const=text)

    def rest(self) -> str:
        """Everything left (for arguments with their own syntax, e.g. re.subst)."""
        text = self.spec[self.i :]
        self.i = len(self.spec)
        return text


def close_group(text: str, i: int) -> int:
    """Index after the bracket group opening at text[i]; -1 when unbalanced."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[i]]]
    i += 1
    while i < len(text):
        c = text[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if c != stack[-1]:
                return -1
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return -1


Factory = Callable[[ArgReader], Step]
