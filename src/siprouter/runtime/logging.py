"""Kamailio-style log lines for the running server: levels, stderr or syslog.

Levels are Kamailio's numbers: L_ALERT -5, L_BUG -4, L_CRIT2 -3, L_CRIT -2, L_ERR -1,
L_WARN 0, L_NOTICE 1, L_INFO 2, L_DBG 3. A line is written when its level is <= the
`debug` level (core parameter, or -d/--debug on the command line).

With log_stderror=yes / -E a line goes to stderr as Kamailio 5.6.3 writes it:

    ` 1(32230) INFO: <script>: got OPTIONS from 127.0.0.1:46157`

(process number right-aligned in 2 columns, pid, level name, the module in angle brackets
for the core and the script); otherwise it goes to syslog with log_facility/log_name.
While a message is handled, `current` (runtime/log_prefix.MessageLog) gives the
log_prefix, written right after "LEVEL: " (`INFO: {1 abc} <script>: text`).

With `--log-engine=json[:flags]` each line is instead one JSON document, the fields
Kamailio 5.6.3's json engine writes:

    { "idx": 1, "pid": 32230, "level": "INFO", "module": "xlog", "file": "", "line": 0,
      "function": "", "logprefix": "{1 abc} ", "message": "got OPTIONS\n" }

(one line; `file`/`line`/`function` name C source locations in Kamailio and are empty
here; the log prefix is written as it is, not escaped, as Kamailio does). Flags:
M strips the message's trailing newline, N writes no newline after the document, a
prefixes the keys with "kamailio.", A changes nothing (as in 5.6.3), j writes a message
that is a `{...}` object as JSON and any other text as {"text": ...} (the prefix too:
as JSON when its first and last characters are braces), c adds "callid" (the message's
Call-ID, "" outside a message) before "logprefix", p writes a prefix that starts with a
comma as it is, in place of the "logprefix" field (a line without prefix then has no
such field), and U writes the CEE document instead:

    {"time":"2026-11-27T17:44:16.114205729Z","proc":{"id":"4297","tid":1403},
     "pri":"INFO","subsys":"xlog","file":{"name":"","line":0},"native":{"function":""},
     "msg":"got OPTIONS\n","pname":"siprouter","appname":"siprouter","hostname":"vm"}

(UTC time in nanoseconds, pid as a string, the thread id; appname is log_name; no
prefix, no Call-ID; M and N apply). Kamailio writes "kamailio" for pname and for the
default appname.

`LOG` is the process-wide `ServerLog`; `enabled(level)` is the cheap check callers make
before formatting anything. `install_python_bridge()` routes the `logging` records of the
engine and pv layers (`siprouter.*` loggers) through the same output.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import syslog
import threading
import time
from typing import Any, TextIO

L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG = range(-5, 4)

LEVEL_NAMES: dict[str, int] = {
    "L_ALERT": L_ALERT,
    "L_BUG": L_BUG,
    "L_CRIT2": L_CRIT2,
    "L_CRIT": L_CRIT,
    "L_ERR": L_ERR,
    "L_WARN": L_WARN,
    "L_NOTICE": L_NOTICE,
    "L_INFO": L_INFO,
    "L_DBG": L_DBG,
}

# the word Kamailio prints for each level
LEVEL_WORDS: dict[int, str] = {
    L_ALERT: "ALERT",
    L_BUG: "BUG",
    L_CRIT2: "CRITICAL",
    L_CRIT: "CRITICAL",
    L_ERR: "ERROR",
    L_WARN: "WARNING",
    L_NOTICE: "NOTICE",
    L_INFO: "INFO",
    L_DBG: "DEBUG",
}

# -e / log_color=yes with stderr: each line in its level's color, as Kamailio 5.6.3
# writes it (color, line, then the reset); xlog's log_colors modparam changes them
DEFAULT_COLORS: dict[int, str] = {
    L_ALERT: "\x1b[1;31;49m",
    L_BUG: "\x1b[1;35;49m",
    L_CRIT2: "\x1b[0;33;49m",
    L_CRIT: "\x1b[0;33;49m",
    L_ERR: "\x1b[0;31;49m",
    L_WARN: "\x1b[0;35;49m",
    L_NOTICE: "\x1b[0;32;49m",
    L_INFO: "\x1b[0;36;49m",
    L_DBG: "\x1b[0;39;49m",
}
COLOR_RESET = "\x1b[0;39;49m"

_SYSLOG_PRIO: dict[int, int] = {
    L_ALERT: syslog.LOG_ALERT,
    L_BUG: syslog.LOG_CRIT,
    L_CRIT2: syslog.LOG_CRIT,
    L_CRIT: syslog.LOG_CRIT,
    L_ERR: syslog.LOG_ERR,
    L_WARN: syslog.LOG_WARNING,
    L_NOTICE: syslog.LOG_NOTICE,
    L_INFO: syslog.LOG_INFO,
    L_DBG: syslog.LOG_DEBUG,
}

_FACILITIES: dict[str, int] = {
    "LOG_DAEMON": syslog.LOG_DAEMON,
    "LOG_USER": syslog.LOG_USER,
    **{f"LOG_LOCAL{i}": getattr(syslog, f"LOG_LOCAL{i}") for i in range(8)},
}


def clamp_level(level: int) -> int:
    """A level outside L_ALERT..L_DBG is taken as the nearest one."""
    return L_ALERT if level < L_ALERT else L_DBG if level > L_DBG else level


class ServerLog:
    """Where the server's log lines go, and from which level on."""

    def __init__(self) -> None:
        self.level = L_INFO
        self.stream: TextIO | None = sys.stderr
        self.proc_no = 0
        self.pid = os.getpid()
        self._syslog_open = False
        self.json: str | None = None  # the json engine's flags, None: classic lines
        self.colors: dict[int, str] | None = None  # -e / log_color: level -> escape
        # the message being handled (log_prefix.MessageLog: .prefix(), .callid()), or None
        self.current: Any = None
        self.name = "siprouter"  # log_name: the syslog tag, the CEE appname

    def set_colors(self, on: bool, overrides: dict[int, str] | None = None) -> None:
        """Color the stderr lines (-e, log_color) with Kamailio's colors + overrides."""
        self.colors = {**DEFAULT_COLORS, **(overrides or {})} if on else None

    def colored(self, level: int, line: str) -> str:
        """`line` in the level's color when coloring is on (the reset after it)."""
        colors = self.colors
        return line if colors is None else f"{colors[level]}{line}{COLOR_RESET}"

    def configure(
        self,
        *,
        level: int,
        to_stderr: bool,
        facility: str = "LOG_DAEMON",
        name: str = "siprouter",
        stream: TextIO | None = None,
        json_flags: str | None = None,
    ) -> None:
        """Set the level and the destination (stderr, or syslog with facility/name);
        `json_flags` (not None) selects the json log engine with those flags."""
        self.level = level
        self.json = json_flags
        self.pid = os.getpid()
        self.name = name or "siprouter"
        if to_stderr:
            self.stream = stream if stream is not None else sys.stderr
        else:
            self.stream = None
            syslog.openlog(
                name or "siprouter", syslog.LOG_PID, _FACILITIES.get(facility, syslog.LOG_DAEMON)
            )
            self._syslog_open = True

    def set_process(self, proc_no: int) -> None:
        """After a fork: the process number and pid the lines carry."""
        self.proc_no = proc_no
        self.pid = os.getpid()

    def enabled(self, level: int) -> bool:
        return level <= self.level

    def write(self, level: int, module: str, text: str) -> None:
        """One log line at `level` from `module` ("<script>", "<core>", "sl", ...);
        `text` is written as given (xlog formats carry their own newline)."""
        if level > self.level:
            return
        level = clamp_level(level)
        cur = self.current
        if self.json is not None:
            line = self.json_line(level, module, text)
            if self.stream is None:
                syslog.syslog(_SYSLOG_PRIO[level], line.rstrip("\n"))
                return
        else:
            prefix = "" if cur is None else cur.prefix()
            if self.stream is None:
                syslog.syslog(
                    _SYSLOG_PRIO[level], f"{LEVEL_WORDS[level]}: {prefix}{module}: {text.rstrip()}"
                )
                return
            if not text.endswith("\n"):
                text += "\n"
            line = f"{self.proc_no:2d}({self.pid}) {LEVEL_WORDS[level]}: {prefix}{module}: {text}"
            if self.colors is not None:
                line = self.colored(level, line)
        self.emit(line)

    def emit(self, line: str) -> None:
        """Write a formatted line to the stream (errors writing it are ignored)."""
        stream = self.stream
        if stream is None:
            return
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):
            pass

    def json_line(self, level: int, module: str, text: str) -> str:
        """The json engine's document for one message (see the module docstring)."""
        flags = self.json or ""
        if not text.endswith("\n") and module != "xlog":
            text += "\n"  # Kamailio's own messages end with a newline; xlog's as given
        if "M" in flags and text.endswith("\n"):
            text = text[:-1]
        name = module.strip("<>")
        mod = {"script": "xlog"}.get(name, name)
        if "U" in flags:
            return self.cee_line(level, mod, text, "N" not in flags)
        cur = self.current
        prefix = "" if cur is None else cur.prefix()
        if "j" in flags:  # an object when the first and last characters are braces
            message = (
                text
                if text[:1] == "{" and text[-1:] == "}"
                else ("{ " + '"text": ' + json.dumps(text, ensure_ascii=False) + " }")
            )
            logprefix = (
                prefix
                if prefix[:1] == "{" and prefix[-1:] == "}"
                else '{ "text": "' + prefix + '" }'
            )
        else:
            message = json.dumps(text, ensure_ascii=False)
            logprefix = f'"{prefix}"'
        key = "kamailio." if "a" in flags else ""
        fields = [
            f'"{key}idx": {self.proc_no}',
            f'"{key}pid": {self.pid}',
            f'"{key}level": "{LEVEL_WORDS[level]}"',
            f'"{key}module": {json.dumps(mod)}',
            f'"{key}file": ""',
            f'"{key}line": 0',
            f'"{key}function": ""',
        ]
        if "c" in flags:
            fields.append(f'"{key}callid": "{"" if cur is None else cur.callid()}"')
        raw = ""
        if "p" in flags and (not prefix or prefix[0] == ","):
            raw = prefix  # the prefix's own fields in the root document (or nothing)
        else:
            fields.append(f'"{key}logprefix": {logprefix}')
        end = "" if "N" in flags else "\n"
        return "{ " + ", ".join(fields) + raw + f', "{key}message": {message}' + " }" + end

    def cee_line(self, level: int, module: str, text: str, newline: bool) -> str:
        """The json engine's U (CEE) document for one message."""
        ns = time.time_ns()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
        doc = (
            f'{{"time":"{stamp}.{ns % 1_000_000_000:09d}Z",'
            f'"proc":{{"id":"{self.pid}","tid":{threading.get_ident()}}},'
            f'"pri":"{LEVEL_WORDS[level]}","subsys":{json.dumps(module)},'
            '"file":{"name":"","line":0},"native":{"function":""},'
            f'"msg":{json.dumps(text, ensure_ascii=False)},"pname":"siprouter",'
            f'"appname":{json.dumps(self.name, ensure_ascii=False)},'
            f'"hostname":{json.dumps(_hostname(), ensure_ascii=False)}}}'
        )
        return doc + "\n" if newline else doc

    def core(self, level: int, text: str) -> None:
        """A line of the core (`<core>`)."""
        if level <= self.level:
            self.write(level, "<core>", text)


LOG = ServerLog()
_HOST: list[str] = []


def _hostname() -> str:
    if not _HOST:
        _HOST.append(socket.gethostname())
    return _HOST[0]


def _level_of(record: logging.LogRecord) -> int:
    if record.levelno >= logging.CRITICAL:
        return L_CRIT
    if record.levelno >= logging.ERROR:
        return L_ERR
    if record.levelno >= logging.WARNING:
        return L_WARN
    if record.levelno >= logging.INFO:
        return L_INFO
    return L_DBG


class _Bridge(logging.Handler):
    """`logging` records of siprouter's layers written as server log lines."""

    def emit(self, record: logging.LogRecord) -> None:
        level = _level_of(record)
        if not LOG.enabled(level):
            return
        module = "<script>" if record.name == "siprouter.script" else "<core>"
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        LOG.write(level, module, text)


def python_level(level: int) -> int:
    """The `logging` level that lets through the records `level` would write."""
    if level >= L_DBG:
        return logging.DEBUG
    if level >= L_INFO:
        return logging.INFO
    if level >= L_WARN:
        return logging.WARNING
    if level >= L_ERR:
        return logging.ERROR
    return logging.CRITICAL


def install_python_bridge() -> None:
    """Route the `siprouter` logger tree through LOG, at LOG's level."""
    root = logging.getLogger("siprouter")
    for h in list(root.handlers):
        if isinstance(h, _Bridge):
            root.removeHandler(h)
    root.addHandler(_Bridge())
    root.setLevel(python_level(LOG.level))
    root.propagate = False
