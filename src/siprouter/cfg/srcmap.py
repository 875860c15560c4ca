"""Source map from offsets in preprocessed text back to positions in the original files.

The preprocessor builds the text the lexer reads (includes spliced, defines expanded,
inactive #!ifdef branches removed) and records, for each piece it emits, where the piece
came from. The lexer asks `pos(offset)` for every token, so errors name the real file,
line and column.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .errors import Pos


@dataclass(slots=True)
class Segment:
    """Output text from `start` on came from `origin`; if `verbatim`, columns/lines advance
    with the text, otherwise every character maps to `origin` (a define expansion)."""

    start: int
    origin: Pos
    verbatim: bool = True
    notes: tuple[str, ...] = ()


@dataclass
class SourceMap:
    """Ordered segments covering the preprocessed text; `text` is that text."""

    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def add(
        self, start: int, origin: Pos, verbatim: bool = True, notes: tuple[str, ...] = ()
    ) -> None:
        """Append a segment; segments must be added in increasing `start` order."""
        if self._starts and start < self._starts[-1]:
            raise ValueError("segments must be added in order")
        if self._starts and start == self._starts[-1]:
            self.segments[-1] = Segment(start, origin, verbatim, notes)
            return
        self.segments.append(Segment(start, origin, verbatim, notes))
        self._starts.append(start)

    @classmethod
    def identity(cls, text: str, file: str) -> SourceMap:
        """A map for text that was not preprocessed (one file, verbatim)."""
        sm = cls(text=text)
        sm.add(0, Pos(file, 1, 1))
        return sm

    def _segment(self, offset: int) -> Segment | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.segments[i] if i >= 0 else None

    def pos(self, offset: int) -> Pos:
        """Original position of the character at `offset` of the preprocessed text."""
        seg = self._segment(offset)
        if seg is None:
            return Pos("<unknown>", 1, 1)
        if not seg.verbatim:
            return seg.origin
        chunk = self.text[seg.start : offset]
        nl = chunk.count("\n")
        if nl == 0:
            return Pos(seg.origin.file, seg.origin.line, seg.origin.col + len(chunk))
        return Pos(seg.origin.file, seg.origin.line + nl, len(chunk) - chunk.rfind("\n"))

    def notes(self, offset: int) -> list[str]:
        """Where the text at `offset` came from, when not plain file text."""
        seg = self._segment(offset)
        return list(seg.notes) if seg else []
