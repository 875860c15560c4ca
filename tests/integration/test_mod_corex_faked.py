"""corex is_faked_msg() through running servers: true in event routes that run on the
faked request (htable:mod-init, core:worker-one-init), false for a request from the
network; the same log lines from Kamailio 5.6.3 and siprouter."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient, options_request

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "htable"
loadmodule "corex"
modparam("htable", "htable", "t=>size=4")
event_route[htable:mod-init] {
    $var(f) = is_faked_msg();
    xlog("L_INFO", "faked-mod-init $var(f) $ci\\n");
}
event_route[core:worker-one-init] {
    $var(f) = is_faked_msg();
    xlog("L_INFO", "faked-worker-init $var(f) $ci\\n");
}
request_route {
    $var(f) = is_faked_msg();
    xlog("L_INFO", "faked-request $var(f) $ci\\n");
    sl_send_reply("200", "ok");
    exit;
}
"""


def _lines(start: Any) -> list[str]:
    client = UdpClient()
    try:
        srv = start(CFG)
        client.send(srv.port, options_request(client.port, srv.port, callid="net-1"))
        assert client.recv() is not None, srv.log()[-2000:]
        return sorted(re.findall(r"faked-[\w-]+ -?\d \S+", srv.log()))
    finally:
        client.close()


def test_siprouter_faked(servers: Any) -> None:
    assert _lines(servers.siprouter) == [
        "faked-mod-init 1 123",
        "faked-request -1 net-1",
        "faked-worker-init 1 123",
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any) -> None:
    assert _lines(servers.siprouter) == _lines(servers.kamailio)
