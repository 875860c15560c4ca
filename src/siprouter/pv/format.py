"""Format strings with pseudo-variables: the text argument of xlog, sl_send_reply,
append_hf, ... (`"user $rU from $si:$sp"`), compiled once and rendered per message.

Rules, as Kamailio 5.6.3 parses such a string (pv_parse_format; see
tests/unit/pv/test_pv_format.py):
* `$$` is a literal `$`;
* `$name`, `$name(inner)` and `$(name(inner)[index]{transformation})` are PVs; the name
  runs over letters, digits, `_` and `.` (so `$rUx` and `$ru.` are unknown PVs, while
  `$rU@`, `$ci-`, `$fu;` end the name where expected);
* a `$` followed by no name, an unknown PV or a parenthesis never closed is an error
  (ConfigError at load time);
* a PV without value is printed as `<null>`, an int in decimal.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from siprouter.cfg.errors import ConfigError, Pos

from .access import PVCompiler
from .pvclass import Getter

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

NULL_TEXT = "<null>"
_NAME = re.compile(r"[A-Za-z0-9_.]+|\?")


def _close(text: str, i: int) -> int:
    """Offset after the parenthesis group opening at i, or -1 when it is never closed.
    Only parentheses nest, as in Kamailio: `$(ru{s.after,[})` is one PV."""
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def split_format(text: str) -> list[tuple[bool, str]]:
    """The format as (is_pv, text) pieces; raises ValueError for a `$` without a name."""
    out: list[tuple[bool, str]] = []
    lit: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$":
            j = text.find("$", i)
            j = n if j < 0 else j
            lit.append(text[i:j])
            i = j
            continue
        if text.startswith("$$", i):
            lit.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = _close(text, i + 1)
        else:
            m = _NAME.match(text, i + 1)
            if m is None:
                raise ValueError(f"'$' without a pseudo-variable name at offset {i} of {text!r}")
            end = m.end()
            if end < n and text[end] == "(":
                close = _close(text, end)
                end = close if close > 0 else -1
        if end < 0:
            raise ValueError(f"non-closing parenthesis in {text[i:]!r}")
        if lit:
            out.append((False, "".join(lit)))
            lit = []
        out.append((True, text[i:end]))
        i = end
    if lit:
        out.append((False, "".join(lit)))
    return out


_DEFAULT: list[PVCompiler] = []
# The PV compiler of the config being compiled (engine/compiler.py pushes it while it
# compiles the routes): a module's fixup that compiles a format argument then knows the
# PVs of every loaded module ($hfitname in an xlog, $sht in sl_send_reply's reason).
_ACTIVE: list[PVCompiler] = []


@contextlib.contextmanager
def compiling_with(compiler: PVCompiler) -> Iterator[None]:
    """Make `compiler` the one compile_format uses when given none."""
    _ACTIVE.append(compiler)
    try:
        yield
    finally:
        _ACTIVE.pop()


def active_compiler() -> PVCompiler:
    """The compiler compile_format uses now (the config's while its routes compile): a
    runtime fixup keeps it to resolve the same PVs later."""
    return _default_compiler()


def _default_compiler() -> PVCompiler:
    if _ACTIVE:
        return _ACTIVE[-1]
    if not _DEFAULT:
        _DEFAULT.append(PVCompiler())
    return _DEFAULT[0]


def _text(v: object) -> str:
    return NULL_TEXT if v is None else str(v)


class Format:
    """A compiled format: `render(ctx) -> str`; `constant` is the text when it has no PV."""

    __slots__ = ("constant", "render", "source")

    def __init__(self, source: str, parts: list[str | Getter]) -> None:
        self.source = source
        if all(isinstance(p, str) for p in parts):
            const = "".join(parts)  # type: ignore[arg-type]
            self.constant: str | None = const
            self.render: Callable[[MsgContext], str] = lambda ctx: const
        elif len(parts) == 1:
            self.constant = None
            only: Getter = parts[0]  # type: ignore[assignment]
            self.render = lambda ctx: _text(only(ctx))
        elif len(parts) == 2 and isinstance(parts[0], str) and not isinstance(parts[1], str):
            self.constant = None  # "text $pv": the common reason / log line shape
            head, last = parts[0], parts[1]
            self.render = lambda ctx: head + _text(last(ctx))
        else:
            self.constant = None
            items = tuple(parts)

            def render(ctx: MsgContext) -> str:
                return "".join(
                    [p if type(p) is str else _text(p(ctx)) for p in items]  # type: ignore[operator]
                )

            self.render = render

    def __repr__(self) -> str:
        return f"Format({self.source!r})"


def compile_format(text: str, compiler: PVCompiler | None = None, pos: Pos | None = None) -> Format:
    """Compile a format string; unknown PVs and bad names are ConfigErrors at `pos`."""
    try:
        pieces = split_format(text)
    except ValueError as e:
        raise ConfigError(str(e), pos) from None
    parts: list[str | Getter] = []
    for is_pv, piece in pieces:
        if not is_pv:
            parts.append(piece)
            continue
        comp = compiler if compiler is not None else _default_compiler()
        parts.append(comp.compile_text(piece, pos).get)
    return Format(text, parts)
