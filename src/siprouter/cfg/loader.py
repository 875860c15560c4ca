"""The config pipeline behind `-c`, `--cfg-print` and start-up.

preprocess (includes, defines, substs) -> parse (AST with positions) -> load the modules
named by --loadmodule and set --modparam -> check (core parameters, the config's
loadmodule/modparam, routes: functions, arguments, PVs) -> listen addresses resolve ->
compile the routing blocks (engine/compiler.py: fixups, regexes, route() targets, core
functions the engine cannot run yet), so `-c` reports what start-up would; then, without
-c, runtime/server.py serves the config.
Each stage raises ConfigError/ConfigErrors with file:line:col; `run_config_action` turns
the outcome into what Kamailio prints and the exit status it returns.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TextIO

from ..cli import EXIT_ERROR, EXIT_OK
from ..modules.loader import LoadedModules
from ..options import Action, Options
from . import ast
from .check import check
from .errors import ConfigError, ConfigErrors, Pos
from .listen import ListenSpec, unresolved_addrs
from .parser import parse
from .preprocess import PreprocessResult, cfg_print_partial, preprocess


@dataclass
class LoadedConfig:
    """A config that went through every stage without errors."""

    path: str
    pre: PreprocessResult
    config: ast.Config
    modules: LoadedModules
    compiled: Any = None  # engine.compiler.CompiledConfig


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
    modules = cli_modules(options)  # Kamailio loads these while reading its options
    pre = preprocess_for(options)
    config = parse(pre.text, pre.srcmap, all_errors=options.all_errors)
    check(config, modules=modules, all_errors=options.all_errors)
    check_listen_addresses(config, options)
    from ..engine.compiler import compile_routes

    compiled = compile_routes(
        config, modules, defines=pre.defines, all_errors=options.all_errors, options=options
    )
    return LoadedConfig(options.cfg_file, pre, config, modules, compiled)


def check_listen_addresses(config: ast.Config, options: Options) -> None:
    """Every -l, listen= and socket bind address must be an IP address, an interface
    or a host name that resolves, as Kamailio's -c requires (it does not bind)."""
    items: list[tuple[ListenSpec, Pos | None, str]] = [
        (spec, None, f"-l {spec}") for spec in options.listen
    ]
    for item in config.listens:
        if item.param == "listen" and isinstance(item.spec, ListenSpec):
            items.append((item.spec, item.pos, "listen"))
    for blk in config.sockets:
        if blk.bind is not None and isinstance(blk.bind.spec, ListenSpec):
            items.append((blk.bind.spec, blk.bind.pos, "socket bind"))
    errors: list[ConfigError] = []
    for spec, pos, what in items:
        for addr in unresolved_addrs(spec):
            errors.append(
                ConfigError(
                    f"{what}: could not resolve '{addr}'",
                    pos,
                    hint="not an IP address, a local interface name or a known host name",
                )
            )
            if not options.all_errors:
                raise errors[0]
    if errors:
        raise ConfigErrors(errors)


def cli_modules(options: Options) -> LoadedModules:
    """The modules of --loadmodule, with the --modparam values set, as Kamailio does it
    before it reads the config (so a --modparam may name only a --loadmodule module).
    The config's own loadpath/loadmodule/modparam lines are applied by `check`."""
    mods = LoadedModules()
    if options.modules_path:
        mods.set_loadpath(options.modules_path)
    for name in options.load_modules:
        _cli_step(f"--loadmodule={name}", lambda n=name: mods.load(n))
    for mp in options.modparams:
        kind = "i" if isinstance(mp.value, int) else "s"
        _cli_step(
            f"--modparam={mp.module}:{mp.param}:{kind}:{mp.value}",
            lambda mp=mp: mods.set_param(mp.module, mp.param, mp.value),
        )
    return mods


def _cli_step(what: str, step: Callable[[], object]) -> None:
    try:
        step()
    except ConfigError as exc:
        hint = exc.hint
        if what.startswith("--modparam") and "no loaded module" in exc.message:
            hint = "a --modparam module must be loaded before it with --loadmodule"
        raise ConfigError(f"{what}: {exc.message}", None, hint, exc.notes) from None


def run_config_action(
    options: Options,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    dump_python: bool = False,
    run_message: dict[str, str] | None = None,
) -> int:
    """Do what the command line asked for the config (-c, --cfg-print or start); return
    the exit status. `dump_python` (--dump-python): check and compile the config, print
    the Python code generated for each routing block, exit."""
    out = out or sys.stdout
    err = err or sys.stderr
    if options.cfg_file == "-":
        return _run_from_stdin(options, out, err, sys.stdin, dump_python)
    try:
        if options.action is Action.CFG_PRINT:
            return _cfg_print(options, out, err)
        loaded = load_config(options)
    except ConfigErrors as exc:
        _report(exc.errors, options, err)
        return EXIT_ERROR
    except ConfigError as exc:
        _report([exc], options, err)
        return EXIT_ERROR
    if dump_python:
        out.write(loaded.compiled.dump_python())
        return EXIT_OK
    if run_message is not None:
        return _run_offline(loaded, options, run_message, out, err)
    if options.action is Action.CHECK:
        err.write("config file ok, exiting...\n")
        return EXIT_OK
    from ..runtime.server import serve

    return serve(loaded, options, out, err)


def _run_offline(
    loaded: LoadedConfig, options: Options, args: dict[str, str], out: TextIO, err: TextIO
) -> int:
    """--run-message: the routes run on one message from a file, nothing sent (offline.py)."""
    from .. import offline

    try:
        data = offline.read_message(args["message"])
        source = offline.parse_address(args.get("source", "127.0.0.1:5060"), "--run-source")
        dest = offline.receiving_address(loaded, options)
        result = offline.run_message(loaded, data, source, dest, args.get("proto", "udp"))
    except offline.OfflineError as e:
        err.write(f"ERROR: {e}\n")
        return EXIT_ERROR
    out.write(offline.format_result(result))
    return EXIT_OK


def _run_from_stdin(
    options: Options, out: TextIO, err: TextIO, stdin: TextIO, dump_python: bool = False
) -> int:
    """`-f -`: the config comes from standard input and is named "-" in messages, as in
    Kamailio; relative include_file names are taken from the current directory."""
    with tempfile.TemporaryDirectory(prefix="siprouter-stdin-") as tmp:
        path = os.path.join(tmp, "stdin.cfg")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(stdin.read())
        messages = io.StringIO()
        status = run_config_action(
            replace(options, cfg_file=path), out, messages, dump_python=dump_python
        )
    err.write(messages.getvalue().replace(path, "-"))
    return status


def _cfg_print(options: Options, out: TextIO, err: TextIO) -> int:
    """--cfg-print: what Kamailio prints. It only preprocesses (a config that would not
    parse still prints, status 0); where its preprocessor stops, the text printed so far
    is followed by the error and status 255."""
    path = os.path.abspath(options.cfg_file)
    _check_readable(path)
    text, error = cfg_print_partial(
        path,
        defines={d.name: d.value for d in options.defines},
        substs=options.substs,
        substdefs=options.substdefs,
        substdefss=options.substdefss,
        preloaded_modules=options.load_modules,
    )
    out.write(text)
    out.flush()
    if error is not None:
        _report([error], options, err)
        return EXIT_ERROR
    return EXIT_OK


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
