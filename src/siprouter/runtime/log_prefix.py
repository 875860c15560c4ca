"""log_prefix / log_prefix_mode: the text put before each log line written while a SIP
message is handled, as Kamailio 5.6.3 does it; also the message's Call-ID for the json
log engine's `c` flag.

`PREFIX` is the process-wide state. The server configures it (`configure`, from the core
parameters) and compiles it when a Pipeline is built (`attach`: the PVs of the modules the
config loads); a PV Kamailio does not know there, or a `$` without a name, leaves the
server without a prefix and logs Kamailio's "log_prefix_init(): wrong format[...]" error
(once, from the main process or the first worker: each worker compiles it after the fork,
Kamailio's main process before it).
The pipeline calls `begin(ctx)` once a received message is parsed (right after the
"received sip message" debug line, before event_route[core:pre-routing]) and clears
`LOG.current` when the message is done: lines written outside message handling (start-up,
timers, parse errors) carry no prefix.

The prefix is placed after "LEVEL: " in a classic line (`INFO: {1 OPTIONS abc} <script>:
text`), and in the json engine's "logprefix" field (runtime/logging.py).

Evaluation, per log_prefix_mode:
* 0: the values at the time the message was received. A prefix made only of PVs that read
  the received message or its source ($mt, $ci, $hdr(..), $si, ...) is rendered lazily,
  at the first log line of the message, against the message as received (a message that
  logs nothing costs nothing); any other PV ($var, $ru, $TV, ...) is rendered at `begin`;
* 1: rendered for each log line, so `$cfg(line)` follows the running statement (line 0
  outside the route actions). Kamailio renders it before each action; a line logged by an
  action that itself changed a PV of the prefix shows the changed value here.

As Kamailio's 1024-byte buffer: a prefix of 1024 bytes or more is not printed, and the
two errors Kamailio logs then are logged instead. Known difference: in mode 0 these
errors come with the first log line of the message, not at its reception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siprouter.sip.errors import SipParseError

from .logging import L_ERR, LOG

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

BUFFER = 1024  # Kamailio prints the prefix into a buffer of this size (NUL included)
NULL_TEXT = "<null>"

# PVs whose value comes only from the received message (ctx.msg) or where it came from
# (ctx.rcv): rendered against the message as received, they give the value of the time
# of reception whenever they are rendered
_MESSAGE_PVS = frozenset((
    "mt", "ci", "cs", "rm", "rmid", "rs", "rr", "rv", "ct", "ua", "cT", "cl", "bs", "ml",
    "mb", "rb", "hdr", "hdrc", "si", "sp", "Ri", "Rp", "pr", "proto", "fu", "fU", "fd",
    "fn", "ft", "tu", "tU", "td", "tn", "tt", "from", "to", "ai", "pu", "pU", "pd", "pn",
    "di", "dip", "dir", "rt", "re", "ou", "oU", "od", "op", "oP", "ouri",
))  # fmt: skip
_PV_NAME = re.compile(r"\$\(?([A-Za-z0-9_.]+)")


@dataclass(frozen=True, slots=True)
class Part:
    """One element of the compiled prefix: literal text, then a PV (getter) or none."""

    text: str
    get: Any = None  # pv.pvclass.Getter
    raw: str = ""


def _bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


def compile_parts(source: str, compiler: Any) -> list[Part]:
    """The prefix as Parts; ValueError when it does not compile (a `$` without a name,
    an unknown PV, a bad inner name)."""
    from siprouter.cfg.errors import ConfigError
    from siprouter.pv.format import split_format

    parts: list[Part] = []
    text = ""
    for is_pv, piece in split_format(source):
        if not is_pv:
            text += piece
            continue
        try:
            acc = compiler.compile_text(piece)
        except ConfigError as e:
            raise ValueError(e.message) from None
        parts.append(Part(text, acc.get, piece))
        text = ""
    if text:
        parts.append(Part(text))
    return parts


def message_only(parts: list[Part]) -> bool:
    """Whether every PV of the prefix reads only the received message or its source."""
    for p in parts:
        if p.get is None:
            continue
        m = _PV_NAME.match(p.raw)
        if m is None or m.group(1) not in _MESSAGE_PVS or p.raw.count("$") != 1:
            return False
    return True


def render(parts: list[Part], ctx: MsgContext) -> str | None:
    """The prefix for ctx, or None when it does not fit Kamailio's buffer (logged)."""
    pieces: list[tuple[bool, str]] = []  # (is a PV value, text), in order
    for p in parts:
        if p.text:
            pieces.append((False, p.text))
        if p.get is not None:
            try:
                value = p.get(ctx)
            except Exception:  # a value that cannot be read prints as $null does
                value = None
            pieces.append((True, NULL_TEXT if value is None else str(value)))
    out = "".join(text for _pv, text in pieces)
    if len(out) * 4 < BUFFER or _bytes(out) < BUFFER:
        return out  # the whole fits, so every element did
    n = 0  # Kamailio stops at the first element that does not fit, and says which
    for is_pv, text in pieces:
        size = _bytes(text)
        if n + size >= BUFFER:
            _overflow("spec" if is_pv else "text", n, size)
            break
        n += size
    return None


def _overflow(what: str, printed: int, token: int) -> None:
    if LOG.enabled(L_ERR):
        LOG.core(
            L_ERR,
            f"pv_printf_mode(): no more space for {what} value - printed:{printed} "
            f"token:{token} buffer:{BUFFER}",
        )
        LOG.core(L_ERR, "pv_printf_mode(): buffer overflow -- increase the buffer size...")


class MessageLog:
    """What the log lines written while one message is handled carry: the prefix and
    the Call-ID. `LOG.current` holds it (runtime/logging.ServerLog)."""

    __slots__ = ("_busy", "_msg", "_text", "ctx", "owner")

    def __init__(self, owner: LogPrefix, ctx: MsgContext) -> None:
        self.owner = owner
        self.ctx = ctx
        self._msg = ctx.msg  # the message as received (modules may replace ctx.msg)
        self._text: str | None = None
        self._busy = False
        if owner.parts is not None and owner.mode == 0 and not owner.lazy:
            self._text = self._render()

    def _render(self) -> str:
        parts = self.owner.parts
        if parts is None or self._busy:
            return ""  # a line logged while the prefix is rendered carries none
        self._busy = True
        ctx = self.ctx
        now = ctx.msg
        try:
            if self.owner.mode == 0:
                ctx.msg = self._msg
            return render(parts, ctx) or ""
        finally:
            ctx.msg = now
            self._busy = False

    def prefix(self) -> str:
        """The prefix of a line written now."""
        if self.owner.mode == 1:
            return self._render()
        text = self._text
        if text is None:
            text = self._text = self._render()
        return text

    def callid(self) -> str:
        """The message's Call-ID ("" when it has none that parses)."""
        try:
            value = self._msg.callid
        except SipParseError:
            return ""
        return value or ""


class LogPrefix:
    """The configured log_prefix of this process."""

    def __init__(self) -> None:
        self.source: str | None = None
        self.mode = 0
        self.parts: list[Part] | None = None
        self.lazy = False
        self.callid = False  # the json engine's c flag wants the Call-ID
        self.on = False  # begin() has something to do
        self._cli_modules: tuple[str, ...] = ()
        self._compiled_for: Any = None

    def configure(
        self,
        source: str | None,
        mode: int = 0,
        *,
        callid: bool = False,
        cli_modules: tuple[str, ...] | list[str] = (),
    ) -> None:
        """log_prefix / log_prefix_mode of the config; `callid`: the json engine's c flag;
        `cli_modules`: the --loadmodule names (their PVs are known too)."""
        self.source = source or None
        self.mode = 1 if mode == 1 else 0
        self.parts = None
        self.lazy = False
        self.callid = callid
        self._cli_modules = tuple(cli_modules)
        self._compiled_for = None
        self.on = callid

    def use(self, compiler: Any) -> bool:
        """Compile the prefix with a PV compiler (pv.access.PVCompiler of the config's
        modules); False (and Kamailio's error logged) when it does not compile."""
        self.parts = None
        self.lazy = False
        self.on = self.callid
        if self.source is None:
            return True
        try:
            parts = compile_parts(self.source, compiler)
        except ValueError:
            if LOG.enabled(L_ERR) and LOG.proc_no <= 1:  # once: not from every worker
                LOG.core(L_ERR, f"log_prefix_init(): wrong format[{self.source}]")
            return False
        self.parts = parts
        self.lazy = message_only(parts)
        self.on = True
        return True

    def attach(self, compiled: Any) -> None:
        """Compile the prefix for the config `compiled` (engine CompiledConfig) once per
        process: a Pipeline calls this when it is built."""
        if self.source is None or compiled is None or self._compiled_for is compiled:
            return
        self._compiled_for = compiled
        from siprouter.pv.access import PVCompiler

        self.use(PVCompiler(config_modules(getattr(compiled, "config", None), self._cli_modules)))

    def begin(self, ctx: MsgContext) -> None:
        """A received message is about to be routed: its lines carry its prefix."""
        LOG.current = MessageLog(self, ctx)

    @staticmethod
    def end() -> None:
        """The message is done: lines carry no prefix any more."""
        LOG.current = None


def configure_offline(loaded: Any) -> None:
    """The log_prefix of a loaded config (cfg.loader.LoadedConfig), compiled with its
    modules: the offline runner (--run-message) routes without a server."""
    from siprouter.cfg.core_params import effective_params
    from siprouter.pv.access import PVCompiler

    params = effective_params(loaded.config)
    PREFIX.configure(params.get("log_prefix"), int(params.get("log_prefix_mode") or 0))
    PREFIX.use(PVCompiler(loaded.modules))


def config_modules(config: Any, cli_modules: tuple[str, ...] = ()) -> Any:
    """The LoadedModules of a parsed config's loadmodule lines (and --loadmodule names),
    for looking up their PVs."""
    from siprouter.modules.loader import LoadedModules, module_name

    mods = LoadedModules()
    paths = [*cli_modules, *(lm.path for lm in getattr(config, "loadmodules", None) or [])]
    for path in paths:
        name = module_name(path)
        if "$" in path or name in mods:
            continue  # loadmodulex with variables: its PVs stay unknown here
        try:
            mods.load(path)
        except Exception:  # not a siprouter module: the config check reported it
            continue
    return mods


PREFIX = LogPrefix()
