"""kex and corex functions per route type: `siprouter -c` accepts exactly what
`kamailio -c` 5.6.3 accepts; constant arguments Kamailio's fixups refuse at start-up are
refused by siprouter too (at -c already)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

from .conftest import HAS_KAMAILIO

CALLS = [
    'setsflag("1")', 'issflagset("$var(f)")', 'resetsflag("2")', 'setbflag("1", "2")',
    'isbflagset("1")', 'resetbflag("$var(f)")', 'setdsturi("sip:a@b")', "resetdsturi()",
    "isdsturiset()", 'pv_printf("$var(x)", "a$rU")', 'avp_printf("$avp(x)", "b")',
    'is_myself("$ru")', 'setdebug("2")', "resetdebug()",
    "append_branch()", 'append_branch("sip:x@y")', 'append_branch("sip:x@y", "0.5")',
    'send_udp("127.0.0.1:5070")', "send_tcp()", 'send_data("sip:127.0.0.1", "x")',
    'sendx("sip:127.0.0.1", "udp:127.0.0.1:5060", "x")', "forward_reply()",
    'set_send_socket("udp:127.0.0.1:5060")', 'set_send_socket_name("s")',
    'set_recv_socket("udp:127.0.0.1:5060")', 'set_recv_socket_name("s")',
    'set_source_address("udp:1.2.3.4:5")', 'is_socket_name("s")', "is_faked_msg()",
    'setxflag("1")', 'isxflagset("1")', 'resetxflag("1")', 'msg_iflag_set("UAC_AUTH")',
    'msg_iflag_is_set("UAC_AUTH")', 'msg_iflag_reset("UAC_AUTH")',
    'file_read("/nonexistent", "$var(x)")', 'file_write("/nonexistent", "x")',
    'via_add_srvid("1")', "via_add_xavp_params($var(f))",
]  # fmt: skip
# expressions where Kamailio's fixups take them (siprouter: one-argument functions and
# numbers-only ones; see kex.py)
DYNAMIC_CALLS = [
    "setsflag($var(f))", "issflagset($var(f) + 1)", "setbflag(1, $var(f))",
    "isbflagset($var(f), $var(b))", 'setdsturi("sip:" + $rU)', "is_myself($ru)",
    "setdebug($var(f))", "send_udp($var(x))", "set_send_socket($var(x))",
    "set_recv_socket_name($var(x))", "set_source_address($var(x))", "is_socket_name($rU)",
    "setxflag($var(f))", "msg_iflag_is_set($var(x))",
]  # fmt: skip
BAD_CALLS = [
    'setsflag("abc")', 'setbflag("1", "x")', 'pv_printf("$rm", "x")', 'file_read("/a", "x")',
    'setdebug("x")', 'isxflagset("x")',
]  # fmt: skip
ROUTES = ["request_route", "reply_route", "onreply_route[x]", "failure_route[x]",
          "branch_route[x]", "onsend_route", "event_route[htable:mod-init]"]  # fmt: skip


def _verdicts(tmp_path: Path, calls: list[str], routes: list[str]) -> list[str]:
    cfg = tmp_path / "rt.cfg"
    diff = []
    for call in calls:
        for route in routes:
            text = (
                'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "kex"\n'
                f'loadmodule "corex"\nrequest_route {{ exit; }}\n{route} {{ {call}; }}\n'
            )
            if route == "request_route":
                text = text.replace("request_route { exit; }\n", "")
            cfg.write_text(text)
            kam = subprocess.run(
                ["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=30
            )
            try:
                compile_config(parse_string(text, "rt.cfg"))
                ours = True
            except ConfigError:
                ours = False
            if (kam.returncode == 0) != ours:
                diff.append(f"{call} in {route}: kamailio rc {kam.returncode}, ours ok={ours}")
    return diff


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_route_types_same_as_kamailio_check(tmp_path: Path) -> None:
    diff = _verdicts(tmp_path, CALLS, ROUTES)
    assert not diff, "\n".join(diff)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_expression_arguments_same_as_kamailio_check(tmp_path: Path) -> None:
    diff = _verdicts(tmp_path, DYNAMIC_CALLS, ["request_route"])
    assert not diff, "\n".join(diff)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize("call", BAD_CALLS)
def test_bad_arguments_refused_as_kamailio(tmp_path: Path, call: str) -> None:
    """Kamailio's `-c` passes these; its fixups refuse them at start-up (exit 255).
    siprouter refuses them when the config is compiled, so at `-c` already."""
    text = (
        'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "kex"\n'
        f'loadmodule "corex"\nrequest_route {{ {call}; }}\n'
    )
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    run = tmp_path / "run"
    run.mkdir()
    cmd = ["kamailio", "-DD", "-E", "-m", "16", "-M", "4", "-Y", str(run), "-f", str(cfg)]
    kam = subprocess.run(cmd, capture_output=True, timeout=60)
    assert kam.returncode == 255, kam.stderr[-500:]
    with pytest.raises(ConfigError):
        compile_config(parse_string(text, "bad.cfg"))
