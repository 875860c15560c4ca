"""What siprouter does with the core parameters it does not apply: the audit of issue 4/5.

Every row of the core parameter table (core_params.py) is either read by the running
server, marked `no_effect` (it only matters to C Kamailio, or cannot change anything
siprouter does: the reason says why), or marked `unsupported`: a config that sets it to
a value that would change behaviour fails `-c` and start-up with
"<param> is not supported yet (<reason>)" instead of running a server that silently
ignores it. Default values (and values that mean the same) stay accepted.

The decisions were checked against Kamailio 5.6.3 where it matters (strace of the socket
options and resource limits it sets, its start-up output, its statistics names).
`core_params.py` applies the two tables below to its rows; `refused(value, default)`
says whether a value of an unsupported parameter is refused.
"""

from __future__ import annotations

from typing import Any

_ASYNC_USERS = (
    "only run tasks of the async/sworker module functions (async_task_route, task_route, ...), "
    "which siprouter lacks: a config using them fails -c on the missing module, so the "
    "workers would sit idle"
)
_ASYNC = f"tunes the async worker processes, which {_ASYNC_USERS}"
_KEMI = "names a KEMI script function; siprouter has no KEMI cfgengine (a cfgengine other than native fails -c)"
_DNS_CACHE = (
    "tunes Kamailio's internal DNS cache; siprouter has none and asks the system resolver for "
    "every name"
)
_NAPTR = "weighs NAPTR records; siprouter makes no NAPTR look-ups (dns_try_naptr=yes is refused)"
_PACING = "start-up pacing of C Kamailio's process creation (only start-up timing changes); siprouter forks its workers without pauses"
_TLS = (
    "siprouter has no tls module: tls: listen addresses are refused at start-up and "
    "enable_tls=yes only warns, as Kamailio does without its tls module"
)
_SCTP = "SCTP is refused (sctp: listen addresses, enable_sctp=1, disable_sctp=no)"
_NO_DB = "siprouter has no database modules"

# parameters that cannot change anything observable in siprouter
NO_EFFECT: dict[str, str] = {
    "async_workers": f"async worker processes {_ASYNC_USERS}",
    "async_workers_group": f"async worker groups {_ASYNC_USERS}",
    "async_nonblock": _ASYNC,
    "async_usleep": _ASYNC,
    "fork_delay": _PACING,
    "wait_worker1_mode": _PACING,
    "wait_worker1_time": _PACING,
    "wait_worker1_usleep": _PACING,
    "kemi.onsend_route_callback": _KEMI,
    "kemi.received_route_callback": _KEMI,
    "kemi.reply_route_callback": _KEMI,
    "kemi.pre_routing_callback": _KEMI,
    "route_locks_size": (
        "siprouter always routes the messages of one Call-ID in one process, one at a time, "
        "in arrival order (the Call-ID owner worker, runtime/workers.py), which is what the "
        "locks give Kamailio"
    ),
    "stats_name_separator": (
        "Kamailio 5.6.3 only uses it for statistics that modules siprouter lacks build from "
        "two names: the core, sl, tm and usrloc statistics keep their names with another "
        "separator (checked with stats.get_statistics)"
    ),
    "user_agent_header": (
        "siprouter generates no requests of its own (no tm/uac), so no request carries it"
    ),
    "verbose_startup": (
        "Kamailio 5.6.3 prints nothing more with it (start-up output compared at -dd); "
        "siprouter has no routing-tree dump"
    ),
    "rpc_exec_delta": "siprouter has no RPC transport (jsonrpcs/ctl), so no RPC command runs",
    "latency_limit_db": f"times database queries; {_NO_DB}",
    "version_table": f"names a database table; {_NO_DB}",
    "use_dns_cache": _DNS_CACHE,
    "dns_cache_del_nonexp": _DNS_CACHE,
    "dns_cache_rec_pref": _DNS_CACHE,
    "dns_cache_gc_interval": _DNS_CACHE,
    "dns_cache_init": _DNS_CACHE,
    "dns_cache_max_ttl": _DNS_CACHE,
    "dns_cache_mem": _DNS_CACHE,
    "dns_cache_min_ttl": _DNS_CACHE,
    "dns_cache_negative_ttl": _DNS_CACHE,
    "dns_naptr_ignore_rfc": _NAPTR,
    "dns_sctp_pref": _NAPTR,
    "dns_tcp_pref": _NAPTR,
    "dns_tls_pref": _NAPTR,
    "dns_udp_pref": _NAPTR,
    "dns_srv_lb": (
        "siprouter makes no SRV look-ups at all (a known gap: Kamailio looks up SRV records "
        "for a host without a port), so there is nothing to balance"
    ),
    "dns_try_ipv6": (
        "siprouter's resolver already falls back to IPv6 when a name has no IPv4 address, as "
        "Kamailio does with dns_try_ipv6=yes (a known gap: =no, the default, is not honoured)"
    ),
    "tcp_poll_method": (
        "siprouter's workers always wait with epoll; the polling method changes no behaviour"
    ),
    "tcp_wait_data": (
        "siprouter's workers read a new connection themselves: no TCP main process waits for "
        "its first data before handing it over"
    ),
    "tls_port_no": _TLS,
    "tls_max_connections": _TLS,
    "sctp_socket_rcvbuf": _SCTP,
    "sctp_socket_sndbuf": _SCTP,
    **{
        f"sctp_{n}": _SCTP
        for n in [
            "autoclose",
            "send_ttl",
            "send_retries",
            "assoc_tracking",
            "assoc_reuse",
            "max_assocs",
            "srto_initial",
            "srto_max",
            "srto_min",
            "asocmaxrxt",
            "init_max_attempts",
            "init_max_timeo",
            "hbinterval",
            "pathmaxrxt",
            "sack_delay",
            "sack_freq",
            "max_burst",
        ]
    },
}

_RESOLVER = "siprouter uses the system resolver with the settings of /etc/resolv.conf"

# parameters refused (-c and start-up) when set to a value that would change behaviour
UNSUPPORTED: dict[str, str] = {
    "dns": "the DNS checks of the Via host for received= are not done (nor -r)",
    "rev_dns": "the reverse DNS checks of the Via host for received= are not done (nor -R)",
    "corelog": "siprouter's core logs its non-critical errors at fixed levels",
    "http_reply_parse": "HTTP replies are dropped as unparsable SIP",
    "ipv6_hex_style": 'siprouter prints IPv6 addresses compact and lower-case ("c")',
    "mcast": "siprouter joins no multicast groups",
    "msg_time": "the message time is taken when the script first asks for it",
    "dns_cache_flags": "siprouter takes a name's IPv4 address, its IPv6 one only when it has none",
    "dns_retr_no": _RESOLVER,
    "dns_retr_time": _RESOLVER,
    "dns_servers_no": _RESOLVER,
    "dns_use_search_list": _RESOLVER,
    "dns_search_full_match": _RESOLVER,
    "dns_try_naptr": "siprouter makes no NAPTR/SRV look-ups",
    "use_dns_failover": "a failed send is not retried on the name's next address",
    "tcp_accept_hep3": "HEP3 packets on TCP connections are not accepted",
    "tcp_connection_match": "TCP connections are matched by the remote address only",
    "tcp_reuse_port": (
        "SO_REUSEPORT is set on the sockets of a multi-worker server, never by this parameter"
    ),
    "tcp_wq_max": "only the per-connection limit tcp_conn_wq_max is enforced",
    "sip_warning": "local replies carry no Warning header",
    "local_rport": "the Via of a forwarded request gets ;rport only from add_local_rport()",
    "phone2tel": "sip: URIs with user=phone are always treated as tel: URIs",
    "uri_host_extra_chars": "URI hosts accept only the standard characters",
}

# Refused at start-up only (runtime/lifecycle.init_core): `-c` keeps Kamailio's verdict
# on these values (tests/unit/cfg/test_core_params.py compares it with `kamailio -c`).
STARTUP_ONLY = frozenset({"ipv6_hex_style"})


def refused(value: Any, default: Any) -> bool:
    """Whether `value` (normalized) of an unsupported parameter is refused: any value but
    the default."""
    return bool(value != default)
