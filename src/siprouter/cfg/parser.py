"""Parser entry point and the top level of kamailio.cfg: the item loop with error
recovery, module directives, flags and routing blocks (parameter values are in
parse_params, statements in parse_stmt, expressions in parse_expr).

    parse(text, srcmap, all_errors=False) -> ast.Config
    parse_string(text, filename="<string>", all_errors=False) -> ast.Config

The first error raises ConfigError; with all_errors, the parser recovers at the next
statement or top-level item and raises ConfigErrors with every error found. No other
exception escapes for any input.

"""

from __future__ import annotations

import re
from typing import Any

from . import ast
from .errors import ConfigError, ConfigErrors, Pos
from .lexer import Lexer, Token
from .parse_base import MAX_DEPTH
from .parse_params import BOOL_WORDS, ParamParser
from .parse_stmt import ROUTE_WORDS
from .srcmap import SourceMap

ROUTES_WITH_NAME = {
    "route", "failure_route", "branch_route", "onreply_route", "event_route", "onsend_route",
}  # fmt: skip
ROUTES_NEED_NAME = {"event_route"}
_ROUTE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_EVENT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*(?::[A-Za-z0-9_\-]+)+")


class Parser(ParamParser):
    """Recursive-descent parser over the token list."""

    def __init__(self, text: str, srcmap: SourceMap, tokens: list[Token], all_errors: bool) -> None:
        super().__init__(text, srcmap, tokens)
        self.all_errors = all_errors
        self.errors = []

    # ------------------------------------------------------------------ top level

    def parse_config(self) -> ast.Config:
        cfg = ast.Config(self.tok.pos)
        while self.tok.kind != "EOF":
            start = self.i
            try:
                item = self.parse_top()
            except ConfigError as err:
                if not self.all_errors:
                    raise
                self.errors.append(err)
                self.recover_top(start)
                continue
            if item is not None:
                self.add_item(cfg, item)
        return cfg

    def add_item(self, cfg: ast.Config, item: Any) -> None:
        items = item if isinstance(item, list) else [item]
        for it in items:
            cfg.items.append(it)
            if isinstance(it, ast.Param):
                cfg.params.append(it)
            elif isinstance(it, ast.CustomParam):
                cfg.custom_params.append(it)
            elif isinstance(it, ast.Listen):
                cfg.listens.append(it)
            elif isinstance(it, ast.SocketBlock):
                cfg.sockets.append(it)
            elif isinstance(it, ast.FlagDecl):
                cfg.flags.append(it)
            elif isinstance(it, ast.LoadModule):
                cfg.loadmodules.append(it)
            elif isinstance(it, ast.LoadPath):
                cfg.loadpath.append(it)
            elif isinstance(it, ast.ModParam):
                cfg.modparams.append(it)
            elif isinstance(it, ast.CfgEngine):
                cfg.cfgengines.append(it)
            elif isinstance(it, ast.RouteBlock):
                self.add_route(cfg, it)

    def add_route(self, cfg: ast.Config, blk: ast.RouteBlock) -> None:
        """Record a block. As in Kamailio, a block written with a name (`route[X]`,
        `route[0]`, `failure_route[F]`, ...) may not be defined twice, while an unnamed
        one (`request_route`, `route`, `onreply_route`, `reply_route`, `onsend_route`)
        seen again gets its statements appended to the first (as does onreply_route[0])."""
        cfg.route_list.append(blk)
        table = cfg.routes.setdefault(blk.kind, {})
        first = table.get(blk.name)
        if first is None:
            table[blk.name] = blk
            return
        if blk.name_pos is not None and not (blk.keyword == "onreply_route" and blk.name == ""):
            err = ConfigError(
                f"duplicate route: {_route_label(blk)} is already defined at {first.pos}",
                blk.name_pos,
            )
            if not self.all_errors:
                raise err
            self.errors.append(err)
            return
        table[blk.name] = ast.RouteBlock(
            first.kind,
            first.name,
            [*first.body, *blk.body],
            first.pos,
            first.keyword,
            first.name_pos,
        )

    def recover_top(self, start: int) -> None:
        """Skip to the next token that starts a top-level item (outside braces)."""
        if self.i == start:
            self.advance()
        depth = 0
        while self.tok.kind != "EOF":
            t = self.tok
            if t.is_op("{"):
                depth += 1
            elif t.is_op("}"):
                depth = max(depth - 1, 0)
                self.advance()
                continue
            elif depth == 0 and self.starts_top_item(self.i):
                return
            self.advance()

    def parse_top(self) -> Any:
        tok = self.tok
        if tok.is_op(";"):
            self.advance()
            return None
        if tok.kind != "ID":
            raise self.error_here(_top_expected(tok), _top_hint(tok))
        word = str(tok.value)
        nxt = self.peek()
        if word in ROUTE_WORDS and nxt.is_op("[", "{"):
            return self.parse_route_block()
        if word in ("loadmodule", "loadmodulex"):
            return self.parse_loadmodule()
        if word in ("modparam", "modparamx"):
            return self.parse_modparam()
        if word in ("loadpath", "mpath"):
            return self.parse_loadpath()
        if word == "cfgengine":
            self.advance()
            name, _ = self.expect_string("after 'cfgengine'")
            self.end_top_item("cfgengine")
            return ast.CfgEngine(name, tok.pos)
        if word in ("flags", "avpflags"):
            return self.parse_flags()
        if nxt.is_op("="):
            if word in ("listen", "alias"):
                return self.parse_listen()
            if word == "socket" and self.peek(2).is_op("{"):
                return self.parse_socket()
            return self.parse_param()
        if nxt.is_op(".") and self.peek(2).kind == "ID" and self.peek(3).is_op("="):
            return self.parse_dotted_param()
        if word in ROUTE_WORDS:
            raise self.error_at(nxt, f"expected '{{' or '[' after '{word}', got {nxt.describe()}")
        raise self.error_here(_top_expected(tok), _top_hint(tok))

    # ------------------------------------------------------------------ directives

    def parse_loadmodule(self) -> ast.LoadModule:
        tok = self.advance()
        expand = tok.value == "loadmodulex"
        opts: str | None = None
        if self.accept_op("("):
            path, _ = self.expect_string(f"(module path) after '{tok.value}('")
            if self.accept_op(","):
                opts, _ = self.expect_string("(module options)")
            self.expect_op(")", f"to close '{tok.value}('")
        else:
            path, _ = self.expect_string(f"(module path) after '{tok.value}'")
        self.end_top_item(f"'{tok.value}'")
        return ast.LoadModule(path, tok.pos, opts, expand)

    def parse_loadpath(self) -> ast.LoadPath:
        tok = self.advance()
        self.accept_op("=")
        path, _ = self.expect_string(f"(modules directory) after '{tok.value}'")
        self.end_top_item(f"'{tok.value}'")
        return ast.LoadPath(path, tok.pos)

    def parse_modparam(self) -> ast.ModParam:
        tok = self.advance()
        what = f'{tok.value}("module", "param", value)'
        self.expect_op("(", f"after '{tok.value}'", f"the form is {what}")
        module, _ = self.expect_string(f"(module name) in {what}")
        self.expect_op(",", f"after the module name in {what}")
        name, _ = self.expect_string(f"(parameter name) in {what}")
        self.expect_op(",", f"after the parameter name in {what}")
        vtok = self.tok
        neg = self.accept_op("-")
        if self.tok.kind == "INT":
            n = int(self.advance().value)  # type: ignore[call-overload]
            value = ast.Literal(
                -n if neg else n, "int", vtok.pos, self.raw(vtok.start, self.prev_end())
            )
        elif self.tok.kind == "STRING" and not neg:
            s, first = self.expect_string("")
            value = ast.Literal(s, "str", first.pos, self.raw(first.start, self.prev_end()))
        elif self.tok.kind == "ID" and str(self.tok.value).lower() in BOOL_WORDS and not neg:
            # Kamailio's lexer reads yes/no/on/off/... as the numbers 1 and 0
            btok = self.advance()
            value = ast.Literal(
                int(BOOL_WORDS[str(btok.value).lower()]), "int", btok.pos, str(btok.value)
            )
        else:
            raise self.error_here(
                f"expected an integer or a quoted string as the value in {what}, "
                f"got {self.tok.describe()}"
            )
        self.expect_op(")", f"to close {tok.value}(", f"the form is {what}")
        self.end_top_item(f"'{tok.value}(...)'")
        return ast.ModParam(module, name, value, tok.pos, tok.value == "modparamx")

    def parse_flags(self) -> ast.FlagDecl:
        tok = self.advance()
        flags: list[ast.FlagDef] = []
        while True:
            if self.tok.kind != "ID":
                raise self.error_here(
                    f"expected a flag name in '{tok.value}', got {self.tok.describe()}"
                )
            ftok = self.advance()
            position: int | None = None
            if tok.value == "avpflags" and self.at_op(":"):
                raise self.error_here("avpflags take names only, not ':position'")
            if self.accept_op(":"):
                if self.tok.kind != "INT":
                    raise self.error_here(
                        f"expected a flag number after ':', got {self.tok.describe()}"
                    )
                position = int(self.advance().value)  # type: ignore[call-overload]
            flags.append(ast.FlagDef(str(ftok.value), position, ftok.pos))
            if not self.accept_op(","):
                break
        self.end_top_item(f"'{tok.value}'")
        return ast.FlagDecl(str(tok.value), flags, tok.pos)

    # ------------------------------------------------------------------ routes

    def parse_route_block(self) -> ast.RouteBlock:
        tok = self.advance()
        keyword = str(tok.value)
        name = ""
        name_pos: Pos | None = None
        if self.at_op("["):
            open_tok = self.advance()
            name, name_pos = self.parse_route_name(keyword, open_tok)
            if keyword not in ROUTES_WITH_NAME:
                raise self.error_at(open_tok, f"'{keyword}' does not take a name")
        elif keyword in ROUTES_NEED_NAME:
            raise self.error_here(f"'{keyword}' needs a name: {keyword}[NAME] {{ ... }}")
        kind = ast.ROUTE_KINDS[keyword]
        if keyword == "route" and name in ("", "0"):
            kind, name = "request", ""
        elif keyword == "onreply_route" and name == "0":
            name = ""
        elif keyword == "onsend_route":
            name = ""  # kamailio takes onsend_route[NAME] but has one onsend route
        label = f"{keyword}[{name}]" if name else keyword
        body = self.parse_braced(label)
        return ast.RouteBlock(kind, name, body, tok.pos, keyword, name_pos)

    def parse_route_name(self, keyword: str, open_tok: Token) -> tuple[str, Pos]:
        first = self.tok
        if first.kind == "STRING" and self.peek().is_op("]"):
            self.advance()
            self.advance()
            if not str(first.value):
                raise self.error_at(first, f"empty name in {keyword}[...]")
            return str(first.value), first.pos
        while not self.at_op("]"):
            if (
                self.tok.kind == "EOF"
                or self.at_op("{", "}", ";")
                or (
                    self.i > 0
                    and self.toks[self.i - 1].end != self.tok.start
                    and self.tok is not first
                )
            ):
                raise self.error_here(
                    f"expected ']' to close the name of {keyword}[...], got {self.tok.describe()}",
                    hint=f"the '[' is at {open_tok.pos}; names are IDs, numbers or quoted strings",
                )
            self.advance()
        if self.tok is first:
            raise self.error_at(first, f"empty name in {keyword}[]")
        raw = self.raw(first.start, self.prev_end())
        self.advance()  # ']'
        if keyword == "event_route":
            if not _EVENT_NAME_RE.fullmatch(raw):
                raise self.error_at(
                    first,
                    f"bad event route name '{raw}'",
                    hint="event route names look like module:event, e.g. tm:local-request",
                )
            return raw, first.pos
        if not _ROUTE_NAME_RE.fullmatch(raw):
            raise self.error_at(
                first,
                f"bad route name '{raw}' in {keyword}[...]",
                hint="a route name is an identifier (letters, digits, '_'), a number "
                'or a quoted string such as "my-route"',
            )
        return (str(int(raw)) if raw.isdigit() else raw), first.pos


def _route_label(blk: ast.RouteBlock) -> str:
    return f"{blk.keyword}[{blk.name}]" if blk.name else blk.keyword


def _top_expected(tok: Token) -> str:
    return (
        "expected a parameter assignment (name = value), a module directive or a "
        f"routing block, got {tok.describe()}"
    )


def _top_hint(tok: Token) -> str | None:
    if tok.is_op("}"):
        return "this '}' closes no block: an extra '}'?"
    if tok.kind == "ID" and tok.value in ("if", "switch", "while", "return", "exit", "drop"):
        return "statements belong inside a routing block such as request_route { ... }"
    if tok.kind == "ID":
        return f"parameters are set with '=': {tok.value} = value"
    return None


def parse(text: str, srcmap: SourceMap, *, all_errors: bool = False) -> ast.Config:
    """Parse preprocessed config text; positions come from `srcmap`."""
    parser: Parser | None = None
    errors: list[ConfigError] = []
    cfg: ast.Config | None = None
    lexer = Lexer(text, srcmap)
    try:
        parser = Parser(text, srcmap, lexer.tokens(recover=all_errors), all_errors)
        cfg = parser.parse_config()
        errors = _merge(lexer.errors, parser.errors)
    except ConfigError as err:
        if not all_errors:
            raise
        errors = _merge(lexer.errors, [*(parser.errors if parser else []), err])
    except RecursionError:
        err = ConfigError(f"config nested too deeply (more than {MAX_DEPTH} levels)", srcmap.pos(0))
        if not all_errors:
            raise err from None
        errors = [*(parser.errors if parser else []), err]
    if errors or cfg is None:
        raise ConfigErrors(_dedupe(errors))
    return cfg


def _merge(lex: list[ConfigError], parse_errs: list[ConfigError]) -> list[ConfigError]:
    """Lexer errors placed among the parser errors by position (same file only). Parser
    errors on the line of a lexer error or the next one are dropped: they are most
    likely its cascade (e.g. the call left open by an unterminated string)."""
    near = {(e.pos.file, e.pos.line + d) for e in lex if e.pos is not None for d in (0, 1)}
    out = [e for e in parse_errs if e.pos is None or (e.pos.file, e.pos.line) not in near]
    for err in lex:
        at = len(out)
        for i, other in enumerate(out):
            if (
                err.pos is not None
                and other.pos is not None
                and other.pos.file == err.pos.file
                and (other.pos.line, other.pos.col) > (err.pos.line, err.pos.col)
            ):
                at = i
                break
        out.insert(at, err)
    return out


def _dedupe(errors: list[ConfigError]) -> list[ConfigError]:
    seen: set[tuple[str, Pos | None]] = set()
    out: list[ConfigError] = []
    for e in errors:
        key = (e.message, e.pos)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def parse_string(text: str, filename: str = "<string>", *, all_errors: bool = False) -> ast.Config:
    """Parse config text that was not preprocessed (one file, identity positions)."""
    return parse(text, SourceMap.identity(text, filename), all_errors=all_errors)
