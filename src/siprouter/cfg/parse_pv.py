"""Pseudo-variable and select tokens split into their parts for the AST:
`$(name(inner)[index]{tr}...)` -> PV(name, inner, index, transforms) and
`@a[1].b["x"]` -> Select(parts)."""

from __future__ import annotations

from . import ast
from .errors import ConfigError
from .lexer import Token
from .parse_base import ParserBase


def close_group(text: str, i: int) -> int:
    """Index just after the group opening at text[i]; -1 if it is not closed. Only the
    opening bracket's own kind nests (as kamailio 5.6.3: `$(ru{s.after,[})` is fine)."""
    opener = text[i]
    closer = {"(": ")", "[": "]", "{": "}"}[opener]
    depth = 0
    while i < len(text):
        c = text[i]
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _name_end(text: str, i: int) -> int:
    while i < len(text) and (text[i].isascii() and (text[i].isalnum() or text[i] == "_")):
        i += 1
    return i


def parse_pv(tok: Token, p: ParserBase) -> ast.PV:
    """Split a PV token's text into name, inner name, index and transformations."""
    raw = str(tok.value)

    def bad(why: str) -> ConfigError:
        return p.error_at(
            tok,
            f"bad pseudo-variable {raw}: {why}",
            hint="forms: $name, $name(inner), $(name(inner)[index]{transformation})",
        )

    if raw.startswith("$("):
        body = raw[2:-1]
        full = True
    else:
        body = raw[1:]
        full = False
    end = 1 if body.startswith("?") else _name_end(body, 0)  # `$?` is the return code
    if end == 0:
        raise bad("expected a name")
    name = body[:end]
    inner: str | None = None
    index: str | None = None
    transforms: list[str] = []
    i = end
    if i < len(body) and body[i] == "(":
        j = close_group(body, i)
        if j < 0:
            raise bad("unbalanced parentheses")
        inner = body[i + 1 : j - 1]
        i = j
    if full:
        if i < len(body) and body[i] == "[":
            j = close_group(body, i)
            if j < 0:
                raise bad("unbalanced brackets")
            index = body[i + 1 : j - 1].strip()
            if not index:
                raise bad("empty index")
            i = j
        while i < len(body) and body[i] == "{":
            j = close_group(body, i)
            if j < 0:
                raise bad("unbalanced braces")
            tr = body[i + 1 : j - 1]
            if not tr:
                raise bad("empty transformation")
            transforms.append(tr)
            i = j
    if i != len(body):
        raise bad(f"unexpected {body[i]!r}")
    return ast.PV(name, tok.pos, inner, index, transforms, raw)


def parse_select(tok: Token) -> ast.Select:
    """Split `@a[1].b.c["x"]` into parts (the lexer already checked the shape)."""
    raw = str(tok.value)
    parts: list[ast.SelectPart] = []
    for chunk in _split_select(raw[1:]):
        name, _, rest = chunk.partition("[")
        index: int | str | None = None
        if rest:
            text = rest[:-1]
            index = text[1:-1] if text.startswith('"') else int(text)
        parts.append(ast.SelectPart(name, index))
    return ast.Select(parts, tok.pos, raw)


def _split_select(text: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    in_str = False
    for c in text:
        if c == '"':
            in_str = not in_str
        if c == "." and not in_str:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    out.append("".join(cur))
    return out
