"""The groups of Kamailio's cfg framework: the variables a running server exposes to
the cfg.* RPCs and to `@cfg_get.group.X`: the core's `core` and `tcp` groups, always
there, and the groups of the modules that have one (`maxfwd`, `xlog`, `siputils`),
present only when the config loads the module.

One `CfgVar` per variable, in the order Kamailio 5.6.3 lists them (`cfg.list`). The
facts were read from a running 5.6.3 (tests/integration/test_core_cfg_kamailio.py and
test_module_cfg_kamailio.py compare the answers):

* `default`: the value `cfg.get` shows when the config does not set the parameter
  (e.g. dns_retr_time -1, tcp.keepidle 0, udp_mtu_try_proto 0);
* `min`/`max`: the range a set must fall in (None: any 32-bit integer);
* `readonly`: a set always fails ("variable is read-only");
* `readable=False`: the variable has a fixup in Kamailio, so `cfg.get` answers 400
  "Variable exists, but it is not readable via RPC interface", `cfg.get GROUP` leaves
  it out and a `@cfg_get` select naming it stops the start-up; it can still be set;
* `param`: the core parameter (cfg/core_params.py), for a module group the module's
  modparam, whose config value is the value in effect at start; None when the variable
  has no config parameter in siprouter;
* `effect`: what siprouter does with the value at runtime (docs/runtime-config.md);
  None when nothing in siprouter uses it (the value is still stored and answered).

`declare(config)` computes the start values from a config and the module groups it
has (`LOADED`, in load order) (main process, before the workers fork: every process
inherits them); `check_set(var, value)` is the validation a set goes through (range,
read-only, the fixups of log_facility, dns_try_ipv6, udp_mtu_try_proto and
siputils.ring_timeout) and returns the value to store.

Module groups, as Kamailio 5.6.3 declares them in the module's mod_init: `cfg.list`
gives them first, the last loaded module first, then tcp, core and the custom groups
(`groups_listed()`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .core_params import ast_value, validate_param
from .core_params import lookup as param_row

if TYPE_CHECKING:
    from . import ast


@dataclass(frozen=True, slots=True)
class CfgVar:
    """One variable of the core or tcp cfg group."""

    group: str
    name: str
    default: int | str
    min: int | None = None
    max: int | None = None
    readonly: bool = False
    readable: bool = True
    param: str | None = None
    effect: str | None = None

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}"

    @property
    def is_int(self) -> bool:
        return isinstance(self.default, int)


_LOG = "log level of every process (a kex setdebug() level wins until resetdebug())"
_LAT = "latency logs of the routes (runtime/latency.py)"
_BLST = "destination blocklist (runtime/dst_blocklist.py)"
_NEWCONN = "socket options of TCP connections opened after the change"


def _v(group: str, name: str, default: int | str, **kw: Any) -> CfgVar:
    return CfgVar(group, name, default, **kw)


def _c(name: str, default: int | str, **kw: Any) -> CfgVar:
    kw.setdefault("param", name)
    return _v("core", name, default, **kw)


def _t(name: str, default: int, **kw: Any) -> CfgVar:
    kw.setdefault("param", f"tcp_{name}")
    return _v("tcp", name, default, **kw)


FACILITIES = (
    "LOG_AUTH", "LOG_CRON", "LOG_DAEMON", "LOG_KERN", "LOG_LOCAL0", "LOG_LOCAL1",
    "LOG_LOCAL2", "LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7",
    "LOG_LPR", "LOG_MAIL", "LOG_NEWS", "LOG_USER", "LOG_UUCP", "LOG_AUTHPRIV", "LOG_FTP",
    "LOG_SYSLOG",
)  # fmt: skip

# udp_mtu_try_proto: Kamailio's protocol numbers
PROTO_NUMBERS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4}
PROTO_NAMES = {n: p for p, n in PROTO_NUMBERS.items()}

CORE_VARS: tuple[CfgVar, ...] = (
    _c("debug", 0, effect=_LOG),
    _c("log_facility", "LOG_DAEMON", readable=False, effect="syslog facility of core lines"),
    _c("memdbg", 4),
    _c("use_dst_blocklist", 0, min=0, max=1, readable=False, effect=_BLST),
    _c("dst_blocklist_expire", 60, effect=_BLST),
    _c("dst_blocklist_mem", 250, readable=False, effect=_BLST),
    _c("dst_blocklist_udp_imask", 0, effect=_BLST),
    _c("dst_blocklist_tcp_imask", 0, effect=_BLST),
    _c("dst_blocklist_tls_imask", 0, effect=_BLST),
    _c("dst_blocklist_sctp_imask", 0, effect=_BLST),
    _c("dns_try_ipv6", 0, min=0, max=1, readable=False),
    _c("dns_try_naptr", 0, min=0, max=1),
    _c("dns_udp_pref", 30),
    _c("dns_tcp_pref", 20),
    _c("dns_tls_pref", 10),
    _c("dns_sctp_pref", 20),
    _c("dns_retr_time", -1),
    _c("dns_slow_query_ms", 0, param=None),
    _c("dns_retr_no", -1),
    _c("dns_servers_no", -1),
    _c("dns_use_search_list", 1, min=0, max=1),
    _c("dns_search_full_match", 1, min=0, max=1),
    _c("dns_reinit", 0, min=1, max=1, readable=False, param=None),
    _c("dns_naptr_ignore_rfc", 1),
    _c("use_dns_cache", 1, min=0, max=1, readable=False),
    _c("dns_cache_flags", 0, min=0, max=4),
    _c("use_dns_failover", 0, min=0, max=1, readable=False),
    _c("dns_srv_lb", 0, min=0, max=1),
    _c("dns_cache_negative_ttl", 60),
    _c("dns_cache_min_ttl", 0),
    _c("dns_cache_max_ttl", -1),
    _c("dns_cache_mem", 500, readable=False),
    _c("dns_cache_del_nonexp", 0, min=0, max=1),
    _c("dns_cache_rec_pref", 0, min=0, max=3),
    _c("mem_dump_pkg", 0, param=None),
    _c("mem_dump_shm", 0, readable=False, param=None),
    _c("max_while_loops", 100, effect="iterations of a while loop before it stops"),
    _c("udp_mtu", 0, min=0, max=65535, effect="size above which a UDP forward changes protocol"),
    _c("udp_mtu_try_proto", 0, min=1, max=4, effect="protocol used above udp_mtu (1 UDP, 2 TCP)"),
    _c("udp4_raw", 0, min=-1, max=1, readable=False),
    _c("udp4_raw_mtu", 1500, min=28, max=65535),
    _c("udp4_raw_ttl", -1, min=-1, max=255, readable=False),
    _c("force_rport", 0, min=0, max=1, effect="rport added to the top Via of every request"),
    _c("memlog", 4),
    _c("mem_summary", 12, min=0, max=31),
    _c("mem_safety", 1),
    _c("mem_join", 1),
    _c("mem_status_mode", 0),
    _c("sip_parser_log_oneline", 0, param=None),
    _c("sip_parser_log", -1, effect="level of the 'core parsing of SIP message failed' line"),
    _c("corelog", -1),
    _c("latency_cfg_log", 3, effect=_LAT),
    _c("latency_log", -1, effect=_LAT),
    _c("latency_limit_db", 0),
    _c("latency_limit_action", 0, effect=_LAT),
    _c("latency_limit_cfg", 0, param=None),
    _c("pv_cache_limit", 2048),
    _c("pv_cache_action", 0),
)

TCP_VARS: tuple[CfgVar, ...] = (
    _t("connect_timeout", 10, min=-1, max=134217727, readable=False,
       effect="seconds an outgoing TCP connect may take"),
    _t("send_timeout", 10, min=-1, readable=False, effect="seconds a blocked TCP write may wait"),
    _t("connection_lifetime", 120, min=-1, readable=False,
       effect="seconds an idle TCP connection is kept"),
    _t("max_connections", 2048, min=0, readable=False,
       effect="TCP connections accepted or opened at most"),
    _t("max_tls_connections", 2048, min=0, readable=False, param="tls_max_connections"),
    _t("no_connect", 0, min=0, max=1, effect="no new outgoing TCP connection"),
    _t("fd_cache", 1, readonly=True),
    _t("async", 1, readonly=True),
    _t("connect_wait", 1, readonly=True, param=None),
    _t("conn_wq_max", 32768, min=0, max=1048576, effect="bytes queued per TCP connection"),
    _t("wq_max", 10485760, min=0, max=1073741824),
    _t("defer_accept", 0, readonly=True),
    _t("delayed_ack", 1, min=0, max=1, effect=_NEWCONN),
    _t("syncnt", 0, min=0, max=1024, effect=_NEWCONN),
    _t("linger2", 0, min=0, max=3600, effect=_NEWCONN),
    _t("keepalive", 1, min=0, max=1, effect=_NEWCONN),
    _t("keepidle", 0, min=0, max=86400, effect=_NEWCONN),
    _t("keepintvl", 0, min=0, max=86400, effect=_NEWCONN),
    _t("keepcnt", 0, min=0, max=1024, effect=_NEWCONN),
    _t("crlf_ping", 1, min=0, max=1, effect="CRLF keep-alives answered"),
    _t("accept_aliases", 0, min=0, max=1, effect="Via alias parameter honoured"),
    _t("alias_flags", 1, min=0, max=2, param=None),
    _t("new_conn_alias_flags", 2, min=0, max=2, param=None),
    _t("accept_no_cl", 0, min=0, max=1, effect="TCP messages without Content-Length accepted"),
    _t("reuse_port", 0, min=0, max=1),
    _t("wait_data_ms", 5000, min=0, max=7200000, param="tcp_wait_data"),
    _t("rd_buf_size", 16384, min=512, max=16777216, effect="read buffer of new TCP connections"),
    _t("wq_blk_size", 2100, min=1, max=65535),
)  # fmt: skip

# the cfg groups of modules (Kamailio 5.6.3 with the module loaded): ranges found by
# setting values on a running 5.6.3; `param` is the module's modparam giving the start
# value (5.6.3's siputils has no ring_timeout modparam)
MODULE_GROUPS: dict[str, tuple[CfgVar, ...]] = {
    "maxfwd": (
        _v("maxfwd", "max_limit", 70, min=0, max=255, param="max_limit",
           effect="highest Max-Forwards mf_process_maxfwd_header() lets through"),
    ),
    "xlog": (
        _v("xlog", "methods_filter", -1, param="methods_filter",
           effect="methods xlogm() does not log for"),
    ),
    "siputils": (_v("siputils", "ring_timeout", 0, readable=False),),
}  # fmt: skip

GROUPS: dict[str, tuple[CfgVar, ...]] = {"core": CORE_VARS, "tcp": TCP_VARS}
CORE_KEYS: tuple[str, ...] = tuple(v.key for vs in GROUPS.values() for v in vs)
VARS: dict[str, CfgVar] = {
    v.key: v for vs in (*GROUPS.values(), *MODULE_GROUPS.values()) for v in vs
}

# "group.name" -> value in effect at start (the config's, else the default); set by
# declare() before the workers fork
START: dict[str, int | str] = {v.key: v.default for v in VARS.values()}
# the module groups the config has (its loaded modules that have one), in load order
LOADED: list[str] = []
# the groups of the config's custom parameters (`group.var = value`)
CUSTOM_GROUPS: set[str] = set()
# how many times declare() ran: a process whose values derive from an older
# declaration takes the new start values as its base
SERIAL: list[int] = [0]
# the config listens on an IPv6 address (dns_try_ipv6=1 is refused otherwise)
HAS_IPV6: list[bool] = [False]
# log_name of the config (the syslog ident a log_facility change re-opens syslog with)
LOG_NAME: list[str] = ["siprouter"]


def present(group: str) -> bool:
    """Whether the running config has cfg group `group` (core, tcp, a loaded module's)."""
    return group in GROUPS or group in LOADED


def group_vars(group: str) -> tuple[CfgVar, ...]:
    """The variables of a group the config has (empty for any other name)."""
    if group in GROUPS:
        return GROUPS[group]
    return MODULE_GROUPS[group] if group in LOADED else ()


def groups_listed() -> list[str]:
    """The groups in Kamailio 5.6.3's cfg.list order: the module groups, last loaded
    first, then tcp and core (the custom groups follow)."""
    return [*reversed(LOADED), "tcp", "core"]


def lookup(group: str, name: str) -> CfgVar | None:
    """The variable group.name of a group the config has."""
    return VARS.get(f"{group}.{name}") if present(group) else None


def _as_int(row_name: str, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if row_name == "udp_mtu_try_proto":
        return PROTO_NUMBERS.get(str(value).lower(), 0)
    return int(value)


def start_values(explicit: dict[str, Any]) -> dict[str, int | str]:
    """The start values for a config whose explicitly set core parameters are
    `explicit` (canonical name -> value as core_params.validate_param returns it)."""
    out: dict[str, int | str] = {}
    for v in map(VARS.__getitem__, CORE_KEYS):
        value = explicit.get(v.param) if v.param else None
        if value is None:
            out[v.key] = v.default
        elif v.is_int:
            out[v.key] = _as_int(v.param or "", value)
        else:
            out[v.key] = str(value).upper()
    # Kamailio turns keepalive on when a keepalive timer is configured
    if any(explicit.get(f"tcp_{n}") for n in ("keepidle", "keepintvl", "keepcnt")):
        out["tcp.keepalive"] = 1
    return out


def declare(config: ast.Config) -> None:
    """Record the start values of `config` (its explicitly set core parameters)."""
    explicit: dict[str, Any] = {}
    for p in config.params:
        row = param_row(p.name)
        if row is None or (row.runtime is None and row.name != "log_name"):
            continue
        explicit[row.name] = validate_param(p.name, ast_value(p.value), p.value_pos or p.pos)
    loaded, module_values = module_start_values(config)
    START.clear()
    START.update({v.key: v.default for v in VARS.values()})
    START.update(start_values(explicit))
    START.update(module_values)
    LOADED[:] = loaded
    CUSTOM_GROUPS.clear()
    CUSTOM_GROUPS.update(c.group for c in config.custom_params)
    SERIAL[0] += 1
    HAS_IPV6[0] = any(
        ":" in addr
        for item in config.listens
        if item.param in ("listen", "socket") and item.spec is not None
        for addr in getattr(item.spec, "addrs", ())
    )
    LOG_NAME[0] = str(explicit.get("log_name") or "siprouter")


_ENV = re.compile(r"\$env\(([A-Za-z0-9_]+)\)")


def module_start_values(config: ast.Config) -> tuple[list[str], dict[str, int | str]]:
    """The module groups of `config` (load order) and the start values its modparams
    give their variables. A modparam names modules by a regular expression matched
    over the modules loaded before it (the checker refused anything else)."""
    from siprouter.modules.loader import module_name

    from . import ast as cfg_ast

    loaded: list[str] = []
    values: dict[str, int | str] = {}
    for item in config.items:
        if isinstance(item, cfg_ast.LoadModule):
            path = item.path
            if item.expand:
                path = _ENV.sub(lambda m: os.environ.get(m.group(1), ""), path)
            name = module_name(path)
            if name in MODULE_GROUPS and name not in loaded:
                loaded.append(name)
        elif isinstance(item, cfg_ast.ModParam):
            value = item.value.value
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            try:
                rx = re.compile(f"({item.module})", re.IGNORECASE)
            except re.error:
                continue
            for mod in loaded:
                if rx.fullmatch(mod):
                    for v in MODULE_GROUPS[mod]:
                        if v.param == item.name:
                            values[v.key] = value
    return loaded, values


def module_group_error(module: str) -> str | None:
    """Why `module` cannot declare its cfg group (its mod_init then fails, as in
    Kamailio 5.6.3): custom parameters of the config took the group's name."""
    if module in LOADED and module in CUSTOM_GROUPS:
        return f"configuration group has been already declared: {module}"
    return None


class SetError(ValueError):
    """A value a variable does not take; the text is Kamailio's reason."""


def check_set(var: CfgVar, value: int | str) -> int | str:
    """The value to store when `var` is set to `value` (an int for an integer variable,
    a str for log_facility); SetError when Kamailio refuses it."""
    if var.readonly:
        raise SetError("variable is read-only")
    if not var.is_int:
        text = str(value)
        if text.upper() not in FACILITIES:
            raise SetError(f"invalid log facility: {text}")
        return text.upper()
    if not isinstance(value, int):
        raise SetError(f"cannot convert string to integer '{value}'")
    if (var.min is not None and value < var.min) or (var.max is not None and value > var.max):
        raise SetError("integer value is out of range")
    if var.key == "core.dns_try_ipv6" and value and not HAS_IPV6[0]:
        raise SetError("the server listens on no IPv6 address: no point in resolving IPv6")
    if var.key == "siputils.ring_timeout" and value <= 0:
        raise SetError("fixup failed")  # 5.6.3 takes only a positive timeout
    return value
