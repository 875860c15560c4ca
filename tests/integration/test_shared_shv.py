"""$shv is shared by every worker process: a value set while routing one Call-ID (one
owner worker) is read by requests of other Call-IDs routed by the other workers, and
an increment from every worker adds up."""

from __future__ import annotations

import re
import uuid

from .sip_load import ask

CFG = """\
#!KAMAILIO
debug=2
children=4
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
modparam("pv", "shvset", "start=s:initial")
request_route {
    if ($rU == "set") {
        $shv(start) = "changed-" + $ci;
        $shv(n) = 100;
    } else if ($rU == "inc") {
        $shv(n) = $shv(n) + 1;
    }
    sl_send_reply("200", "v=$shv(start) n=$shv(n) pid=$pp");
}
"""

_REASON = re.compile(rb"^SIP/2\.0 200 v=(\S+) n=(\d+) pid=(\d+)\r\n")


def _ask(client, port: int, user: str, callid: str) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    reply = ask(client, port, user, callid)
    m = _REASON.match(reply)
    assert m, reply[:120]
    return m.group(1).decode(), int(m.group(2)), int(m.group(3))


def test_shv_value_seen_by_every_worker(servers, udp_client) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(CFG)
    callids = [f"read-{i}-{uuid.uuid4().hex}" for i in range(24)]
    before = {_ask(udp_client, srv.port, "get", ci)[0] for ci in callids}
    assert before == {"initial"}
    _ask(udp_client, srv.port, "set", "the-setter")
    seen = [_ask(udp_client, srv.port, "get", ci) for ci in callids]
    assert {v for v, _n, _p in seen} == {"changed-the-setter"}
    assert {n for _v, n, _p in seen} == {100}
    assert len({p for _v, _n, p in seen}) >= 2  # several workers answered


def test_shv_increments_from_all_workers_add_up(servers, udp_client) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(CFG)
    _ask(udp_client, srv.port, "set", "base")
    pids = set()
    for i in range(40):  # sequential: each read-modify-write completes before the next
        _v, n, pid = _ask(udp_client, srv.port, "inc", f"inc-{i}-{uuid.uuid4().hex}")
        assert n == 101 + i
        pids.add(pid)
    assert len(pids) >= 2
