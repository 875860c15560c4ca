"""The preprocessor's main pass: builds the text the lexer reads, with its source map.

It walks the config the way Kamailio's lexer does in its normal (non-print) mode:
directives are recognised outside strings and comments, inactive #!ifdef regions are
dropped (only their newlines kept, so single-file line numbers stay aligned), include_file
splices the other file in place, define IDs are replaced (recursively) where the lexer
would read an ID, and substs are applied to string and `$x(...)` tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import ConfigError, Pos
from .pp_defines import DefineError, DefineTable, module_name
from .pp_directives import DirectivesMixin
from .pp_files import SrcFile
from .pp_subst import Subst, run_substs
from .pp_tokens import (
    EAT_ABLE,
    EVRT_NAME_RE,
    ID_RE,
    NUM_ID_RE,
    UnclosedString,
    encode_string,
    keyword_at,
    scan_pvar,
    scan_select,
    scan_string_token,
)
from .srcmap import SourceMap

MAX_EXPANSION_DEPTH = 64

_PREP = r"(?:#!|!!)"
_EAT = r"[ \t\b\r]"
RE_DEFINE = re.compile(
    _PREP + r"(define|def|trydefine|trydef|redefine|redef|defexps|defexp)" + _EAT + "+"
)
RE_IF = re.compile(_PREP + r"(ifdef|ifndef|ifexp)" + _EAT + "+")
RE_ELSE = re.compile(_PREP + r"else" + _EAT + r"*\n")
RE_ENDIF = re.compile(_PREP + r"endif" + _EAT + r"*\n")
RE_SUBST = re.compile(_PREP + r"(substdefs|substdef|subst)")
RE_ENV = re.compile(_PREP + r"(trydefenvs|trydefenv|defenvs|defenv)")
RE_INCLUDE = re.compile(r"(?:#!|!!)?(include_file|import_file)(?![A-Za-z0-9_])")
RE_COMPAT = re.compile(r"(?:#|//)!(SER|KAMAILIO|OPENSER|MAXCOMPAT|ALL)\n")


@dataclass
class _IfLevel:
    active: bool  # this level's own condition (flipped by #!else)
    pos: Pos  # where the #!if... directive is
    directive: str


class MainPass(DirectivesMixin):
    """Runs the main preprocessing over a top-level file and everything it includes."""

    def __init__(
        self,
        table: DefineTable,
        define_pos: dict[str, str],
        substs: list[Subst],
        env: Mapping[str, str],
        read_file: Callable[[str], str],
    ) -> None:
        self.table = table
        self.define_pos = define_pos  # name -> "file:line:col" or "the command line"
        self.substs = substs
        self.env = env
        self.read_file = read_file
        self.out: list[str] = []
        self.out_len = 0
        self.srcmap = SourceMap()
        self._last_seg: tuple[int, str, int] | None = None  # (out end, file path, file offset)
        self.stack: list[_IfLevel] = []
        self.modules: list[tuple[str, Pos]] = []
        self.files: list[str] = []
        self.comment_nest = 0
        self.compat = "max"
        self.include_depth = 0

    # ----- output -----------------------------------------------------------------------

    def _emit_file(self, f: SrcFile, a: int, b: int) -> None:
        if a >= b:
            return
        piece = f.text[a:b]
        last = self._last_seg
        if last is None or last[0] != self.out_len or last[1] != f.path or last[2] != a:
            self.srcmap.add(self.out_len, f.pos(a), True, f.notes)
        self.out.append(piece)
        self.out_len += len(piece)
        self._last_seg = (self.out_len, f.path, b)

    def _emit_newlines(self, f: SrcFile, a: int, b: int) -> None:
        j = f.text.find("\n", a, b)
        while j >= 0:
            self._emit_file(f, j, j + 1)
            j = f.text.find("\n", j + 1, b)

    def _emit_origin(self, text: str, origin: Pos, notes: tuple[str, ...]) -> None:
        if not text:
            return
        self.srcmap.add(self.out_len, origin, False, notes)
        self.out.append(text)
        self.out_len += len(text)
        self._last_seg = None

    # ----- state ------------------------------------------------------------------------

    def _new_level(self, active: bool, pos: Pos, directive: str) -> _IfLevel:
        return _IfLevel(active, pos, directive)

    def skipping(self) -> bool:
        return any(not lv.active for lv in self.stack)

    def text(self) -> str:
        return "".join(self.out)

    # ----- files ------------------------------------------------------------------------

    def run_top(self, path: str) -> None:
        self._run_path(path, notes=(), including=None, mode="include")
        if self.comment_nest:
            raise ConfigError("unexpected end of config inside a /* comment */", Pos(path, 1, 1))
        if self.stack:
            lv = self.stack[-1]
            raise ConfigError(
                f"different number of preprocessor directives: {len(self.stack)} more "
                f"#!if[n]def as #!endif ({lv.directive} here is never closed)",
                lv.pos,
                hint="every #!ifdef/#!ifndef/#!ifexp needs an #!endif on a line of its own, "
                "ending with a newline",
            )

    def _run_path(
        self, path: str, notes: tuple[str, ...], including: Pos | None, mode: str
    ) -> None:
        try:
            text = self.read_file(path)
        except OSError as e:
            raise ConfigError(
                f"cannot read config file {path}: {e.strerror or e}", including
            ) from None
        self.files.append(path)
        try:
            self.run_file(SrcFile(path, text, notes))
        except ConfigError as e:
            # say how an error in an included file was reached
            if (
                notes
                and e.pos is not None
                and e.pos.file == path
                and not any(n.startswith("included from") for n in e.notes)
            ):
                e.notes.extend(notes)
            raise

    def run_file(self, f: SrcFile) -> None:
        t = f.text
        n = len(t)
        i = 0
        while i < n:
            if self.skipping():
                i = self._skip_step(f, i)
                continue
            if self.comment_nest:
                i = self._block_comment(f, i)
                continue
            c = t[i]
            if c in "#!":
                j = self._directive(f, i)
                if j is not None:
                    i = j
                    continue
            if c == "#" or t.startswith("//", i):
                m = RE_COMPAT.match(t, i)
                if m:
                    self.compat = {"SER": "ser", "KAMAILIO": "kamailio", "OPENSER": "kamailio"}.get(
                        m.group(1), "max"
                    )
                j = t.find("\n", i)
                j = n if j < 0 else j + 1
                self._emit_file(f, i, j)
                i = j
                continue
            if t.startswith("/*", i):
                self.comment_nest = 1
                self._emit_file(f, i, i + 2)
                i += 2
                continue
            if c == "i":
                m = RE_INCLUDE.match(t, i)
                if m:
                    i = self._include(f, i, m)
                    continue
            i = self._token(
                t,
                i,
                lambda a, b, f=f: self._emit_file(f, a, b),
                lambda a, f=f: f.pos(a),
                f.notes,
                depth=0,
            )

    def _block_comment(self, f: SrcFile, i: int) -> int:
        t = f.text
        j = i
        n = len(t)
        while j < n:
            if t.startswith("/*", j):
                self.comment_nest += 1
                j += 2
            elif t.startswith("*/", j):
                self.comment_nest -= 1
                j += 2
                if self.comment_nest == 0:
                    break
            else:
                j += 1
        self._emit_file(f, i, j)
        return j

    # ----- tokens (shared by file text and define values) ----------------------------------

    def _token(
        self,
        buf: str,
        i: int,
        emit: Callable[[int, int], None],
        pos_of: Callable[[int], Pos],
        notes: tuple[str, ...],
        depth: int,
    ) -> int:
        """Handle one token of INITIAL-state text at `buf[i]`; return the offset after it."""
        c = buf[i]
        if c == '"' or c == "'":
            try:
                end, value = scan_string_token(buf, i)
            except UnclosedString:
                raise ConfigError("unclosed string", pos_of(i), notes=list(notes)) from None
            if self.substs:
                new = run_substs(self.substs, value)
                if new != value:
                    self._emit_origin(encode_string(new), pos_of(i), notes)
                    self._keep_newlines(buf, i, end, emit)
                    return end
            emit(i, end)
            return end
        if c == "$":
            end = scan_pvar(buf, i)
            tok = buf[i:end]
            if self.substs and (tok.endswith(")") or self.compat == "kamailio"):
                new = run_substs(self.substs, tok)
                if new != tok:
                    self._emit_origin(new, pos_of(i), notes)
                    return end
            emit(i, end)
            return end
        if c == "@":
            end = scan_select(buf, i)
            emit(i, end)
            return end
        if c == "%":
            m = ID_RE.match(buf, i + 1)
            end = m.end() if m else i + 1
            emit(i, end)
            return end
        if c.isdigit():
            kw_end = keyword_at(buf, i, "")
            m = NUM_ID_RE.match(buf, i)
            assert m is not None
            end = max(m.end(), kw_end or 0)
            emit(i, end)
            return end
        if c.isalpha() or c == "_":
            m = ID_RE.match(buf, i)
            assert m is not None
            word = m.group(0)
            kw_end = keyword_at(buf, i, word)
            if kw_end is not None:
                emit(i, kw_end)
                if word == "event_route" and kw_end == m.end():
                    em = EVRT_NAME_RE.match(buf, kw_end)
                    if em:
                        emit(kw_end, em.end())
                        return em.end()
                if word == "loadmodule" and kw_end == m.end():
                    self._loadmodule(buf, kw_end, pos_of(i))
                return kw_end
            if word in self.table:
                self._expand(word, pos_of(i), notes, depth)
                return m.end()
            emit(i, m.end())
            return m.end()
        emit(i, i + 1)
        return i + 1

    def _keep_newlines(self, buf: str, a: int, b: int, emit: Callable[[int, int], None]) -> None:
        j = buf.find("\n", a, b)
        while j >= 0:
            emit(j, j + 1)
            j = buf.find("\n", j + 1, b)

    def _expand(self, name: str, use: Pos, notes: tuple[str, ...], depth: int) -> None:
        value = self.table.get(name)
        if not value:
            return
        if depth >= MAX_EXPANSION_DEPTH:
            raise ConfigError(
                f"define {name} expands into itself (more than {MAX_EXPANSION_DEPTH} "
                f"nested expansions)",
                use,
                notes=list(notes),
            )
        where = self.define_pos.get(name, "the command line")
        vnotes = (f"expanded from #!define {name} at {where}", *notes)
        i = 0
        n = len(value)
        emit = lambda a, b: self._emit_origin(value[a:b], use, vnotes)  # noqa: E731
        while i < n:
            if value.startswith("/*", i):
                j = value.find("*/", i + 2)
                j = n if j < 0 else j + 2
                emit(i, j)
                i = j
                continue
            if value[i] == "#" or value.startswith("//", i):
                emit(i, n)
                break
            i = self._token(value, i, emit, lambda a: use, vnotes, depth + 1)

    def _loadmodule(self, buf: str, i: int, pos: Pos) -> None:
        """After the `loadmodule` keyword: note the module and define MOD_<name>."""
        j = i
        while j < len(buf) and buf[j] in EAT_ABLE + "\n":
            j += 1
        spec: str | None = None
        if j < len(buf) and buf[j] in "\"'":
            try:
                _end, spec = scan_string_token(buf, j)
            except UnclosedString:
                return
            if self.substs:
                spec = run_substs(self.substs, spec)
        else:
            m = ID_RE.match(buf, j)
            if m and self.table.get(m.group(0)):
                value = (self.table.get(m.group(0)) or "").strip()
                if value[:1] in "\"'":
                    try:
                        _end, spec = scan_string_token(value, 0)
                    except UnclosedString:
                        return
        if spec is None:
            return
        name = module_name(f'"{spec}"')
        if not name:
            return
        self.modules.append((name, pos))
        if f"MOD_{name}" not in self.table:
            try:
                self.table.define(f"MOD_{name}", None)
            except DefineError as e:
                raise ConfigError(str(e), pos) from None
            self.define_pos[f"MOD_{name}"] = str(pos)

    # ----- inactive regions -------------------------------------------------------------

    def _skip_step(self, f: SrcFile, i: int) -> int:
        t = f.text
        c = t[i]
        if c in "#!":
            m = RE_IF.match(t, i)
            if m:
                return self._if(f, i, m, evaluate_cond=False)
            m = RE_ELSE.match(t, i) or RE_ENDIF.match(t, i)
            if m:
                return self._else_endif(f, i, m)
        j = i + 1
        while j < len(t) and t[j] not in "#!":
            j += 1
        self._emit_newlines(f, i, j)
        return j

    # ----- directives -------------------------------------------------------------------

    def _directive(self, f: SrcFile, i: int) -> int | None:
        t = f.text
        m = RE_IF.match(t, i)
        if m:
            return self._if(f, i, m, evaluate_cond=True)
        m = RE_ELSE.match(t, i) or RE_ENDIF.match(t, i)
        if m:
            return self._else_endif(f, i, m)
        m = RE_DEFINE.match(t, i)
        if m:
            return self._define(f, i, m)
        m = RE_ENV.match(t, i)
        if m:
            return self._defenv(f, i, m)
        m = RE_SUBST.match(t, i)
        if m:
            return self._subst(f, i, m)
        m = RE_INCLUDE.match(t, i)
        if m:
            return self._include(f, i, m)
        return None
