"""cfgutils and htable side effects seen outside the replies, through running servers:
sht_print's dump lines are Kamailio 5.6.3's (differential, log prefixes stripped), the
memory reports log at debug level 3, and abort() stops the server (as Kamailio's, which
aborts a worker and then shuts down)."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from .conftest import HAS_KAMAILIO

PRINT_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "htable"
modparam("htable", "htable", "a=>size=3;")
modparam("htable", "htable", "b=>size=2;autoexpire=0;initval=1")
request_route {
    $sht(a=>k1) = "v1"; $sht(a=>K1) = "V1"; $sht(a=>n) = 42; $sht(a=>x) = "";
    $sht(b=>long key with spaces) = "value";
    sht_print();
    sl_send_reply("200", "printed");
}
"""

MEM_CFG = """\
#!KAMAILIO
debug=3
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "cfgutils"
request_route {
    if ($rU == "abort") {
        abort();
    }
    pkg_status(); shm_summary();
    sl_send_reply("200", "reported");
}
"""

_DUMP = re.compile(r"(htable\[.*|\tcell: .*|\thid: .*|\tv-[si]:.*)$")


def _ask(client, port: int, user: str, wait: float = 10.0) -> bytes | None:  # type: ignore[no-untyped-def]
    callid = f"{user}-{uuid.uuid4().hex}"
    client.send(
        port,
        (
            f"OPTIONS sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-{callid};rport\r\n"
            f"From: <sip:t@127.0.0.1>;tag=f\r\nTo: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        ).encode(),
    )
    return client.recv(wait)


def _dump_lines(log: str) -> list[str]:
    out = []
    for line in log.splitlines():
        m = _DUMP.search(line)
        if m and ("ht_dbg" in line or "<core>" in line or "htable" in line):
            out.append(m.group(1))
    return out


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_sht_print_lines_are_kamailios(servers, udp_client) -> None:  # type: ignore[no-untyped-def]
    dumps = []
    for start in (servers.kamailio, servers.siprouter):
        srv = start(PRINT_CFG)
        assert (_ask(udp_client, srv.port, "p") or b"").startswith(b"SIP/2.0 200 printed")
        srv.stop()
        dumps.append(_dump_lines(srv.log()))
    kam, ours = dumps
    assert kam and ours == kam
    assert "\tcell: long key with spaces" in ours and "\tv-i:42" in ours


def test_memory_reports_log_at_debug_level(servers, udp_client) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(MEM_CFG)
    assert (_ask(udp_client, srv.port, "m") or b"").startswith(b"SIP/2.0 200 reported")
    srv.stop()
    log = srv.log()
    assert "pkg (process" in log and "objects of type" in log
    assert "shm (shared space" in log


@pytest.mark.parametrize("kind", ["siprouter", "kamailio"])
def test_abort_stops_the_server(servers, udp_client, kind: str) -> None:  # type: ignore[no-untyped-def]
    if kind == "kamailio" and not HAS_KAMAILIO:
        pytest.skip("kamailio not installed")
    srv = getattr(servers, kind)(MEM_CFG.replace("debug=3", "debug=2"))
    assert _ask(udp_client, srv.port, "abort", wait=2.0) is None
    deadline = time.monotonic() + 20
    while srv.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert srv.proc.poll() is not None, f"{kind} still running after abort()"


NEWER_CFG = """\
#!KAMAILIO
debug=2
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "htable"
modparam("htable", "htable", "a=>size=4")
modparam("htable", "htable", "b=>size=4;initval=10")
request_route {
    $var(a) = sht_is_null("a", "k");
    $var(b) = sht_inc("a", "k");
    $sht(a=>k) = 1;
    $var(c) = sht_inc("a", "k");
    $var(d) = sht_is_null("a", "k");
    $var(e) = sht_dec("b", "$rU");
    $var(f) = sht_inc("zz", "k");
    $var(r) = "r " + $var(a) + " " + $var(b) + " " + $var(c) + " " + $var(d) + " " + $sht(a=>k)
        + " " + $var(e) + " " + $sht(b=>$rU) + " " + $var(f);
    sl_send_reply("200", "$var(r)");
}
"""


def test_newer_htable_functions_through_a_server(servers, udp_client) -> None:  # type: ignore[no-untyped-def]
    """sht_inc, sht_dec, sht_is_null: named by later Kamailio releases (not 5.6.3's cfg,
    so no differential)."""
    srv = servers.siprouter(NEWER_CFG)
    reply = _ask(udp_client, srv.port, "user") or b""
    assert reply.startswith(b"SIP/2.0 200 r 1 -1 1 -1 2 1 9 -1\r\n"), reply[:80]
