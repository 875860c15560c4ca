"""kex setdebug()/resetdebug() through running servers: the same xlog lines are written
(or held back) by Kamailio 5.6.3 and siprouter while the process level is changed."""

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
loadmodule "kex"
request_route {
    xlog("L_INFO", "mark-a $ci\\n");
    setdebug("1");
    xlog("L_INFO", "mark-b $ci\\n");
    xlog("L_NOTICE", "mark-c $ci\\n");
    xlog("L_WARN", "mark-d $ci\\n");
    $var(l) = 3;
    setdebug("$var(l)");
    xlog("L_DBG", "mark-e $ci\\n");
    resetdebug();
    xlog("L_DBG", "mark-f $ci\\n");
    xlog("L_INFO", "mark-g $ci\\n");
    sl_send_reply("200", "done");
    exit;
}
"""


KEEP_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "kex"
request_route {
    xlog("L_INFO", "mark-a $ci\\n");
    if ($ci == "dbg-0") { setdebug("1"); }
    sl_send_reply("200", "done");
    exit;
}
"""


def _marks(start: Any, cfg: str = CFG) -> list[str]:
    client = UdpClient()
    try:
        srv = start(cfg)
        for n in range(2):
            client.send(srv.port, options_request(client.port, srv.port, callid=f"dbg-{n}"))
            assert client.recv() is not None, srv.log()[-2000:]
        return re.findall(r"mark-\w dbg-\d", srv.log())
    finally:
        client.close()


def test_siprouter_levels(servers: Any) -> None:
    marks = _marks(servers.siprouter)
    assert marks == [f"mark-{m} dbg-{n}" for n in range(2) for m in "acdeg"]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any) -> None:
    assert _marks(servers.siprouter) == _marks(servers.kamailio)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_level_stays_for_the_next_message_as_kamailio(servers: Any) -> None:
    ours = _marks(servers.siprouter, KEEP_CFG)
    assert ours == ["mark-a dbg-0"]  # setdebug is per process, not per message
    assert ours == _marks(servers.kamailio, KEEP_CFG)
