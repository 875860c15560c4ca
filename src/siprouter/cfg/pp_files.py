"""Config files for the preprocessor: offsets to positions, include names and lookup."""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field

from .errors import Pos


@dataclass
class SrcFile:
    """One config file being read, with what is needed to turn offsets into positions."""

    path: str
    text: str
    notes: tuple[str, ...] = ()
    line_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def pos(self, offset: int) -> Pos:
        idx = bisect.bisect_right(self.line_starts, offset) - 1
        return Pos(self.path, idx + 1, offset - self.line_starts[idx] + 1)


def unescape_fname(s: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def resolve_include(fname: str, including: str) -> str | None:
    """Kamailio's rule: as given (relative to the cwd), then next to the including file."""
    if os.path.isfile(fname):
        return fname
    if fname.startswith("/") or "/" not in including:
        return None
    cand = including.rsplit("/", 1)[0] + "/" + fname
    return cand if os.path.isfile(cand) else None
