"""Shared fixtures of the SIP core tests: a Kamailio that answers every request statelessly.

``kamailio_pvs`` is the same Kamailio echoing what it read (``$rm``, ``$ru``, ``$ci``, ``$cs``,
From/To URI, tag, display name and user, R-URI user and host) in the reason phrase of its 200,
and the ``our_pvs`` fixture, ``our_pvs(msg)``, gives our parser's reading in the same spelling, for differentials.

``kamailio_sl`` starts the installed kamailio (5.6.3) on a free loopback UDP port with a cfg
whose request_route does ``force_rport(); sl_send_reply("200", "OK")`` and whose
onreply_route drops every reply (so nothing is ever forwarded off the machine). It yields a
function ``send(data) -> bytes | None``: the first line of Kamailio's answer to one request,
or None when it sent nothing (it dropped the message or could not build a reply). Tests
using it must be marked ``kamailio``; without the binary they are skipped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from siprouter.sip.message import SipMessage
from siprouter.sip.uri import UriError, parse_uri

_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
loadmodule "sl.so"
{modules}request_route {{
    force_rport();
    sl_send_reply("200", "{reason}");
    exit;
}}
onreply_route {{
    drop;
}}
"""


def _ping(n: int) -> bytes:
    return (
        b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKping%d\r\n"
        b"From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n"
        b"Call-ID: ping-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        b"Content-Length: 0\r\n\r\n" % (n, n)
    )


def _free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


# the pseudo-variables echoed by ``kamailio_pvs``, in order, and how our parser reads each
PVS = ["$rm", "$ru", "$ci", "$cs", "$fu", "$ft", "$tu", "$tt", "$fn", "$tn", "$fU", "$tU", "$rU",
       "$rd"]  # fmt: skip
_SEP = "^"


def _start(tmp: Path, reason: str, modules: str) -> Iterator[Callable[[bytes], bytes | None]]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    port = _free_udp_port()
    cfg = tmp / "sl.cfg"
    cfg.write_text(_CFG.format(port=port, reason=reason, modules=modules))
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    pings = [0]

    def send(data: bytes, wait: float = 5.0) -> bytes | None:
        """Send ``data`` and then a ping; one worker handles both in order, so an answer
        that arrives before the ping's is the answer to ``data``, and the ping's answer
        arriving first means ``data`` got none. No guessing with short timeouts."""
        pings[0] += 1
        mark = b"\r\nCall-ID: ping-%d@127.0.0.1\r\n" % pings[0]
        sock.settimeout(wait)
        sock.sendto(data, ("127.0.0.1", port))
        sock.sendto(_ping(pings[0]), ("127.0.0.1", port))
        answer = None
        while True:
            try:
                reply, _ = sock.recvfrom(65535)
            except TimeoutError:
                return answer
            if mark in reply:
                return answer
            if b"\r\nCall-ID: ping-" not in reply:  # not a late answer to an older ping
                answer = reply.split(b"\r\n", 1)[0]

    try:
        for _ in range(50):  # until it answers
            sock.settimeout(0.2)
            sock.sendto(_ping(0), ("127.0.0.1", port))
            try:
                sock.recvfrom(65535)
                break
            except TimeoutError:
                pass
            if proc.poll() is not None:
                pytest.fail("kamailio exited at start")
            time.sleep(0.1)
        else:
            pytest.fail("kamailio did not answer")
        yield send
    finally:
        sock.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def kamailio_sl(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[bytes], bytes | None]]:
    """send(request) -> first line of Kamailio's answer, or None when it sent nothing."""
    yield from _start(tmp_path_factory.mktemp("kamailio_sl"), "OK", "")


@pytest.fixture(scope="session")
def kamailio_pvs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[bytes], list[str] | None]]:
    """send(request) -> Kamailio's values of ``PVS`` for it (``<null>`` when it has none),
    read from the reason phrase of its 200; None when it sent nothing."""
    reason = "V=" + _SEP.join(PVS)
    gen = _start(tmp_path_factory.mktemp("kamailio_pvs"), reason, 'loadmodule "pv.so"\n')
    send = next(gen)

    def values(data: bytes) -> list[str] | None:
        first = send(data)
        if first is None:
            return None
        text = first.decode("utf-8", "surrogateescape")
        head = "SIP/2.0 200 V="
        assert text.startswith(head), text
        return text[len(head) :].split(_SEP)

    yield values
    gen.close()


def _our_pvs(m: SipMessage) -> list[str]:
    """Our parser's reading of ``PVS`` for message ``m``, in Kamailio's spelling: absent
    values and URIs that do not parse read ``<null>``, display names keep their quotes."""

    def s(v: object) -> str:
        return "<null>" if v is None or v == "" else str(v)

    def uri_part(text: str | None, part: str) -> str:
        try:
            return s(getattr(parse_uri(text or ""), part))
        except UriError:
            return "<null>"

    f, t = m.from_, m.to
    assert f is not None and t is not None and m.cseq is not None
    ruri_ok = uri_part(m.ruri, "host") != "<null>"
    return [
        m.method,
        m.ruri if ruri_ok else "<null>",
        s(m.callid),
        str(m.cseq.num),
        f.uri_text,
        s(f.tag),
        t.uri_text,
        s(t.tag),
        s(f.display_raw),
        s(t.display_raw),
        uri_part(f.uri_text, "user"),
        uri_part(t.uri_text, "user"),
        uri_part(m.ruri, "user"),
        uri_part(m.ruri, "host"),
    ]


@pytest.fixture
def our_pvs() -> Callable[[SipMessage], list[str]]:
    """our_pvs(msg) -> our parser's reading of ``PVS``, spelled as Kamailio prints them."""
    return _our_pvs
