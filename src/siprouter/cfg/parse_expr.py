"""Expression part of the parser: operators and precedence, primaries, pseudo-variables,
selects, function-call arguments and address literals.

Precedence, lowest first (as in Kamailio's grammar): `||`; `&&`; `|`; `&`; `^`; `<<`;
`>>`; `== != =~ !~ eq ne ieq ine`; `> < >= <=`; `+ -`; `* / mod`; then the unary
operators `! - ~`, `defined`, and the casts `(int)`/`(str)`. All binary operators are
left-associative.
"""

from __future__ import annotations

from . import ast
from .lexer import Token
from .parse_base import ParserBase
from .parse_pv import parse_pv, parse_select

BINARY_PREC: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "&": 4,
    "^": 5,
    "<<": 6,
    ">>": 7,
    "==": 8, "!=": 8, "=~": 8, "!~": 8, "eq": 8, "ne": 8, "ieq": 8, "ine": 8,
    ">": 9, "<": 9, ">=": 9, "<=": 9,
    "+": 10, "-": 10,
    "*": 11, "/": 11, "mod": 11,
}  # fmt: skip
WORD_OPS = frozenset({"eq", "ne", "ieq", "ine", "mod"})
# Statement words: never a function name or a value.
RESERVED_WORDS = frozenset(
    {"if", "else", "while", "switch", "case", "default", "return", "exit", "drop", "break"}
)

CORE_KEYWORDS = frozenset(
    {
        "af", "dst_ip", "dst_port", "from_uri", "method", "msg:len", "proto", "status",
        "snd_af", "snd_ip", "snd_port", "snd_proto", "src_ip", "src_port", "to_ip",
        "to_port", "to_uri", "uri", "myself", "to_af", "to_proto",
    }
)  # fmt: skip
MYSELF_KEYWORDS = frozenset({"uri", "from_uri", "to_uri", "src_ip", "dst_ip", "snd_ip", "to_ip"})
# Core values, spelled all-lowercase or all-uppercase (as Kamailio's lexer has them).
# INET/INET6 are numbers usable anywhere; protocol names only after proto == ...
# (or as function arguments: udp_mtu_try_proto(TCP)).
INET_VALUES = {"inet": "INET", "INET": "INET", "inet6": "INET6", "INET6": "INET6"}
PROTO_VALUES = {
    w: w.upper() for p in ("udp", "tcp", "tls", "sctp", "ws", "wss") for w in (p, p.upper())
}
CORE_VALUES = frozenset(set(INET_VALUES) | set(PROTO_VALUES))
PROTO_KEYWORDS = frozenset({"proto", "snd_proto", "to_proto"})
# Keywords that may be compared with a bare name: a host name for the addresses,
# a method name for `method`.
ADDRESS_KEYWORDS = frozenset({"src_ip", "dst_ip", "snd_ip", "to_ip"})
IP_COMPARE_OPS = ("==", "!=", "=~", "!~")
MYSELF_OPS = ("==", "!=", "=~", "!~")
# Core keywords compared as numbers (the others as strings), and the operators allowed.
INT_KEYWORDS = frozenset(
    {
        "af", "snd_af", "to_af", "proto", "snd_proto", "to_proto", "src_port", "dst_port",
        "snd_port", "to_port", "msg:len",
    }
)  # fmt: skip
INT_KEYWORD_OPS = ("==", "!=", "<", ">", "<=", ">=", "eq", "ne")
STR_KEYWORD_OPS = ("==", "!=", "=~", "eq", "ne")
PROTOS = frozenset({"udp", "tcp", "tls", "sctp", "ws", "wss", "any"})
# Core functions whose arguments may be bare names or addresses (checked against
# kamailio 5.6.3; module functions take strings, numbers and variables only).
NAME_ARG_FUNCTIONS = frozenset(
    {
        "forward", "forward_udp", "forward_tcp", "forward_tls", "forward_sctp",
        "force_send_socket", "set_advertised_address", "setflag", "resetflag",
        "isflagset", "setavpflag", "resetavpflag", "isavpflagset", "udp_mtu_try_proto",
    }
)  # fmt: skip

# Boolean words as Kamailio's lexer reads them in expressions (lower case only).
_BOOL_WORDS = {
    "yes": True, "true": True, "on": True, "enable": True,
    "no": False, "false": False, "off": False, "disable": False,
}  # fmt: skip


class ExprParser(ParserBase):
    """Parses expressions; expects ParserBase's cursor."""

    # ------------------------------------------------------------------ operators

    def binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "OP" and tok.value in BINARY_PREC:
            return str(tok.value)
        if tok.kind == "ID" and tok.value in WORD_OPS:
            return str(tok.value)
        if tok.kind == "OP" and tok.value == "%":
            return "%"
        return None

    def parse_expr(self, min_prec: int = 1) -> ast.Expr:
        start = self.tok
        self.enter(start)
        try:
            left = self.parse_unary()
            while True:
                op = self.binary_op()
                if op == "%":
                    raise self.error_here(
                        "'%' is not an operator in kamailio.cfg", hint="use 'mod' for modulo"
                    )
                if op is None or BINARY_PREC[op] < min_prec:
                    return left
                optok = self.advance()
                right = self.parse_expr(BINARY_PREC[op] + 1) if self._can_start_expr() else None
                if right is None:
                    raise self.error_here(
                        f"expected an expression after '{op}', got {self.tok.describe()}"
                    )
                left = ast.BinOp(op, left, right, optok.pos)
        finally:
            self.leave()

    def _can_start_expr(self) -> bool:
        tok = self.tok
        if tok.kind in ("INT", "STRING", "PV", "SELECT", "IPV4", "IPV6"):
            return True
        if tok.kind == "ID":
            return tok.value not in WORD_OPS
        return tok.kind == "OP" and tok.value in ("(", "!", "-", "~", "[", "%")

    def parse_unary(self) -> ast.Expr:
        tok = self.tok
        if tok.kind == "OP" and tok.value in ("!", "-", "~"):
            self.advance()
            self.enter(tok)
            try:
                operand = self.parse_unary()
            finally:
                self.leave()
            if tok.value == "-" and isinstance(operand, ast.Literal) and operand.kind == "int":
                return ast.Literal(-int(operand.value), "int", tok.pos, "-" + operand.raw)
            return ast.UnOp(str(tok.value), operand, tok.pos)
        if tok.kind == "ID" and tok.value == "defined":
            self.advance()
            self.enter(tok)
            try:
                operand = self.parse_unary()
            finally:
                self.leave()
            return ast.UnOp("defined", operand, tok.pos)
        if tok.is_op("(") and self.peek().is_id("int", "str") and self.peek(2).is_op(")"):
            self.advance()
            typ = str(self.advance().value)
            self.advance()
            self.enter(tok)
            try:
                inner = self.parse_unary()
            finally:
                self.leave()
            return ast.Cast(typ, inner, tok.pos)
        return self.parse_primary()

    # ------------------------------------------------------------------ primaries

    def parse_primary(self) -> ast.Expr:
        tok = self.tok
        kind = tok.kind
        if kind == "INT":
            self.advance()
            return ast.Literal(int(tok.value), "int", tok.pos, self.raw(tok.start, tok.end))  # type: ignore[call-overload]
        if kind == "STRING":
            value, first = self.expect_string("")
            return ast.Literal(value, "str", first.pos, self.raw(first.start, self.prev_end()))
        if kind == "PV":
            self.advance()
            if self.at_op("[") and self.adjacent():
                raise self.error_here(
                    f"an index needs the $(...) form: write $({str(tok.value)[1:]}[...])"
                )
            return parse_pv(tok, self)
        if tok.is_op("%") and self.peek().kind == "ID" and self.peek().start == tok.end:
            # old AVP syntax %name, the same as $avp(name)
            self.advance()
            name = self.advance()
            return ast.PV("avp", tok.pos, str(name.value), None, [], self.raw(tok.start, name.end))
        if kind == "SELECT":
            self.advance()
            return parse_select(tok)
        if kind in ("IPV4", "IPV6") or tok.is_op("["):
            prev = self.toks[self.i - 2 : self.i] if self.i >= 2 else []
            if not (
                len(prev) == 2
                and (prev[1].is_op(*IP_COMPARE_OPS) or prev[1].is_id("eq", "ne", "ieq", "ine"))
                and prev[0].is_id(*ADDRESS_KEYWORDS)
            ):
                raise self.error_here(
                    "an IP address literal can only be compared with "
                    + ", ".join(sorted(ADDRESS_KEYWORDS)),
                    hint="quote it to use it as a string",
                )
            return self.parse_ip()
        if tok.is_op("("):
            self.advance()
            inner = self.parse_expr()
            self.expect_op(")", "to close '(' of the expression", self._opened_hint(tok))
            return inner
        if kind == "ID":
            return self.parse_word()
        raise self.error_here(f"expected an expression, got {tok.describe()}")

    def _opened_hint(self, tok: Token) -> str:
        return f"the '(' was opened at {tok.pos}"

    def parse_word(self, allow_ident: bool = False) -> ast.Expr:
        tok = self.advance()
        word = str(tok.value)
        if word in ("strlen", "strempty"):
            self.expect_op("(", f"after '{word}'")
            arg = self.parse_expr()
            self.expect_op(")", f"to close '{word}('")
            return ast.UnOp(word, arg, tok.pos)
        if word == "selval" and self.at_op("("):
            self.advance()
            cond = self.parse_expr()
            self.expect_op(",", "after the condition of selval(cond, a, b)")
            a = self.parse_expr()
            self.expect_op(",", "after the second argument of selval(cond, a, b)")
            b = self.parse_expr()
            self.expect_op(")", "to close selval(")
            return ast.SelVal(cond, a, b, tok.pos)
        if word == "route" and self.at_op("("):
            return self.parse_route_call(tok)
        if word in RESERVED_WORDS:
            raise self.error_at(
                tok,
                f"unexpected '{word}' in an expression",
                hint=f"'{word}' starts a statement; a ')' or ';' may be missing before it",
            )
        if word == "max_len":
            raise self.error_at(tok, "the core keyword 'max_len' was removed from Kamailio")
        if word == "uri" and self.at_op(":") and self.adjacent():
            # old forward() argument forms uri:host and uri:port
            nxt = self.peek()
            if nxt.is_id("host", "port") and nxt.start == self.tok.end:
                self.advance()
                self.advance()
                return ast.Keyword(f"uri:{nxt.value}", tok.pos)
        if word == "myself":
            return self.parse_myself(tok)
        if word in CORE_KEYWORDS:
            return self.parse_keyword_cmp(tok)
        if word in INET_VALUES:
            return ast.CoreValue(INET_VALUES[word], tok.pos)
        if word in PROTO_VALUES and not self.at_op("("):
            j = self.i - 1
            prev = self.toks[j - 2 : j] if j >= 2 else []
            after_proto = (
                len(prev) == 2
                and (prev[1].is_op("==", "!=") or prev[1].is_id("eq", "ne"))
                and prev[0].is_id(*PROTO_KEYWORDS)
            )
            if not (after_proto or allow_ident):
                raise self.error_at(
                    tok,
                    f"'{word}' can only be compared with proto, snd_proto or to_proto",
                    hint=f"e.g. if (proto == {word}) ...",
                )
            return ast.CoreValue(PROTO_VALUES[word], tok.pos)
        if word in _BOOL_WORDS and not self.at_op("("):
            # Kamailio's lexer reads these words as the numbers 1 and 0 everywhere
            return ast.BoolLit(_BOOL_WORDS[word], word, tok.pos)
        if self.at_op("("):
            return self.parse_call(tok)
        if not allow_ident:
            raise self.error_at(
                tok,
                f"unknown identifier '{word}' in an expression",
                hint="an undefined #!define? bare names are only function arguments "
                "(setflag(FLAG_X)); strings need quotes",
            )
        # a bare identifier, possibly a dotted host name (forward(sip.example.com))
        end = tok.end
        while self.at_op(".") and self.adjacent() and self.peek().kind in ("ID", "INT"):
            if self.toks[self.i + 1].start != self.tok.end:
                break
            self.advance()
            end = self.advance().end
        return ast.Ident(self.raw(tok.start, end), tok.pos)

    def parse_keyword_cmp(self, tok: Token) -> ast.BinOp:
        """`keyword op value` (the keyword was just consumed): core keywords only stand
        as the left side of a comparison, with the operators Kamailio allows for them."""
        word = str(tok.value)
        allowed = INT_KEYWORD_OPS if word in INT_KEYWORDS else STR_KEYWORD_OPS
        op = self.binary_op()
        if op not in allowed:
            raise self.error_here(
                f"expected one of {' '.join(allowed)} after '{word}', got {self.tok.describe()}",
                hint=f"core keywords are only compared: if ({word} == ...)",
            )
        optok = self.advance()
        t = self.tok
        bare_name = (
            t.kind == "ID"
            and t.value not in CORE_KEYWORDS
            and t.value not in CORE_VALUES
            and not self.peek().is_op("(")
        )
        if bare_name and (
            word in ADDRESS_KEYWORDS or (word == "method" and not self.peek().is_op("."))
        ):
            # src_ip == host.name, method == INVITE
            right = self.parse_word(allow_ident=True)
        elif self._can_start_expr():
            right = self.parse_expr(BINARY_PREC[op] + 1)
        else:
            raise self.error_here(f"expected a value after '{word} {op}', got {t.describe()}")
        if word in ADDRESS_KEYWORDS and isinstance(right, ast.Literal) and right.kind == "int":
            raise self.error_at(
                t,
                f"expected an address, a host name or a string after '{word} {op}', got a number",
            )
        return ast.BinOp(op, ast.Keyword(word, tok.pos), right, optok.pos)

    def parse_myself(self, tok: Token) -> ast.Expr:
        """`myself` (just consumed): right side of `uri == myself`, or `myself == uri`."""
        j = self.i - 1
        before = self.toks[j - 2 : j] if j >= 2 else []
        if (
            len(before) == 2
            and (before[1].is_op(*MYSELF_OPS) or before[1].is_id("eq", "ne"))
            and before[0].is_id(*MYSELF_KEYWORDS)
        ):
            return ast.Keyword("myself", tok.pos)
        op = self.binary_op()
        if op in (*MYSELF_OPS, "eq", "ne") and self.peek().is_id(*MYSELF_KEYWORDS):
            optok = self.advance()
            kw = self.advance()
            return ast.BinOp(
                op, ast.Keyword("myself", tok.pos), ast.Keyword(str(kw.value), kw.pos), optok.pos
            )
        raise self.error_at(
            tok,
            "'myself' can only be compared with " + ", ".join(sorted(MYSELF_KEYWORDS)),
            hint="e.g. if (uri == myself) ...; or use is_myself(...)",
        )

    def parse_route_call(self, tok: Token) -> ast.RouteCall:
        self.expect_op("(", "after 'route'")
        t = self.tok
        target: str | ast.Expr
        if (t.kind in ("ID", "INT") and self.peek().is_op(")")) or (
            t.kind == "STRING" and self.peek().is_op(")")
        ):
            self.advance()
            target = str(t.value)
        elif self.at_op(")"):
            raise self.error_here("route() needs a route name", hint="e.g. route(RELAY);")
        else:
            target = self.parse_expr()
        self.expect_op(")", "to close 'route('")
        return ast.RouteCall(target, tok.pos)

    def parse_call(self, tok: Token) -> ast.Call:
        open_tok = self.expect_op("(", f"after '{tok.value}'")
        name = str(tok.value)
        args: list[ast.Expr] = []
        if not self.at_op(")"):
            while True:
                args.append(self.parse_arg(name))
                if self.accept_op(","):
                    continue
                if self.at_op(")"):
                    break
                raise self.error_here(
                    f"expected ',' or ')' in the arguments of {name}(), got {self.tok.describe()}",
                    f"the '(' was opened at {open_tok.pos}",
                )
        self.advance()
        return ast.Call(name, args, tok.pos)

    def parse_arg(self, fname: str) -> ast.Expr:
        """A function argument: an expression; for the core functions that take them, also
        a bare name (flag, host, protocol) or an address `[proto:]host[:port]`."""
        if fname not in NAME_ARG_FUNCTIONS:
            tok = self.tok
            if tok.kind == "ID" and self._bare_word_arg():
                raise self.error_at(
                    tok,
                    f"unknown identifier '{tok.value}' as an argument of {fname}()",
                    hint=f'quote it ("{tok.value}") if it is a string; '
                    "or is it a #!define that is not defined?",
                )
            return self.parse_expr()
        tok = self.tok
        nxt = self.peek()
        if (
            tok.kind == "ID"
            and str(tok.value).lower() in PROTOS
            and nxt.is_op(":")
            and nxt.start == tok.end
        ):
            return self.parse_hostport()
        if tok.kind in ("IPV4", "IPV6") or tok.is_op("["):
            start = self.i
            ip = self.parse_ip()
            if self.at_op(":") and self.adjacent():
                self.i = start
                return self.parse_hostport()
            return self._continue_expr(ip)
        if tok.kind == "ID":
            start = self.i
            word = self.parse_word(allow_ident=True)
            if self.at_op(",", ")"):
                return word
            if (
                isinstance(word, ast.Ident)
                and self.at_op(":")
                and self.adjacent()
                and self.peek().kind == "INT"
            ):
                self.i = start
                return self.parse_hostport()
            self.i = start
        return self.parse_expr()

    def _bare_word_arg(self) -> bool:
        """At an identifier that would be a bare name (not a keyword, value or call)."""
        word = str(self.tok.value)
        if word in CORE_KEYWORDS or word in INET_VALUES or word in WORD_OPS:
            return False
        if word in ("defined", "strlen", "strempty", "selval", "route", "max_len"):
            return False
        if word in PROTO_VALUES:
            return False  # parse_word explains where protocol names may stand
        return not self.peek().is_op("(")

    def _continue_expr(self, left: ast.Expr) -> ast.Expr:
        """Continue a binary expression whose first operand is already parsed."""
        while True:
            op = self.binary_op()
            if op is None or op == "%":
                return left
            optok = self.advance()
            right = self.parse_expr(BINARY_PREC[op] + 1)
            left = ast.BinOp(op, left, right, optok.pos)

    # ------------------------------------------------------------------ addresses

    def parse_ip(self) -> ast.IPAddr:
        """IPv4, IPv6 or [IPv6], with an optional /mask (network)."""
        tok = self.tok
        start = tok.start
        if tok.is_op("["):
            self.advance()
            if self.tok.kind != "IPV6":
                raise self.error_here(
                    f"expected an IPv6 address after '[', got {self.tok.describe()}"
                )
            addr = str(self.advance().value)
            self.expect_op("]", "to close the IPv6 address")
            version = 6
        else:
            self.advance()
            addr = str(tok.value)
            version = 4 if tok.kind == "IPV4" else 6
        mask: str | None = None
        if self.at_op("/") and self.peek().kind in ("INT", "IPV4"):
            self.advance()
            m = self.advance()
            mask = str(m.value)
        return ast.IPAddr(addr, version, tok.pos, mask, self.raw(start, self.prev_end()))

    def parse_hostport(self) -> ast.HostPort:
        """`[proto:]host[:port]` with every part adjacent (no spaces)."""
        first = self.tok
        proto: str | None = None
        if (
            first.kind == "ID"
            and str(first.value).lower() in PROTOS
            and self.peek().is_op(":")
            and self.peek().start == first.end
        ):
            proto = str(first.value).lower()
            self.advance()
            self.advance()
        host = self.parse_host_text()
        port: int | None = None
        if self.at_op(":") and self.adjacent():
            self.advance()
            if self.tok.kind != "INT" or not self.adjacent():
                raise self.error_here(
                    f"expected a port number after ':', got {self.tok.describe()}"
                )
            port = int(self.advance().value)  # type: ignore[call-overload]
        return ast.HostPort(proto, host, port, first.pos, self.raw(first.start, self.prev_end()))

    def parse_host_text(self) -> str:
        """A host: IPv4, IPv6, [IPv6], a quoted string or a dotted/dashed name."""
        tok = self.tok
        if tok.kind in ("IPV4", "IPV6"):
            self.advance()
            return str(tok.value)
        if tok.is_op("["):
            self.advance()
            if self.tok.kind != "IPV6":
                raise self.error_here(
                    f"expected an IPv6 address after '[', got {self.tok.describe()}"
                )
            addr = str(self.advance().value)
            self.expect_op("]", "to close the IPv6 address")
            return addr
        if tok.kind == "STRING":
            self.advance()
            return str(tok.value)
        if tok.kind in ("ID", "INT"):
            self.advance()
            end = tok.end
            while (
                self.at_op(".", "-")
                and self.tok.start == end
                and self.peek().kind in ("ID", "INT")
                and self.peek().start == self.tok.end
            ):
                self.advance()
                end = self.advance().end
            return self.raw(tok.start, end)
        raise self.error_here(f"expected a host name or address, got {tok.describe()}")
