"""Core statistics over four workers in a config that loads none of the modules whose
init hook sets the statistics up (no sl, statistics, counters): every worker must still
count into the same shared totals, which needs stats.setup() in the main process before
the fork (runtime/lifecycle.init_modules)."""

from __future__ import annotations

import re
import time
import uuid

from .sip_load import options

CFG = """\
#!KAMAILIO
debug=2
children=4
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "textops"
request_route {
    append_hf("X-Seen: rq=$stat(rcv_requests) opt=$stat(rcv_requests_options) fw=$stat(fwd_requests)\\r\\n");
    forward("127.0.0.1", @PEER@);
}
"""

N = 40
_SEEN = re.compile(rb"\r\nX-Seen: rq=(\d+) opt=(\d+) fw=(\d+)\r\n")


def _send(srv, udp_client, udp_peer, cid: str) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    udp_client.send(srv.port, options(udp_client.port, srv.port, "x", cid))
    fwd = udp_peer.recv(10.0)
    assert fwd is not None, f"request {cid} not forwarded"
    m = _SEEN.search(fwd)
    assert m, fwd[:300]
    return tuple(int(x) for x in m.groups())


def test_core_totals_shared_without_stats_modules(servers, udp_client, udp_peer) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(CFG.replace("@PEER@", str(udp_peer.port)))
    seen = [_send(srv, udp_client, udp_peer, f"core-{i}-{uuid.uuid4().hex}") for i in range(N)]
    # each request reads itself and every earlier one; a forward is counted after its
    # send, so fwd_requests may lag behind while other workers finish their sends
    for i, (rq, opt, fw) in enumerate(seen):
        assert rq == opt == i + 1, (i, seen[i])
        assert fw <= i, (i, seen[i])
    # once the workers are done, every forward is counted (bounded wait, no timing asserted)
    deadline = time.monotonic() + 10
    while True:
        rq, opt, fw = _send(srv, udp_client, udp_peer, f"probe-{uuid.uuid4().hex}")
        if fw == rq - 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert fw == rq - 1 and rq > N, (rq, opt, fw)
