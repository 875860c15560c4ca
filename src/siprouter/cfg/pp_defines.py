"""The preprocessor's define table: #!define / #!trydef / #!redefine semantics and the limit.

Kamailio 5.6.3 has room for 512 names (its 3 predefined KAMAILIO_* names, -A names, MOD_*
names and config defines all count) and refuses a value for the name that fills the last
slot, so a config can add 508 defines with values or 509 without; the cookbook still says
256, but we follow the binary. KAMAILIO_VERSION and OS_NAME (newer releases) do not count.
A value of None means "defined, no value" (the ID then expands to nothing).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping

from .. import KAMAILIO_COMPAT_VERSION

MAX_DEFINES = 512
# Predefined by newer Kamailio releases (and the cookbook), not by 5.6.3.
EXTENSION_NAMES = frozenset({"KAMAILIO_VERSION", "OS_NAME"})
ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DefineError(ValueError):
    """A define-table rule was broken; the caller adds the position."""


class DefineTable:
    """Ordered name -> value table with Kamailio's define/trydef/redefine rules."""

    def __init__(self, limit: int = MAX_DEFINES) -> None:
        self.values: dict[str, str | None] = {}
        self.limit = limit

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def define(self, name: str, value: str | None, kind: str = "define") -> None:
        """kind: define (error if defined), trydef (keep the old one), redefine (replace)."""
        if name in self.values:
            if kind == "trydef":
                return
            if kind == "redefine":
                self.values[name] = value
                return
            raise DefineError(f"already defined: {name}")
        used = sum(1 for n in self.values if n not in EXTENSION_NAMES)
        if used >= self.limit or (value is not None and used + 1 >= self.limit):
            raise DefineError(
                f"too many defines (Kamailio has room for {self.limit} names, "
                f"the last one without a value)"
            )
        self.values[name] = value


def predefined(table: DefineTable, with_extensions: bool = True) -> None:
    """KAMAILIO_X, KAMAILIO_X_Y, KAMAILIO_X_Y_Z, and (newer-Kamailio extensions documented in
    the cookbook) KAMAILIO_VERSION and OS_NAME."""
    major, minor, patch = KAMAILIO_COMPAT_VERSION
    table.define(f"KAMAILIO_{major}", None)
    table.define(f"KAMAILIO_{major}_{minor}", None)
    table.define(f"KAMAILIO_{major}_{minor}_{patch}", None)
    if with_extensions:
        table.define("KAMAILIO_VERSION", str(major * 1000000 + minor * 1000 + patch))
        table.define("OS_NAME", f'"{platform.system().lower()}"')


def module_name(spec: str) -> str | None:
    """Module name from a loadmodule argument: quotes stripped, `.so` dropped, path removed.

    Returns None when the argument is too short to name a module (Kamailio ignores those)."""
    name = spec
    if len(name) <= 2:
        return None
    if name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1]
    if len(name) > 3 and name.endswith(".so"):
        name = name[:-3]
    if "/" in spec:
        name = name.rsplit("/", 1)[-1]
    return name


def parse_cli_define(arg: str) -> tuple[str, str | None]:
    """`-A NAME`, `-A NAME=VALUE`, `-A 'NAME="str"'` -> (name, value)."""
    name, eq, value = arg.partition("=")
    name = name.strip()
    if not ID_RE.fullmatch(name):
        raise DefineError(f"invalid define name {name!r} in -A {arg!r}")
    return name, (value if eq and value else None)


def apply_cli_defines(table: DefineTable, defines: Mapping[str, str | None]) -> None:
    for name, value in defines.items():
        if not ID_RE.fullmatch(name):
            raise DefineError(f"invalid define name {name!r} given on the command line")
        table.define(name, value if value else None)
