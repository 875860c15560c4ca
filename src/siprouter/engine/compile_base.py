"""Code emitter shared by the expression and statement compilers.

Generated code is Python source text kept line by line together with the cfg line each
line comes from. `build()` parses it with `ast.parse`, rewrites every node's line number
to its cfg line, and compiles the tree with the cfg file name, so tracebacks,
profilers and `$cfg(line)` name kamailio.cfg lines. Values the code needs (bound PV
getters, fixed-up function arguments, compiled regexes, functions) live in the
module namespace under generated names (`K3`, `G5`, ...).
"""

from __future__ import annotations

import ast as pyast
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from siprouter.cfg.errors import ConfigError, Pos


@dataclass(slots=True)
class Params:
    """Core parameters the compiled code depends on."""

    max_while_loops: int = 100
    max_recursive_level: int = 256
    return_mode: int = 0


@dataclass
class Emitter:
    """Lines of one generated module (one cfg file), with their cfg lines."""

    filename: str
    lines: list[tuple[int, str, int]] = field(default_factory=list)
    ns: dict[str, Any] = field(default_factory=dict)
    indent: int = 0
    _n: int = 0
    _ids: dict[int, str] = field(default_factory=dict)

    def emit(self, text: str, line: int) -> None:
        self.lines.append((self.indent, text, line))

    @contextmanager
    def block(self) -> Any:
        self.indent += 1
        try:
            yield
        finally:
            self.indent -= 1

    def tmp(self, prefix: str = "_t") -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def const(self, value: Any, prefix: str = "K") -> str:
        """A namespace name holding `value` (the same object gets the same name)."""
        key = id(value)
        name = self._ids.get(key)
        if name is None:
            name = self.tmp(prefix)
            self._ids[key] = name
            self.ns[name] = value
        return name

    def source(self, with_lines: bool = False) -> str:
        out = []
        for ind, text, line in self.lines:
            s = "    " * ind + text
            if with_lines:
                s = f"{s}  # {self.filename}:{line}"
            out.append(s)
        return "\n".join(out) + "\n"

    def build(self) -> dict[str, Any]:
        """Compile the module with cfg line numbers; returns its namespace."""
        src = self.source()
        tree = pyast.parse(src, filename=self.filename)
        cfg_line = [0] + [line for _, _, line in self.lines]
        for node in pyast.walk(tree):
            if hasattr(node, "lineno") and node.lineno is not None:
                node.lineno = cfg_line[node.lineno]
                end = getattr(node, "end_lineno", None)
                node.end_lineno = cfg_line[end] if end is not None else node.lineno
                if node.end_lineno < node.lineno:
                    node.end_lineno = node.lineno
                node.col_offset = 0
                node.end_col_offset = 0
        code = compile(tree, self.filename, "exec")
        ns = self.ns
        exec(code, ns)
        return ns


def err(msg: str, pos: Pos | None, hint: str | None = None) -> ConfigError:
    return ConfigError(msg, pos, hint=hint)
