"""Preprocessor directives of the main pass: #!if.../#!else/#!endif, #!define family,
#!defenv family, #!subst family and include_file/import_file.

Mixed into MainPass (pp_main), whose state (define table, #!if stack, substs, output) they
update; each handler gets the file and the offset of the directive and returns the offset
where normal scanning resumes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .errors import ConfigError, Pos
from .pp_defines import DefineError, DefineTable
from .pp_files import SrcFile, resolve_include, unescape_fname
from .pp_subst import Subst, SubstSyntaxError, parse_subst, run_substs, substdef_parts
from .pp_tokens import EAT_ABLE, ID_RE, UnclosedString, scan_string_token
from .snexpr import SnexprError, evaluate, format_result, is_true

if TYPE_CHECKING:
    from .pp_main import _IfLevel

MAX_INCLUDE_DEPTH = 10

_DEFINE_KIND = {
    "define": "define",
    "def": "define",
    "trydefine": "trydef",
    "trydef": "trydef",
    "redefine": "redefine",
    "redef": "redefine",
    "defexp": "defexp",
    "defexps": "defexps",
}


class DirectivesMixin:
    """Directive handlers; the attributes below are provided by MainPass."""

    table: DefineTable
    define_pos: dict[str, str]
    substs: list[Subst]
    env: Mapping[str, str]
    stack: list[_IfLevel]
    include_depth: int
    _last_seg: tuple[int, str, int] | None
    _emit_newlines: Callable[[SrcFile, int, int], None]
    _run_path: Callable[[str, tuple[str, ...], Pos | None, str], None]
    _new_level: Callable[[bool, Pos, str], _IfLevel]

    def _id_after(self, f: SrcFile, j: int, directive: str, start: int) -> re.Match[str]:
        m = ID_RE.match(f.text, j)
        if not m:
            raise ConfigError(f"#!{directive} needs a name (letters, digits, '_')", f.pos(j))
        if f.text.startswith("-", m.end()):
            raise ConfigError(
                f"'-' not allowed in the name after #!{directive}",
                f.pos(m.end()),
                hint="define names are letters, digits and '_'",
            )
        return m

    def _line_end(self, f: SrcFile, j: int) -> int:
        e = f.text.find("\n", j)
        return len(f.text) if e < 0 else e

    def _if(self, f: SrcFile, i: int, m: re.Match[str], evaluate_cond: bool) -> int:
        t = f.text
        kind = m.group(1)
        pos = f.pos(i)
        if kind == "ifexp":
            e = self._line_end(f, m.end())
            if e >= len(t):
                raise ConfigError("#!ifexp needs a newline after its expression", pos)
            expr = t[m.end() : e]
            active = True
            if evaluate_cond:
                try:
                    active = is_true(evaluate(expr, self.table.values))
                except SnexprError as err:
                    raise ConfigError(
                        f"bad #!ifexp expression: {err}", f.pos(m.end() + err.offset)
                    ) from None
            self.stack.append(self._new_level(active, pos, "#!ifexp"))
            self._emit_newlines(f, i, e + 1)
            return e + 1
        idm = self._id_after(f, m.end(), kind, i)
        k = idm.end()
        while k < len(t) and t[k] in EAT_ABLE:
            k += 1
        if k >= len(t) or t[k] != "\n":
            if k >= len(t):
                raise ConfigError(f"#!{kind} {idm.group(0)} needs a newline after it", pos)
            raise ConfigError(
                f"unexpected text after #!{kind} {idm.group(0)}",
                f.pos(k),
                hint="a directive must be alone on its line; put comments on the line before",
            )
        defined = idm.group(0) in self.table
        self.stack.append(
            self._new_level(defined if kind == "ifdef" else not defined, pos, f"#!{kind}")
        )
        self._emit_newlines(f, i, k + 1)
        return k + 1

    def _else_endif(self, f: SrcFile, i: int, m: re.Match[str]) -> int:
        is_else = "else" in m.group(0)
        if not self.stack:
            if not is_else:
                raise ConfigError(
                    "different number of preprocessor directives: 1 more #!endif "
                    "as #!if[n]def (this #!endif has no #!ifdef)",
                    f.pos(i),
                )
            # Kamailio only warns about a stray #!else and goes on.
        elif is_else:
            self.stack[-1].active = not self.stack[-1].active
        else:
            self.stack.pop()
        self._emit_newlines(f, i, m.end())
        return m.end()

    def _define(self, f: SrcFile, i: int, m: re.Match[str]) -> int:
        t = f.text
        kind = _DEFINE_KIND[m.group(1)]
        idm = self._id_after(f, m.end(), m.group(1), i)
        name = idm.group(0)
        pos = f.pos(i)
        k = idm.end()
        while k < len(t) and t[k] in EAT_ABLE:
            k += 1
        value: str | None = None
        if k < len(t) and t[k] != "\n":
            parts: list[str] = []
            j = k
            while j < len(t) and t[j] != "\n":
                if t.startswith("\\\n", j):
                    j += 2
                    continue
                parts.append(t[j])
                j += 1
            if j < len(t):  # Kamailio sets the value when it reaches the newline
                value = "".join(parts)
            k = j
        end = k + 1 if k < len(t) else k
        if kind in ("defexp", "defexps"):
            if value is None:
                raise ConfigError(f"#!{m.group(1)} {name} needs an expression", pos)
            try:
                result = evaluate(value, self.table.values)
            except SnexprError as err:
                raise ConfigError(f"bad #!{m.group(1)} expression: {err}", pos) from None
            try:
                value = format_result(result)
            except SnexprError as err:
                raise ConfigError(f"bad #!{m.group(1)} expression: {err}", pos) from None
            if kind == "defexps":
                value = f'"{value}"'
            kind = "define"
        try:
            self.table.define(name, value, kind)
        except DefineError as e:
            raise ConfigError(
                str(e),
                pos,
                notes=[f"{name} was defined at {self.define_pos.get(name, '?')}"]
                if name in self.table
                else [],
            ) from None
        if kind != "trydef" or name not in self.define_pos:
            self.define_pos[name] = str(pos)
        self._emit_newlines(f, i, end)
        return end

    def _defenv(self, f: SrcFile, i: int, m: re.Match[str]) -> int:
        t = f.text
        kind = m.group(1)
        j = m.end()
        while j < len(t) and t[j] in " \t":
            j += 1
        k = j
        while k < len(t) and t[k] not in " \t\r\n":
            k += 1
        pos = f.pos(i)
        if k == j:
            raise ConfigError(f"#!{kind} needs an environment variable name (ID or ID=ENVVAR)", pos)
        token = t[j:k]
        name, eq, var = token.partition("=")
        if not eq:
            var = name
        if eq and not var:
            raise ConfigError(f"invalid #!{kind} id [{token}]: nothing after '='", pos)
        value = self.env.get(var)
        if value is None:
            if kind.startswith("try"):
                self._emit_newlines(f, i, k)
                return k
            raise ConfigError(f"#!{kind}: environment variable {var} is not set", pos)
        if kind.endswith("s"):
            value = f'"{value}"'
        try:
            self.table.define(name, value or None)
        except DefineError as e:
            raise ConfigError(str(e), pos) from None
        self.define_pos[name] = str(pos)
        return k

    def _subst(self, f: SrcFile, i: int, m: re.Match[str]) -> int:
        t = f.text
        kind = m.group(1)
        pos = f.pos(i)
        j = m.end()
        while j < len(t) and t[j] in EAT_ABLE + "\n":
            j += 1
        if j >= len(t) or t[j] not in "\"'":
            raise ConfigError(f'#!{kind} needs a quoted "/regex/replacement/flags" string', pos)
        try:
            end, expr = scan_string_token(t, j)
        except UnclosedString:
            raise ConfigError("unclosed string", f.pos(j)) from None
        expr = run_substs(self.substs, expr)
        try:
            subst = parse_subst(expr, self.env)
            if kind != "subst":
                dname, dvalue = substdef_parts(expr, self.env)
                if kind == "substdefs":
                    dvalue = f'"{dvalue}"'
                self.table.define(dname, dvalue or None)
                self.define_pos[dname] = str(pos)
        except SubstSyntaxError as e:
            raise ConfigError(f"bad #!{kind}: {e}", f.pos(j)) from None
        except DefineError as e:
            raise ConfigError(str(e), pos) from None
        self.substs.append(subst)
        self._emit_newlines(f, i, end)
        return end

    def _include(self, f: SrcFile, i: int, m: re.Match[str]) -> int:
        t = f.text
        kind = m.group(1)
        pos = f.pos(i)
        j = m.end()
        while j < len(t) and t[j] in " \t":
            j += 1
        k = j
        while k < len(t) and t[k] not in " \t\r\n":
            k += 1
        if k == j:
            raise ConfigError(f'{kind} needs a file name in quotes: {kind} "file.cfg"', pos)
        raw = run_substs(self.substs, t[j:k])
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise ConfigError(f"included file name must be between quotes: {raw}", f.pos(j))
        fname = unescape_fname(raw[1:-1])
        if not fname:
            raise ConfigError(f"invalid included file name: {raw}", f.pos(j))
        if self.include_depth >= MAX_INCLUDE_DEPTH:
            raise ConfigError(
                f"too many nested includes (more than {MAX_INCLUDE_DEPTH}) at {kind} {raw}",
                pos,
                hint="an included file probably includes itself",
            )
        path = resolve_include(fname, f.path)
        if path is None:
            if kind == "import_file":
                return k
            tried = [os.path.abspath(fname)]
            if not fname.startswith("/") and "/" in f.path:
                tried.append(f.path.rsplit("/", 1)[0] + "/" + fname)
            tried_s = " and ".join(tried)
            raise ConfigError(f"cannot open included file: {fname} (tried {tried_s})", pos)
        self.include_depth += 1
        try:
            self._run_path(path, (f"included from {f.path}:{pos.line}", *f.notes), pos, kind)
        finally:
            self.include_depth -= 1
        self._last_seg = None
        return k
