"""Which of Kamailio's installed example configs pass `siprouter -c`, and for each of the
others the first module siprouter still lacks (or the error, when it is not a module).

    .venv/bin/python tools/example_configs.py      # a Markdown table on stdout

Used by tests/integration/test_example_configs.py, which also checks that every config
failing for another reason is refused by `kamailio -c` too.
"""

from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass

from siprouter.cfg.check import ConfigErrors
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args

EXAMPLES = "/usr/share/doc/kamailio/examples"
_MISSING = re.compile(r"^module '([^']+)' is not implemented by siprouter")


def example_files() -> list[str]:
    """The stock config and every example .cfg installed by the Debian package."""
    found = set(glob.glob(f"{EXAMPLES}/**/*.cfg", recursive=True))
    return sorted({"/etc/kamailio/kamailio.cfg"} | found)


@dataclass(frozen=True)
class Verdict:
    path: str
    ok: bool
    missing: tuple[str, ...] = ()  # every module we lack, in the order they are loaded
    error: str = ""  # the first error that is not a missing module

    @property
    def short(self) -> str:
        return self.path.split("/examples/", 1)[-1]


def check(path: str) -> Verdict:
    """`siprouter -c --all-errors` on `path` (loopback listen: no DNS look-ups)."""
    options = parse_args(["-c", "--all-errors", "-l", "udp:127.0.0.1:5099", "-f", path])
    try:
        load_config(options)
    except ConfigErrors as e:
        errors = e.errors
    except ConfigError as e:
        errors = [e]
    else:
        return Verdict(path, True)
    missing: list[str] = []
    other = ""
    for err in errors:
        m = _MISSING.match(err.message)
        if m:
            missing.append(m.group(1))
        elif not other:
            where = str(err.pos).split("/examples/", 1)[-1] if err.pos else ""
            other = f"{where}: {err.message}" if where else err.message
    return Verdict(path, False, tuple(missing), "" if missing else other)


def table(verdicts: list[Verdict]) -> str:
    lines = ["| config | siprouter -c | first missing module |", "|---|---|---|"]
    for v in verdicts:
        if v.ok:
            lines.append(f"| {v.short} | ok | |")
        elif v.missing:
            lines.append(f"| {v.short} | missing modules ({len(v.missing)}) | {v.missing[0]} |")
        else:
            lines.append(f"| {v.short} | error: {v.error.replace('|', '/')} | |")
    passing = sum(v.ok for v in verdicts)
    lines.append("")
    lines.append(f"{passing} of {len(verdicts)} pass.")
    return "\n".join(lines)


def main() -> int:
    print(table([check(p) for p in example_files()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
