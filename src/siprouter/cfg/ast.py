"""AST of the kamailio.cfg language: what the parser builds and the checker/compiler read.

Every node carries `pos` (the original file:line:col, via the SourceMap). Nodes are
plain dataclasses with slots; lists keep source order. Node names and fields are a
contract for later passes: add fields, do not rename them.

Shape overview:

    Config
      items            all top-level items in source order (the order matters,
                       e.g. `socket_workers` applies to the listens that follow)
      params           Param            core parameter `name = value`
      custom_params    CustomParam      `group.var = value [desc "text"]`
      listens          Listen           `listen = ...` / `alias = ...` (one per address)
      sockets          SocketBlock      `socket = { bind = ...; ... }`
      flags            FlagDecl         `flags NAME[:pos], ...` / `avpflags ...`
      loadmodules      LoadModule       `loadmodule "x.so"` / loadmodulex
      loadpath         LoadPath         `loadpath "dir"` (also `mpath = "dir"`, kept as Param)
      modparams        ModParam         `modparam("mod", "name", value)` / modparamx
      cfgengines       CfgEngine        `cfgengine "native"`
      routes           kind -> {name: RouteBlock}; an unnamed block defined twice
                       (`route {}` and `request_route {}`) is one block with both
                       bodies in order, as Kamailio appends them
      route_list       every RouteBlock in source order, as written

Route kinds (canonical, see ROUTE_KINDS): request, route, failure, branch, reply,
onreply, onsend, event. The unnamed block of a kind has name "". `route {}`,
`route[0]` and `request_route {}` are kind "request"; `onreply_route[0]` is the unnamed
onreply block; numeric names are normalised (`failure_route[01]` is "1").

Expression shapes worth knowing (they follow Kamailio's grammar):
- a core keyword only appears as BinOp(op, Keyword, value) (`method == "INVITE"`,
  `src_ip == 10.0.0.0/8`, `uri == myself`; also `myself == uri`), and `!` in front of
  it negates the whole comparison: `!src_ip == x` is UnOp("!", BinOp(...));
- the value of `src_ip == host.name` / `method == INVITE` is an Ident;
- CoreValue names are upper case (INET, INET6, UDP, TCP, TLS, SCTP, WS, WSS);
- Ident also appears as an argument of the core functions that take bare names
  (setflag(FLAG), forward(host), udp_mtu_try_proto(TCP) gives CoreValue);
- `-1` is Literal(-1); adjacent double-quoted strings are one Literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Pos

# Canonical route kind for each routing-block keyword.
ROUTE_KINDS: dict[str, str] = {
    "request_route": "request",
    "route": "route",  # `route {}` / `route[0]` map to "request" in the parser
    "failure_route": "failure",
    "branch_route": "branch",
    "reply_route": "reply",
    "onreply_route": "onreply",
    "onsend_route": "onsend",
    "event_route": "event",
}


# --------------------------------------------------------------------------- expressions


@dataclass(slots=True)
class Literal:
    """An int or string constant (`kind` is "int" or "str"); `raw` is the source text."""

    value: int | str
    kind: str
    pos: Pos
    raw: str = ""


@dataclass(slots=True)
class BoolLit:
    """yes/no/on/off/true/false/enable/disable (param values and expressions)."""

    value: bool
    word: str
    pos: Pos


@dataclass(slots=True)
class Ident:
    """A bare identifier, possibly dotted (`FLAG_NAT`, `LOG_LOCAL0`, `sip.example.com`)."""

    name: str
    pos: Pos


@dataclass(slots=True)
class Keyword:
    """A core keyword used as a value: method, uri, src_ip, myself, status, msg:len, ..."""

    name: str
    pos: Pos


@dataclass(slots=True)
class CoreValue:
    """A core value constant: INET, INET6, UDP, TCP, TLS, SCTP, WS, WSS, MAX_URI_SIZE, ..."""

    name: str
    pos: Pos


@dataclass(slots=True)
class IPAddr:
    """An IPv4/IPv6 literal, optionally a network (`10.0.0.0/8`, `[::1]`); `mask` is the
    prefix length or netmask text when present."""

    addr: str
    version: int
    pos: Pos
    mask: str | None = None
    raw: str = ""


@dataclass(slots=True)
class HostPort:
    """An address argument `[proto:]host[:port]` such as `udp:1.2.3.4:5060` (e.g. for
    force_send_socket); `raw` is the source text."""

    proto: str | None
    host: str
    port: int | None
    pos: Pos
    raw: str = ""


@dataclass(slots=True)
class PV:
    """A pseudo-variable: `$name`, `$name(inner)`, `$(name(inner)[index]{tr}...)`.

    `inner` is the text inside the parentheses (e.g. "x" for `$var(x)`, "tbl=>key" for
    `$sht(tbl=>key)`, "s:name" for `$avp(s:name)`), `index` the text inside [] ("1", "*",
    "-1", "$var(i)"), `transforms` each `{...}` body without braces (e.g. "s.len").
    `raw` is the full source text. `$null` is PV(name="null").
    """

    name: str
    pos: Pos
    inner: str | None = None
    index: str | None = None
    transforms: list[str] = field(default_factory=list)
    raw: str = ""


@dataclass(slots=True)
class SelectPart:
    """One `.name` of a select, with an optional `[index]` (int or string)."""

    name: str
    index: int | str | None = None


@dataclass(slots=True)
class Select:
    """A select: `@via[1].host`, `@from.uri`; `raw` is the source text."""

    parts: list[SelectPart]
    pos: Pos
    raw: str = ""


@dataclass(slots=True)
class BinOp:
    """Binary operator. `op` is the canonical spelling: || && | & ^ << >> == != =~ !~
    eq ne ieq ine > < >= <= + - * / mod (`%` becomes "mod")."""

    op: str
    left: Expr
    right: Expr
    pos: Pos


@dataclass(slots=True)
class UnOp:
    """Unary operator: "!", "-", "~", "defined", "strlen", "strempty"."""

    op: str
    operand: Expr
    pos: Pos


@dataclass(slots=True)
class Cast:
    """`(int)expr` or `(str)expr`; `type` is "int" or "str"."""

    type: str
    expr: Expr
    pos: Pos


@dataclass(slots=True)
class SelVal:
    """`selval(cond, if_true, if_false)`."""

    cond: Expr
    if_true: Expr
    if_false: Expr
    pos: Pos


@dataclass(slots=True)
class Call:
    """A function call (core or module), as a statement or inside an expression.
    `parens` is False for a bare call without parentheses (`t_relay;`)."""

    name: str
    args: list[Expr]
    pos: Pos
    parens: bool = True


# --------------------------------------------------------------------------- statements


@dataclass(slots=True)
class If:
    """`if (cond) then [else otherwise]`; an else-if chain is `otherwise == [If(...)]`.
    `otherwise` is None when there is no else."""

    cond: Expr
    then: list[Stmt]
    otherwise: list[Stmt] | None
    pos: Pos
    else_pos: Pos | None = None


@dataclass(slots=True)
class Case:
    """One `case value:` (value is a Literal; `regex` for `case /"re":`) or `default:`
    (value None). A case with an empty body falls through to the next one."""

    value: Expr | None
    body: list[Stmt]
    pos: Pos
    regex: bool = False

    @property
    def is_default(self) -> bool:
        return self.value is None


@dataclass(slots=True)
class Switch:
    """`switch (expr) { case ...: ... default: ... }`."""

    expr: Expr
    cases: list[Case]
    pos: Pos


@dataclass(slots=True)
class While:
    """`while (cond) body`."""

    cond: Expr
    body: list[Stmt]
    pos: Pos


@dataclass(slots=True)
class Return:
    """`return;`, `return 1;`, `return(expr);`."""

    value: Expr | None
    pos: Pos


@dataclass(slots=True)
class Exit:
    """`exit;` (or `exit(code)`)."""

    value: Expr | None
    pos: Pos


@dataclass(slots=True)
class Drop:
    """`drop;` (or `drop(code)`)."""

    value: Expr | None
    pos: Pos


@dataclass(slots=True)
class Break:
    """`break;` (inside switch/while)."""

    pos: Pos


@dataclass(slots=True)
class RouteCall:
    """`route(NAME)`; `target` is the name (str) or an expression for a dynamic name
    (`route($var(r))`, `route("A" + $var(x))`). Also usable in expressions
    (`if (route(X))` tests the route's return value)."""

    target: str | Expr
    pos: Pos


@dataclass(slots=True)
class Assign:
    """`lhs = rhs`, `lhs := rhs` or `lhs += rhs`; `op` is "=", ":=" or "+="."""

    target: PV | Select | Keyword | Ident
    op: str
    value: Expr
    pos: Pos


Expr = (
    Literal
    | BoolLit
    | Ident
    | Keyword
    | CoreValue
    | IPAddr
    | HostPort
    | PV
    | Select
    | BinOp
    | UnOp
    | Cast
    | SelVal
    | Call
    | RouteCall
)

Stmt = If | Switch | While | Return | Exit | Drop | Break | RouteCall | Assign | Call


# --------------------------------------------------------------------------- top level


@dataclass(slots=True)
class ValueList:
    """A parenthesised or space/comma separated list of values in a parameter."""

    items: list[Any]
    pos: Pos


ParamValue = Literal | BoolLit | Ident | IPAddr | HostPort | ValueList


@dataclass(slots=True)
class Param:
    """A core parameter assignment `name = value` (`name` may be dotted, e.g.
    `kemi.onsend_route_callback`). `raw` is the value's source text."""

    name: str
    value: ParamValue
    pos: Pos
    raw: str = ""
    value_pos: Pos | None = None


@dataclass(slots=True)
class CustomParam:
    """`group.var = value [desc "text"]`; value is an int or string Literal."""

    group: str
    name: str
    value: Literal
    pos: Pos
    desc: str | None = None


@dataclass(slots=True)
class Listen:
    """One socket of a `listen = ...` value, or one address of `alias = ...` (`param`
    says which; "socket" for the bind of a socket block). `raw` is the source text
    handed to listen.py: the whole listen value (e.g. `udp:1.2.3.4:5060 advertise
    5.6.7.8:5060 name "s1"`; a value with several sockets gives several Listen nodes
    with the same raw), or one alias. `spec` is listen.ListenSpec for listen/socket and
    the (host, port, proto) tuple of listen.parse_alias for alias."""

    param: str
    raw: str
    pos: Pos
    spec: Any = None


@dataclass(slots=True)
class SocketAttr:
    """One `attr = value;` inside a `socket = { ... }` block; `raw` is the value text."""

    name: str
    value: ParamValue
    pos: Pos
    raw: str = ""


@dataclass(slots=True)
class SocketBlock:
    """`socket = { bind = ...; advertise = ...; name = ...; virtual = ...; }`."""

    attrs: list[SocketAttr]
    pos: Pos
    # The bind address parsed as a listen (raw text and spec) when present.
    bind: Listen | None = None


@dataclass(slots=True)
class FlagDef:
    """One `NAME` or `NAME:pos` of a flags declaration."""

    name: str
    position: int | None
    pos: Pos


@dataclass(slots=True)
class FlagDecl:
    """`flags A, B:2;` (`kind` "flags") or `avpflags ...` (`kind` "avpflags")."""

    kind: str
    flags: list[FlagDef]
    pos: Pos


@dataclass(slots=True)
class LoadModule:
    """`loadmodule "x.so"`, `loadmodule("x.so")`, `loadmodule("x.so", "opts")`, and the
    `loadmodulex` variants (`expand` True: the path may hold $def/$env variables)."""

    path: str
    pos: Pos
    opts: str | None = None
    expand: bool = False


@dataclass(slots=True)
class LoadPath:
    """`loadpath "dir"` (also spelled `mpath "dir"`)."""

    path: str
    pos: Pos


@dataclass(slots=True)
class ModParam:
    """`modparam("mod", "param", value)`; value is an int or string Literal.
    `expand` for modparamx (values may hold $def/$env variables)."""

    module: str
    name: str
    value: Literal
    pos: Pos
    expand: bool = False


@dataclass(slots=True)
class CfgEngine:
    """`cfgengine "native"` / `cfgengine "python"`."""

    name: str
    pos: Pos


@dataclass(slots=True)
class RouteBlock:
    """A routing block. `kind` is canonical (see ROUTE_KINDS), `name` the block name
    ("" when unnamed), `keyword` the word as written (e.g. "route", "request_route")."""

    kind: str
    name: str
    body: list[Stmt]
    pos: Pos
    keyword: str = ""
    name_pos: Pos | None = None


TopItem = (
    Param
    | CustomParam
    | Listen
    | SocketBlock
    | FlagDecl
    | LoadModule
    | LoadPath
    | ModParam
    | CfgEngine
    | RouteBlock
)


@dataclass(slots=True)
class Config:
    """A whole parsed configuration."""

    pos: Pos
    items: list[TopItem] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    custom_params: list[CustomParam] = field(default_factory=list)
    listens: list[Listen] = field(default_factory=list)
    sockets: list[SocketBlock] = field(default_factory=list)
    flags: list[FlagDecl] = field(default_factory=list)
    loadmodules: list[LoadModule] = field(default_factory=list)
    loadpath: list[LoadPath] = field(default_factory=list)
    modparams: list[ModParam] = field(default_factory=list)
    cfgengines: list[CfgEngine] = field(default_factory=list)
    routes: dict[str, dict[str, RouteBlock]] = field(default_factory=dict)
    route_list: list[RouteBlock] = field(default_factory=list)

    def route(self, kind: str, name: str = "") -> RouteBlock | None:
        """The block of `kind` (canonical) and `name`, or None."""
        return self.routes.get(kind, {}).get(name)
