"""xlog's later functions and modparams through running servers: xlogl/xdbgl (cfg line),
xlogm with methods_filter, prefix with and without prefix_mode, long_format, buf_size and
$C(..) colors; the same cfg and request through Kamailio 5.6.3 and siprouter must give the
same script log lines (process number, pid and cfg file name normalised)."""

from __future__ import annotations

import re
import shutil

import pytest

from .conftest import Servers, UdpClient, options_request

HEAD = """\
#!KAMAILIO
debug=3
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
"""

ROUTE = """\
request_route {
    xlog("L_INFO", "XL a $rm\\n");
    xlogl("L_INFO", "XL b $rm\\n");
    xdbgl("XL c $rm\\n");
    xlogm("L_INFO", "XL d $rm\\n");
    xlog("L_NOTICE", "XL $C(rg)red$C(xx) $C(Rg)X$C(sw)Y$C(Sb)Z$C(yp)W$C(cx)V$C(Wx)T\\n");
    xlog("L_INFO", "XL long text that is longer than a small buffer $rm\\n");
    xlog("L_INFO", "XL end\\n");
    sl_send_reply("200", "done");
}
"""

PARAMS = {
    "defaults": "",
    "prefix_static": 'modparam("xlog", "prefix", "P[$rm]: ")\n'
    'modparam("xlog", "methods_filter", 1)\n',
    "prefix_pv": 'modparam("xlog", "prefix", "P[$rm]: ")\nmodparam("xlog", "prefix_mode", 1)\n'
    'modparam("xlog", "long_format", 1)\nmodparam("xlog", "methods_filter", 512)\n',
    "buf_size": 'modparam("xlog", "buf_size", 40)\nmodparam("xlog", "methods_filter", 0)\n',
}

_LINE = re.compile(r"^\s*\d+\(\d+\) (\w+): (.*XL.*)$")


def _script_lines(log: str, cfg_name: str) -> list[str]:
    out = []
    for line in log.splitlines():
        m = _LINE.match(line)
        if m and "pv_printf" not in line:
            out.append(f"{m.group(1)}: {m.group(2).replace(cfg_name, 'CFG')}")
    return out


def _run(servers: Servers, which: str, cfg: str) -> tuple[list[str], str]:
    server = servers.kamailio(cfg) if which == "kamailio" else servers.siprouter(cfg)
    client = UdpClient()
    try:
        client.send(server.port, options_request(client.port, server.port, f"xl-{which}"))
        reply = client.recv()
        assert reply is not None and b" 200 done" in reply
    finally:
        client.close()
    server.stop()
    cfg_path = str(servers.tmp / f"{which}{len(servers.started) - 1}.cfg")
    return _script_lines(server.log(), cfg_path), server.log()


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("case", sorted(PARAMS))
def test_xlog_lines_match_kamailio(servers: Servers, case: str) -> None:
    cfg = HEAD + PARAMS[case] + ROUTE
    kam, _ = _run(servers, "kamailio", cfg)
    ours, log = _run(servers, "siprouter", cfg)
    assert any("XL end" in line for line in kam)
    assert ours == kam, log


def test_xlogl_line_numbers_and_filter(servers: Servers) -> None:
    cfg = HEAD + PARAMS["prefix_static"] + ROUTE
    ours, log = _run(servers, "siprouter", cfg)
    assert "INFO: P[$rm]: 12:XL b OPTIONS" in ours, log
    assert "DEBUG: P[$rm]: 13:XL c OPTIONS" in ours
    assert "INFO: P[$rm]: XL d OPTIONS" in ours  # methods_filter 1 (INVITE) only
    assert "NOTICE: P[$rm]: XL \033[0;31;42mred\033[0;39;49m " in ours[4]
