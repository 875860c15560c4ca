"""The core/tcp cfg store (runtime/core_cfg.py, cfg/core_cfg_vars.py): start values from a
config, the checks of a set, the per-process view refreshed on a generation change,
and the appliers that make a change take effect (log level, kex setdebug, while
limit, latency log of a pipeline, TCP settings)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.cfg import core_cfg_vars as cv
from siprouter.cfg import custom_params
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.runtime import core_cfg, state, tcp_transport
from siprouter.runtime.logging import LOG
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket
from siprouter.runtime.tcp_conn import TcpSettings
from siprouter.runtime.tcp_framing import StreamFramer
from siprouter.shared import space as space_mod
from siprouter.sip.message import parse_message

LOOP = """#!KAMAILIO
loadmodule "pv"
loadmodule "sl"
max_while_loops=20
udp_mtu=1300
udp_mtu_try_proto=TCP
tcp_keepidle=30
request_route {
    $var(i) = 0;
    while ($var(i) < 1000) { $var(i) = $var(i) + 1; }
}
"""

REQUEST = (
    b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.fixture
def store() -> Iterator[Any]:
    """A fresh shared space and the LOOP config declared; everything put back after."""
    space_mod.reset()
    level, settings = LOG.level, state.SETTINGS
    state.SETTINGS = state.RuntimeSettings()
    compiled = compile_config(parse_string(LOOP, "t.cfg"))
    try:
        yield compiled
    finally:
        core_cfg.reset_values()
        core_cfg.refresh()
        LOG.level = level
        state.SETTINGS = settings
        space_mod.reset()


def _loops(compiled: Any) -> int:
    msg = parse_message(REQUEST)
    ctx = MsgContext(msg, ReceiveInfo("127.0.0.1", 40000, "127.0.0.1", 5060, "udp", 4))
    ctx.script = ScriptState(compiled=compiled)
    compiled.run("request", "", ctx)
    return int(ctx.script.vars["i"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("+3", 3), ("-3", -3), ("\t 7", 7), ("007", 7), ("99999999999", 1215752191)],
)
def test_parse_int_as_kamailio(text: str, value: int) -> None:
    assert custom_params.parse_int(text) == value


@pytest.mark.parametrize("text", ["", "3 ", "-", "0x10", "1_000", "٣", "3.5"])
def test_parse_int_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        custom_params.parse_int(text)


def test_start_values_are_the_configs(store: Any) -> None:
    start = cv.START
    assert start["core.max_while_loops"] == 20
    assert start["core.udp_mtu"] == 1300
    assert start["core.udp_mtu_try_proto"] == 2  # TCP, as Kamailio numbers it
    assert start["tcp.keepidle"] == 30
    assert start["tcp.keepalive"] == 1  # a keepalive timer turns keepalive on
    assert start["core.dns_cache_max_ttl"] == -1  # Kamailio's runtime default
    assert start["tcp.wait_data_ms"] == 5000
    assert core_cfg.current("core.udp_mtu") == 1300


def test_set_checks(store: Any) -> None:
    with pytest.raises(KeyError):
        core_cfg.set_value("core", "nosuch", 1)
    for group, name, value in [
        ("tcp", "async", 1),  # read-only
        ("core", "udp_mtu", 65536),  # out of range
        ("core", "udp_mtu_try_proto", 0),
        ("tcp", "rd_buf_size", 511),
        ("core", "log_facility", "LOG_LOCAL8"),
        ("core", "log_facility", 3),
        ("core", "dns_try_ipv6", 1),  # no IPv6 socket in the config
        ("core", "debug", "3 "),
    ]:
        with pytest.raises(cv.SetError):
            core_cfg.set_value(group, name, value)
    assert core_cfg.set_value("core", "log_facility", "log_local2") == "LOG_LOCAL2"
    assert core_cfg.set_value("core", "debug", "-2") == -2
    assert core_cfg.current("core.debug") == -2
    assert core_cfg.current("core.udp_mtu") == 1300  # the refused sets changed nothing


def test_dns_try_ipv6_with_an_ipv6_socket(store: Any) -> None:
    compile_config(parse_string("listen=udp:[::1]:5060\nrequest_route { exit; }\n", "t.cfg"))
    assert core_cfg.set_value("core", "dns_try_ipv6", 1) == 1


def test_view_follows_the_generation(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    core_cfg.refresh()
    reads = []
    items = core_cfg.STORE.items
    monkeypatch.setattr(core_cfg.STORE, "items", lambda: reads.append(1) or items())
    for _ in range(3):
        core_cfg.refresh()
    assert reads == []  # no change: no read of the shared store
    core_cfg.set_value("core", "force_rport", 1)
    core_cfg.set_value("core", "udp_mtu", 900)
    assert core_cfg.VIEW["core.udp_mtu"] == 1300  # until the next refresh
    assert not state.SETTINGS.force_rport
    core_cfg.refresh()
    core_cfg.refresh()
    assert reads == [1]
    assert core_cfg.value("core.udp_mtu") == 900
    assert (state.SETTINGS.force_rport, state.SETTINGS.udp_mtu) == (True, 900)
    assert state.SETTINGS.udp_mtu_try_proto == "tcp"
    core_cfg.reset_values()
    core_cfg.refresh()
    assert (state.SETTINGS.force_rport, state.SETTINGS.udp_mtu) == (False, 1300)


def test_appliers_run_for_changed_values_only(store: Any) -> None:
    core_cfg.refresh()
    calls: list[Any] = []
    fn = core_cfg.register(["core.memlog"], lambda view: calls.append(view["core.memlog"]))
    try:
        core_cfg.set_value("core", "debug", 1)
        core_cfg.refresh()
        assert calls == []
        core_cfg.set_value("core", "memlog", 2)
        core_cfg.refresh()
        assert calls == [2]
    finally:
        core_cfg.APPLIERS["core.memlog"].remove(fn)
    with pytest.raises(KeyError):
        core_cfg.register(["core.nosuch"], fn)


def test_debug_level_and_kex_setdebug(store: Any) -> None:
    from siprouter.modules import kex_core

    core_cfg.refresh()
    core_cfg.set_value("core", "debug", 3)
    core_cfg.refresh()
    assert LOG.level == 3
    kex_core._BASE_LEVEL[:] = [3]  # a setdebug() of this process is in force
    LOG.level = 1
    try:
        core_cfg.set_value("core", "debug", -1)
        core_cfg.refresh()
        assert LOG.level == 1  # the process level wins
        assert kex_core._BASE_LEVEL == [-1]  # resetdebug() goes to the new global level
    finally:
        kex_core._BASE_LEVEL.clear()


def test_max_while_loops(store: Any) -> None:
    core_cfg.refresh()
    assert _loops(store) == 20
    for value, rounds in [(5, 5), (0, 1000), (-1, 0), (20, 20)]:
        core_cfg.set_value("core", "max_while_loops", value)
        core_cfg.refresh()
        assert _loops(store) == rounds, value


def test_latency_of_an_attached_pipeline(store: Any) -> None:
    # routes of their own: equal code objects compiled by other tests would take the
    # place of these in the tracer's registry (engine/context.ROUTE_CODE_NAMES)
    text = LOOP.replace("request_route {", "request_route {\n    $var(latency) = 1;")
    pipeline = Pipeline(compile_config(parse_string(text, "latency.cfg")))
    assert pipeline.latency.timer is None
    core_cfg.set_value("core", "latency_limit_action", 1)
    core_cfg.set_value("core", "latency_log", 2)
    core_cfg.refresh()  # what the pipeline does when the next message arrives
    timer = pipeline.latency.timer
    assert timer is not None and (timer.limit_us, timer.level) == (1, 2)
    lines: list[tuple[int, str]] = []
    timer.emit = lambda level, text: lines.append((level, text))
    ls = LocalSocket("udp", "127.0.0.1", 5060, 4, None)  # type: ignore[arg-type]
    pipeline.receive(REQUEST, ("127.0.0.1", 40000), ls)
    assert lines and all(lvl == 2 and "took too long" in text for lvl, text in lines)
    core_cfg.set_value("core", "latency_limit_action", 0)
    core_cfg.refresh()
    assert pipeline.latency.timer is None


class _Transport:
    """The parts of a TcpTransport the tcp applier changes: settings and engine."""

    def __init__(self) -> None:
        self.settings = TcpSettings()
        self.engine = type("E", (), {})()
        self.engine.max_connections = 2048
        conn = type("C", (), {})()
        conn.framer = StreamFramer(16384, False)
        self.engine.by_fd = {7: conn}


def test_tcp_settings_follow(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    core_cfg.refresh()
    transport = _Transport()
    monkeypatch.setattr(tcp_transport, "ACTIVE", transport)
    for name, value in [
        ("crlf_ping", 0),
        ("accept_no_cl", 1),
        ("connection_lifetime", 30),
        ("connect_timeout", -1),
        ("send_timeout", 4),
        ("max_connections", 3),
        ("keepcnt", 5),
        ("no_connect", 1),
    ]:
        core_cfg.set_value("tcp", name, value)
    core_cfg.refresh()
    s = transport.settings
    assert (s.crlf_ping, s.accept_no_cl, s.no_connect) == (False, True, True)
    assert (s.connection_lifetime, s.connect_timeout, s.send_timeout) == (30.0, 10.0, 4.0)
    assert (s.max_connections, transport.engine.max_connections, s.keepcnt) == (3, 3, 5)
    assert transport.engine.by_fd[7].framer.accept_no_cl  # open connections too
    assert state.SETTINGS.tcp_accept_no_cl


def test_destination_blocklist_follows(store: Any) -> None:
    from siprouter.runtime import dst_blocklist

    core_cfg.refresh()
    saved = dst_blocklist.BLOCKLIST
    dst_blocklist.BLOCKLIST = dst_blocklist.DstBlocklist()
    try:
        core_cfg.set_value("core", "use_dst_blocklist", 1)
        core_cfg.set_value("core", "dst_blocklist_expire", 5)
        core_cfg.set_value("core", "dst_blocklist_tcp_imask", 3)
        core_cfg.refresh()
        s = dst_blocklist.BLOCKLIST.settings
        assert (s.enabled, s.expire, s.max_mem) == (True, 5.0, 250 << 10)
        assert (s.imask[2], s.imask[1]) == (3, 0)
    finally:
        dst_blocklist.BLOCKLIST = saved


def test_selects_of_the_core_groups_at_check_time(store: Any) -> None:
    from siprouter.cfg.errors import ConfigError

    route = 'loadmodule "pv"\nrequest_route {{ $var(x) = @cfg_get.{}; }}\n'
    compile_config(parse_string(route.format("tcp.keepalive"), "t.cfg"))
    # unreadable variables: accepted in an expression (Kamailio 5.6.3 logs and goes on)...
    for name in ("tcp.connect_timeout", "core.log_facility"):
        compile_config(parse_string(route.format(name), "t.cfg"))
    with pytest.raises(ConfigError):
        compile_config(parse_string(route.format("core.nosuch"), "t.cfg"))
    # ... refused inside $sel(..), as 5.6.3's start-up refuses it
    sel = 'loadmodule "pv"\nrequest_route {{ $var(x) = $sel(cfg_get.{}); }}\n'
    with pytest.raises(ConfigError, match="cannot be retrieved"):
        compile_config(parse_string(sel.format("core.log_facility"), "t.cfg"))


def test_log_facility_reopens_syslog(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import syslog

    core_cfg.refresh()
    opened: list[tuple[str, int, int]] = []
    monkeypatch.setattr(syslog, "openlog", lambda *a: opened.append(a))
    monkeypatch.setattr(LOG, "level", -5)  # nothing of this test goes to the real syslog
    monkeypatch.setattr(LOG, "stream", None)  # logging to syslog
    core_cfg.set_value("core", "log_facility", "LOG_LOCAL4")
    core_cfg.refresh()
    assert opened == [("siprouter", syslog.LOG_PID, syslog.LOG_LOCAL4)]
    monkeypatch.setattr(LOG, "stream", io.StringIO())  # stderr: no facility to change
    core_cfg.set_value("core", "log_facility", "LOG_USER")
    core_cfg.refresh()
    assert len(opened) == 1


def test_no_database_access_until_a_set(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that cannot reach the shared database (after a chroot) serves with the
    start values: nothing reads it before a value was set."""

    def unreachable(*_a: Any) -> Any:
        raise OSError("unable to open database file")

    monkeypatch.setattr(core_cfg.STORE, "items", unreachable)
    monkeypatch.setattr(core_cfg.STORE, "get", unreachable)
    custom_params.publish_change()  # a new generation without any set (a new config)
    core_cfg.refresh()
    assert core_cfg.value("core.udp_mtu") == 1300
    assert core_cfg.current("core.max_while_loops") == 20


def test_tcp_socket_options_of_new_connections(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from siprouter.runtime import sockopts

    core_cfg.refresh()
    monkeypatch.setattr(sockopts, "TCP", sockopts.TcpOptions())
    core_cfg.set_value("tcp", "syncnt", 3)
    core_cfg.set_value("tcp", "delayed_ack", 0)
    core_cfg.refresh()
    assert (sockopts.TCP.syncnt, sockopts.TCP.linger2, sockopts.TCP.delayed_ack) == (3, None, False)
