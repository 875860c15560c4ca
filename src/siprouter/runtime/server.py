"""Start-up and shutdown of the running server (`siprouter -f cfg` after the checks).

`serve(loaded, options, out, err)`:

* reads the core parameters once (cfg/core_params.effective_params): debug (or
  -d/--debug), log_stderror (or -E), log_facility/log_name, port, server_header /
  server_signature, sip_parser_mode, reply_to_via, maxbuffer (or -b);
* collects the listen addresses of `listen=`, `socket = {bind=...}` and `-l` (none:
  every address of the machine, runtime/interfaces.py), resolves
  them (IP literal, interface name, host name) and binds one UDP socket and/or one TCP
  listen socket per address and port (a listen without a protocol means both, TCP left
  out with disable_tcp=yes or -T, as Kamailio does; `-l tcp:...` with -T is refused);
  prints the socket list as Kamailio does ("Listening on", UDP sockets, then TCP);
* without -D (or with -DDD) daemonizes first (runtime/daemon.py: fork, setsid, fork,
  chdir to -w or '/'); the command returns 0 once the daemon has bound its sockets, or
  the daemon's start-up error status; the daemon's stdin/stdout (and stderr unless
  -E / log_stderror) then point at /dev/null, and it logs to syslog unless -E;
* runs in the foreground with -D or -DD: with children=1 (or -n 1) and tcp_children
  (or -N) at most 1, one process receives and routes UDP and TCP; with more,
  runtime/workers.py forks max(children, tcp_children) workers (SO_REUSEPORT +
  Call-ID owner hand-off, docs/process-model.md) and supervises them;
* TCP (runtime/tcp_*.py) reads the tcp_* core parameters once (tcp_conn.TcpSettings);
* writes the -P pid file (the main process's pid) and the -G process group file once
  the sockets are bound, and removes them at exit;
* stops on SIGTERM/SIGINT, closes the sockets and returns 0.

-D alone (Kamailio's "do not fork (almost)") runs one process serving only the first UDP
socket, with Kamailio's warnings; the other sockets are listed, not bound.

`socket_workers = N` before a listen line sets how many workers read that UDP socket
(runtime/socket_workers.py).

Not yet: restarting a dead
worker (the server stops, saying which), the timer process,
TLS/SCTP listeners (a start-up error).
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from siprouter.cfg.core_params import effective_params
from siprouter.cfg.listen import ListenSpec
from siprouter.engine.context import ScriptState
from siprouter.engine.myself import interface_addresses
from siprouter.shared import space as shared_space
from siprouter.sip.reply import server_header_line

from . import dst_blocklist, privileges, socket_workers, state
from .aliases import alias_lines
from .interfaces import auto_listen_ips, listen_ips
from .lifecycle import ModuleInitError, child_init_modules, init_modules
from .logging import L_NOTICE, L_WARN, LOG, install_python_bridge
from .pipeline import Pipeline
from .tcp_conn import TcpSettings, bind_tcp_listener
from .tcp_transport import RcProbe, TcpTransport
from .udp import UdpLoop, bind_udp

EXIT_OK = 0
EXIT_ERROR = 255

_WRITTEN: dict[str, int] = {}  # pid/pgid file -> the pid of the process that wrote it
_ENV = privileges.ProcessEnv()  # -u/-g/-t/-w/-Y of the server being started
_ALIASES: list[str] = []  # the lines of the Aliases: block under the socket listing


class StartupError(Exception):
    """A reason the server cannot start (printed, exit status 255)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One address to bind: proto, resolved IP, port, and the spec it came from."""

    proto: str
    ip: str
    port: int
    spec: ListenSpec
    workers: int | None = None  # socket_workers before its listen line (UDP readers)


def listen_specs(config: Any, options: Any) -> list[ListenSpec]:
    """Every listen definition: the config's listen= and socket binds, then -l."""
    specs: list[ListenSpec] = []
    for item in config.listens:
        if item.param == "listen" and isinstance(item.spec, ListenSpec):
            specs.append(item.spec)
    for blk in config.sockets:
        if blk.bind is not None and isinstance(blk.bind.spec, ListenSpec):
            specs.append(blk.bind.spec)
    specs.extend(options.listen)
    return specs


def _interface_ipv4(name: str) -> str | None:
    """The first IPv4 address of network interface `name`, None if it has none."""
    v4 = [a for a in interface_addresses().get(name, []) if "." in a]
    return v4[0] if v4 else None


def resolve_addr(addr: str) -> str:
    """An IP literal as is, an interface name to its IPv4 address, a host name to its
    first address (StartupError when none)."""
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        pass
    if addr in {n for _i, n in socket.if_nameindex()}:
        ip = _interface_ipv4(addr)
        if ip is None:
            raise StartupError(f"interface '{addr}' has no IPv4 address to listen on")
        return ip
    try:
        infos = socket.getaddrinfo(addr, None, type=socket.SOCK_DGRAM)
    except OSError as e:
        raise StartupError(f"could not resolve listen address '{addr}': {e}") from None
    return str(infos[0][4][0])


def endpoints(
    specs: list[ListenSpec], default_port: int, disable_tcp: bool = False
) -> list[Endpoint]:
    """The (proto, ip, port) to bind for each spec; a proto-less spec means udp + tcp
    (udp only with disable_tcp, which also drops explicit tcp listens, as Kamailio
    5.6.3 does)."""
    out: list[Endpoint] = []
    for spec in specs:
        protos = [spec.proto] if spec.proto else ["udp", "tcp"]
        for proto in protos:
            if proto == "tcp" and disable_tcp:
                continue
            if proto in ("tls", "sctp"):
                raise StartupError(f"listen {spec}: {proto.upper()} is not supported yet")
            port = spec.port or default_port
            for addr in spec.addrs:
                ep = Endpoint(proto, resolve_addr(addr), port, spec)
                if ep not in out:
                    out.append(ep)
    return out


def auto_listen_specs(params: dict[str, Any]) -> list[ListenSpec]:
    """No listen given: every address of the machine (runtime/interfaces.py); with
    auto_bind_ipv6 and bind_ipv6_link_local the link-local IPv6 ones too, named without
    their scope as Kamailio lists them and bound on their interface."""
    link_local = bool(params.get("bind_ipv6_link_local"))
    ips = auto_listen_ips(bool(params.get("auto_bind_ipv6")), link_local)
    ips, warnings = listen_ips(ips)
    for text in warnings:
        LOG.core(L_WARN, text)
    return [ListenSpec(None, (ip,)) for ip in ips]


def _alias_block(
    config: Any, options: Any, params: dict[str, Any], eps: list[Endpoint]
) -> list[str]:
    """Kamailio's Aliases: lines (runtime/aliases.py) for these sockets."""
    listed = [(p, ep.ip, ep.port) for p in ("udp", "tcp") for ep in eps if ep.proto == p]
    cfg = [
        item.spec
        for item in config.listens
        if item.param == "alias" and isinstance(item.spec, tuple)
    ]
    cli = [(a.host, a.port, a.proto) for a in options.aliases]
    auto = options.auto_aliases
    if auto is None:
        auto = params.get("auto_aliases", True)
    return alias_lines(listed, cfg, cli, bool(auto))


def _xlog_colors() -> dict[int, str]:
    """xlog's log_colors modparam values (they change the core's colors too)."""
    from siprouter.modules.xlog_params import XLOG_PARAMS

    return dict(XLOG_PARAMS.level_colors)


def _configure(params: dict[str, Any], options: Any) -> None:
    level = options.debug if options.debug is not None else int(params["debug"])
    engine = options.log_engine
    json_flags = None
    if engine is not None:
        if engine.name != "json":
            raise StartupError(
                f"--log-engine={engine.name}: unknown log engine (siprouter has: json)"
            )
        json_flags = engine.data
    LOG.configure(
        json_flags=json_flags,
        level=level,
        to_stderr=bool(options.log_stderr or params["log_stderror"]),
        facility=str(params.get("log_facility") or "LOG_DAEMON"),
        name=str(params.get("log_name") or "siprouter"),
    )
    from .log_prefix import PREFIX  # (imported here: this function's own edit)

    PREFIX.configure(
        params.get("log_prefix"),
        int(params.get("log_prefix_mode") or 0),
        callid=json_flags is not None and "c" in json_flags and "U" not in json_flags,
        cli_modules=list(options.load_modules),
    )
    color = bool(options.log_color or params.get("log_color"))
    LOG.set_colors(color and LOG.stream is not None, _xlog_colors())
    install_python_bridge()
    s = state.SETTINGS
    s.server_header = server_header_line(
        params.get("server_header"), bool(params["server_signature"])
    )
    s.sip_parser_mode = int(params.get("sip_parser_mode", 1))
    s.reply_to_via = bool(params.get("reply_to_via"))
    s.force_rport = bool(params.get("force_rport"))
    s.tcp_accept_no_cl = bool(params.get("tcp_accept_no_cl"))
    adv = params.get("advertised_address")
    s.advertised_address = str(adv) if adv else None
    aport = params.get("advertised_port")
    s.advertised_port = int(aport) if aport else None
    s.udp_mtu = int(params.get("udp_mtu") or 0)
    s.udp_mtu_try_proto = str(params.get("udp_mtu_try_proto") or "udp").lower()
    if s.udp_mtu and s.udp_mtu_try_proto not in ("udp", "tcp"):
        raise StartupError(
            f"udp_mtu_try_proto={s.udp_mtu_try_proto.upper()}: siprouter has no "
            f"{s.udp_mtu_try_proto.upper()} transport yet (UDP or TCP)"
        )


def serve(loaded: Any, options: Any, out: TextIO, err: TextIO) -> int:
    """Run the server for a loaded config until SIGTERM/SIGINT; the exit status."""
    try:
        params = effective_params(loaded.config)
        if (
            options.dns_received
            or options.rev_dns_received
            or params.get("dns")
            or params.get("rev_dns")
        ):
            raise StartupError(
                "-r/-R (dns/rev_dns: DNS checks for the Via received= parameter) are not "
                "supported yet"
            )
        _configure(params, options)
        disable_tcp = bool(options.disable_tcp or params.get("disable_tcp"))
        if options.disable_tcp:
            for spec in options.listen:
                if spec.proto == "tcp":
                    raise StartupError(f"bad -l address specifier: {spec} (TCP is disabled by -T)")
        specs = listen_specs(loaded.config, options) or auto_listen_specs(params)
        eps = endpoints(specs, int(params["port"]), disable_tcp)
        _ALIASES[:] = _alias_block(loaded.config, options, params, eps)
        readers = socket_workers.per_listen(loaded.config)
        eps = [
            dataclasses.replace(ep, workers=readers[id(ep.spec)])
            if ep.proto == "udp" and id(ep.spec) in readers
            else ep
            for ep in eps
        ]
        if not eps:
            raise StartupError("no listening sockets")
        # -w/'/' and -t change directory: relative pid file names mean the caller's one
        options = dataclasses.replace(
            options,
            pid_file=os.path.abspath(options.pid_file) if options.pid_file else None,
            pgid_file=os.path.abspath(options.pgid_file) if options.pgid_file else None,
        )
        if options.dont_fork_level == 0 or options.dont_fork_level >= 3:
            return _serve_daemon(loaded, params, options, eps, out, err)
        if options.dont_fork_level == 1:
            err.write(no_fork_warning(eps))
            err.flush()
        return _run(loaded, params, options, eps, out)
    except StartupError as e:
        err.write(f"ERROR: {e}\n")
        return EXIT_ERROR
    finally:
        _remove_own_files()


def _remove_own_files() -> None:
    shared_space.remove_if_owner()
    for path, pid in list(_WRITTEN.items()):
        if pid == os.getpid():
            del _WRITTEN[path]
            with contextlib.suppress(OSError):
                os.unlink(path)


def _serve_daemon(
    loaded: Any,
    params: dict[str, Any],
    options: Any,
    eps: list[Endpoint],
    out: TextIO,
    err: TextIO,
) -> int:
    """Daemonize; the original process returns the daemon's start-up status, the daemon
    serves and ends with os._exit (it never returns into the caller)."""
    from .daemon import daemonize

    # the daemon changes directory: relative pid file names mean the caller's directory
    options = dataclasses.replace(
        options,
        pid_file=os.path.abspath(options.pid_file) if options.pid_file else None,
        pgid_file=os.path.abspath(options.pgid_file) if options.pgid_file else None,
    )
    status, handle = daemonize(options.working_dir)
    if handle is None:
        return EXIT_ERROR if status is None else status
    code = EXIT_ERROR
    try:
        LOG.set_process(0)
        keep_stderr = LOG.stream is not None
        code = _run(loaded, params, options, eps, out, lambda: handle.ready(keep_stderr))
    except StartupError as e:
        err.write(f"ERROR: {e}\n")
    except BaseException as e:  # the daemon ends here, whatever happened
        err.write(f"ERROR: {type(e).__name__}: {e}\n" + traceback.format_exc())
    finally:
        handle.failed(code)
        _remove_own_files()
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _run(
    loaded: Any,
    params: dict[str, Any],
    options: Any,
    eps: list[Endpoint],
    out: TextIO,
    ready: Callable[[], None] | None = None,
) -> int:
    global _ENV
    try:
        _ENV = privileges.ProcessEnv.from_settings(options, params)
        if _ENV.chroot_dir is None:  # a chroot waits until the sockets are bound
            privileges.enter_dirs(_ENV)
    except privileges.EnvError as e:
        raise StartupError(str(e)) from None
    problem = privileges.prepare_runtime_dir(_ENV)
    if problem and LOG.enabled(L_WARN):
        LOG.core(L_WARN, problem)
    shared_space.configure(_ENV.runtime_dir)
    rcvbuf = options.maxbuffer or int(params.get("maxbuffer") or 0) or None
    for ep in eps:
        if ep.spec.advertise_host:
            state.SETTINGS.advertised[(ep.ip, ep.port)] = (
                ep.spec.advertise_host,
                ep.spec.advertise_port,
            )
    children = int(options.children if options.children is not None else params["children"])
    tcp_children = options.tcp_children
    if tcp_children is None:
        tcp_children = params.get("tcp_children")
    tcp_children = children if tcp_children is None else int(tcp_children)
    tcp = TcpSettings.from_params(params)
    dst_blocklist.configure(params)  # shared by the workers: made before they fork
    try:
        init_modules(loaded.modules, loaded.compiled)
    except ModuleInitError as e:
        raise StartupError(str(e)) from None
    has_tcp = any(ep.proto == "tcp" for ep in eps)
    n = max(children, tcp_children) if has_tcp else children
    n = max([n, *(ep.workers for ep in eps if ep.workers)])
    if options.dont_fork_level == 1:  # -D: one process, the first UDP socket only
        return _run_single(loaded, _no_fork_endpoints(eps), tcp, rcvbuf, out, options, ready, eps)
    if n > 1:
        return _run_workers(loaded, eps, children, tcp_children, tcp, rcvbuf, out, options, ready)
    return _run_single(loaded, eps, tcp, rcvbuf, out, options, ready)


def no_fork_warning(eps: list[Endpoint]) -> str:
    """The line Kamailio 5.6.3 prints on stderr for -D (before the socket listing)."""
    if sum(1 for ep in eps if ep.proto == "udp") > 1:
        return "WARNING: no fork mode and more than one listen address found (will use only the first one)\n"
    return "WARNING: no fork mode \n"


def _no_fork_endpoints(eps: list[Endpoint]) -> list[Endpoint]:
    """-D (Kamailio's "do not fork (almost)"): the main process serves the first UDP
    socket alone; the other sockets are listed but not bound, TCP is not served."""
    udp = [ep for ep in eps if ep.proto == "udp"]
    if len(udp) > 1 and LOG.enabled(L_WARN):
        LOG.core(L_WARN, "main_loop(): using only the first listen address (no fork)")
    return udp[:1]


def _write_id_file(path: str, value: int, what: str) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(f"{value}\n")
    except OSError as e:
        raise StartupError(f"cannot write {what} file {path}: {e.strerror or e}") from None
    _WRITTEN[path] = os.getpid()


def _started(
    out: TextIO, eps: list[Endpoint], options: Any, ready: Callable[[], None] | None
) -> None:
    """The sockets are bound: write the -P pid file and the -G pgid file, then list the
    sockets as Kamailio does (a reader seeing the list finds the pid file written), then
    `ready` (the daemon detaches and reports success)."""
    if options.pid_file:
        _write_id_file(options.pid_file, os.getpid(), "pid")
    if options.pgid_file:
        _write_id_file(options.pgid_file, os.getpgrp(), "pgid")
    out.write("Listening on \n")
    for proto in ("udp", "tcp"):
        for ep in eps:
            if ep.proto == proto:
                host = ep.ip  # Kamailio 5.6.3 prints IPv6 without brackets: "udp: ::1:5060"
                out.write(f"             {proto}: {host}:{ep.port}\n")
    out.write("Aliases: \n" + "".join(f"{line}\n" for line in _ALIASES) + "\n")
    out.flush()
    try:
        privileges.after_bind(_ENV, [p for p in (options.pid_file, options.pgid_file) if p])
    except privileges.EnvError as e:
        raise StartupError(str(e)) from None
    if ready is not None:
        ready()


def _run_workers(
    loaded: Any,
    eps: list[Endpoint],
    children: int,
    tcp_children: int,
    tcp: TcpSettings,
    rcvbuf: int | None,
    out: TextIO,
    options: Any,
    ready: Callable[[], None] | None,
) -> int:
    from .workers import run_workers

    # a bind without SO_REUSEPORT fails when any other socket holds the address, also
    # one of another process's REUSEPORT group that would silently take a share of it
    for ep in eps:
        try:
            if ep.proto == "udp":
                bind_udp(ep.ip, ep.port).close()
            else:
                bind_tcp_listener(ep.ip, ep.port).close()
        except OSError as e:
            raise StartupError(
                f"cannot bind {ep.proto}:{ep.ip}:{ep.port}: {e.strerror or e}"
            ) from None
    try:
        return run_workers(
            loaded.compiled,
            eps,
            children,
            rcvbuf,
            lambda: _started(out, eps, options, ready),
            lambda rank: child_init_modules(loaded.modules, rank),
            tcp_children=tcp_children,
            tcp=tcp,
        )
    except OSError as e:
        raise StartupError(f"cannot start the workers: {e.strerror or e}") from None


def _bind(ep: Endpoint, rcvbuf: int | None) -> state.LocalSocket:
    try:
        if ep.proto == "udp":
            sock = bind_udp(ep.ip, ep.port, rcvbuf=rcvbuf)
        else:
            sock = bind_tcp_listener(ep.ip, ep.port)
    except OSError as e:
        raise StartupError(f"cannot bind {ep.proto}:{ep.ip}:{ep.port}: {e.strerror or e}") from None
    af = 6 if ":" in ep.ip else 4
    return state.LocalSocket(ep.proto, ep.ip, ep.port, af, sock, ep.spec.name)


def _run_single(
    loaded: Any,
    eps: list[Endpoint],
    tcp: TcpSettings,
    rcvbuf: int | None,
    out: TextIO,
    options: Any,
    ready: Callable[[], None] | None,
    listed: list[Endpoint] | None = None,
) -> int:
    socks: list[state.LocalSocket] = []
    transport: TcpTransport | None = None
    try:
        for ep in eps:
            ls = _bind(ep, rcvbuf)
            socks.append(ls)
            state.register_socket(ls)
        _started(out, eps if listed is None else listed, options, ready)
        try:
            child_init_modules(loaded.modules, 0)
        except ModuleInitError as e:
            raise StartupError(str(e)) from None
        probe = RcProbe(loaded.compiled)
        pipeline = Pipeline(probe, ScriptState(compiled=loaded.compiled))
        pipeline.worker_init(0)
        tcp_socks = [ls for ls in socks if ls.proto == "tcp"]
        if tcp_socks:
            transport = TcpTransport(tcp, tcp_socks, pipeline, probe=probe)
            transport.install()
        LOG.set_process(1)
        udp_socks = [ls for ls in socks if ls.proto == "udp"]
        stream = transport.engine if transport is not None else None
        signo = UdpLoop(udp_socks, pipeline.receive, stream=stream).run()
        LOG.set_process(0)
        if LOG.enabled(L_NOTICE):
            LOG.core(L_NOTICE, f"main(): signal {signo} received, shutting down")
        return EXIT_OK
    finally:
        if transport is not None:
            transport.engine.close_all()
            state.SENDERS.pop("tcp", None)
        for ls in socks:
            ls.sock.close()
        state.clear_sockets()
