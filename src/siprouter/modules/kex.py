"""The `kex` module: core extensions with dynamic arguments (Kamailio's kex).

Functions (ANY route; implementations in kex_flags.py and kex_core.py, which document
their semantics; checked against Kamailio 5.6.3 in tests/compat/cases/kex.toml):
setsflag, resetsflag, issflagset (script flags), setbflag, resetbflag, isbflagset
(branch flags, optional branch index), setdsturi, resetdsturi, isdsturiset, pv_printf
and its alias avp_printf, is_myself, is_myhost, setdebug, resetdebug.

Flag, branch and level arguments are an int, a numeric string or one pseudo-variable
holding an int ("$var(f)"); URI and format arguments may hold pseudo-variables; the
first argument of pv_printf is a writable pseudo-variable.

Pseudo-variable: $sruid (kex_sruid.py), a new unique id at each read.

RPC commands: core.echo, core.prints, core.printi, core.pwd, core.arg, core.version,
core.uptime, core.sockets_list (kex_rpc.py). kex's statistics and their stats.* commands
come from siprouter/stats (attached to kex by rpc/registry.ATTACHED); kex_rpc.py lists
the core.* commands not provided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from siprouter.modules.registry import ArgKind, FunctionSpec, ModuleExports, PVSpec

from . import kex_core as core
from . import kex_flags as flags
from .kex_args import fix_format, fix_int_or_pv, fix_out_pv
from .kex_rpc import RPCS, mark_start
from .kex_sruid import get_sruid

_FIX: dict[str, Callable[[Any], Any]] = {
    "i": fix_int_or_pv,
    "f": fix_format,
    "o": fix_out_pv,
}


def _fixup(kinds: str) -> Callable[[Sequence[Any]], Sequence[Any]]:
    def fix(args: Sequence[Any]) -> list[Any]:
        return [_FIX[kinds[i]](a) for i, a in enumerate(args)]

    return fix


# Functions taking expression arguments: Kamailio 5.6.3's `-c` accepts them (its igp/spve
# fixups run per call; engine/call_args.py does the same with ours); verdicts from
# tools/probe_dynamic_args.py, pinned in tests/unit/modules/test_dynamic_args_table.py.
# pv_printf/avp_printf are refused by Kamailio. is_myhost is not in 5.6.3: it takes
# expressions like is_myself (the same fixup in later releases).
DYNAMIC_ARGS = frozenset(
    (
        "setsflag", "resetsflag", "issflagset", "setbflag", "resetbflag", "isbflagset",
        "setdsturi", "is_myself", "setdebug", "is_myhost",
    )
)  # fmt: skip


def _spec(
    name: str, func: Callable[..., int], kinds: str, counts: tuple[int, ...] | None = None
) -> FunctionSpec:
    # expressions are accepted where Kamailio 5.6.3 accepts them (DYNAMIC_ARGS)
    dynamic = name in DYNAMIC_ARGS
    return FunctionSpec(
        name,
        func,
        counts if counts is not None else (len(kinds),),
        tuple(ArgKind.STR for _ in kinds),
        fixup=_fixup(kinds) if kinds else None,
        dynamic_args=dynamic,
        doc=(func.__doc__ or "").strip().split("\n")[0],
    )


EXPORTS = ModuleExports.of(
    "kex",
    functions=[
        _spec("setsflag", flags.setsflag, "i"),
        _spec("resetsflag", flags.resetsflag, "i"),
        _spec("issflagset", flags.issflagset, "i"),
        _spec("setbflag", flags.setbflag, "ii", (1, 2)),
        _spec("resetbflag", flags.resetbflag, "ii", (1, 2)),
        _spec("isbflagset", flags.isbflagset, "ii", (1, 2)),
        _spec("setdsturi", core.setdsturi, "f"),
        _spec("resetdsturi", core.resetdsturi, ""),
        _spec("isdsturiset", core.isdsturiset, ""),
        _spec("pv_printf", core.pv_printf, "of"),
        _spec("avp_printf", core.pv_printf, "of"),
        _spec("is_myself", core.is_myself, "f"),
        _spec("is_myhost", core.is_myhost, "f"),
        _spec("setdebug", core.setdebug, "i"),
        _spec("resetdebug", core.resetdebug, ""),
    ],
    pvs=[PVSpec("sruid", get_sruid, doc="a unique id, new at each read")],
    rpcs=RPCS,
    init=lambda _lm: mark_start(),
)
