"""socket_workers in a running server: the UDP socket of the listen line after it is read
by that many workers (one SO_REUSEPORT socket each), the others by `children`; the
server runs enough workers, and every socket answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from siprouter.sip.message import parse_message

CFG = """#!KAMAILIO
disable_tcp=yes
children=2
listen=udp:127.0.0.1:{p0}
socket_workers=3
listen=udp:127.0.0.1:{p1}
listen=udp:127.0.0.1:{p2}
loadmodule "sl.so"
request_route {{ sl_send_reply("200", "OK"); }}
"""


def _bound_count(port: int) -> int:
    n = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        if int(line.split()[1].rsplit(":", 1)[1], 16) == port:
            n += 1
    return n


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def test_socket_workers_sets_the_readers_of_the_next_listen(
    servers: Any, free_port: Any, udp_client: Any, options_req: Any
) -> None:
    p0 = free_port()
    ports = [p0]
    while len(ports) < 3:
        p = free_port()
        if p not in ports:
            ports.append(p)
    srv = servers.siprouter(CFG.format(p0=ports[0], p1=ports[1], p2=ports[2]), port=p0)
    assert [_bound_count(p) for p in ports] == [2, 3, 2]
    assert len(_children(srv.proc.pid)) == 3
    for i, p in enumerate(ports):
        for cs in range(1, 4):
            udp_client.send(p, options_req(udp_client.port, p, f"sw-{i}-{cs}", cs))
            reply = udp_client.recv()
            assert reply is not None and parse_message(reply).status == 200, srv.log()[-2000:]
    assert srv.stop() == 0
