"""Statement part of the parser: route bodies, if/else, switch/case, while, return, exit,
drop, break, route(...), function calls and assignments.

Rules matched against Kamailio 5.6.3: every simple statement ends with ';' (also the
last one before '}'); a braced body may not be empty (`{ ; }` is the empty body);
bare `{ ... }` blocks only follow if/else/while; case bodies are statement lists, not
blocks; case labels are ints or strings (not mixed) or `/"regex"`; only a few core
functions may be called without parentheses; assignments use `=` only.
"""

from __future__ import annotations

from . import ast
from .errors import ConfigError, Pos
from .lexer import Token
from .parse_base import OpenBlock
from .parse_expr import CORE_KEYWORDS, ExprParser
from .parse_pv import parse_pv

# Core functions that Kamailio accepts without parentheses (`force_rport;`).
BARE_CORE_FUNCTIONS = frozenset(
    {
        "add_local_rport", "force_rport", "add_rport", "force_tcp_alias", "revert_uri",
        "set_forward_no_connect", "set_forward_close", "set_reply_no_connect",
        "set_reply_close",
    }
)  # fmt: skip

# Words that start a top-level item; seeing one with '[' or '{' inside a route body
# usually means a '}' is missing.
ROUTE_WORDS = frozenset(
    {
        "request_route", "route", "failure_route", "branch_route", "reply_route",
        "onreply_route", "onsend_route", "event_route",
    }
)  # fmt: skip
TOP_WORDS = frozenset({"loadmodule", "loadmodulex", "modparam", "modparamx", "loadpath"})


class StmtParser(ExprParser):
    """Parses statements; `self.errors` collects recovered errors in all-errors mode."""

    errors: list[ConfigError]
    all_errors: bool
    unwind_at: int = -1

    def at_route_start(self) -> bool:
        """At a routing block keyword followed by '[' or '{'."""
        return (
            self.tok.kind == "ID" and self.tok.value in ROUTE_WORDS and self.peek().is_op("[", "{")
        )

    # ------------------------------------------------------------------ blocks

    def parse_braced(self, what: str) -> list[ast.Stmt]:
        """`{ statements }` (non-empty); `what` names the block in error hints."""
        open_tok = self.expect_op("{", f"to open the body of {what}")
        self.open_blocks.append(OpenBlock(what, open_tok.pos))
        self.enter(open_tok)
        try:
            if self.at_op("}"):
                raise self.error_here(
                    f"empty block in {what}",
                    hint="kamailio.cfg does not accept '{ }'; write '{ ; }' for an empty body",
                )
            body = self.parse_stmts(until_case=False)
            if self.unwind_at == self.i:
                return body
            if not self.at_op("}"):
                raise self.error_here(
                    f"expected '}}' to close {what} (opened at {open_tok.pos}), "
                    f"got {self.tok.describe()}",
                    hint=self.still_open_hint() if self.tok.kind == "EOF" else None,
                )
            self.advance()
            return body
        finally:
            self.open_blocks.pop()
            self.leave()

    def parse_stmts(self, until_case: bool) -> list[ast.Stmt]:
        """Statements up to '}' (and 'case'/'default' when `until_case`) or EOF."""
        out: list[ast.Stmt] = []
        while True:
            tok = self.tok
            if tok.kind == "EOF" or tok.is_op("}"):
                return out
            if until_case and tok.is_id("case", "default"):
                return out
            if self.all_errors and self.at_route_start():
                # a routing block inside a body: a '}' is missing; report once, unwind
                if self.unwind_at != self.i:
                    self.unwind_at = self.i
                    self.errors.append(self.missing_brace(tok))
                return out
            try:
                stmt = self.parse_stmt()
            except ConfigError as err:
                if not self.all_errors:
                    raise
                self.errors.append(err)
                self.recover_stmt(tok)
                continue
            if stmt is not None:
                out.append(stmt)

    def recover_stmt(self, start: Token) -> None:
        """Skip to just after the next ';' at this nesting level, or up to the '}' that
        closes the enclosing block, or to a routing block keyword (missing '}')."""
        depth = 0
        moved = False
        while self.tok.kind != "EOF":
            t = self.tok
            if t.is_op("{"):
                depth += 1
            elif t.is_op("}"):
                if depth == 0:
                    return
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            elif t.is_op(";") and depth == 0:
                self.advance()
                return
            elif depth == 0 and moved and t.kind == "ID" and t.value in ROUTE_WORDS:
                if self.peek().is_op("[", "{"):
                    return
            self.advance()
            moved = True

    def parse_body(self, what: str) -> list[ast.Stmt]:
        """The body of if/else/while: a braced block or one statement."""
        if self.at_op("{"):
            return self.parse_braced(what)
        if self.at_op("}") or self.tok.kind == "EOF":
            raise self.error_here(
                f"expected a statement or '{{' for the body of {what}, got {self.tok.describe()}"
            )
        stmt = self.parse_stmt()
        return [] if stmt is None else [stmt]

    # ------------------------------------------------------------------ statements

    def parse_stmt(self) -> ast.Stmt | None:
        tok = self.tok
        if tok.is_op(";"):
            self.advance()
            return None
        if tok.is_op("{"):
            raise self.error_here(
                "unexpected '{': a block may only follow if, else or while",
                hint="remove the braces, or add the missing 'if (...)'",
            )
        if tok.kind == "PV":
            return self.parse_assign()
        if tok.kind == "ID":
            word = str(tok.value)
            handler = _STMT_HANDLERS.get(word)
            if handler is not None:
                return handler(self, tok)
            return self.parse_call_stmt(tok)
        if tok.kind == "SELECT":
            raise self.error_here(f"cannot assign to or call the select {tok.value}")
        raise self.error_here(f"expected a statement, got {tok.describe()}")

    def end_stmt(self, what: str) -> None:
        if self.at_op(";"):
            self.advance()
            return
        hint = None
        if self.at_op("}"):
            hint = "kamailio.cfg needs ';' after the last statement of a block too"
        elif self.tok.kind != "EOF" and self.tok.pos.line != self.toks[self.i - 1].pos.line:
            hint = f"missing ';' at the end of line {self.toks[self.i - 1].pos.line}?"
        raise self.error_here(f"expected ';' after {what}, got {self.tok.describe()}", hint)

    def parse_if(self, tok: Token) -> ast.If:
        self.advance()
        cond = self.parse_cond("if")
        then = self.parse_body(f"'if' at {tok.pos}")
        otherwise: list[ast.Stmt] | None = None
        else_pos: Pos | None = None
        if self.at_id("else"):
            else_tok = self.advance()
            else_pos = else_tok.pos
            otherwise = self.parse_body(f"'else' at {else_tok.pos}")
        return ast.If(cond, then, otherwise, tok.pos, else_pos)

    def parse_cond(self, what: str) -> ast.Expr:
        if self.at_op("{", ";") or self.tok.kind == "EOF":
            raise self.error_here(f"expected a condition after '{what}', got {self.tok.describe()}")
        return self.parse_expr()

    def parse_else(self, tok: Token) -> ast.Stmt:
        raise self.error_here(
            "'else' without a matching 'if'",
            hint="a ';' between the if-body and 'else' ends the if; remove it",
        )

    def parse_while(self, tok: Token) -> ast.While:
        self.advance()
        cond = self.parse_cond("while")
        body = self.parse_body(f"'while' at {tok.pos}")
        return ast.While(cond, body, tok.pos)

    def parse_switch(self, tok: Token) -> ast.Switch:
        self.advance()
        expr = self.parse_cond("switch")
        open_tok = self.expect_op("{", "to open the body of switch")
        what = f"'switch' at {tok.pos}"
        self.open_blocks.append(OpenBlock(what, open_tok.pos))
        self.enter(open_tok)
        cases: list[ast.Case] = []
        kinds: set[str] = set()
        try:
            while not self.at_op("}"):
                if self.unwind_at == self.i:
                    return ast.Switch(expr, cases, tok.pos)
                ctok = self.tok
                if ctok.kind == "EOF":
                    raise self.error_here(
                        f"expected '}}' to close {what} (opened at {open_tok.pos}), got end of file",
                        hint=self.still_open_hint(),
                    )
                if ctok.is_id("default"):
                    self.advance()
                    self.expect_op(":", "after 'default'")
                    value: ast.Expr | None = None
                    regex = False
                elif ctok.is_id("case"):
                    self.advance()
                    value, regex = self.parse_case_label()
                    kind = (
                        "regex" if regex else value.kind if isinstance(value, ast.Literal) else ""
                    )
                    if kind in ("int", "str") and ({"int", "str"} - {kind}) & kinds:
                        raise self.error_at(
                            ctok,
                            "switch mixes int and string case labels",
                            hint="use either int or string labels in one switch",
                        )
                    kinds.add(kind)
                    self.expect_op(":", "after the case label")
                else:
                    raise self.error_here(
                        f"expected 'case', 'default' or '}}' in switch, got {ctok.describe()}"
                    )
                if self.at_op("{"):
                    raise self.error_here(
                        "a case body is a list of statements, not a '{ }' block",
                        hint="remove the braces after the case label",
                    )
                body = self.parse_stmts(until_case=True)
                cases.append(ast.Case(value, body, ctok.pos, regex))
            self.advance()
        finally:
            self.open_blocks.pop()
            self.leave()
        return ast.Switch(expr, cases, tok.pos)

    def parse_case_label(self) -> tuple[ast.Literal, bool]:
        tok = self.tok
        if tok.is_op("/"):
            self.advance()
            value, first = self.expect_string("after '/' in a regex case label")
            return ast.Literal(
                value, "str", first.pos, self.raw(first.start, self.prev_end())
            ), True
        if tok.kind == "STRING":
            value, first = self.expect_string("")
            return ast.Literal(
                value, "str", first.pos, self.raw(first.start, self.prev_end())
            ), False
        neg = tok.is_op("-")
        if neg:
            self.advance()
        if self.tok.kind == "INT":
            num = self.advance()
            n = int(num.value)  # type: ignore[call-overload]
            return ast.Literal(
                -n if neg else n, "int", tok.pos, self.raw(tok.start, num.end)
            ), False
        raise self.error_here(
            f'bad case label {self.tok.describe()}: expected an integer, a string or /"regex"',
        )

    def parse_case_outside(self, tok: Token) -> ast.Stmt:
        raise self.error_here(f"'{tok.value}' outside of a switch")

    def parse_return(self, tok: Token) -> ast.Return:
        self.advance()
        value = self.parse_expr() if self._can_start_expr() else None
        self.end_stmt("'return'")
        return ast.Return(value, tok.pos)

    def parse_exit_drop(self, tok: Token) -> ast.Exit | ast.Drop:
        self.advance()
        value: ast.Expr | None = None
        if self.at_op("(") and self.peek().is_op(")"):
            self.advance()
            self.advance()
        elif self._can_start_expr():
            value = self.parse_expr()
        self.end_stmt(f"'{tok.value}'")
        return ast.Exit(value, tok.pos) if tok.value == "exit" else ast.Drop(value, tok.pos)

    def parse_break(self, tok: Token) -> ast.Break:
        self.advance()
        self.end_stmt("'break'")
        return ast.Break(tok.pos)

    def parse_route_stmt(self, tok: Token) -> ast.Stmt:
        nxt = self.peek()
        if nxt.is_op("[", "{"):
            raise self.missing_brace(tok)
        self.advance()
        if not self.at_op("("):
            raise self.error_here(f"expected '(' after 'route', got {self.tok.describe()}")
        call = self.parse_route_call(tok)
        self.end_stmt("'route(...)'")
        return call

    def missing_brace(self, tok: Token) -> ConfigError:
        if self.open_blocks:
            outer = self.open_blocks[0]
            hint = f"{outer.what}, opened at {outer.pos}, is not closed before this block"
            if len(self.open_blocks) > 1:
                inner = self.open_blocks[-1]
                hint += f"; the innermost block still open is {inner.what}, opened at {inner.pos}"
            return self.error_at(
                tok, f"'{tok.value}' block inside {outer.what}: missing '}}'?", hint
            )
        return self.error_at(tok, f"unexpected '{tok.value}' block here")

    def parse_call_stmt(self, tok: Token) -> ast.Stmt:
        word = str(tok.value)
        nxt = self.peek()
        if word in ROUTE_WORDS and nxt.is_op("[", "{"):
            raise self.missing_brace(tok)
        if word in TOP_WORDS:
            raise (
                self.missing_brace(tok)
                if self.open_blocks
                else self.error_here(f"unexpected '{word}'")
            )
        if nxt.is_op("=") or (nxt.is_op(":") and self.peek(2).is_op("=")):
            if word in CORE_KEYWORDS:
                raise self.error_here(
                    f"cannot assign to the core keyword '{word}'",
                    hint="only pseudo-variables ($var(x), $avp(y), $ru, ...) can be assigned",
                )
            raise self.error_here(
                f"cannot assign to '{word}': only pseudo-variables can be assigned",
                hint=f"did you mean ${word} or $var({word})?",
            )
        self.advance()
        if self.at_op("("):
            call = self.parse_call(tok)
        elif word in BARE_CORE_FUNCTIONS:
            call = ast.Call(word, [], tok.pos, parens=False)
        else:
            raise self.error_here(
                f"expected '(' after function name '{word}', got {self.tok.describe()}",
                hint=f"functions are called with parentheses: {word}();",
            )
        self.end_stmt(f"the call to {word}()")
        return call

    def parse_assign(self) -> ast.Assign:
        tok = self.advance()
        target = parse_pv(tok, self)
        op_tok = self.tok
        if op_tok.is_op(":") and self.peek().is_op("="):
            raise self.error_here(
                "':=' is not an assignment operator in kamailio.cfg", hint="use '='"
            )
        if op_tok.is_op("+") and self.peek().is_op("="):
            raise self.error_here(
                "'+=' is not an assignment operator in kamailio.cfg",
                hint=f"write {tok.value} = {tok.value} + ...;",
            )
        if op_tok.is_op("["):
            raise self.error_here(
                f"an index needs the $(...) form: write $({str(tok.value)[1:]}[...])"
            )
        if not op_tok.is_op("="):
            raise self.error_here(
                f"expected '=' after {tok.value}, got {op_tok.describe()}",
                hint="a pseudo-variable on its own is not a statement",
            )
        self.advance()
        if target.name == "null" and target.inner is None:
            raise self.error_at(tok, "cannot assign to $null (read-only)")
        if self.at_op(";"):
            raise self.error_here(f"expected a value after '=', got {self.tok.describe()}")
        value = self.parse_expr()
        self.end_stmt("the assignment")
        return ast.Assign(target, "=", value, tok.pos)


_STMT_HANDLERS = {
    "if": StmtParser.parse_if,
    "else": StmtParser.parse_else,
    "while": StmtParser.parse_while,
    "switch": StmtParser.parse_switch,
    "case": StmtParser.parse_case_outside,
    "default": StmtParser.parse_case_outside,
    "return": StmtParser.parse_return,
    "exit": StmtParser.parse_exit_drop,
    "drop": StmtParser.parse_exit_drop,
    "break": StmtParser.parse_break,
    "route": StmtParser.parse_route_stmt,
}
