"""Token-stream plumbing shared by the parser parts: lookahead, expect, errors, recovery.

The parser is split by topic (expressions, statements, top level) into mixins over
this base; each part only adds `parse_*` methods.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError, Pos
from .lexer import Token
from .srcmap import SourceMap

# Nesting limit for blocks and expressions: deep enough for any real config, far
# below Python's recursion limit.
MAX_DEPTH = 100


@dataclass(slots=True)
class OpenBlock:
    """A block being parsed, for 'still open' hints: what it is and where it opened."""

    what: str
    pos: Pos


class ParserBase:
    """Cursor over the token list with helpers for errors that name what was expected."""

    def __init__(self, text: str, srcmap: SourceMap, tokens: list[Token]) -> None:
        self.text = text
        self.srcmap = srcmap
        self.toks = tokens
        self.i = 0
        self.depth = 0
        self.open_blocks: list[OpenBlock] = []

    # ------------------------------------------------------------------ cursor

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def prev_end(self) -> int:
        return self.toks[self.i - 1].end if self.i > 0 else 0

    def adjacent(self) -> bool:
        """True if the current token touches the previous one (no space/comment between)."""
        return self.i > 0 and self.toks[self.i - 1].end == self.tok.start

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "OP" and self.tok.value in ops

    def at_id(self, *names: str) -> bool:
        return self.tok.kind == "ID" and (not names or self.tok.value in names)

    def accept_op(self, op: str) -> Token | None:
        if self.at_op(op):
            return self.advance()
        return None

    def expect_op(self, op: str, context: str, hint: str | None = None) -> Token:
        if self.at_op(op):
            return self.advance()
        raise self.error_here(f"expected '{op}' {context}, got {self.tok.describe()}", hint)

    def expect_string(self, context: str) -> tuple[str, Token]:
        """One string, or several double-quoted strings in a row concatenated (as Kamailio
        does; a single-quoted string is never joined)."""
        if self.tok.kind != "STRING":
            raise self.error_here(f"expected a quoted string {context}, got {self.tok.describe()}")
        first = self.advance()
        parts = [str(first.value)]
        if self.text[first.start] != '"':
            return parts[0], first
        while self.tok.kind == "STRING" and self.text[self.tok.start] == '"':
            parts.append(str(self.advance().value))
        return "".join(parts), first

    # ------------------------------------------------------------------ errors

    def error_at(self, tok: Token, msg: str, hint: str | None = None) -> ConfigError:
        if tok.kind == "EOF" and self.open_blocks and hint is None:
            hint = self.still_open_hint()
        return ConfigError(msg, tok.pos, hint=hint, notes=self.srcmap.notes(tok.start))

    def error_here(self, msg: str, hint: str | None = None) -> ConfigError:
        return self.error_at(self.tok, msg, hint)

    def still_open_hint(self) -> str:
        blk = self.open_blocks[-1]
        return f"the innermost block still open is {blk.what}, opened at {blk.pos}"

    def enter(self, tok: Token) -> None:
        """Count one nesting level; deep nesting is a config error, not a RecursionError."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error_at(tok, f"nesting too deep (more than {MAX_DEPTH} levels)")

    def leave(self) -> None:
        self.depth -= 1

    def raw(self, start: int, end: int) -> str:
        return self.text[start:end]
