"""Top-level values of kamailio.cfg: core parameters `name = value`, custom parameters
`group.var = value [desc "..."]`, `listen`/`alias` values (handed to listen.py) and
`socket = { ... }` blocks, plus where a top-level item ends.

A parameter value ends at ';' or where the next top-level item starts (Kamailio does
not look at line ends either).
"""

from __future__ import annotations

from typing import Any

from . import ast
from . import listen as _listen
from .lexer import Token
from .parse_stmt import ROUTE_WORDS, StmtParser

BOOL_WORDS = {
    "yes": True, "no": False, "on": True, "off": False, "true": True, "false": False,
    "enable": True, "disable": False,
}  # fmt: skip
DIRECTIVE_WORDS = frozenset(
    {
        "loadmodule", "loadmodulex", "loadpath", "mpath", "modparam", "modparamx",
        "cfgengine", "flags", "avpflags",
    }
)  # fmt: skip
# Dotted names that are core parameters rather than custom `group.var` parameters.
CORE_DOTTED_GROUPS = frozenset({"kemi"})


class ParamParser(StmtParser):
    """Parses parameter assignments and their values."""

    def starts_top_item(self, i: int) -> bool:
        t = self.toks[i]
        if t.kind != "ID":
            return False
        nxt = self.toks[min(i + 1, len(self.toks) - 1)]
        if t.value in ROUTE_WORDS:
            return nxt.is_op("[", "{")
        if t.value in DIRECTIVE_WORDS:
            return True
        if nxt.is_op("="):
            return True
        if nxt.is_op(".") and i + 3 < len(self.toks):
            return self.toks[i + 2].kind == "ID" and self.toks[i + 3].is_op("=")
        return False

    def end_top_item(self, what: str) -> None:
        """After a top-level item: ';', end of file, or the start of the next item."""
        if self.accept_op(";") or self.tok.kind == "EOF" or self.starts_top_item(self.i):
            return
        raise self.error_here(
            f"unexpected {self.tok.describe()} after {what}",
            hint="end the value with ';' or put the next item on its own line",
        )

    # ------------------------------------------------------------------ parameters

    def parse_param(self) -> ast.Param | list[ast.Listen]:
        if self.tok.value == "domain":
            # the spec's alias of `alias=`: the same alias entries (kamailio 5.6.3 itself
            # rejects `domain=` as an unknown config variable)
            return self.parse_listen()
        name_tok = self.advance()
        self.advance()  # '='
        return self._finish_param(str(name_tok.value), name_tok)

    def _finish_param(self, name: str, name_tok: Token) -> ast.Param:
        vtok = self.tok
        if vtok.kind == "EOF" or vtok.is_op(";") or self.starts_top_item(self.i):
            raise self.error_here(f"expected a value for '{name}', got {vtok.describe()}")
        value = self.parse_param_value()
        raw = self.raw(vtok.start, self.prev_end())
        self.end_top_item(f"the value of '{name}'")
        return ast.Param(name, value, name_tok.pos, raw, vtok.pos)

    def parse_dotted_param(self) -> ast.Param | ast.CustomParam:
        group_tok = self.advance()
        self.advance()  # '.'
        name_tok = self.advance()
        self.advance()  # '='
        group, name = str(group_tok.value), str(name_tok.value)
        if group in CORE_DOTTED_GROUPS:
            return self._finish_param(f"{group}.{name}", group_tok)
        vtok = self.tok
        if vtok.kind == "INT":
            self.advance()
            value = ast.Literal(int(vtok.value), "int", vtok.pos, self.raw(vtok.start, vtok.end))  # type: ignore[call-overload]
        elif vtok.kind == "ID" and str(vtok.value).lower() in BOOL_WORDS:
            # read as the numbers 1 and 0, as Kamailio's lexer does
            self.advance()
            value = ast.Literal(
                int(BOOL_WORDS[str(vtok.value).lower()]), "int", vtok.pos, str(vtok.value)
            )
        elif vtok.kind == "STRING":
            s, first = self.expect_string("")
            value = ast.Literal(s, "str", first.pos, self.raw(first.start, self.prev_end()))
        else:
            hint = "negative numbers are not accepted here" if vtok.is_op("-") else None
            raise self.error_here(
                f"number or string expected as the value of '{group}.{name}', "
                f"got {vtok.describe()}",
                hint,
            )
        desc: str | None = None
        if self.at_id("desc"):
            self.advance()
            desc, _ = self.expect_string("after 'desc'")
        self.end_top_item(f"the value of '{group}.{name}'")
        return ast.CustomParam(group, name, value, group_tok.pos, desc)

    def parse_param_value(self) -> ast.ParamValue:
        tok = self.tok
        if tok.is_op("("):
            self.advance()
            items: list[Any] = []
            while True:
                items.append(self.parse_param_value())
                if self.accept_op(","):
                    continue
                self.expect_op(")", "to close the value list", f"the '(' was opened at {tok.pos}")
                return ast.ValueList(items, tok.pos)
        if tok.is_op("-") and self.peek().kind == "INT":
            self.advance()
            n = int(self.advance().value)  # type: ignore[call-overload]
            return ast.Literal(-n, "int", tok.pos, self.raw(tok.start, self.prev_end()))
        if tok.kind == "INT" and not (self.peek().is_op(".", ":") and self.peek().start == tok.end):
            self.advance()
            return ast.Literal(int(tok.value), "int", tok.pos, self.raw(tok.start, tok.end))  # type: ignore[call-overload]
        if tok.kind == "STRING":
            s, first = self.expect_string("")
            if self.at_op(":") and self.adjacent() and self.peek().kind == "INT":
                self.advance()
                port = int(self.advance().value)  # type: ignore[call-overload]
                return ast.HostPort(
                    None, s, port, first.pos, self.raw(first.start, self.prev_end())
                )
            return ast.Literal(s, "str", first.pos, self.raw(first.start, self.prev_end()))
        if tok.kind == "ID" and str(tok.value).lower() in BOOL_WORDS:
            nxt = self.peek()
            if not (nxt.is_op(".", ":", "-") and nxt.start == tok.end):
                self.advance()
                return ast.BoolLit(BOOL_WORDS[str(tok.value).lower()], str(tok.value), tok.pos)
        if tok.kind in ("ID", "INT", "IPV4", "IPV6") or tok.is_op("["):
            hp = self.parse_hostport()
            if hp.proto is None and hp.port is None:
                if tok.kind in ("IPV4", "IPV6") or tok.is_op("["):
                    return ast.IPAddr(
                        hp.host, 4 if tok.kind == "IPV4" else 6, tok.pos, None, hp.raw
                    )
                return ast.Ident(hp.host, tok.pos)
            return hp
        raise self.error_here(f"expected a value, got {tok.describe()}")

    # ------------------------------------------------------------------ listen / socket

    def value_extent(self, stop_at: tuple[str, ...] = (";",)) -> tuple[int, int]:
        """Offsets of a multi-token value (listen/alias/bind): up to ';' (or a token in
        `stop_at`), end of file or the start of the next top-level item."""
        start_tok = self.tok
        if start_tok.kind == "EOF" or start_tok.is_op(*stop_at):
            raise self.error_here(f"expected an address, got {start_tok.describe()}")
        depth = 0
        while self.tok.kind != "EOF":
            t = self.tok
            if t.is_op("("):
                depth += 1
            elif t.is_op(")"):
                depth -= 1
            elif (depth <= 0 and (t.is_op(*stop_at) or t.is_op("{", "}"))) or (
                depth <= 0 and self.i > 0 and t is not start_tok and self.starts_top_item(self.i)
            ):
                break
            self.advance()
        return start_tok.start, self.prev_end()

    def parse_listen(self) -> list[ast.Listen]:
        name_tok = self.advance()
        self.advance()  # '='
        word = str(name_tok.value)
        param = "alias" if word == "domain" else word
        vtok = self.tok
        start, end = self.value_extent()
        raw = self.raw(start, end)
        nxt = self.tok
        if nxt.kind == "ID" and self.peek().is_op(".") and nxt.value not in CORE_DOTTED_GROUPS:
            # Kamailio's grammar takes the group name as one more address of the list
            raise self.error_at(
                nxt,
                f"'{nxt.value}.{self.peek(2).value}' is read as part of the {word} value "
                f"started at {name_tok.pos}",
                hint=f"end the {word} value with ';'",
            )
        self.end_top_item(f"the value of '{word}'")
        out: list[ast.Listen] = []
        try:
            if param == "listen":
                for spec in _listen.parse_listen_line(raw):
                    out.append(ast.Listen(param, raw, vtok.pos, spec))
            else:
                for part in _split_words(raw):
                    out.append(ast.Listen(param, part, vtok.pos, _listen.parse_alias(part)))
        except ValueError as exc:
            raise self.error_at(vtok, f"bad {word} value: {exc}") from None
        return out

    def parse_socket(self) -> ast.SocketBlock:
        sock_tok = self.advance()
        self.advance()  # '='
        open_tok = self.advance()  # '{'
        attrs: list[ast.SocketAttr] = []
        bind: ast.Listen | None = None
        while not self.at_op("}"):
            if self.tok.kind == "EOF":
                raise self.error_here(
                    f"expected '}}' to close the socket block opened at {open_tok.pos}, got end of file"
                )
            if self.tok.kind != "ID":
                raise self.error_here(
                    f"expected a socket attribute name, got {self.tok.describe()}"
                )
            atok = self.advance()
            self.expect_op("=", f"after socket attribute '{atok.value}'")
            vtok = self.tok
            if atok.value in ("bind", "advertise"):
                start, end = self.value_extent(stop_at=(";", "}"))
                raw = self.raw(start, end)
                value: ast.ParamValue = ast.Literal(raw, "str", vtok.pos, raw)
                if atok.value == "bind":
                    try:
                        bind = ast.Listen("socket", raw, vtok.pos, _listen.parse_listen(raw))
                    except ValueError as exc:
                        raise self.error_at(vtok, f"bad socket bind address: {exc}") from None
            else:
                value = self.parse_param_value()
                raw = self.raw(vtok.start, self.prev_end())
            attrs.append(ast.SocketAttr(str(atok.value), value, atok.pos, raw))
            if not self.accept_op(";") and not self.at_op("}"):
                raise self.error_here(
                    f"expected ';' after socket attribute '{atok.value}', got {self.tok.describe()}"
                )
        self.advance()
        self.end_top_item("the socket block")
        return ast.SocketBlock(attrs, sock_tok.pos, bind)


def _split_words(raw: str) -> list[str]:
    """Split a value on whitespace outside quotes and parentheses."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    quote = ""
    for c in raw:
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c.isspace() and depth <= 0:
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        cur.append(c)
    if cur:
        out.append("".join(cur))
    return out
