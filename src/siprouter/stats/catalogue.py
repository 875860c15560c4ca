"""Which statistic names a config may name before they exist: the fixups' view.

The statistics and counters modules declare their variables in their init hooks (main
process, before the fork), after the config is compiled; the core's and sl's are
declared there too. A function argument naming a statistic (`update_stat("x", "+1")`,
`cnt_inc("sl.sent_replies")`) is checked when the config is compiled, against this
catalogue: the core's and sl's names, plus the names the modules' modparams announce
(`expect`). Kamailio 5.6.3 refuses such a name at start-up; siprouter already at `-c`.
"""

from __future__ import annotations

from . import core, sl

_EXPECTED: dict[str, set[str]] = {}


def expect(group: str, name: str) -> None:
    """A modparam announced `group:name` (declared by its module's init hook)."""
    _EXPECTED.setdefault(group, set()).add(name)


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
    """Drop the announced names (tests; a new config in the same process)."""
    _EXPECTED.clear()
