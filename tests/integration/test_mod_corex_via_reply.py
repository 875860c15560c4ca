"""corex via_reply_add_xavp_params() through a running server: the fields of the XAVP
named by the core parameter xavp_via_reply_params go to the top Via of the local
replies (sl_send_reply, send_reply, sl_reply_error), after received/rport, newest
field first; flag 0 turns it off again; no core parameter, no parameters.

Kamailio 5.6.3 has neither the function nor the core parameter (both are 5.7), so
this is checked against the 5.7 documentation only; the last test pins that 5.6.3's
`-c` refuses the parameter, so a config using it is a 5.7 config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient, options_request

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
@PARAM@
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    $xavp(xr=>srvid) = "1";
    $xavp(xr[0]=>myval) = "xyz";
    $xavp(xr[0]=>flag) = "";
    if ($hdr(X-Mode) == "on") {
        via_reply_add_xavp_params("1");
    } else if ($hdr(X-Mode) == "off") {
        via_reply_add_xavp_params("1");
        via_reply_add_xavp_params("0");
    }
    if ($hdr(X-Send) == "send_reply") {
        send_reply("202", "Accepted");
    } else if ($hdr(X-Send) == "error") {
        sl_reply_error();
    } else {
        sl_send_reply("200", "OK");
    }
    exit;
}
"""


def _top_via(servers: Any, param: str, mode: str, send: str = "sl") -> str:
    srv = servers.siprouter(CFG.replace("@PARAM@", param))
    client = UdpClient()
    try:
        extra = f"X-Mode: {mode}\r\nX-Send: {send}\r\n"
        client.send(srv.port, options_request(client.port, srv.port, extra=extra))
        reply = client.recv()
        assert reply is not None, srv.log()[-2000:]
        vias = [ln for ln in reply.decode().split("\r\n") if ln.startswith("Via:")]
        assert len(vias) == 1
        return vias[0]
    finally:
        client.close()


def test_params_added_to_the_top_via(servers: Any) -> None:
    via = _top_via(servers, 'xavp_via_reply_params="xr"', "on")
    assert ";rport=" in via
    assert via.endswith(";received=127.0.0.1;flag;myval=xyz;srvid=1")


@pytest.mark.parametrize("send", ["send_reply", "error"])
def test_other_local_replies_get_them(servers: Any, send: str) -> None:
    via = _top_via(servers, 'xavp_via_reply_params="xr"', "on", send)
    assert via.endswith(";flag;myval=xyz;srvid=1")


def test_flag_zero_turns_it_off(servers: Any) -> None:
    via = _top_via(servers, 'xavp_via_reply_params="xr"', "off")
    assert "srvid" not in via and "myval" not in via


def test_not_asked_nothing_added(servers: Any) -> None:
    via = _top_via(servers, 'xavp_via_reply_params="xr"', "none")
    assert "srvid" not in via


def test_without_core_parameter_nothing_added(servers: Any) -> None:
    via = _top_via(servers, "", "on")
    assert "srvid" not in via and "myval" not in via


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_kamailio_56_does_not_know_the_parameter(tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text('xavp_via_reply_params="xr"\nrequest_route { exit; }\n')
    kam = shutil.which("kamailio")
    assert kam is not None
    res = subprocess.run(
        [kam, "-c", "-f", str(cfg), "-l", "udp:127.0.0.1:5999"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode != 0
