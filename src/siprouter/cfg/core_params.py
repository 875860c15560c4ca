"""The core parameter table: every global `name = value` of the Kamailio 5.7 cookbook.

One row per parameter: name, aliases, value kind (see core_param_types.Kind), default,
allowed range or choices, whether `cfg.set_now` can change it at runtime (and under
which cfg group/name), whether it only matters to C Kamailio or cannot change what
siprouter does (`no_effect`), whether a value other than the default is refused as not
supported yet (`unsupported`; both set from cfg/core_param_support.py), and a one-line
doc. `validate_param(name, value, pos)` checks a value against the table and
returns it normalized; unknown names and bad values are ConfigErrors.

Defaults of runtime-changeable rows were read from a running 5.6.3 (`cfg.get`); where
they differ from the cookbook the doc says so. Value kinds were verified against
`kamailio -c` 5.6.3 (e.g. boolean parameters take
any NUMBER, including yes/no/on/off/true/false/enable/disable, but not a quoted
string; `debug` takes negative numbers, `children` does not). Rows marked
`in_kamailio56=False` are in the 5.7 spec but unknown to the installed 5.6.3.

`python -m siprouter.cfg.core_params` prints the table as Markdown
(docs/core-parameters.md is that output).
"""

from __future__ import annotations

import difflib
import grp
import pwd
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import ast
from .core_param_support import NO_EFFECT, STARTUP_ONLY, UNSUPPORTED, refused
from .core_param_types import (
    Kind,
    ParamValueError,
    Word,
    as_id,
    as_number,
    as_string,
    as_string_or_id,
    describe,
    parse_address,
    parse_alias_value,
    parse_async_group,
    parse_flags,
    parse_ipv4,
    parse_ipv6,
    parse_listen_value,
    parse_proto,
    parse_tos,
)
from .errors import ConfigError, Pos


@dataclass(frozen=True, slots=True)
class CoreParam:
    """One core parameter."""

    name: str
    kind: Kind
    default: Any
    doc: str
    section: str = "Core parameters"
    aliases: tuple[str, ...] = ()
    runtime: str | None = None  # "group.name" for cfg.set_now_* when changeable at runtime
    choices: tuple[str, ...] | None = None
    min: int | None = None
    max: int | None = None
    no_effect: str | None = None  # why siprouter accepts but ignores it
    repeatable: bool = False
    in_kamailio56: bool = True
    in_spec: bool = True
    early: bool = False  # must come before any modparam or route block (Kamailio 5.6)
    unsupported: str | None = None  # why a value other than the default is refused


CORE_PARAMS: list[CoreParam] = []

_MEM = "C Kamailio memory management; Python manages its own memory"
_RT = "real-time scheduling of C Kamailio processes; siprouter does not change priorities"
_PVBUF = "C buffers for pseudo-variable printing; Python strings have no fixed buffers"


def _p(name: str, kind: Kind, default: Any, doc: str, **kw: Any) -> None:
    CORE_PARAMS.append(CoreParam(name, kind, default, doc, **kw))


N, I, B, S = Kind.NUM, Kind.INT, Kind.BOOL, Kind.STR  # noqa: E741

# --- Core parameters -------------------------------------------------------------
_p(
    "advertised_address",
    Kind.ADDR,
    None,
    "IP or hostname advertised in Via/Record-Route instead of the socket address",
)
_p("advertised_port", Kind.PORT, None, "Port advertised in Via instead of the socket port")
_p(
    "alias",
    Kind.ALIAS,
    None,
    "Hostname[:port] also matched by `myself`; repeatable",
    aliases=("domain",),
    repeatable=True,
)
_p("async_workers", N, 0, "Number of async worker processes in the default group (0 disables)")
_p("async_nonblock", B, False, "Non-blocking internal sockets for the default async group")
_p("async_usleep", N, 0, "Microseconds to sleep before taking the next async task")
_p(
    "async_workers_group",
    Kind.ASYNC_GROUP,
    "",
    'Named async worker group: "name=X;workers=N;nonblock=0|1;usleep=M"',
    repeatable=True,
)
_p(
    "auto_aliases",
    B,
    True,
    "Add reverse-DNS names of local IPv4 addresses as aliases",
    aliases=("auto_domains",),
)
_p("auto_bind_ipv6", B, False, "Also bind all IPv6 addresses when no listen is given")
_p("bind_ipv6_link_local", B, False, "Also bind IPv6 link-local addresses")
_p("check_via", B, False, "Check that the top Via of a reply names a local address")
_p("children", N, 8, "Worker processes per UDP listen socket")
_p("chroot", Kind.STR_OR_ID, None, "chroot to this directory at startup")
_p(
    "corelog",
    I,
    -1,
    "Log level of non-critical core messages (e.g. SIP parse failures)",
    runtime="core.corelog",
)
_p("debug", I, 0, "Global log level, L_ALERT (-5) .. L_DBG (3)", runtime="core.debug")
_p(
    "description",
    Kind.DIRECTIVE,
    None,
    "Not a parameter: `desc` text of a custom global parameter",
    aliases=("descr", "desc"),
)
_p("disable_core_dump", B, False, "Disable core dumps (core size limit 0)")
_p("disable_tls", B, True, "Disable TLS (TLS also needs the tls module)", aliases=("tls_disable",))
_p("enable_tls", B, False, "Enable TLS (reverse of disable_tls)", aliases=("tls_enable",))
_p(
    "exit_timeout",
    N,
    60,
    "Seconds shutdown may take before remaining processes are killed (0 disables)",
    aliases=("ser_kill_timeout",),
)
_p("flags", Kind.FLAGS, None, "Declare named message flags: flags NAME[:bit], ...", repeatable=True)
_p(
    "force_rport",
    B,
    False,
    "Act as if force_rport() ran for every request",
    runtime="core.force_rport",
)
_p("fork", B, True, "Run as daemon with worker processes; no = one foreground process")
_p("fork_delay", N, 0, "Microseconds to wait before forking each process")
_p("group", Kind.STR_OR_ID, None, "Group name or id to run as", aliases=("gid",))
_p(
    "http_reply_parse",
    B,
    False,
    "Parse HTTP replies as if they were SIP replies",
    aliases=("http_reply_hack",),
)
_p(
    "ip_free_bind",
    I,
    0,
    "Allow binding non-local addresses (IP_FREEBIND)",
    aliases=("ipfreebind", "ip_nonlocal_bind"),
)
_p(
    "ipv6_hex_style",
    Kind.CHOICE,
    "c",
    'IPv6 text style: "a" expanded lower, "A" expanded upper, "c" compact lower',
    choices=("a", "A", "c"),
)
_p(
    "kemi.onsend_route_callback",
    S,
    "ksr_onsend_route",
    "KEMI function run like onsend_route (empty/none skips)",
)
_p("kemi.received_route_callback", S, None, "KEMI function run like event_route[core:msg-received]")
_p(
    "kemi.reply_route_callback",
    S,
    "ksr_reply_route",
    "KEMI function run like reply_route (empty/none skips)",
)
_p("kemi.pre_routing_callback", S, None, "KEMI function run like event_route[core:pre-routing]")
_p(
    "latency_cfg_log",
    I,
    3,
    "Log level for route execution time (microseconds)",
    runtime="core.latency_cfg_log",
)
_p(
    "latency_limit_action",
    N,
    0,
    "Log actions slower than this many microseconds (0 off)",
    runtime="core.latency_limit_action",
)
_p(
    "latency_limit_db",
    N,
    0,
    "Log DB queries slower than this many microseconds (0 off)",
    runtime="core.latency_limit_db",
)
_p("latency_log", I, -1, "Log level of latency messages", runtime="core.latency_log")
_p(
    "listen",
    Kind.LISTEN,
    None,
    'Listen socket [proto:]addr[:port] [advertise a[:p]] [name "s"] [virtual]; repeatable',
    repeatable=True,
)
_p(
    "loadmodule",
    Kind.DIRECTIVE,
    None,
    'Load a module: loadmodule "name" | ("path", "opts")',
    repeatable=True,
)
_p(
    "loadmodulex",
    Kind.DIRECTIVE,
    None,
    "loadmodule with $def/$env variables evaluated in the path",
    repeatable=True,
)
_p("loadpath", S, None, "Colon-separated module search path", aliases=("mpath",))
_p("local_rport", B, False, "Act as if add_local_rport() ran for every request")
_p("log_engine_data", S, None, "Data for the log engine (see log_engine_type)")
_p("log_engine_type", S, None, "Log engine implemented by a module (e.g. udp from log_custom)")
_p("log_facility", Kind.CHOICE, "LOG_DAEMON", "Syslog facility", runtime="core.log_facility",
   choices=("LOG_AUTH", "LOG_CRON", "LOG_DAEMON", "LOG_KERN", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2",
            "LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7", "LOG_LPR", "LOG_MAIL",
            "LOG_NEWS", "LOG_USER", "LOG_UUCP", "LOG_AUTHPRIV", "LOG_FTP", "LOG_SYSLOG"))  # fmt: skip
_p("log_name", S, None, "Syslog tag (default: the program name)")
_p("log_prefix", S, None, "Prefix (may hold PVs) of log lines printed while handling a message")
_p("log_prefix_mode", N, 0, "0: evaluate log_prefix once per message; 1: around each action", max=1)
_p("log_stderror", B, False, "Log to stderr instead of syslog")
_p("cfgengine", S, "native", 'Routing engine: "native" (this config) or a KEMI engine module')
_p("maxbuffer", N, 262144, "Upper bound when probing the UDP receive buffer size")
_p("max_branches", N, 12, "Maximum outgoing branches of a request", min=1, max=31)
_p("max_recursive_level", N, 256, "Maximum nesting of route() calls and if/else chains")
_p(
    "max_while_loops",
    N,
    100,
    "Maximum iterations of one while loop",
    runtime="core.max_while_loops",
)
_p("mcast", Kind.STR_OR_ID, None, "Network interface for multicast traffic")
_p("mcast_loopback", B, False, "Loop back sent multicast datagrams")
_p("mcast_ttl", N, None, "TTL of sent multicast datagrams (OS default, usually 1)", max=255)
_p(
    "memdbg",
    I,
    4,
    "Log level of memory debugging messages (cookbook: L_DBG; 5.6.3 runs with 4)",
    aliases=("mem_dbg",),
    runtime="core.memdbg",
    no_effect=_MEM,
)
_p(
    "memlog",
    I,
    4,
    "Log level of memory status dumps (cookbook: L_DBG; 5.6.3 runs with 4)",
    aliases=("mem_log",),
    runtime="core.memlog",
    no_effect=_MEM,
)
_p("mem_join", I, 1, "Join freed memory fragments", runtime="core.mem_join", no_effect=_MEM)
_p("mem_safety", I, 1, "Safety checks on memory free", runtime="core.mem_safety", no_effect=_MEM)
_p(
    "mem_status_mode",
    I,
    0,
    "Which memory fragments the status dump shows",
    runtime="core.mem_status_mode",
    no_effect=_MEM,
)
_p(
    "mem_summary",
    I,
    12,
    "What the memory summary at exit shows (bit flags)",
    runtime="core.mem_summary",
    no_effect=_MEM,
)
_p("mhomed", B, False, "Multi-homed: pick the outgoing socket by asking the kernel for the route")
_p("mlock_pages", B, False, "Lock the shared memory pages in RAM", no_effect=_MEM)
_p(
    "modinit_delay",
    N,
    0,
    "Microseconds to wait after each module's init",
    no_effect="C module initialization pacing",
)
_p(
    "modparam",
    Kind.DIRECTIVE,
    None,
    'Set a module parameter: modparam("mod", "name", value)',
    repeatable=True,
)
_p(
    "modparamx",
    Kind.DIRECTIVE,
    None,
    "modparam with $def/$env variables evaluated in the value",
    repeatable=True,
)
_p("onsend_route_reply", B, False, "Also run onsend_route for replies")
_p("open_files_limit", N, None, "Raise the open files limit (RLIMIT_NOFILE) to this")
_p("phone2tel", B, True, "Treat sip: URIs with user=phone as tel: URIs")
_p("pmtu_discovery", N, 0, "Path MTU discovery: 0 off, 1 on (DF set), 2 kernel default", max=2)
_p("port", Kind.PORT, 5060, "Default port of listen sockets without a port")
_p("pv_buffer_size", N, 8192, "Size of the buffers for printing pseudo-variables", no_effect=_PVBUF)
_p("pv_buffer_slots", N, 10, "Number of buffers for printing pseudo-variables", no_effect=_PVBUF)
_p(
    "pv_cache_limit",
    N,
    2048,
    "Warn when the PV spec cache grows past this",
    runtime="core.pv_cache_limit",
    no_effect=_PVBUF,
)
_p(
    "pv_cache_action",
    N,
    0,
    "What to do past pv_cache_limit (0 warn, 1 drop cache)",
    runtime="core.pv_cache_action",
    no_effect=_PVBUF,
)
_p(
    "rpc_exec_delta",
    N,
    0,
    "Minimum seconds between two executions of an RPC command (0 no limit)",
    in_kamailio56=False,
)
_p(
    "rundir",
    Kind.STR_OR_ID,
    "/var/run/kamailio",
    "Directory for runtime files (pid, control sockets)",
    aliases=("run_dir",),
)
_p(
    "received_route_mode",
    I,
    0,
    "Run event_route[core:msg-received] for every received message",
    max=1,
)
_p("reply_to_via", B, False, "Send replies to the address in the top Via instead of the source")
_p("route_locks_size", N, None, "Serialize routing per Call-ID over this many locks (unset: off)")
_p("server_id", N, 0, "Numeric id of this server (for unique ids across instances)")
_p("server_header", S, None, 'Server header of local replies, e.g. "Server: My SIP Server"')
_p("server_signature", B, True, "Add Server/User-Agent headers to locally generated messages")
_p(
    "shm_force_alloc",
    B,
    False,
    "Touch all shared memory pages at startup",
    no_effect=_MEM,
    early=True,
)
_p(
    "shm_mem_size",
    N,
    64,
    "Shared memory size in MB",
    aliases=("shm",),
    min=1,
    no_effect=_MEM,
    early=True,
)
_p(
    "sip_parser_log",
    I,
    -1,
    "Log level for SIP parser errors (cookbook: 0; 5.6.3 runs with -1, L_ERR)",
    runtime="core.sip_parser_log",
)
_p("sip_parser_mode", I, 1, "SIP parser strictness flags (1: strict)")
_p("sip_warning", B, False, "Add a Warning header with debug details to local replies")
_p(
    "socket",
    Kind.SOCKET,
    None,
    "Socket block: socket = { bind = ...; advertise = ...; name = ...; virtual = ...; }",
    repeatable=True,
    in_kamailio56=False,
)
_p("socket_workers", N, None, "Worker processes for the next listen socket(s)")
_p(
    "sql_buffer_size",
    N,
    65535,
    "Size of the buffer for building SQL queries",
    no_effect="C SQL query buffer; queries are built as Python strings",
)
_p(
    "statistics",
    Kind.DIRECTIVE,
    None,
    "Not a parameter in Kamailio 5.x (statistics come from the counters/statistics modules)",
)
_p("stats_name_separator", S, "_", "Separator between group and name in statistics names")
_p(
    "tos",
    Kind.TOS,
    0x10,
    "IP TOS of sent packets: a number or IPTOS_LOWDELAY/THROUGHPUT/RELIABILITY/LOWCOST/MINCOST",
)
_p(
    "udp_mtu",
    N,
    0,
    "Switch to udp_mtu_try_proto for requests larger than this (0 off)",
    runtime="core.udp_mtu",
)
_p(
    "udp_mtu_try_proto",
    Kind.PROTO,
    "udp",
    "Protocol used when a request exceeds udp_mtu",
    runtime="core.udp_mtu_try_proto",
)
_p("uri_host_extra_chars", S, None, "Extra characters allowed in URI hosts (e.g. _)")
_p("user", Kind.STR_OR_ID, None, "User name or id to run as", aliases=("uid",), early=True)
_p("user_agent_header", S, None, 'User-Agent header of local requests, e.g. "User-Agent: X"')
_p("verbose_startup", B, False, "Print extra information at startup")
_p("version_table", S, "version", "Name of the DB table holding table versions")
_p(
    "wait_worker1_mode",
    N,
    0,
    "Wait for the first worker to initialize before forking the others",
    max=1,
)
_p("wait_worker1_time", N, 4000000, "Microseconds to wait for the first worker")
_p("wait_worker1_usleep", N, 100000, "Microseconds between checks of the first worker")
_p("workdir", Kind.STR_OR_ID, None, "Working directory", aliases=("wdir",))
_p("xavp_via_params", S, None, "XAVP whose fields are added as Via parameters")
_p("xavp_via_fields", S, None, "XAVP whose fields replace Via parts (address, port, ...)")
_p(
    "xavp_via_reply_params",
    S,
    None,
    "XAVP whose fields corex via_reply_add_xavp_params adds to the top Via of replies",
    in_kamailio56=False,
    in_spec=False,
)
_p(
    "return_mode",
    N,
    0,
    "0: return without value keeps $rc; 1: return value mode of 5.7",
    section="Core Functions",
    in_kamailio56=False,
    max=1,
)
_p("log_color", B, False, "Colored stderr logs", in_spec=False)
_p("msg_time", N, 0, "Set the message receive time on arrival", in_spec=False)

# --- DNS ---------------------------------------------------------------------------
D = "DNS Parameters"
_p(
    "dns",
    B,
    False,
    "Resolve the source IP to check against the Via host (adds received)",
    section=D,
)
_p(
    "rev_dns",
    B,
    False,
    "Reverse-resolve the source IP for the Via check",
    section=D,
    aliases=("dns_rev_via",),
)
_p(
    "dns_cache_del_nonexp",
    B,
    False,
    "Allow deleting unexpired DNS cache entries when full",
    section=D,
    aliases=("dns_cache_delete_nonexpired",),
    runtime="core.dns_cache_del_nonexp",
)
_p(
    "dns_cache_rec_pref",
    N,
    0,
    "Which record wins when a cached one is refreshed (0..3)",
    section=D,
    max=3,
    runtime="core.dns_cache_rec_pref",
)
_p(
    "dns_cache_flags",
    N,
    0,
    "DNS cache flags (1 IPv4 only, 2 IPv6 only, 4 prefer IPv6)",
    section=D,
    runtime="core.dns_cache_flags",
)
_p("dns_cache_gc_interval", N, 120, "Seconds between DNS cache garbage collections", section=D)
_p("dns_cache_init", B, True, "Create the DNS cache at startup", section=D)
_p(
    "dns_cache_max_ttl",
    N,
    2**31 - 1,
    "Maximum TTL of DNS cache entries (seconds)",
    section=D,
    runtime="core.dns_cache_max_ttl",
)
_p("dns_cache_mem", N, 500, "Maximum DNS cache size in KB", section=D, runtime="core.dns_cache_mem")
_p(
    "dns_cache_min_ttl",
    N,
    0,
    "Minimum TTL of DNS cache entries (seconds)",
    section=D,
    runtime="core.dns_cache_min_ttl",
)
_p(
    "dns_cache_negative_ttl",
    N,
    60,
    "Seconds a failed lookup stays cached",
    section=D,
    runtime="core.dns_cache_negative_ttl",
)
_p(
    "dns_naptr_ignore_rfc",
    B,
    True,
    "Ignore NAPTR order rules of the RFC (use preference only)",
    section=D,
    runtime="core.dns_naptr_ignore_rfc",
)
_p(
    "dns_retr_no",
    N,
    None,
    "DNS query retries (resolver default, usually 4)",
    section=D,
    runtime="core.dns_retr_no",
)
_p(
    "dns_retr_time",
    N,
    None,
    "Seconds before retrying a DNS query (resolver default, usually 5)",
    section=D,
    runtime="core.dns_retr_time",
)
_p(
    "dns_search_full_match",
    B,
    True,
    "Require the whole name to match when using the search list",
    section=D,
    runtime="core.dns_search_full_match",
)
_p(
    "dns_servers_no",
    N,
    None,
    "How many resolv.conf name servers to use (default all)",
    section=D,
    runtime="core.dns_servers_no",
)
_p(
    "dns_srv_lb",
    B,
    False,
    "Weight-based load balancing across SRV records",
    section=D,
    aliases=("dns_srv_loadbalancing",),
    runtime="core.dns_srv_lb",
)
_p("dns_try_ipv6", B, False, "Also look up AAAA records", section=D, runtime="core.dns_try_ipv6")
_p(
    "dns_try_naptr",
    B,
    False,
    "Look up NAPTR records first",
    section=D,
    runtime="core.dns_try_naptr",
)
_p(
    "dns_sctp_pref",
    I,
    20,
    "Preference of SCTP in NAPTR selection (-1 never)",
    section=D,
    aliases=("dns_sctp_preference",),
    runtime="core.dns_sctp_pref",
)
_p(
    "dns_tcp_pref",
    I,
    20,
    "Preference of TCP in NAPTR selection (-1 never)",
    section=D,
    aliases=("dns_tcp_preference",),
    runtime="core.dns_tcp_pref",
)
_p(
    "dns_tls_pref",
    I,
    10,
    "Preference of TLS in NAPTR selection (-1 never)",
    section=D,
    aliases=("dns_tls_preference",),
    runtime="core.dns_tls_pref",
)
_p(
    "dns_udp_pref",
    I,
    30,
    "Preference of UDP in NAPTR selection (-1 never)",
    section=D,
    aliases=("dns_udp_preference",),
    runtime="core.dns_udp_pref",
)
_p(
    "dns_use_search_list",
    B,
    True,
    "Use the resolv.conf search list",
    section=D,
    runtime="core.dns_use_search_list",
)
_p(
    "use_dns_cache",
    B,
    True,
    "Use the internal DNS cache",
    section=D,
    aliases=("dns_use_cache",),
    runtime="core.use_dns_cache",
)
_p(
    "use_dns_failover",
    B,
    False,
    "Try the next DNS destination when sending fails",
    section=D,
    aliases=("dns_use_failover",),
    runtime="core.use_dns_failover",
)

# --- TCP ---------------------------------------------------------------------------
T = "TCP Parameters"
_p("disable_tcp", B, False, "Disable TCP", section=T)
_p(
    "tcp_accept_aliases",
    B,
    False,
    "Honour ;alias in Via to reuse the connection for requests back",
    section=T,
    runtime="tcp.accept_aliases",
)
_p(
    "tcp_accept_haproxy",
    B,
    False,
    "Accept the HAProxy PROXY protocol header on new connections",
    section=T,
)
_p("tcp_accept_hep3", B, False, "Accept HEP3 packets on TCP connections", section=T)
_p(
    "tcp_accept_iplimit",
    N,
    1024,
    "Maximum connections from one IP address",
    section=T,
    in_kamailio56=False,
)
_p(
    "tcp_accept_no_cl",
    B,
    False,
    "Accept TCP messages without Content-Length",
    section=T,
    runtime="tcp.accept_no_cl",
)
_p(
    "tcp_accept_unique",
    B,
    False,
    "Refuse a new connection from an address with one already open",
    section=T,
)
_p(
    "tcp_async",
    B,
    True,
    "Non-blocking TCP writes through a write queue",
    section=T,
    aliases=("tcp_buf_write",),
    runtime="tcp.async",
    no_effect="siprouter's TCP writes are always asynchronous",
)
_p("tcp_children", N, None, "TCP worker processes (default: children)", section=T)
_p(
    "tcp_clone_rcvbuf",
    B,
    False,
    "Clone the TCP receive buffer for each message",
    section=T,
    no_effect="C receive-buffer sharing",
)
_p(
    "tcp_connection_lifetime",
    I,
    120,
    "Seconds an idle TCP connection is kept",
    section=T,
    runtime="tcp.connection_lifetime",
)
_p("tcp_connection_match", B, False, "Match connections by local address too", section=T)
_p(
    "tcp_connect_timeout",
    I,
    10,
    "Seconds to wait for a TCP connect",
    section=T,
    runtime="tcp.connect_timeout",
)
_p(
    "tcp_conn_wq_max",
    N,
    32768,
    "Maximum bytes queued for writing on one connection",
    section=T,
    runtime="tcp.conn_wq_max",
)
_p(
    "tcp_crlf_ping",
    B,
    True,
    "Answer CRLFCRLF keepalives (RFC 5626)",
    section=T,
    runtime="tcp.crlf_ping",
)
_p(
    "tcp_defer_accept",
    N,
    0,
    "TCP_DEFER_ACCEPT seconds (0 off)",
    section=T,
    runtime="tcp.defer_accept",
)
_p(
    "tcp_delayed_ack",
    B,
    True,
    "TCP_QUICKACK off (delayed acks) when supported",
    section=T,
    runtime="tcp.delayed_ack",
)
_p(
    "tcp_fd_cache",
    B,
    True,
    "Cache connection file descriptors in workers",
    section=T,
    runtime="tcp.fd_cache",
    no_effect="C descriptor passing between processes",
)
_p("tcp_keepalive", B, True, "Enable SO_KEEPALIVE", section=T, runtime="tcp.keepalive")
_p(
    "tcp_keepcnt",
    N,
    None,
    "TCP_KEEPCNT probes before dropping (OS default)",
    section=T,
    runtime="tcp.keepcnt",
)
_p("tcp_keepidle", N, None, "TCP_KEEPIDLE seconds (OS default)", section=T, runtime="tcp.keepidle")
_p(
    "tcp_keepintvl",
    N,
    None,
    "TCP_KEEPINTVL seconds (OS default)",
    section=T,
    runtime="tcp.keepintvl",
)
_p("tcp_linger2", N, None, "TCP_LINGER2 seconds (OS default)", section=T, runtime="tcp.linger2")
_p(
    "tcp_max_connections",
    N,
    2048,
    "Maximum open TCP connections",
    section=T,
    runtime="tcp.max_connections",
)
_p(
    "tcp_no_connect",
    B,
    False,
    "Never open new TCP connections, only reuse",
    section=T,
    runtime="tcp.no_connect",
)
_p("tcp_poll_method", Kind.CHOICE, None, "I/O polling method (default: best for the OS)", section=T,
   choices=("poll", "epoll_lt", "epoll_et", "sigio_rt", "select", "kqueue", "/dev/poll"))  # fmt: skip
_p(
    "tcp_rd_buf_size",
    N,
    16384,
    "TCP read buffer size (bytes), the maximum message size (cookbook: 4096; 5.6.3: 16384)",
    section=T,
    runtime="tcp.rd_buf_size",
)
_p(
    "tcp_reuse_port",
    B,
    False,
    "SO_REUSEPORT on TCP listen sockets",
    section=T,
    runtime="tcp.reuse_port",
)
_p("tcp_script_mode", I, 0, "What the cfg TCP close functions do to the connection", section=T)
_p("tcp_send_timeout", I, 10, "Seconds a TCP send may wait", section=T, runtime="tcp.send_timeout")
_p("tcp_source_ipv4", Kind.IPV4, None, "Source IPv4 address of outgoing TCP connections", section=T)
_p("tcp_source_ipv6", Kind.IPV6, None, "Source IPv6 address of outgoing TCP connections", section=T)
_p("tcp_syncnt", N, None, "TCP_SYNCNT SYN retries (OS default)", section=T, runtime="tcp.syncnt")
_p(
    "tcp_wait_data",
    I,
    5000,
    "Milliseconds to wait for data on a new connection",
    section=T,
    runtime="tcp.wait_data_ms",
)
_p(
    "tcp_wq_blk_size",
    N,
    2100,
    "Block size of the TCP write queue",
    section=T,
    runtime="tcp.wq_blk_size",
    no_effect="C write-queue block allocation",
)
_p(
    "tcp_wq_max",
    N,
    10 * 1024 * 1024,
    "Maximum bytes queued for writing on all connections",
    section=T,
    runtime="tcp.wq_max",
)

# --- TLS ---------------------------------------------------------------------------
_p("tls_port_no", Kind.PORT, 5061, "Default port of TLS listen sockets", section="TLS Parameters")
_p(
    "tls_max_connections",
    N,
    2048,
    "Maximum open TLS connections",
    section="TLS Parameters",
    runtime="tcp.max_tls_connections",
)

# --- SCTP --------------------------------------------------------------------------
C = "SCTP Parameters"
_p("disable_sctp", B, True, "Disable SCTP (not supported by siprouter)", section=C)
_p("enable_sctp", N, 2, "SCTP: 0 disabled, 1 enabled, 2 auto", section=C, max=2)
_p("sctp_children", N, None, "SCTP worker processes", section=C)
for _n, _doc, _al in (
    ("sctp_socket_rcvbuf", "SCTP socket receive buffer size", ("sctp_socket_receive_buffer",)),
    ("sctp_socket_sndbuf", "SCTP socket send buffer size", ("sctp_socket_send_buffer",)),
):
    _p(_n, N, None, _doc, section=C, aliases=_al, in_kamailio56=False)
for _n, _kind, _default, _doc in (
    ("sctp_autoclose", N, 180, "Seconds before an idle association is closed"),
    ("sctp_send_ttl", N, 32000, "Milliseconds a message may wait to be sent"),
    ("sctp_send_retries", N, 0, "Retries of a failed send"),
    ("sctp_assoc_tracking", B, True, "Track associations"),
    ("sctp_assoc_reuse", B, True, "Reuse associations"),
    ("sctp_max_assocs", I, -1, "Maximum open associations (-1 no limit)"),
    ("sctp_srto_initial", N, None, "Initial RTO (ms, OS default)"),
    ("sctp_srto_max", N, None, "Maximum RTO (ms, OS default)"),
    ("sctp_srto_min", N, None, "Minimum RTO (ms, OS default)"),
    ("sctp_asocmaxrxt", N, None, "Maximum retransmissions of an association"),
    ("sctp_init_max_attempts", N, None, "Maximum INIT attempts"),
    ("sctp_init_max_timeo", N, None, "Maximum INIT timeout (ms)"),
    ("sctp_hbinterval", N, None, "Heartbeat interval (ms)"),
    ("sctp_pathmaxrxt", N, None, "Maximum retransmissions per path"),
    ("sctp_sack_delay", N, None, "SACK delay (ms)"),
    ("sctp_sack_freq", N, None, "Packets per SACK"),
    ("sctp_max_burst", N, None, "Maximum burst of packets"),
):
    _p(_n, _kind, _default, _doc, section=C, runtime=f"sctp.{_n[5:]}", in_kamailio56=False)

# --- UDP ---------------------------------------------------------------------------
U = "UDP Parameters"
_raw = "raw sockets for UDP sending are a C Kamailio optimization"
_p(
    "udp4_raw",
    I,
    0,
    "Send UDP over IPv4 through a raw socket (0 off, 1 on, -1 auto)",
    section=U,
    runtime="core.udp4_raw",
    no_effect=_raw,
)
_p(
    "udp4_raw_mtu",
    N,
    1500,
    "MTU for raw-socket UDP sending",
    section=U,
    runtime="core.udp4_raw_mtu",
    no_effect=_raw,
)
_p(
    "udp4_raw_ttl",
    N,
    None,
    "TTL for raw-socket UDP sending (auto)",
    section=U,
    runtime="core.udp4_raw_ttl",
    no_effect=_raw,
)

# --- Blocklist ---------------------------------------------------------------------
L = "Blocklist Parameters"
_p(
    "dst_blocklist_expire",
    N,
    60,
    "Seconds a destination stays blocklisted",
    section=L,
    aliases=("dst_blocklist_ttl",),
    runtime="core.dst_blocklist_expire",
)
_p("dst_blocklist_gc_interval", N, 60, "Seconds between blocklist garbage collections", section=L)
_p("dst_blocklist_init", B, True, "Create the destination blocklist at startup", section=L)
_p(
    "dst_blocklist_mem",
    N,
    250,
    "Maximum blocklist size in KB",
    section=L,
    runtime="core.dst_blocklist_mem",
)
_p(
    "use_dst_blocklist",
    B,
    False,
    "Use the destination blocklist",
    section=L,
    runtime="core.use_dst_blocklist",
)
for _proto in ("udp", "tcp", "tls", "sctp"):
    _p(
        f"dst_blocklist_{_proto}_imask",
        N,
        0,
        f"Blocklist events ignored for {_proto.upper()} (bit mask)",
        section=L,
        runtime=f"core.dst_blocklist_{_proto}_imask",
        in_spec=False,
    )

# --- Real-time ---------------------------------------------------------------------
R = "Real-Time Parameters"
_p(
    "real_time",
    N,
    0,
    "Real-time priority flags (1 timer1, 2 timer2, 4 slow timer)",
    section=R,
    no_effect=_RT,
)
_p(
    "rt_policy",
    N,
    0,
    "Scheduling policy of real-time processes (0..3)",
    section=R,
    max=3,
    no_effect=_RT,
)
_p("rt_prio", N, 0, "Real-time priority of processes", section=R, no_effect=_RT)
_p(
    "rt_timer1_policy",
    N,
    0,
    "Scheduling policy of the fast timer (0..3)",
    section=R,
    max=3,
    aliases=("rt_ftimer_policy",),
    no_effect=_RT,
)
_p(
    "rt_timer1_prio",
    N,
    0,
    "Real-time priority of the fast timer",
    section=R,
    aliases=("rt_fast_timer_prio", "rt_ftimer_prio"),
    no_effect=_RT,
)
_p(
    "rt_timer2_policy",
    N,
    0,
    "Scheduling policy of the slow timer (0..3)",
    section=R,
    max=3,
    aliases=("rt_stimer_policy",),
    no_effect=_RT,
)
_p(
    "rt_timer2_prio",
    N,
    0,
    "Real-time priority of the slow timer",
    section=R,
    aliases=("rt_stimer_prio",),
    no_effect=_RT,
)


def _apply_support_tables() -> None:
    """Mark the rows of core_param_support's audit (no_effect / unsupported)."""
    names = {row.name for row in CORE_PARAMS}
    for table in (NO_EFFECT, UNSUPPORTED):
        unknown = set(table) - names
        if unknown:
            raise RuntimeError(f"core_param_support names unknown parameters: {sorted(unknown)}")
    for i, row in enumerate(CORE_PARAMS):
        if row.name in NO_EFFECT:
            if row.no_effect is not None:
                raise RuntimeError(f"core parameter {row.name} already marked no_effect")
            CORE_PARAMS[i] = replace(row, no_effect=NO_EFFECT[row.name])
        elif row.name in UNSUPPORTED:
            CORE_PARAMS[i] = replace(row, unsupported=UNSUPPORTED[row.name])


_apply_support_tables()

# name or alias -> row
PARAMS_BY_NAME: dict[str, CoreParam] = {}
for _row in CORE_PARAMS:
    for _key in (_row.name, *_row.aliases):
        if _key in PARAMS_BY_NAME:
            raise RuntimeError(f"core parameter {_key} listed twice")
        PARAMS_BY_NAME[_key] = _row


def lookup(name: str) -> CoreParam | None:
    """The row for a parameter name or alias (case-sensitive, like Kamailio's lexer)."""
    return PARAMS_BY_NAME.get(name)


def suggest(name: str) -> str | None:
    """The closest known parameter name, for did-you-mean hints."""
    close = difflib.get_close_matches(name, list(PARAMS_BY_NAME), n=1, cutoff=0.75)
    if not close and name.lower() in PARAMS_BY_NAME:
        close = [name.lower()]
    return close[0] if close else None


def _convert(row: CoreParam, value: object) -> Any:
    kind = row.kind
    if kind is Kind.NUM:
        return as_number(value, negative=False)
    if kind is Kind.INT:
        return as_number(value, negative=True)
    if kind is Kind.BOOL:
        return bool(as_number(value, negative=False, what="boolean value (yes/no or a number)"))
    if kind is Kind.PORT:
        port = as_number(value, negative=False, what="port number")
        if port > 65535:
            raise ParamValueError(f"port number must be 0..65535, got {port}")
        return port
    if kind is Kind.STR:
        return as_string(value)
    if kind is Kind.STR_OR_ID:
        return as_string_or_id(value)
    if kind is Kind.ID:
        return as_id(value)
    if kind is Kind.CHOICE:
        return _choice(row, value)
    if kind is Kind.ADDR:
        return parse_address(value)
    if kind is Kind.LISTEN:
        return parse_listen_value(value)
    if kind is Kind.ALIAS:
        return parse_alias_value(value)
    if kind is Kind.IPV4:
        return parse_ipv4(value)
    if kind is Kind.IPV6:
        return parse_ipv6(value)
    if kind is Kind.PROTO:
        return parse_proto(value)
    if kind is Kind.TOS:
        return parse_tos(value)
    if kind is Kind.ASYNC_GROUP:
        return parse_async_group(value)
    if kind is Kind.FLAGS:
        return parse_flags(value)
    if kind is Kind.SOCKET:
        raise ParamValueError("socket takes a block: socket = { bind = proto:addr:port; ... }")
    raise ParamValueError(f"{row.name} is not a `name = value` parameter")


def _choice(row: CoreParam, value: object) -> str:
    assert row.choices is not None
    if row.name == "log_facility":
        text = as_id(value)  # Kamailio wants the bare word LOG_LOCAL0, not a string
    elif row.name == "ipv6_hex_style":
        text = as_string(value)
    else:
        text = as_string_or_id(value)
    if text not in row.choices:
        raise ParamValueError(f"{describe(value)} is not one of: {', '.join(row.choices)}")
    return text


def validate_param(name: str, value: object, pos: Pos | None = None) -> Any:
    """Check `name = value` against the table and return the normalized value.

    `value` is an int/bool (NUMBER), a str (quoted STRING) or a Word (unquoted text);
    see core_param_types. Raises ConfigError at `pos` for an unknown name (with a
    did-you-mean hint) or a value of the wrong kind or out of range.
    """
    row = lookup(name)
    if row is None:
        if "." in name:
            return validate_custom(name, value, pos)
        close = suggest(name)
        raise ConfigError(
            f"unknown core parameter '{name}'",
            pos,
            hint=f"did you mean '{close}'?"
            if close
            else "see docs/core-parameters.md for the list",
        )
    if row.kind is Kind.DIRECTIVE:
        raise ConfigError(f"'{name}' is not a `name = value` parameter", pos, hint=row.doc)
    try:
        out = _convert(row, value)
    except ParamValueError as e:
        raise ConfigError(f"bad value for {row.name}: {e}", pos, hint=_kind_hint(row)) from None
    post = _POST_CHECKS.get(row.name)
    if post is not None:
        try:
            post(out)
        except ParamValueError as e:
            raise ConfigError(f"{row.name}: {e}", pos) from None
    if isinstance(out, int) and not isinstance(out, bool):
        if (row.min is not None and out < row.min) or (row.max is not None and out > row.max):
            lo = row.min if row.min is not None else 0
            hi = row.max if row.max is not None else "..."
            raise ConfigError(f"{row.name} = {out} is out of range ({lo}..{hi})", pos)
    if row.name not in STARTUP_ONLY:
        check_supported(row, name, out, pos)
    return out


def check_supported(row: CoreParam, name: str, value: Any, pos: Pos | None) -> None:
    """Raise the "not supported yet" ConfigError when `value` (normalized) of an
    unsupported row would change behaviour (core_param_support)."""
    if row.unsupported is not None and refused(value, row.default):
        raise ConfigError(
            f"{name} is not supported yet ({row.unsupported})",
            pos,
            hint=_unsupported_hint(row),
        )


def _unsupported_hint(row: CoreParam) -> str:
    if row.repeatable:
        return f"remove the {row.name} lines"
    if row.default is None:
        return f"remove the {row.name} line"
    return f"remove it or set {row.name}={_fmt_default(row)} (the default)"


def _check_user(value: Any) -> None:
    if not str(value).isdigit():
        try:
            pwd.getpwnam(str(value))
        except KeyError:
            raise ParamValueError(f"bad user name/uid number: {value}") from None


def _check_group(value: Any) -> None:
    if not str(value).isdigit():
        try:
            grp.getgrnam(str(value))
        except KeyError:
            raise ParamValueError(f"bad group name/gid number: {value}") from None


def _check_no_sctp(enabled: Any) -> None:
    if enabled:
        raise ParamValueError("SCTP is enabled, but siprouter does not support SCTP")


# Checks after the kind conversion, for values Kamailio rejects at startup.
_POST_CHECKS: dict[str, Callable[[Any], None]] = {
    "user": _check_user,
    "group": _check_group,
    "disable_sctp": lambda v: _check_no_sctp(not v),
    "enable_sctp": lambda v: _check_no_sctp(v == 1),
}


def validate_custom(name: str, value: object, pos: Pos | None = None) -> int | str:
    """A custom global parameter `group.var = NUMBER|"string"` (declared at parse time)."""
    group = name.split(".", 1)[0]
    if group == "kemi":  # kemi.* are keywords in Kamailio's lexer, not a custom group
        close = suggest(name)
        raise ConfigError(
            f"unknown core parameter '{name}'",
            pos,
            hint=f"did you mean '{close}'?" if close else None,
        )
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and not isinstance(value, Word):
        return value
    raise ConfigError(
        f"bad value for custom parameter {name}: number or string expected, got {describe(value)}",
        pos,
    )


def _kind_hint(row: CoreParam) -> str | None:
    hints: dict[Kind, str] = {
        Kind.BOOL: f"write {row.name}=yes or {row.name}=no (no quotes)",
        Kind.NUM: f"write a number without quotes, e.g. {row.name}=4",
        Kind.INT: f"write a number without quotes, e.g. {row.name}=2",
        Kind.STR: f'write a quoted string, e.g. {row.name}="..."',
        Kind.PORT: f"write a port number, e.g. {row.name}=5060",
    }
    if row.choices:
        return "one of: " + ", ".join(row.choices)
    return hints.get(row.kind)


# --- values of a parsed config ---------------------------------------------------------


def ast_value(value: object) -> object:
    """An AST parameter value (cfg/ast.py) as validate_param takes it."""
    if isinstance(value, ast.Literal | ast.BoolLit):
        return value.value
    if isinstance(value, ast.Ident | ast.Keyword | ast.CoreValue):
        return Word(value.name)
    if isinstance(value, ast.IPAddr | ast.HostPort):
        return Word(value.raw or str(getattr(value, "addr", "")))
    if isinstance(value, ast.ValueList):
        return Word(" ".join(str(ast_value(v)) for v in value.items))
    return value


def effective_params(config: ast.Config) -> dict[str, Any]:
    """Canonical name -> value of every `name = value` row of the table: the config's
    value (the last one; all of them, in order, for repeatable rows), else the default.
    Values are normalized as validate_param returns them; an invalid one raises
    ConfigError (run the checker first to get all errors at once)."""
    out: dict[str, Any] = {}
    for row in CORE_PARAMS:
        if row.kind is Kind.DIRECTIVE or row.kind is Kind.SOCKET or row.kind is Kind.FLAGS:
            continue
        out[row.name] = [] if row.repeatable else row.default
    for p in config.params:
        row = lookup(p.name)
        if row is None or row.name not in out:
            continue
        value = validate_param(p.name, ast_value(p.value), p.value_pos or p.pos)
        if row.repeatable:
            out[row.name].append(value)
        else:
            out[row.name] = value
    for lst in config.listens:
        if lst.param in ("listen", "alias") and lst.spec is not None:
            out[lst.param].append(lst.spec)
    for lp in config.loadpath:
        out["loadpath"] = lp.path
    return out


def custom_params(config: ast.Config) -> dict[str, int | str]:
    """`group.var` -> value of the config's custom global parameters."""
    return {
        f"{c.group}.{c.name}": validate_custom(f"{c.group}.{c.name}", c.value.value, c.pos)
        for c in config.custom_params
    }


# --- documentation -----------------------------------------------------------------


def _fmt_default(row: CoreParam) -> str:
    d = row.default
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "yes" if d else "no"
    if isinstance(d, str):
        return f'"{d}"'
    return str(d)


def _fmt_range(row: CoreParam) -> str:
    if row.choices:
        return ", ".join(f"`{c}`" for c in row.choices)
    if row.min is not None or row.max is not None:
        lo = row.min if row.min is not None else 0
        return f"{lo}..{row.max if row.max is not None else ''}"
    return ""


def markdown() -> str:
    """The table as Markdown, grouped by cookbook section."""
    out = [
        "# Core parameters",
        "",
        "Generated by `python -m siprouter.cfg.core_params` from `src/siprouter/cfg/core_params.py`;",
        "do not edit by hand. *Runtime* names the `cfg.set_now_*` group.name when the value can",
        "change at runtime. *No effect* marks parameters siprouter accepts and validates but",
        "ignores, with the reason; *not supported yet* marks parameters whose values other",
        "than the default make `-c` and start-up fail (src/siprouter/cfg/core_param_support.py).",
        "† = not known to Kamailio 5.6.3 (5.7 spec);",
        "‡ = known to Kamailio 5.6.3 but not in the 5.7 cookbook.",
        "",
        "Kinds: `number` = NUMBER ≥ 0 (yes/no count as 1/0); `int` = may be negative;",
        "`bool` = yes/no/on/off/true/false/enable/disable or a number; `string` = quoted;",
        "`string|id` = quoted or bare word; `id` = bare word.",
    ]
    sections: dict[str, list[CoreParam]] = {}
    for row in CORE_PARAMS:
        sections.setdefault(row.section, []).append(row)
    for section, rows in sections.items():
        out += ["", f"## {section}", "", "| Name | Aliases | Kind | Default | Range | Runtime | No effect | Doc |",
                "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in rows:
            mark = "" if r.in_kamailio56 else " †"
            mark += "" if r.in_spec else " ‡"
            cells = [
                f"`{r.name}`{mark}",
                ", ".join(f"`{a}`" for a in r.aliases),
                r.kind.value,
                _fmt_default(r),
                _fmt_range(r),
                f"`{r.runtime}`" if r.runtime else "",
                r.no_effect or (f"not supported yet: {r.unsupported}" if r.unsupported else ""),
                r.doc,
            ]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
