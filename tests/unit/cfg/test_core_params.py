"""Core parameter table: coverage of the spec, value kinds, ranges, errors, docs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg import core_params as cp
from siprouter.cfg.core_param_types import AsyncGroup, Kind, Word, parse_flags
from siprouter.cfg.errors import ConfigError, Pos
from siprouter.cfg.parser import parse_string

SPEC = Path("/work/shared/spec/inventory.json")
POS = Pos("k.cfg", 7, 1)


@pytest.mark.skipif(not SPEC.exists(), reason="spec inventory not present")
def test_every_spec_parameter_and_alias_is_in_the_table() -> None:
    inv = json.loads(SPEC.read_text())
    names = [
        n for p in inv["parameters"] if "<" not in p["name"] for n in (p["name"], *p["aliases"])
    ]
    assert len(inv["parameters"]) == 211
    missing = [n for n in names if cp.lookup(n) is None]
    assert missing == []


def test_aliases_resolve_to_their_row() -> None:
    assert cp.lookup("mpath") is cp.lookup("loadpath")
    assert cp.lookup("tls_enable").name == "enable_tls"  # type: ignore[union-attr]
    assert cp.lookup("rt_fast_timer_prio").name == "rt_timer1_prio"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("children", 4, 4),
        ("children", True, 1),  # `children=yes` is NUMBER 1 in Kamailio
        ("fork", 0, False),
        ("fork", 5, True),
        ("fork", Word("off"), False),
        ("debug", -3, -3),
        ("debug", 3, 3),
        ("log_stderror", Word("yes"), True),
        ("server_header", "Server: x", "Server: x"),
        ("user_agent_header", "UA: y", "UA: y"),
        ("rundir", Word("run_here"), "run_here"),
        ("rundir", "/tmp", "/tmp"),
        ("log_facility", Word("LOG_LOCAL0"), "LOG_LOCAL0"),
        ("ipv6_hex_style", "A", "A"),
        ("tcp_poll_method", Word("epoll_lt"), "epoll_lt"),
        ("tcp_poll_method", "select", "select"),
        ("udp_mtu_try_proto", Word("TCP"), "tcp"),
        ("tos", Word("IPTOS_LOWDELAY"), 0x10),
        ("tos", 8, 8),
        ("tcp_source_ipv4", Word("127.0.0.1"), "127.0.0.1"),
        ("tcp_source_ipv6", Word("[::1]"), "::1"),
        ("advertised_address", Word("1.2.3.4"), "1.2.3.4"),
        ("advertised_address", "sip.example.com", "sip.example.com"),
        ("port", 5080, 5080),
        ("max_branches", 31, 31),
        ("async_workers_group", "name=reg;workers=4;nonblock=1", AsyncGroup("reg", 4, True, 0)),
        ("kemi.onsend_route_callback", "ksr_x", "ksr_x"),
        ("shm", 128, 128),
        ("enable_sctp", 0, 0),
    ],
)
def test_good_values_normalize(name: str, value: object, expected: object) -> None:
    assert cp.validate_param(name, value, POS) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("children", -1, "bad value for children: number expected (not negative), got -1"),
        ("children", "4", 'bad value for children: number expected, got "4"'),
        ("fork", "yes", "bad value for fork: boolean value (yes/no or a number) expected"),
        ("fork", Word("maybe"), "bad value for fork: boolean value"),
        ("debug", Word("L_DBG"), "bad value for debug: number expected, got L_DBG"),
        ("server_header", Word("x"), "bad value for server_header: string value expected"),
        ("log_facility", "LOG_LOCAL0", "identifier expected"),
        ("log_facility", Word("local0"), "local0 is not one of"),
        ("ipv6_hex_style", "x", "is not one of: a, A, c"),
        ("udp_mtu_try_proto", "tcp", "TCP, TLS, SCTP or UDP expected"),
        ("tcp_source_ipv4", Word("::1"), "IPv4 address expected"),
        ("max_branches", 0, "max_branches = 0 is out of range (1..31)"),
        ("max_branches", 40, "max_branches = 40 is out of range (1..31)"),
        ("port", 70000, "port number must be 0..65535"),
        ("tos", Word("FAST"), "invalid tos value FAST"),
        ("async_workers_group", "bad", "bad item 'bad'"),
        ("async_workers_group", "name=x", "workers=N"),
        ("disable_sctp", 0, "siprouter does not support SCTP"),
        ("enable_sctp", 1, "siprouter does not support SCTP"),
        ("user", "no-such-user-siprouter", "bad user name/uid number"),
        ("pstn.gw", Word("ident"), "number or string expected"),
        ("kemi.foo", "x", "unknown core parameter 'kemi.foo'"),
        ("loadmodule", "tm", "is not a `name = value` parameter"),
    ],
)
def test_bad_values_are_config_errors_at_pos(name: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        cp.validate_param(name, value, POS)
    assert message in ei.value.message
    assert ei.value.pos == POS


def test_unknown_parameter_suggests_the_closest_name() -> None:
    with pytest.raises(ConfigError) as ei:
        cp.validate_param("chidlren", 4, POS)
    assert ei.value.message == "unknown core parameter 'chidlren'"
    assert ei.value.hint == "did you mean 'children'?"
    with pytest.raises(ConfigError) as ei:
        cp.validate_param("zzzzzz", 4, POS)
    assert ei.value.hint is not None and "core-parameters.md" in ei.value.hint


def test_custom_global_parameters_take_numbers_and_strings() -> None:
    assert cp.validate_param("pstn.gw_ip", "1.2.3.4") == "1.2.3.4"
    assert cp.validate_param("pstn.timeout", 30) == 30
    with pytest.raises(ConfigError):
        cp.validate_param("pstn.timeout", -5)


def test_no_effect_rows_say_why_and_still_validate() -> None:
    row = cp.lookup("shm_mem_size")
    assert row is not None and row.no_effect
    assert cp.lookup("mlock_pages").no_effect  # type: ignore[union-attr]
    assert cp.lookup("children").no_effect is None  # type: ignore[union-attr]
    with pytest.raises(ConfigError):
        cp.validate_param("shm_mem_size", "64")


def test_runtime_rows_name_their_cfg_group() -> None:
    assert cp.lookup("debug").runtime == "core.debug"  # type: ignore[union-attr]
    assert cp.lookup("tcp_connect_timeout").runtime == "tcp.connect_timeout"  # type: ignore[union-attr]
    assert cp.lookup("children").runtime is None  # type: ignore[union-attr]


def test_listen_and_alias_values_use_the_listen_grammar() -> None:
    (spec,) = cp.validate_param(
        "listen", Word('udp:127.0.0.1:5070 advertise 1.2.3.4:5080 name "s1"')
    )
    assert (spec.proto, spec.addrs, spec.port, spec.name) == ("udp", ("127.0.0.1",), 5070, "s1")
    assert cp.validate_param("alias", Word("a.example.com:5060 b.example.com")) == (
        ("a.example.com", 5060, None),
        ("b.example.com", None, None),
    )


def test_flags_declarations() -> None:
    flags = parse_flags("a, b:2")
    assert [(f.name, f.bit) for f in flags] == [("a", None), ("b", 2)]
    with pytest.raises(ValueError, match="already registered"):
        parse_flags([("a", None), ("a", 3)])
    with pytest.raises(ValueError, match="out of range"):
        parse_flags([("a", 32)])
    assert len(parse_flags([("a", 1), ("b", 1)])) == 2  # Kamailio allows a shared bit


def test_markdown_lists_every_row_once() -> None:
    md = cp.markdown()
    for row in cp.CORE_PARAMS:
        assert md.count(f"| `{row.name}`") == 1, row.name
    assert "| `shm_mem_size` | `shm` | number | 64 |" in md


def test_docs_file_matches_generator() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "core-parameters.md"
    assert doc.read_text() == cp.markdown()


def test_numeric_defaults_are_valid_values() -> None:
    for row in cp.CORE_PARAMS:
        if row.kind in (Kind.DIRECTIVE, Kind.SOCKET, Kind.FLAGS):
            continue
        # the default, when given, must itself be valid for scalar kinds
        if row.default is not None and row.kind in (Kind.NUM, Kind.INT, Kind.PORT):
            cp.validate_param(row.name, row.default)


# --- differential against Kamailio 5.6.3 -------------------------------------------

KAMAILIO_CASES = [
    "children=yes",
    "children=-1",
    'children="4"',
    "fork=on",
    'fork="yes"',
    "debug=-5",
    "debug=L_DBG",
    "log_stderror=enable",
    "server_header=x",
    'server_header="Server: x"',
    "rundir=/tmp",
    'rundir="/tmp"',
    "log_facility=LOG_LOCAL0",
    'log_facility="LOG_LOCAL0"',
    "log_facility=local0",
    'ipv6_hex_style="A"',
    'ipv6_hex_style="x"',
    "udp_mtu_try_proto=tcp",
    'udp_mtu_try_proto="tcp"',
    "tcp_source_ipv4=127.0.0.1",
    "tcp_poll_method=select",
    "tcp_poll_method=nosuch",
    "max_branches=0",
    "max_branches=31",
    "max_branches=32",
    "dns_udp_pref=-1",
    "tcp_children=-1",
    "chidlren=4",
    'kemi.reply_route_callback="x"',
    "kemi.reply_route_callback=x",
    "pstn.gw=ident",
    'pstn.gw="1.2.3.4"',
    "mem_join=-1",
    "disable_sctp=0",
    'user="no-such-user-siprouter"',
    "latency_log=yes",
]


def _to_value(text: str) -> object:
    if text.startswith('"'):
        return text[1:-1]
    if text.lstrip("-").isdigit():
        return int(text)
    return Word(text)


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("line", KAMAILIO_CASES)
def test_verdict_matches_kamailio(line: str, tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text(line + "\nrequest_route { drop; }\n")
    run = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    kamailio_ok = run.returncode == 0
    name, _, value = line.partition("=")
    try:
        cp.validate_param(name, _to_value(value))
        ours_ok = True
    except ConfigError:
        ours_ok = False
    assert ours_ok == kamailio_ok, run.stderr[-400:]


def test_effective_params_of_a_parsed_config() -> None:
    cfg = parse_string(
        'children=4\nfork=no\ntls_enable=yes\nmpath="/opt/mods"\n'
        'async_workers_group="name=a;workers=2"\nasync_workers_group="name=b;workers=3"\n'
        'listen=udp:127.0.0.1:5070\nalias=example.com;\npstn.gw="1.2.3.4"\n',
        "e.cfg",
    )
    eff = cp.effective_params(cfg)
    assert (eff["children"], eff["fork"], eff["enable_tls"]) == (4, False, True)
    assert eff["debug"] == 0 and eff["port"] == 5060  # defaults
    assert eff["loadpath"] == "/opt/mods"
    assert [g.name for g in eff["async_workers_group"]] == ["a", "b"]
    assert [(s.proto, s.addrs, s.port) for s in eff["listen"]] == [("udp", ("127.0.0.1",), 5070)]
    assert eff["alias"] == [("example.com", None, None)]
    assert cp.custom_params(cfg) == {"pstn.gw": "1.2.3.4"}
    with pytest.raises(ConfigError) as ei:
        cp.effective_params(parse_string('children=4\nfork="no"\n', "e.cfg"))
    assert ei.value.pos == Pos("e.cfg", 2, 6)


# Values a running Kamailio reports with a different meaning for "unset".
_UNSET_AS = {"udp_mtu_try_proto": "0", "dns_cache_max_ttl": "-1"}


@pytest.mark.kamailio
@pytest.mark.skipif(
    shutil.which("kamailio") is None or shutil.which("kamcmd") is None,
    reason="kamailio/kamcmd not installed",
)
def test_runtime_defaults_match_a_running_kamailio(tmp_path: Path) -> None:
    sock = tmp_path / "ctl.sock"
    cfg = tmp_path / "k.cfg"
    cfg.write_text(
        "listen=udp:127.0.0.1:25093\nchildren=1\ndisable_tcp=yes\n"
        'loadmodule "ctl"\nloadmodule "cfg_rpc"\n'
        f'modparam("ctl", "binrpc", "unix:{sock}")\nrequest_route {{ drop; }}\n'
    )
    proc = subprocess.Popen(
        ["kamailio", "-DD", "-E", "-f", str(cfg), "-Y", str(tmp_path), "-w", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # wait for the control socket (not a timing assertion)
            if sock.exists():
                break
            if proc.poll() is not None:
                pytest.skip("kamailio did not start")
            subprocess.run(["sleep", "0.05"], check=True)
        mismatches = []
        compared: list[str] = []
        for row in cp.CORE_PARAMS:
            if not row.runtime or row.default is None or row.name in _UNSET_AS:
                continue
            group, name = row.runtime.split(".", 1)
            run = subprocess.run(
                ["kamcmd", "-s", f"unix:{sock}", "cfg.get", group, name],
                capture_output=True, text=True, timeout=10,
            )  # fmt: skip
            got = run.stdout.strip()
            if run.returncode != 0 or "error" in got or not got.lstrip("-").isdigit():
                continue  # not readable over RPC (string or write-only variables)
            want = int(row.default) if isinstance(row.default, bool) else row.default
            compared.append(row.name)
            if str(want) != got:
                mismatches.append((row.name, want, got))
        assert mismatches == []
        assert len(compared) > 40, compared
    finally:
        proc.terminate()
        proc.wait(timeout=20)
