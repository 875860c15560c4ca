"""Lexer for the kamailio.cfg language: preprocessed text in, a list of tokens out.

Each token keeps its offsets in the preprocessed text (so the parser can take the raw
source text of a value, e.g. a listen address) and its original position (via the
SourceMap). Comments (`#`, `//`, nested `/* */`) and whitespace are skipped; adjacency
of tokens matters to the parser (e.g. `udp:1.2.3.4:5060`), so it compares offsets.

Token kinds:
    INT      value: int (decimal, 0x hex, 0-prefixed octal, 101b binary: Kamailio's forms)
    STRING   value: str with escapes applied ("..."), or raw ('...')
    ID       value: str (letters, digits, `_`; never starts with a digit)
    IPV4     value: str ("10.0.0.1")
    IPV6     value: str ("::1", without brackets)
    PV       value: str, the whole pseudo-variable text ("$var(x)", "$(ru{s.len})")
    SELECT   value: str, the whole select text ("@via[1].host")
    OP       value: str, an operator or punctuation ("==", "{", ";", ...)
    EOF      value: ""
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass

from .errors import ConfigError, Pos
from .srcmap import SourceMap

# Longest first so that e.g. "==" wins over "=".
_OPERATORS = (
    "==", "!=", "=~", "!~", ">=", "<=", "&&", "||", "<<", ">>",
    "=", ">", "<", "!", "+", "-", "*", "/", "%", "&", "|", "^", "~",
    "(", ")", "{", "}", "[", "]", ",", ";", ":", ".",
)  # fmt: skip

_OP_RE = re.compile("|".join(re.escape(op) for op in _OPERATORS))
_WS_RE = re.compile(r"[ \t\r\n\f\v]+")
_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Kamailio 5.6.3's numbers: 0x hex (lower-case x), 0-prefixed octal, binary digits
# followed by "b" (101b), decimal; "08", "0X1F", "0b101", "0o17" are syntax errors there
_NUM_RE = re.compile(r"0x[0-9A-Fa-f]+|[01]+b|0[0-7]+|[1-9][0-9]*|0")
_IPV4_RE = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9A-Za-z_])")
_IPV6_RE = re.compile(
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f]{0,4})"
)
_SELECT_RE = re.compile(
    r"@[A-Za-z_][A-Za-z0-9_]*(?:\[(?:-?[0-9]+|\"[^\"\n]*\")\])?"
    r"(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[(?:-?[0-9]+|\"[^\"\n]*\")\])?)*"
)
_PV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\?")

# Escapes in double-quoted strings, as kamailio 5.6.3's lexer: \n \r \a \t \" \\,
# \xH / \xHH (hex), \OO / \OOO (octal, two or three digits, value & 0xFF) and an
# escaped newline (line continuation).  Anything else, \' and a one-digit \1 included
# (subst back-references), keeps its backslash.
_ESCAPES = {"n": "\n", "r": "\r", "a": "\a", "t": "\t", '"': '"', "\\": "\\"}

# Hard limit on the number of tokens, a guard against pathological inputs.
MAX_TOKENS = 2_000_000


@dataclass(slots=True)
class Token:
    """One token: kind, value, offsets [start, end) in the preprocessed text, position."""

    kind: str
    value: object
    start: int
    end: int
    pos: Pos

    def is_op(self, *ops: str) -> bool:
        return self.kind == "OP" and self.value in ops

    def is_id(self, *names: str) -> bool:
        return self.kind == "ID" and (not names or self.value in names)

    def describe(self) -> str:
        """The token as it should appear in an error message."""
        if self.kind == "EOF":
            return "end of file"
        if self.kind == "STRING":
            text = str(self.value)
            return f'string "{text[:30]}{"..." if len(text) > 30 else ""}"'
        return f"'{self.value}'"


class PositionIndex:
    """SourceMap.pos in O(log n): the same answers, from a precomputed newline index, so
    lexing a big file is not quadratic (SourceMap.pos rescans its segment each call)."""

    def __init__(self, srcmap: SourceMap, text: str) -> None:
        self.srcmap = srcmap
        self.text = srcmap.text or text
        self.newlines = [m.start() for m in re.finditer("\n", self.text)]
        self.starts = [seg.start for seg in srcmap.segments]

    def pos(self, offset: int) -> Pos:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return self.srcmap.pos(offset)
        seg = self.srcmap.segments[i]
        if not seg.verbatim:
            return seg.origin
        end = min(offset, len(self.text))
        lo = bisect.bisect_left(self.newlines, seg.start)
        hi = bisect.bisect_left(self.newlines, end)
        if hi == lo:
            return Pos(seg.origin.file, seg.origin.line, seg.origin.col + end - seg.start)
        return Pos(seg.origin.file, seg.origin.line + hi - lo, end - self.newlines[hi - 1])


class Lexer:
    """Turns preprocessed text into tokens; raises ConfigError on lexical errors."""

    def __init__(self, text: str, srcmap: SourceMap) -> None:
        self.text = text
        self.srcmap = srcmap
        self.i = 0
        self.n = len(text)
        self.positions = PositionIndex(srcmap, text)
        self.errors: list[ConfigError] = []
        self.error_offset = 0

    def pos(self, offset: int) -> Pos:
        return self.positions.pos(offset)

    def _resume_after(self, err: ConfigError) -> int:
        at = self.error_offset
        if err.message.startswith("unterminated block comment"):
            return self.n
        if err.message.startswith("unterminated string"):
            j = self.text.find("\n", at)
            return self.n if j < 0 else j + 1
        if "pseudo-variable" in err.message:
            m = re.compile(r"\s").search(self.text, at)
            return self.n if m is None else m.end()
        return max(at + 1, self.i + 1)

    def error(self, msg: str, offset: int, hint: str | None = None) -> ConfigError:
        self.error_offset = offset
        return ConfigError(msg, self.pos(offset), hint=hint, notes=self.srcmap.notes(offset))

    def tokens(self, recover: bool = False) -> list[Token]:
        """All tokens. With `recover`, a lexical error is recorded in `self.errors` and
        lexing goes on after the bad spot (end of line for an unterminated string)."""
        out: list[Token] = []
        while True:
            try:
                tok = self.next()
            except ConfigError as err:
                if not recover:
                    raise
                self.errors.append(err)
                self.i = self._resume_after(err)
                continue
            out.append(tok)
            if tok.kind == "EOF":
                return out
            if len(out) > MAX_TOKENS:
                raise self.error("config too large (too many tokens)", tok.start)

    # ------------------------------------------------------------------ skipping

    def _skip(self) -> None:
        text, n = self.text, self.n
        while self.i < n:
            c = text[self.i]
            if c in " \t\r\n\f\v":
                m = _WS_RE.match(text, self.i)
                self.i = m.end() if m else self.i + 1
            elif c == "#" or (c == "/" and text.startswith("//", self.i)):
                j = text.find("\n", self.i)
                self.i = n if j < 0 else j + 1
            elif c == "/" and text.startswith("/*", self.i):
                self._block_comment()
            else:
                return

    def _block_comment(self) -> None:
        start = self.i
        depth = 0
        i = self.i
        text = self.text
        while i < self.n:
            if text.startswith("/*", i):
                depth += 1
                i += 2
            elif text.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    self.i = i
                    return
            else:
                i += 1
        raise self.error(
            "unterminated block comment", start, hint="a '/*' comment must be closed by '*/'"
        )

    # ------------------------------------------------------------------ tokens

    def _tok(self, kind: str, value: object, start: int) -> Token:
        return Token(kind, value, start, self.i, self.pos(start))

    def next(self) -> Token:
        self._skip()
        text = self.text
        start = self.i
        if start >= self.n:
            return Token("EOF", "", start, start, self.pos(start) if self.n else self.srcmap.pos(0))
        c = text[start]
        if c == '"' or c == "'":
            return self._string(c)
        if c == "$":
            return self._pv()
        if c == "@":
            m = _SELECT_RE.match(text, start)
            if m:
                self.i = m.end()
                return self._tok("SELECT", m.group(), start)
            raise self.error("bad select: expected a name after '@'", start)
        if c.isascii() and (c.isalnum() or c == ":"):
            tok = self._ipv6(start)
            if tok is not None:
                return tok
        if c.isascii() and c.isdigit():
            m = _IPV4_RE.match(text, start)
            if m:
                self.i = m.end()
                return self._tok("IPV4", m.group(), start)
            m = _NUM_RE.match(text, start)
            assert m is not None
            num = m.group()
            end = m.end()
            if num[0] == "0" and end < len(text) and text[end].isascii() and text[end].isalnum():
                # 08, 0X1F, 0b101, 0o17: forms other languages read as numbers
                bad = re.match(r"[0-9A-Za-z_]+", text[start:]).group()  # type: ignore[union-attr]
                raise self.error(
                    f"bad number {bad!r}",
                    start,
                    "numbers are decimal, 0x hex (0x1f), octal with a leading 0 (017: digits"
                    " 0-7 only) or binary with a trailing b (101b)",
                )
            self.i = end
            if num.startswith("0x"):
                value = int(num[2:], 16)
            elif num.endswith("b"):
                value = int(num[:-1], 2)
            elif num.startswith("0") and len(num) > 1:
                value = int(num[1:], 8)
            else:
                value = int(num)
            return self._tok("INT", value, start)
        if c.isascii() and (c.isalpha() or c == "_"):
            m = _ID_RE.match(text, start)
            assert m is not None
            self.i = m.end()
            word = m.group()
            if word == "msg" and text.startswith(":len", self.i):
                self.i += 4
                return self._tok("ID", "msg:len", start)
            return self._tok("ID", word, start)
        m = _OP_RE.match(text, start)
        if m:
            self.i = m.end()
            return self._tok("OP", m.group(), start)
        shown = repr(c) if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}"
        hint = None
        if c.isspace():
            hint = "a non-ASCII space (e.g. a non-breaking space pasted from a web page)"
        elif c in "\u201c\u201d\u2018\u2019":
            hint = "a typographic quote; use a plain \" or '"
        raise self.error(f"unexpected character {shown}", start, hint)

    def _ipv6(self, start: int) -> Token | None:
        m = _IPV6_RE.match(self.text, start)
        if not m:
            return None
        cand = m.group()
        # Back off a trailing ":port"-like part that made it invalid, e.g. "::1:" -> "::1".
        while cand:
            end = start + len(cand)
            nxt = self.text[end] if end < self.n else ""
            if not (nxt.isascii() and (nxt.isalnum() or nxt in "_.")):
                try:
                    ipaddress.IPv6Address(cand)
                except ValueError:
                    pass
                else:
                    if cand.count(":") >= 2:
                        self.i = end
                        return self._tok("IPV6", cand, start)
            if ":" not in cand:
                return None
            cand = cand[: cand.rfind(":")]
        return None

    def _string(self, quote: str) -> Token:
        start = self.i
        text = self.text
        i = start + 1
        buf: list[str] = []
        while True:
            j = i
            while j < self.n and text[j] != quote and (quote == "'" or text[j] != "\\"):
                j += 1
            buf.append(text[i:j])
            if j >= self.n:
                raise self.error(
                    "unterminated string",
                    start,
                    hint=f"the string opened here has no closing {quote}",
                )
            if text[j] == quote:
                self.i = j + 1
                return self._tok("STRING", "".join(buf), start)
            # backslash escape (double-quoted strings only)
            nxt = text[j + 1] if j + 1 < self.n else ""
            if nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
                i = j + 2
            elif nxt == "\n":
                i = j + 2  # escaped newline: line continuation
            elif nxt == "x" and j + 2 < self.n and text[j + 2] in "0123456789abcdefABCDEF":
                k = j + 2
                while k < self.n and k < j + 4 and text[k] in "0123456789abcdefABCDEF":
                    k += 1
                buf.append(chr(int(text[j + 2 : k], 16)))
                i = k
            elif nxt and nxt in "01234567" and j + 2 < self.n and text[j + 2] in "01234567":
                k = j + 1
                while k < self.n and k < j + 4 and text[k] in "01234567":
                    k += 1
                buf.append(chr(int(text[j + 1 : k], 8) & 0xFF))
                i = k
            else:
                buf.append("\\")
                i = j + 1

    def _pv(self) -> Token:
        start = self.i
        text = self.text
        i = start + 1
        if i < self.n and text[i] == "(":
            end = self._balanced(i, full=True)
            self.i = end
            return self._tok("PV", text[start:end], start)
        m = _PV_NAME_RE.match(text, i)
        if not m:
            raise self.error(
                "bad pseudo-variable: expected a name after '$'",
                start,
                hint="pseudo-variables look like $ru, $var(name) or $(hdr(Via)[0])",
            )
        i = m.end()
        if i < self.n and text[i] == "(":
            i = self._balanced(i)
        self.i = i
        return self._tok("PV", text[start:i], start)

    def _balanced(self, i: int, full: bool = False) -> int:
        """Offset just after the '(' group opening at `i`. Only parentheses nest, as in
        kamailio 5.6.3's lexer (`$(ru{s.after,[})` is one token, `$(ru{s.before,(})` is
        not closed). In a `$(...)` (`full`), the {transformation} braces at its own level
        must pair up (kamailio's PV parser refuses `$(ru{s.len)` and `$(ru{s.a,}})`)."""
        text = self.text
        open_at = i
        depth = 0
        braces = 0
        while i < self.n:
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    if braces:
                        raise self.error("bad pseudo-variable: expected '}', got ')'", i)
                    return i + 1
            elif full and depth == 1 and c in "{}":
                braces += 1 if c == "{" else -1
                if braces < 0:
                    raise self.error("bad pseudo-variable: unexpected '}'", i)
            elif c == "\n":
                break
            i += 1
        raise self.error(
            "unterminated pseudo-variable",
            open_at,
            hint=f"the '{text[open_at]}' here is not closed on the same line",
        )


def tokenize(text: str, srcmap: SourceMap) -> list[Token]:
    """All tokens of `text`, ending with an EOF token."""
    return Lexer(text, srcmap).tokens()
