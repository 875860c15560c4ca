"""What `kamailio --cfg-print` prints (Kamailio 5.6.3), recomputed without running it.

In print mode Kamailio's lexer echoes the config text it reads, with these exceptions:
#!ifdef/#!ifndef/#!else/#!endif lines (with their newline) and inactive regions are not
printed; `include_file "x"` / `import_file "x"` (with optional `#!`/`!!`) are replaced by the
file's printed content (the rest of the line, e.g. its newline, stays); everything else,
#!define lines and comments included, is printed as is. Print mode knows no strings, so a
`/*` or `#` inside a quoted string starts a comment there too; define IDs are not replaced;
#!subst/#!substdef/#!ifexp/#!defexp lines are plain comments (5.6.3 has no ifexp/defexp and
does not run substs in this mode); `loadmodule X` defines MOD_<name>, printing an error line
when that define already exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .errors import ConfigError, Pos
from .pp_defines import module_name
from .pp_files import resolve_include, unescape_fname
from .pp_subst import Subst, run_substs

_PREP = r"(?:#!|!!)"
_EAT = r"[ \t\b\r]"
_RE_DEFINE = re.compile(_PREP + r"(define|def|trydefine|trydef|redefine|redef)" + _EAT + "+")
_RE_IF = re.compile(_PREP + r"(ifdef|ifndef)" + _EAT + r"+([A-Za-z_][A-Za-z0-9_]*)" + _EAT + r"*\n")
_RE_ELSE = re.compile(_PREP + r"else" + _EAT + r"*\n")
_RE_ENDIF = re.compile(_PREP + r"endif" + _EAT + r"*\n")
_RE_INCLUDE = re.compile(r"(?:#!|!!)?(?:include_file|import_file)")
_RE_ENV = re.compile(_PREP + r"(trydefenvs|trydefenv|defenvs|defenv)")
_RE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_INCLUDE_DEPTH = 10


class PrintPass:
    """Recomputes the --cfg-print output; `names` is the set of defined IDs in that mode."""

    def __init__(
        self,
        names: set[str],
        cli_substs: list[Subst],
        env: Mapping[str, str],
        read_file: Callable[[str], str],
    ) -> None:
        self.names = names
        self.substs = cli_substs
        self.env = env
        self.read_file = read_file
        self.out: list[str] = []
        self.stack: list[bool] = []
        self.comment_nest = 0
        self.depth = 0

    def run(self, path: str) -> str:
        self._file(path)
        return "".join(self.out)

    def partial(self) -> str:
        """What was printed so far (Kamailio's output when it stops on an error)."""
        return "".join(self.out)

    def _file(self, path: str) -> None:
        try:
            text = self.read_file(path)
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror or e}") from None
        self._scan(path, text)

    def _skipping(self) -> bool:
        return not all(self.stack)

    def _scan(self, path: str, t: str) -> None:
        out = self.out
        i = 0
        n = len(t)
        while i < n:
            c = t[i]
            if self._skipping():
                m = _RE_IF.match(t, i) if c in "#!" else None
                if m:
                    self._push(m)
                    i = m.end()
                    continue
                m = (_RE_ELSE.match(t, i) or _RE_ENDIF.match(t, i)) if c in "#!" else None
                if m:
                    self._else_endif(m)
                    i = m.end()
                    continue
                i += 1
                continue
            if self.comment_nest:
                if t.startswith("/*", i):
                    self.comment_nest += 1
                    out.append("/*")
                    i += 2
                elif t.startswith("*/", i):
                    self.comment_nest -= 1
                    out.append("*/")
                    i += 2
                else:
                    out.append(c)
                    i += 1
                continue
            if t.startswith("/*", i):
                self.comment_nest = 1
                out.append("/*")
                i += 2
                continue
            if c in "#!":
                m = _RE_IF.match(t, i)
                if m:
                    self._push(m)
                    i = m.end()
                    continue
                m = _RE_ELSE.match(t, i) or _RE_ENDIF.match(t, i)
                if m:
                    self._else_endif(m)
                    i = m.end()
                    continue
                m = _RE_DEFINE.match(t, i)
                if m:
                    i = self._define(t, m)
                    continue
                m = _RE_ENV.match(t, i)
                if m:
                    i = self._defenv(t, m)
                    continue
            if c in "#!i":
                m = _RE_INCLUDE.match(t, i)
                if m:
                    i = self._include(path, t, m)
                    continue
            if c == "#" or t.startswith("//", i):
                j = t.find("\n", i)
                j = n if j < 0 else j + 1
                out.append(t[i:j])
                i = j
                continue
            if c == "l" and t.startswith("loadmodule", i):
                i = self._loadmodule(t, i + len("loadmodule"))
                continue
            out.append(c)
            i += 1

    def _push(self, m: re.Match[str]) -> None:
        defined = m.group(2) in self.names
        self.stack.append(defined if m.group(1) == "ifdef" else not defined)

    def _else_endif(self, m: re.Match[str]) -> None:
        if not self.stack:
            return  # Kamailio warns and goes on
        if "else" in m.group(0):
            self.stack[-1] = not self.stack[-1]
        else:
            self.stack.pop()

    def _define(self, t: str, m: re.Match[str]) -> int:
        plain = m.group(1) in ("define", "def")
        j = m.end()
        while True:
            idm = _RE_ID.match(t, j)
            if not idm:
                break
            name = idm.group(0)
            j = idm.end()
            if not (plain and name in self.names):
                self.names.add(name)
                break
            # Kamailio rejects the duplicate and stays waiting for a define name: the text
            # up to the next ID is echoed and that ID (even "define") becomes the name.
            while j < len(t) and not (t[j].isalpha() or t[j] == "_"):
                j += 1
        while j < len(t) and t[j] != "\n":
            j += 2 if t.startswith("\\\n", j) else 1
        j = min(j + 1, len(t))
        self.out.append(t[m.start() : j])
        return j

    def _defenv(self, t: str, m: re.Match[str]) -> int:
        j = m.end()
        while j < len(t) and t[j] in " \t":
            j += 1
        k = j
        while k < len(t) and t[k] not in " \t\r\n":
            k += 1
        token = t[j:k]
        name, eq, var = token.partition("=")
        if token and self.env.get(var if eq else name) is not None:
            self.names.add(name)
        self.out.append(t[m.start() : k])
        return k

    def _loadmodule(self, t: str, j: int) -> int:
        self.out.append("loadmodule")
        while j < len(t) and t[j] in " \t\r\n":
            self.out.append(t[j])
            j += 1
        k = j
        while k < len(t) and t[k] not in " \t\r\n":
            k += 1
        if k == j:
            return k
        token = t[j:k]
        self.out.append(token)
        name = module_name(token)
        if name is None:
            return k
        if len(name) >= 60:
            self.out.append(f"\n# ***** ERROR: too long module name: {token}\n")
        elif f"MOD_{name}" in self.names:
            self.out.append(f"\n# ***** ERROR: unable to set cfg define for module: {token}\n")
        else:
            self.names.add(f"MOD_{name}")
        return k

    def _include(self, path: str, t: str, m: re.Match[str]) -> int:
        optional = "import" in m.group(0)
        j = m.end()
        while j < len(t) and t[j] in " \t":
            j += 1
        k = j
        while k < len(t) and t[k] not in " \t\r\n":
            k += 1
        raw = run_substs(self.substs, t[j:k])
        line = t.count("\n", 0, m.start()) + 1
        where = Pos(path, line, m.start() - t.rfind("\n", 0, m.start()))
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise ConfigError(f"included file name must be between quotes: {raw}", where)
        target = resolve_include(unescape_fname(raw[1:-1]), path)
        if target is None:
            if optional:
                return k
            raise ConfigError(f"cannot open included file: {raw}", where)
        if self.depth >= _MAX_INCLUDE_DEPTH:
            raise ConfigError("too many nested includes", where)
        self.depth += 1
        try:
            self._file(target)
        finally:
            self.depth -= 1
        return k
