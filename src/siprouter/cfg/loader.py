"""The config pipeline behind `-c`, `--cfg-print` and start-up.

preprocess (includes, defines, substs) -> parse (AST with positions) -> load the modules
named by --loadmodule and `loadmodule` -> check (parameters, modules, functions, PVs).
Each stage raises ConfigError/ConfigErrors with file:line:col; `run_config_action` turns
the outcome into what Kamailio prints and the exit status it returns.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from ..cli import EXIT_ERROR, EXIT_NOT_IMPLEMENTED, EXIT_OK
from ..modules.loader import LoadedModules, module_name
from ..options import Action, Options
from . import ast
from .errors import ConfigError, ConfigErrors
from .parser import parse
from .preprocess import PreprocessResult, preprocess


@dataclass
class LoadedConfig:
    """A config that went through every stage without errors."""

    path: str
    pre: PreprocessResult
    config: ast.Config
    modules: LoadedModules


def preprocess_for(options: Options) -> PreprocessResult:
    """Run the preprocessor with the command line's defines, substs and preloaded modules."""
    path = os.path.abspath(options.cfg_file)
    _check_readable(path)
    return preprocess(
        path,
        defines={d.name: d.value for d in options.defines},
        substs=options.substs,
        substdefs=options.substdefs,
        substdefss=options.substdefss,
        preloaded_modules=options.load_modules,
    )


def load_config(options: Options) -> LoadedConfig:
    """Every stage of the front end; raises ConfigError or ConfigErrors on the first stage
    that fails (with --all-errors, a stage reports all it found before stopping)."""
    pre = preprocess_for(options)
    config = parse(pre.text, pre.srcmap, all_errors=options.all_errors)
    modules = load_modules(config, options, pre.defines)
    return LoadedConfig(options.cfg_file, pre, config, modules)


def load_modules(
    config: ast.Config, options: Options, defines: dict[str, str | None] | None = None
) -> LoadedModules:
    """Load modules and set their parameters in Kamailio's order: --loadmodule, then
    --modparam (which may name only command-line modules, as in Kamailio), then the
    config's loadpath/loadmodule/modparam lines in file order."""
    mods = LoadedModules()
    if options.modules_path:
        mods.set_loadpath(options.modules_path)
    for name in options.load_modules:
        _cli_step(f"--loadmodule={name}", lambda n=name: mods.load(n))
    for mp in options.modparams:
        _cli_step(
            f"--modparam={mp.module}:{mp.param}:{'i' if isinstance(mp.value, int) else 's'}:"
            f"{mp.value}",
            lambda mp=mp: mods.set_param(mp.module, mp.param, mp.value),
        )
    errors: list[ConfigError] = []
    failed: list[str] = []  # modules that did not load: their modparams would only cascade
    for item in config.items:
        try:
            if isinstance(item, ast.LoadPath):
                mods.set_loadpath(item.path)
            elif isinstance(item, ast.LoadModule):
                path = _expand(item.path, defines) if item.expand else item.path
                try:
                    mods.load(path, item.pos)
                except ConfigError:
                    failed.append(module_name(path))
                    raise
            elif isinstance(item, ast.ModParam):
                if _only_failed(item.module, failed, mods):
                    continue
                value = item.value.value
                if item.expand and isinstance(value, str):
                    value = _expand(value, defines)
                mods.set_param(item.module, item.name, value, item.pos)
        except ConfigError as exc:
            if not options.all_errors:
                raise
            errors.append(exc)
    if errors:
        raise ConfigErrors(errors)
    return mods


def _cli_step(what: str, step: Callable[[], object]) -> None:
    try:
        step()
    except ConfigError as exc:
        hint = exc.hint
        if what.startswith("--modparam") and "no loaded module" in exc.message:
            hint = "a --modparam module must be loaded before it with --loadmodule"
        raise ConfigError(f"{what}: {exc.message}", None, hint, exc.notes) from None


def _only_failed(module_re: str, failed: list[str], mods: LoadedModules) -> bool:
    """True if a modparam's module regex matches no loaded module but a failed one."""
    if not failed:
        return False
    try:
        rx = re.compile(f"^({module_re})$", re.IGNORECASE)
    except re.error:
        return False
    return not any(rx.match(n) for n in mods.modules) and any(rx.match(n) for n in failed)


_VAR = re.compile(r"\$(def|env)\(([^)]*)\)")


def _expand(text: str, defines: dict[str, str | None] | None) -> str:
    """loadmodulex/modparamx: replace $def(NAME) by the define's value (quotes removed)
    and $env(NAME) by the environment variable; unknown names become empty."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1) == "env":
            return os.environ.get(m.group(2), "")
        value = (defines or {}).get(m.group(2)) or ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return value

    return _VAR.sub(repl, text)


def run_config_action(
    options: Options, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Do what the command line asked for the config (-c, --cfg-print or start); return
    the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if options.action is Action.CFG_PRINT:
            # Like Kamailio: print what the preprocessor read, even if it would not parse.
            out.write(preprocess_for(options).printed)
            out.flush()
            return EXIT_OK
        loaded = load_config(options)
    except ConfigErrors as exc:
        _report(exc.errors, options, err)
        return EXIT_ERROR
    except ConfigError as exc:
        _report([exc], options, err)
        return EXIT_ERROR
    if options.action is Action.CHECK:
        err.write("config file ok, exiting...\n")
        return EXIT_OK
    err.write(
        f"config file {loaded.path} ok, but siprouter cannot serve it yet: the network "
        "runtime (listeners, workers) is not implemented in this version.\n"
        "Use -c to check a config.\n"
    )
    return EXIT_NOT_IMPLEMENTED


def _check_readable(path: str) -> None:
    """Kamailio's wording for a config it cannot open, with the reason."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot load config file {path}: {exc.strerror}",
            hint="check the -f path and the file and directory permissions",
        ) from None


def _report(errors: list[ConfigError], options: Options, err: TextIO) -> None:
    shown = errors if options.all_errors else errors[:1]
    for e in shown:
        err.write(e.render() + "\n")
    more = len(errors) - len(shown)
    if more:
        err.write(f"({more} more error{'s' if more > 1 else ''}; --all-errors shows them)\n")
    err.write(f"ERROR: bad config file ({len(errors)} error{'s' if len(errors) > 1 else ''})\n")
