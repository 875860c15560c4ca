"""The `siprouter` command: Kamailio's command line, parsed the way Kamailio's getopt does.

Short options combine (`-cE`, `-DD`, `-dddd`, `-cf file`), take their value attached or
as the next word (`-n5`, `-n 5`); long options take `--name=value` or `--name value` and
may be shortened to any unique prefix (`--vers`), as GNU getopt allows. Options act in
order: `-v` or `-h` prints and exits as soon as it is met. Errors exit with status 255,
like Kamailio's `exit(-1)`.
"""

from __future__ import annotations

import grp
import os
import pwd
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from .cfg.listen import ListenSpec, parse_alias, parse_listen
from .cli_help import HELP_TEXT, internals_text, version_text
from .options import (
    MEM_MANAGERS,
    POLL_METHODS,
    Action,
    Alias,
    Define,
    LogEngine,
    ModParam,
    Options,
)

EXIT_OK = 0
EXIT_ERROR = 255  # Kamailio exits with -1 on any start-up or config error


class UsageError(Exception):
    """A bad command line; the message is printed as is, then the process exits 255."""


# Short options: letter -> takes a value. Same letters as Kamailio 5.6.3.
SHORT_OPTS: dict[str, bool] = {
    **dict.fromkeys("aAbfgGlLmMnNOPQtuYwWxX", True),
    **dict.fromkeys("cdDeEhIKrRSTvV", False),
}
# Long options: name -> takes a value.
LONG_OPTS: dict[str, bool] = {
    "cfg-print": False,
    "debug": True,
    "alias": True,
    "atexit": True,
    "loadmodule": True,
    "modparam": True,
    "log-engine": True,
    "subst": True,
    "substdef": True,
    "substdefs": True,
    "server-id": True,
    "all-errors": False,
    "help": False,
    "version": False,
}


def parse_args(argv: Sequence[str]) -> Options:
    """Parse arguments (without the program name) into Options; raise UsageError."""
    kw: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    warnings: list[str] = []

    def add(key: str, value: Any) -> None:
        lists.setdefault(key, []).append(value)

    def finish() -> Options:
        seen: set[str] = set()
        for define in lists.get("defines", []):
            if define.name in seen:
                raise UsageError(f"error at define param: -A {define.name}: already defined")
            seen.add(define.name)
        for key, items in lists.items():
            kw[key] = tuple(items)
        if warnings:
            kw["warnings"] = tuple(warnings)
        return Options(**kw)

    for opt, value in _getopt(argv, warnings):
        handler = _HANDLERS[opt]
        action = handler(value, kw, add)
        if action in (Action.HELP, Action.VERSION, Action.INTERNALS):
            kw["action"] = action
            return finish()  # Kamailio acts on these the moment it meets them
    return finish()


def _getopt(argv: Sequence[str], warnings: list[str]) -> Iterator[tuple[str, str | None]]:
    """Yield (option, value) pairs in order: short options as '-x', long as '--name'.
    Lazily, so that an option acting at once (-v) stops before later errors are seen."""
    i = 0
    args = list(argv)
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            warnings.extend(f"ignoring extra argument {a!r}" for a in args[i:])
            break
        if arg.startswith("--"):
            name, eq, val = arg[2:].partition("=")
            full = _long_name(name)
            if LONG_OPTS[full]:
                if not eq:
                    if i >= len(args):
                        raise UsageError(
                            f"Option '--{full}' requires an argument. Use -h for help."
                        )
                    val = args[i]
                    i += 1
                yield "--" + full, val
            else:
                if eq:
                    raise UsageError(f"Option '--{full}' takes no argument. Use -h for help.")
                yield "--" + full, None
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                j += 1
                if letter not in SHORT_OPTS:
                    raise UsageError(f"Unknown option '-{letter}'. Use -h for help.")
                if SHORT_OPTS[letter]:
                    if j < len(arg):
                        val = arg[j:]
                    elif i < len(args):
                        val = args[i]
                        i += 1
                    else:
                        raise UsageError(
                            f"Option '-{letter}' requires an argument. Use -h for help."
                        )
                    yield "-" + letter, val
                    break
                yield "-" + letter, None
            continue
        # Kamailio's getopt permutes and then ignores stray words; we say so.
        warnings.append(f"ignoring extra argument {arg!r}")


def _long_name(name: str) -> str:
    if name in LONG_OPTS:
        return name
    matches = [n for n in LONG_OPTS if n.startswith(name)] if name else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(
            f"Option '--{name}' is ambiguous ({', '.join('--' + m for m in matches)}). "
            "Use -h for help."
        )
    raise UsageError(f"Unknown option '--{name}'. Use -h for help.")


# --- value checks ------------------------------------------------------------------


def _int(value: str, what: str, opt: str, minimum: int | None = 0) -> int:
    text = value.strip()
    try:
        number = int(text, 10)
    except ValueError:
        raise UsageError(f"bad {what}: {opt} {value} (expected a decimal number)") from None
    if minimum is not None and number < minimum:
        raise UsageError(f"bad {what}: {opt} {value} (must be >= {minimum})")
    return number


def _choice(value: str, choices: Sequence[str], what: str, opt: str) -> str:
    if value not in choices:
        raise UsageError(f"bad {what}: {opt} {value}\ntry one of {', '.join(choices)}.")
    return value


def _define(value: str) -> Define:
    from .cfg.pp_defines import DefineError, parse_cli_define

    try:
        name, val = parse_cli_define(value)
    except DefineError as exc:
        raise UsageError(
            f'error at define param: -A {value}: {exc} (expected NAME, NAME=VAL or NAME="str")'
        ) from None
    return Define(name, val)


def _modparam(value: str) -> ModParam:
    parts = value.split(":", 3)
    if len(parts) != 4 or not parts[0] or not parts[1]:
        raise UsageError(
            f"invalid format for --modparam: {value} "
            "(expected modname:paramname:type:value, type 's' or 'i')"
        )
    module, param, typ, raw = parts
    if typ == "s":
        return ModParam(module, param, raw)
    if typ == "i":
        try:
            return ModParam(module, param, int(raw, 0))
        except ValueError:
            raise UsageError(f"invalid integer value in --modparam: {value}") from None
    raise UsageError(f"invalid type {typ!r} in --modparam: {value} (type has to be 's' or 'i')")


def _uid(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise UsageError(f"bad user name/uid number: -u {value}") from None


def _gid(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise UsageError(f"bad group name/gid number: -g {value}") from None


def _yes_no(value: str, yes: Sequence[str], no: Sequence[str], what: str) -> bool:
    if value in yes:
        return True
    if value in no:
        return False
    raise UsageError(f"bad {what}: {value} (valid: {', '.join([*yes, *no])})")


def _subst(value: str, opt: str, defs: bool) -> str:
    from .cfg.pp_subst import SubstSyntaxError, parse_subst, substdef_parts

    try:
        if defs:
            substdef_parts(value, os.environ)
        else:
            parse_subst(value, os.environ)
    except SubstSyntaxError as exc:
        raise UsageError(f"bad subst expression: {opt}={value}: {exc}") from None
    return value


def _listen(value: str) -> ListenSpec:
    try:
        return parse_listen(value, cli=True)
    except ValueError as exc:
        raise UsageError(f"bad -l address specifier: {value}: {exc}") from None


def _alias(value: str) -> Alias:
    try:
        host, port, proto = parse_alias(value, cli=True)
    except ValueError as exc:
        raise UsageError(f"bad --alias value: {value}: {exc}") from None
    return Alias(host, port, proto)


def _log_engine(value: str) -> LogEngine:
    name, _, data = value.partition(":")
    if not name:
        raise UsageError(f"bad --log-engine value: {value!r} (expected name[:data])")
    return LogEngine(name, data)


# --- handlers: one per option ------------------------------------------------------

Handler = Callable[[Any, dict[str, Any], Callable[[str, Any], None]], Action | None]


def _set(key: str, conv: Callable[[str], Any] = str) -> Handler:
    def handler(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
        kw[key] = conv(value)

    return handler


def _flag(key: str) -> Handler:
    return _set(key, lambda _v: True)


def _append(key: str, conv: Callable[[str], Any] = str) -> Handler:
    def handler(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
        add(key, conv(value))

    return handler


def _act(action: Action) -> Handler:
    def handler(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> Action:
        return action

    return handler


def _check(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
    if kw.get("action") is not Action.CFG_PRINT:
        kw["action"] = Action.CHECK


def _cfg_print(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
    kw["action"] = Action.CFG_PRINT


def _more_debug(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
    kw["debug"] = (kw.get("debug") or 0) + 1


def _more_dont_fork(value: Any, kw: dict[str, Any], add: Callable[[str, Any], None]) -> None:
    kw["dont_fork_level"] = kw.get("dont_fork_level", 0) + 1


_HANDLERS: dict[str, Handler] = {
    "-a": _set(
        "auto_aliases",
        lambda v: _yes_no(v, ("yes", "on"), ("no", "off"), "auto aliases parameter"),
    ),
    "--alias": _append("aliases", _alias),
    "--atexit": _set(
        "atexit", lambda v: _yes_no(v, ("y", "yes", "1"), ("n", "no", "0"), "atexit value")
    ),
    "-A": _append("defines", _define),
    "-b": _set("maxbuffer", lambda v: _int(v, "max buffer size number", "-b")),
    "-c": _check,
    "--cfg-print": _cfg_print,
    "-d": _more_debug,
    "--debug": _set("debug", lambda v: _int(v, "debug level value", "--debug", None)),
    "-D": _more_dont_fork,
    "-e": _flag("log_color"),
    "-E": _flag("log_stderr"),
    "-f": _set("cfg_file"),
    "-g": _set("gid", _gid),
    "-G": _set("pgid_file"),
    "-h": _act(Action.HELP),
    "--help": _act(Action.HELP),
    "-I": _act(Action.INTERNALS),
    "-K": _flag("check_via"),
    "-l": _append("listen", _listen),
    "--loadmodule": _append("load_modules"),
    "--log-engine": _set("log_engine", _log_engine),
    "-L": _set("modules_path"),
    "-m": _set("shm_mb", lambda v: _int(v, "shmem size number", "-m")),
    "--modparam": _append("modparams", _modparam),
    "--all-errors": _flag("all_errors"),
    "-M": _set("pkg_mb", lambda v: _int(v, "private mem size number", "-M")),
    "-n": _set("children", lambda v: _int(v, "process number", "-n")),
    "-N": _set("tcp_children", lambda v: _int(v, "process number", "-N")),
    "-O": _set("optimization", lambda v: _int(v, "optimization level", "-O")),
    "-P": _set("pid_file"),
    "-Q": _set("sctp_children", lambda v: _int(v, "process number", "-Q")),
    "-r": _flag("dns_received"),
    "-R": _flag("rev_dns_received"),
    "--server-id": _set("server_id", lambda v: _int(v, "server_id value", "--server-id", None)),
    "--subst": _append("substs", lambda v: _subst(v, "--subst", False)),
    "--substdef": _append("substdefs", lambda v: _subst(v, "--substdef", True)),
    "--substdefs": _append("substdefss", lambda v: _subst(v, "--substdefs", True)),
    "-S": _flag("disable_sctp"),
    "-t": _set("chroot_dir"),
    "-T": _flag("disable_tcp"),
    "-u": _set("uid", _uid),
    "-v": _act(Action.VERSION),
    "--version": _act(Action.VERSION),
    "-V": _act(Action.VERSION),
    "-x": _set("shm_manager", lambda v: _choice(v, MEM_MANAGERS, "shm memory manager", "-x")),
    "-X": _set("pkg_manager", lambda v: _choice(v, MEM_MANAGERS, "pkg memory manager", "-X")),
    "-Y": _set("runtime_dir"),
    "-w": _set("working_dir"),
    "-W": _set("poll_method", lambda v: _choice(v, POLL_METHODS, "poll method name", "-W")),
}


# --- entry point -------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def run(argv: Sequence[str]) -> int:
    """Run the command line; return the exit status."""
    # --dump-python (siprouter only): check + compile, print the generated route code
    dump_python = "--dump-python" in argv
    if dump_python:
        argv = [a for a in argv if a != "--dump-python"]
    # --run-message FILE [--run-source IP:PORT] [--run-proto udp|tcp] (siprouter only)
    argv, offline = _offline_options(list(argv))
    try:
        options = parse_args(argv)
    except UsageError as exc:
        _fail(str(exc))
    for warning in options.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    if options.action is Action.HELP:
        sys.stdout.write(version_text().splitlines()[0] + "\n" + HELP_TEXT)
        return EXIT_OK
    if options.action is Action.VERSION:
        sys.stdout.write(version_text())
        return EXIT_OK
    if options.action is Action.INTERNALS:
        sys.stdout.write(internals_text())
        return EXIT_OK

    from .cfg.loader import run_config_action

    return run_config_action(options, dump_python=dump_python, run_message=offline)


_OFFLINE = ("--run-message", "--run-source", "--run-proto")


def _offline_options(argv: list[str]) -> tuple[list[str], dict[str, str] | None]:
    """Take the --run-* options (with `=VALUE` or the value as the next word) out of argv."""
    rest: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in _OFFLINE:
            if not eq:
                if i + 1 >= len(argv):
                    _fail(f"option {name} needs a value")
                i += 1
                value = argv[i]
            found[name[len("--run-") :]] = value
        else:
            rest.append(arg)
        i += 1
    if found and "message" not in found:
        _fail("--run-source and --run-proto go with --run-message FILE")
    return rest, (found or None)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point (`siprouter`)."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
