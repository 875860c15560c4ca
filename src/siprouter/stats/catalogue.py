"""Which statistic names a config may name before they exist: the fixups' view, and the
statistics that exist from the modparam on.

A function argument naming a statistic (`update_stat("x", "+1")`,
`cnt_inc("sl.sent_replies")`) is checked when the config is compiled, before any module
init hook ran, against this catalogue: the core's and sl's names, plus the names the
modules' modparams announce (`expect`). Kamailio 5.6.3 refuses an unknown name at
start-up; siprouter already at `-c`.

Kamailio's statistics module creates its variables at the modparam itself, so an event
route run by another module's init (htable:mod-init) can update them. Those are
announced with their flags; `declare_expected` (called by stats.setup(), the first thing
of the server's init phase) declares them; the counters module's script counters too
(it moves them when script_cnt_grp_name comes after them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import core, sl

if TYPE_CHECKING:
    from .registry import StatFlag, StatsRegistry

_EXPECTED: dict[str, set[str]] = {}
_DECLARE: dict[tuple[str, str], tuple[StatFlag, str | None]] = {}


def expect(group: str, name: str, flags: StatFlag | None = None, help: str | None = None) -> None:
    """A modparam announced `group:name`; with `flags`, setup() declares it (with
    `help`, else the default help text)."""
    _EXPECTED.setdefault(group, set()).add(name)
    if flags is not None:
        _DECLARE.setdefault((group, name), (flags, help))


def unexpect(group: str, name: str) -> None:
    """Withdraw an announcement (the counters' group changed after it)."""
    _EXPECTED.get(group, set()).discard(name)
    _DECLARE.pop((group, name), None)


def declare_expected(reg: StatsRegistry) -> None:
    for (group, name), (flags, help) in _DECLARE.items():
        if help:
            reg.declare(group, name, flags, help)
        else:
            reg.declare(group, name, flags)


def known(group: str, name: str) -> bool:
    if group == core.GROUP and name in core.NAMES:
        return True
    if group == sl.GROUP and name in sl.NAMES:
        return True
    return name in _EXPECTED.get(group, ())


def known_name(name: str) -> bool:
    """Whether some group has a statistic called `name` (bare-name look-ups)."""
    return name in core.NAMES or name in sl.NAMES or any(name in s for s in _EXPECTED.values())


def forget() -> None:
    """Drop the announced names (a new config in the same process; tests)."""
    _EXPECTED.clear()
    _DECLARE.clear()
