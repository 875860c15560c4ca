"""The typed result of the command line: every Kamailio option, parsed and validated.

`cli.parse_args` fills an `Options`; the config loader and (later) the runtime read it.
Fields that only the runtime uses (workers, pid files, uid/gid, memory sizes) are kept
here already validated, so a bad value fails at start-up, before the config is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .cfg.listen import ListenSpec

DEFAULT_CFG_FILE = "/etc/kamailio/kamailio.cfg"

MEM_MANAGERS = ("fm", "qm", "tlsf")
# What Kamailio 5.6.3 on Linux accepts for -W (kqueue and /dev/poll are accepted by the
# option parser even though Linux lacks them; the runtime refuses them later).
POLL_METHODS = ("poll", "epoll_lt", "epoll_et", "sigio_rt", "select", "kqueue", "/dev/poll")


class Action(Enum):
    """What the command line asks for."""

    RUN = "run"  # check the config, then serve
    CHECK = "check"  # -c: check the config and exit
    CFG_PRINT = "cfg-print"  # --cfg-print: print the preprocessed config and exit
    VERSION = "version"  # -v, -V, --version
    HELP = "help"  # -h, --help
    INTERNALS = "internals"  # -I


@dataclass(frozen=True, slots=True)
class Define:
    """A -A define: `NAME`, `NAME=VAL` or `NAME="str"` (value kept verbatim, quotes too)."""

    name: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ModParam:
    """A --modparam=module:param:type:value; `value` is an int for type 'i'."""

    module: str
    param: str
    value: str | int


@dataclass(frozen=True, slots=True)
class Alias:
    """An --alias=[proto:]host[:port]; None port/proto match any."""

    host: str
    port: int | None = None
    proto: str | None = None


@dataclass(frozen=True, slots=True)
class LogEngine:
    """--log-engine=name[:data]."""

    name: str
    data: str = ""


@dataclass(frozen=True)
class Options:
    """Everything the command line said. None means "not given: use the config/default"."""

    action: Action = Action.RUN
    cfg_file: str = DEFAULT_CFG_FILE  # -f
    all_errors: bool = False  # --all-errors
    # config preprocessor
    defines: tuple[Define, ...] = ()  # -A
    substs: tuple[str, ...] = ()  # --subst
    substdefs: tuple[str, ...] = ()  # --substdef
    substdefss: tuple[str, ...] = ()  # --substdefs
    # modules
    load_modules: tuple[str, ...] = ()  # --loadmodule
    modparams: tuple[ModParam, ...] = ()  # --modparam
    modules_path: str | None = None  # -L
    # logging
    debug: int | None = None  # -d (each adds one, from 0) / --debug=N
    log_stderr: bool = False  # -E
    log_color: bool = False  # -e
    log_engine: LogEngine | None = None  # --log-engine
    # network
    listen: tuple[ListenSpec, ...] = ()  # -l
    aliases: tuple[Alias, ...] = ()  # --alias
    auto_aliases: bool | None = None  # -a yes|on|no|off
    disable_tcp: bool = False  # -T
    disable_sctp: bool = False  # -S
    check_via: bool = False  # -K
    dns_received: bool = False  # -r
    rev_dns_received: bool = False  # -R
    maxbuffer: int | None = None  # -b
    # processes
    children: int | None = None  # -n
    tcp_children: int | None = None  # -N
    sctp_children: int | None = None  # -Q
    dont_fork_level: int = 0  # -D count: 1 no fork, 2 keep creator, 3 daemonize
    server_id: int | None = None  # --server-id
    # process environment
    uid: int | None = None  # -u (name resolved)
    gid: int | None = None  # -g (name resolved)
    pid_file: str | None = None  # -P
    pgid_file: str | None = None  # -G
    runtime_dir: str | None = None  # -Y
    working_dir: str | None = None  # -w
    chroot_dir: str | None = None  # -t
    atexit: bool | None = None  # --atexit
    # memory and internals (kept for compatibility; Python manages its own memory)
    shm_mb: int | None = None  # -m
    pkg_mb: int | None = None  # -M
    shm_manager: str | None = None  # -x
    pkg_manager: str | None = None  # -X
    optimization: int | None = None  # -O
    poll_method: str | None = None  # -W
    # what the parser noticed but tolerated (stray arguments), for the caller to print
    warnings: tuple[str, ...] = field(default=(), compare=False)
