"""Config preprocessor: the public entry point (`preprocess`) and its result.

It runs Kamailio's preprocessor directives over a config file (include_file/import_file,
#!define and friends, #!ifdef/#!ifndef/#!ifexp/#!else/#!endif, #!subst/#!substdef[s],
#!defenv[s]/#!trydefenv[s], #!defexp[s]) and returns the text the lexer reads with a source
map back to the original files, plus the exact `kamailio --cfg-print` output for the same
input. The work is done by pp_main (lexer text) and pp_print (print mode).

Where Kamailio 5.6.3 and the cookbook differ we take the cookbook for the lexer text:
#!ifexp, #!defexp[s], KAMAILIO_VERSION and OS_NAME work (5.6.3 reads those lines as
comments); `printed` still matches what 5.6.3 prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import ConfigError, Pos
from .pp_defines import (
    EXTENSION_NAMES,
    DefineError,
    DefineTable,
    apply_cli_defines,
    module_name,
    predefined,
)
from .pp_main import MainPass
from .pp_print import PrintPass
from .pp_subst import Subst, SubstSyntaxError, parse_subst, substdef_parts
from .srcmap import SourceMap


@dataclass
class PreprocessResult:
    """Everything the later stages need from the preprocessor."""

    text: str  # what the lexer reads
    srcmap: SourceMap  # srcmap.text is `text`; pos(offset) -> original file:line:col
    printed: str  # exactly what `kamailio --cfg-print` prints for the same input
    defines: dict[str, str | None] = field(default_factory=dict)  # final define table
    modules: list[tuple[str, Pos]] = field(default_factory=list)  # loadmodule names, in order
    files: list[str] = field(default_factory=list)  # every file read


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return fh.read()


def _cli_substs(
    table: DefineTable,
    define_pos: dict[str, str],
    env: Mapping[str, str],
    substs: Sequence[str],
    substdefs: Sequence[str],
    substdefss: Sequence[str],
) -> list[Subst]:
    out: list[Subst] = []
    for kind, exprs in (("subst", substs), ("substdef", substdefs), ("substdefs", substdefss)):
        for expr in exprs:
            try:
                out.append(parse_subst(expr, env))
                if kind != "subst":
                    name, value = substdef_parts(expr, env)
                    table.define(name, f'"{value}"' if kind == "substdefs" else (value or None))
                    define_pos[name] = f"the command line (--{kind})"
            except (SubstSyntaxError, DefineError) as e:
                raise ConfigError(f"bad --{kind} {expr!r}: {e}") from None
    return out


def _print_names(defines: Mapping[str, str | None], table: DefineTable) -> set[str]:
    """The names print mode starts with: everything defined before the config is read (-A,
    --substdef[s], --loadmodule MOD_*), less the predefined names 5.6.3 does not have."""
    return {n for n in table.values if n not in EXTENSION_NAMES or n in defines}


def _print(
    path: str,
    names: set[str],
    cli_substs: list[Subst],
    env: Mapping[str, str],
    partial_ok: bool = False,
) -> str:
    """The --cfg-print text; with partial_ok, what Kamailio printed before it stopped."""
    printer = PrintPass(names, list(cli_substs), env, _read)
    try:
        return printer.run(path)
    except ConfigError:
        if not partial_ok:
            raise
        return printer.partial()


def cfg_print(
    path: str,
    *,
    defines: Mapping[str, str | None] | None = None,
    substs: Sequence[str] = (),
    substdefs: Sequence[str] = (),
    substdefss: Sequence[str] = (),
    preloaded_modules: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> str:
    """Only what `kamailio --cfg-print` prints. Like Kamailio, this does not reject configs
    whose directives are unbalanced or whose defines clash (preprocess() does); it raises
    ConfigError only where Kamailio stops printing (e.g. a missing include_file)."""
    text, error = cfg_print_partial(
        path,
        defines=defines,
        substs=substs,
        substdefs=substdefs,
        substdefss=substdefss,
        preloaded_modules=preloaded_modules,
        env=env,
    )
    if error is not None:
        raise error
    return text


def cfg_print_partial(
    path: str,
    *,
    defines: Mapping[str, str | None] | None = None,
    substs: Sequence[str] = (),
    substdefs: Sequence[str] = (),
    substdefss: Sequence[str] = (),
    preloaded_modules: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[str, ConfigError | None]:
    """(printed text, error): when Kamailio stops with an error (exit status 255) it has
    already printed the text up to that point; this returns that text and the error."""
    env = os.environ if env is None else env
    defines = defines or {}
    table, _define_pos, cli_substs = _setup(
        path, defines, substs, substdefs, substdefss, preloaded_modules, env
    )
    printer = PrintPass(_print_names(defines, table), list(cli_substs), env, _read)
    try:
        return printer.run(path), None
    except ConfigError as e:
        return printer.partial(), e


def _setup(
    path: str,
    defines: Mapping[str, str | None],
    substs: Sequence[str],
    substdefs: Sequence[str],
    substdefss: Sequence[str],
    preloaded_modules: Sequence[str],
    env: Mapping[str, str],
) -> tuple[DefineTable, dict[str, str], list[Subst]]:
    if not os.path.isfile(path):
        raise ConfigError(
            f"cannot open config file {path}: "
            f"{'it is not a regular file' if os.path.exists(path) else 'no such file'}"
        )
    table = DefineTable()
    define_pos: dict[str, str] = {}
    predefined(table)
    try:
        apply_cli_defines(table, defines)
        for mod in preloaded_modules:
            name = module_name(f'"{mod}"')
            if name and f"MOD_{name}" not in table:
                table.define(f"MOD_{name}", None)
    except DefineError as e:
        raise ConfigError(f"command line: {e}") from None
    for name in defines:
        define_pos[name] = "the command line (-A)"
    cli_substs = _cli_substs(table, define_pos, env, substs, substdefs, substdefss)
    return table, define_pos, cli_substs


def preprocess(
    path: str,
    *,
    defines: Mapping[str, str | None] | None = None,
    substs: Sequence[str] = (),
    substdefs: Sequence[str] = (),
    substdefss: Sequence[str] = (),
    preloaded_modules: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> PreprocessResult:
    """Preprocess the config at `path` (relative paths are taken from the cwd, as Kamailio does).

    `defines` are -A names (value None for `-A NAME`), `substs`/`substdefs`/`substdefss` the
    --subst/--substdef/--substdefs expressions, `preloaded_modules` modules loaded from the
    command line (each defines MOD_<name>), `env` the environment for #!defenv (default:
    os.environ). Raises ConfigError for any problem in the input."""
    env = os.environ if env is None else env
    defines = defines or {}
    table, define_pos, cli_substs = _setup(
        path, defines, substs, substdefs, substdefss, preloaded_modules, env
    )
    print_names = _print_names(defines, table)
    main = MainPass(table, define_pos, list(cli_substs), env, _read)
    main.run_top(path)
    text = main.text()
    main.srcmap.text = text
    # A config can be fine for the lexer and still stop print mode (which ignores #!subst,
    # e.g. for an include file name); `printed` is then what Kamailio prints before stopping.
    printed = _print(path, print_names, cli_substs, env, partial_ok=True)
    return PreprocessResult(
        text=text,
        srcmap=main.srcmap,
        printed=printed,
        defines=dict(table.values),
        modules=main.modules,
        files=main.files,
    )
