"""The stats.* RPC commands over the statistics registry (Kamailio's kex provides them;
rpc/registry.py attaches them to a loaded kex).

Each takes statistic selectors as string parameters (others are skipped): `all`, a
group followed by a colon (`core:`), or a bare statistic name (`rcv_requests`; a
`group:name` form selects nothing, as in Kamailio 5.6.3). Results as Kamailio 5.6.3's
jsonrpcs gives them:

* stats.get_statistics: a list of "group:name = value" lines;
* stats.fetch / stats.fetchn: an object "group.name" -> value as a string / a number;

Values are printed unsigned (64 bits: a statistic updated below zero, -26, reads
18446744073709551590), and fetchn's numbers go through a double as in Kamailio
(that one reads 18446744073709551616); cnt.* show the signed value.

* stats.reset_statistics: resets the selected statistics that allow it; `{}`;
* stats.clear_statistics: the same, printing "group:name = 0 (old)" for a statistic
  reset from a non-zero value and "group:name = value" for the others; jsonrpcs keeps
  only the last line printed, so that line is the result (`{}` when none).

No selector at all is error 400 ("Please provide which stats to retrieve" for the
reads, "Please provide stats name" for reset and clear).
"""

from __future__ import annotations

from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc.registry import RpcError

from .registry import Stat, registry


def select(params: tuple[Any, ...], missing: str) -> list[Stat]:
    """The statistics the selectors name, in request order (a group sorted by name)."""
    names = [p for p in params if isinstance(p, str)]
    if not names:
        raise RpcError(400, missing)
    reg = registry()
    out: list[Stat] = []
    for sel in names:
        if sel == "all":
            out.extend(reg.all())
        elif sel.endswith(":"):
            out.extend(reg.in_group(sel[:-1]))
        else:
            st = reg.find(sel)
            if st is not None:
                out.append(st)
    return out


_READ = "Please provide which stats to retrieve"
_RESET = "Please provide stats name"


def get_statistics(*params: Any) -> list[str]:
    return [f"{st.full_name} = {st.unsigned()}" for st in select(params, _READ)]


def fetch(*params: Any) -> dict[str, str]:
    return {f"{st.group}.{st.name}": str(st.unsigned()) for st in select(params, _READ)}


def fetchn(*params: Any) -> dict[str, int]:
    # Kamailio sends these numbers as doubles: exact up to 2^53, rounded above
    return {f"{st.group}.{st.name}": int(float(st.unsigned())) for st in select(params, _READ)}


def reset_statistics(*params: Any) -> None:
    for st in select(params, _RESET):
        st.reset()


def clear_statistics(*params: Any) -> str | None:
    last: str | None = None
    for st in select(params, _RESET):
        old = st.unsigned()
        if st.reset() and old != 0:
            last = f"{st.full_name} = 0 ({old})"
        else:
            last = f"{st.full_name} = {st.unsigned()}"
    return last


RPCS = (
    RpcSpec("stats.get_statistics", get_statistics, "statistics as 'group:name = value' lines"),
    RpcSpec("stats.fetch", fetch, "statistics as an object of string values"),
    RpcSpec("stats.fetchn", fetchn, "statistics as an object of integer values"),
    RpcSpec("stats.reset_statistics", reset_statistics, "reset statistics"),
    RpcSpec(
        "stats.clear_statistics", clear_statistics, "reset statistics, printing the old values"
    ),
)
