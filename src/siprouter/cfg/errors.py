"""Config errors with source positions, rendered like a compiler: file:line:col, the line, a caret."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Pos:
    """A position in an original config file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class ConfigError(Exception):
    """One problem in a config. `pos` may be None for errors with no place (e.g. CLI input)."""

    message: str
    pos: Pos | None = None
    hint: str | None = None
    # Where the offending text came from when it is not plain file text,
    # e.g. "expanded from #!define FOO at a.cfg:3:9" or "included from b.cfg:7".
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        return self.render()

    def render(self, source_line: str | None = None) -> str:
        """Render as `file:line:col: error: message`, then the line and a caret when known."""
        head = f"{self.pos}: error: {self.message}" if self.pos else f"error: {self.message}"
        out = [head]
        if source_line is None and self.pos is not None:
            source_line = _read_line(self.pos.file, self.pos.line)
        if source_line is not None and self.pos is not None:
            text = source_line.rstrip("\r\n").expandtabs(1)
            out.append(f"    {text}")
            out.append("    " + " " * max(self.pos.col - 1, 0) + "^")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        out.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(out)


class ConfigErrors(Exception):
    """Several config errors at once (for --all-errors); the first is the root cause."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__(errors[0].message if errors else "config errors")
        self.errors = errors

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)


def _read_line(path: str, lineno: int) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if i == lineno:
                    return line
    except OSError:
        return None
    return None
