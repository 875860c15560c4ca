"""Module export tables, in the spirit of Kamailio's `module_exports`.

A siprouter module is the Python module `siprouter.modules.<name>` with a module-level
`EXPORTS: ModuleExports` naming everything the config can use from it:

* functions (`FunctionSpec`): the callable, the accepted argument counts, the kind of
  each argument (used by `-c` to check constant arguments), an optional one-time fixup
  for constant arguments, and the route types the function may be used in;
* parameters (`ParamSpec`): modparam type, default, optional validator/setter;
* pseudo-variables (`PVSpec`): getter, setter (None when read-only), inner-name rule;
* event routes the module runs, RPC commands, and init/child_init hooks.

Route types mirror Kamailio's masks (REQUEST_ROUTE, FAILURE_ROUTE, ...). As in
Kamailio, an event_route block is checked as a REQUEST route.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class RouteType(enum.IntFlag):
    """Where a function may be used (Kamailio's route type masks)."""

    REQUEST = 1
    FAILURE = 2
    TM_ONREPLY = 4  # onreply_route[name], armed by t_on_reply()
    BRANCH = 8
    ONSEND = 16
    ERROR = 32
    LOCAL = 64
    CORE_ONREPLY = 128  # reply_route / onreply_route without a name
    BRANCH_FAILURE = 256
    ONREPLY = TM_ONREPLY | CORE_ONREPLY
    EVENT = REQUEST  # Kamailio checks event_route blocks with the REQUEST mask
    ANY = 0x1FF

    def describe(self) -> str:
        names = [rt.name.lower() for rt in _NAMED_TYPES if rt in self and rt.name is not None]
        return ", ".join(names) if names else "none"


_NAMED_TYPES = (
    RouteType.REQUEST,
    RouteType.FAILURE,
    RouteType.TM_ONREPLY,
    RouteType.BRANCH,
    RouteType.ONSEND,
    RouteType.ERROR,
    RouteType.LOCAL,
    RouteType.CORE_ONREPLY,
    RouteType.BRANCH_FAILURE,
)

# Route type of each block kind of the AST (see cfg/ast.py ROUTE_KINDS). Named
# `route[X]` blocks are checked as REQUEST, as Kamailio's parser does.
BLOCK_ROUTE_TYPE: dict[str, RouteType] = {
    "request": RouteType.REQUEST,
    "route": RouteType.REQUEST,
    "failure": RouteType.FAILURE,
    "branch": RouteType.BRANCH,
    "reply": RouteType.CORE_ONREPLY,
    "onsend": RouteType.ONSEND,
    "event": RouteType.EVENT,
}


def block_route_type(kind: str, name: str = "") -> RouteType:
    """The route type a block is checked with; onreply_route[X] is TM's, the unnamed
    one (and onreply_route[0]) the core reply route."""
    if kind == "onreply":
        return RouteType.CORE_ONREPLY if name in ("", "0") else RouteType.TM_ONREPLY
    return BLOCK_ROUTE_TYPE[kind]


class ArgKind(enum.Enum):
    """What a function argument must be."""

    STR = "str"  # a string; may hold pseudo-variables (a format)
    INT = "int"  # an integer, or a string/PV yielding one
    PV = "pv"  # a pseudo-variable (name of a variable to read or write)
    REGEX = "regex"  # a regular expression
    ANY = "any"


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One exported config function.

    `func` is called by the routing engine with the message context first, then the
    arguments (as returned by `fixup` when there is one). `arg_counts` lists every accepted number of arguments (Kamailio functions often
    take 0..N). `arg_kinds[i]` is the kind of argument i; positions past its end use
    the last entry. `fixup`, when given, is called once per call site with the
    constant arguments and returns what the function receives at runtime.
    `dynamic_args` says whether arguments may be non-constant expressions (`$var(x)`
    unquoted, `$var(a) + 1`): Kamailio allows that only for functions whose fixup can
    run per call (search, pv_isset, setsflag, ...); for the others `-c` fails with
    "parameter N is not constant" and PVs go inside strings ("$var(x)"). True means
    every call; a tuple of argument counts means only calls with that many arguments
    (Kamailio 5.6.3 exports some arities with another fixup: append_body_part takes
    expressions with 2 arguments, not with 3). The engine then runs `fixup` once per
    distinct evaluated value (engine/call_args.py), so it must be pure. A PV argument
    of kind PV is always accepted. tools/probe_dynamic_args.py finds Kamailio's verdicts.
    """

    name: str
    func: Callable[..., Any]
    arg_counts: tuple[int, ...] = (0,)
    arg_kinds: tuple[ArgKind, ...] = ()
    route_types: RouteType = RouteType.ANY
    fixup: Callable[[Sequence[Any]], Sequence[Any]] | None = None
    dynamic_args: bool | tuple[int, ...] = False
    doc: str = ""

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise TypeError(f"function {self.name}: func must be callable")
        if not self.arg_counts:
            raise ValueError(f"function {self.name}: arg_counts must not be empty")
        if max(self.arg_counts) > 0 and not self.arg_kinds:
            raise ValueError(f"function {self.name}: arg_kinds needed for arguments")

    def dynamic_for(self, count: int) -> bool:
        """Whether a call with `count` arguments may give expressions."""
        if isinstance(self.dynamic_args, tuple):
            return count in self.dynamic_args
        return self.dynamic_args

    def kind_of(self, index: int) -> ArgKind:
        """Kind of argument `index` (0-based)."""
        if not self.arg_kinds:
            return ArgKind.ANY
        return self.arg_kinds[min(index, len(self.arg_kinds) - 1)]

    def counts_text(self) -> str:
        """The accepted counts for messages: "2", "0 or 1", "1..3"."""
        c = sorted(self.arg_counts)
        if len(c) == 1:
            return str(c[0])
        if c == list(range(c[0], c[-1] + 1)) and len(c) > 2:
            return f"{c[0]}..{c[-1]}"
        return ", ".join(map(str, c[:-1])) + f" or {c[-1]}"


def mark_dynamic(
    specs: Iterable[FunctionSpec], table: Mapping[str, bool | tuple[int, ...]]
) -> list[FunctionSpec]:
    """The specs with `dynamic_args` set from `table` (function name -> True or the
    argument counts); a name the specs lack is an error (a typo would go unnoticed)."""
    out = list(specs)
    unknown = set(table) - {s.name for s in out}
    if unknown:
        raise ValueError(f"dynamic_args for unknown functions: {sorted(unknown)}")
    return [
        dataclasses.replace(s, dynamic_args=table[s.name]) if s.name in table else s for s in out
    ]


class ParamType(enum.Flag):
    """modparam value types: Kamailio rejects an int for a string parameter and vice
    versa (`parameter <x> of type <2:int> not found`) unless it accepts both."""

    INT = 1
    STR = 2
    ANY = INT | STR


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One module parameter. `validator` returns the normalized value or raises
    ValueError; `setter` is called with it at modparam time (else it is stored);
    `multi` parameters may be given several times (each value is kept)."""

    name: str
    type: ParamType
    default: Any = None
    validator: Callable[[Any], Any] | None = None
    setter: Callable[[Any], None] | None = None
    multi: bool = False
    doc: str = ""

    def accepts_type(self, value: object) -> bool:
        if isinstance(value, int):  # bool is an int too (yes/no)
            return bool(self.type & ParamType.INT)
        return isinstance(value, str) and bool(self.type & ParamType.STR)


class InnerName(enum.Enum):
    """Whether a PV takes an inner name: `$ru` (NONE), `$var(x)` (REQUIRED)."""

    NONE = "none"
    REQUIRED = "required"
    OPTIONAL = "optional"


@dataclass(frozen=True, slots=True)
class PVSpec:
    """One pseudo-variable class: `$name` / `$name(inner)`."""

    name: str
    getter: Callable[..., Any]
    setter: Callable[..., Any] | None = None
    inner: InnerName = InnerName.NONE
    doc: str = ""

    @property
    def read_only(self) -> bool:
        return self.setter is None


@dataclass(frozen=True, slots=True)
class RpcSpec:
    """One RPC command (`module.command`)."""

    name: str
    func: Callable[..., Any]
    doc: str = ""


@dataclass(slots=True)
class ModuleExports:
    """Everything a module offers to the config, KEMI and RPC."""

    name: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    params: dict[str, ParamSpec] = field(default_factory=dict)
    pvs: dict[str, PVSpec] = field(default_factory=dict)
    event_routes: tuple[str, ...] = ()
    rpcs: dict[str, RpcSpec] = field(default_factory=dict)
    init: Callable[..., Any] | None = None
    child_init: Callable[..., Any] | None = None
    depends: tuple[str, ...] = ()  # modules that must be loaded too

    @classmethod
    def of(
        cls,
        name: str,
        *,
        functions: Sequence[FunctionSpec] = (),
        params: Sequence[ParamSpec] = (),
        pvs: Sequence[PVSpec] = (),
        rpcs: Sequence[RpcSpec] = (),
        **kw: Any,
    ) -> ModuleExports:
        """Build the tables from lists (keys are the specs' names; duplicates are an error)."""
        tables: list[dict[str, Any]] = []
        for specs in (functions, params, pvs, rpcs):
            table: dict[str, Any] = {}
            for spec in specs:
                if spec.name in table:
                    raise ValueError(f"module {name}: {spec.name} exported twice")
                table[spec.name] = spec
            tables.append(table)
        return cls(name, tables[0], tables[1], tables[2], rpcs=tables[3], **kw)

    def __post_init__(self) -> None:
        for table in (self.functions, self.params, self.pvs, self.rpcs):
            for key, spec in table.items():
                if key != spec.name:
                    raise ValueError(f"module {self.name}: key {key!r} != name {spec.name!r}")
