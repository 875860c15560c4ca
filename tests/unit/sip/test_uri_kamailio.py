"""Differential tests: how kamailio 5.6.3 parses a Request-URI ($rU $rd $rp $rP $rz) vs parse_uri.

A kamailio on 127.0.0.1 answers every request with a 200 whose reason phrase
lists the pseudo-variables; a URI it cannot parse shows ``<null>`` everywhere.
Loopback only, every wait bounded.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from siprouter.sip.uri import UriError, parse_uri

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
{extra}
loadmodule "sl.so"
loadmodule "pv.so"
request_route {{
    if ($hdr(X-Op) == "host") {{ rewritehost("h2.example.com"); }}
    if ($hdr(X-Op) == "port") {{ rewriteport("5099"); }}
    if ($hdr(X-Op) == "user") {{ rewriteuser("bob"); }}
    if ($hdr(X-Op) == "hostport") {{ rewritehostport("h3:5070"); }}
    if ($hdr(X-Op) == "nouser") {{ rewriteuser(""); }}
    sl_send_reply("200", "U=$rU|D=$rd|p=$rp|P=$rP|z=$rz|ru=$ru");
    exit;
}}
"""


class UriEcho:
    def __init__(self, tmp, extra: str) -> None:
        self.client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.client.bind(("127.0.0.1", 0))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cfg = tmp / "uri.cfg"
        cfg.write_text(CFG.format(port=self.port, extra=extra))
        self.proc = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.seq = 0
        self.client.settimeout(0.2)
        for _ in range(75):
            self.client.sendto(self._req("sip:probe@h"), ("127.0.0.1", self.port))
            try:
                self.client.recvfrom(65535)
                break
            except TimeoutError:
                continue
        else:
            self.close()
            pytest.fail("kamailio did not answer within 15 s")
        try:
            while True:
                self.client.recvfrom(65535)
        except TimeoutError:
            pass
        self.client.settimeout(3)

    def _req(self, uri: str, op: str = "none") -> bytes:
        self.seq += 1
        cport = self.client.getsockname()[1]
        return (
            f"OPTIONS {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{cport};rport;branch=z9hG4bK{self.seq}\r\n"
            "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
            f"Call-ID: u{self.seq}\r\nCSeq: 1 OPTIONS\r\nX-Op: {op}\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()

    def ask(self, uri: str, op: str = "none") -> dict[str, str]:
        self.client.sendto(self._req(uri, op), ("127.0.0.1", self.port))
        data, _ = self.client.recvfrom(65535)
        reason = data.split(b"\r\n", 1)[0].split(b" ", 2)[2].decode()
        return dict(item.split("=", 1) for item in reason.split("|"))

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.client.close()


@pytest.fixture(scope="module")
def kam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UriEcho]:
    e = UriEcho(tmp_path_factory.mktemp("uri"), "")
    yield e
    e.close()


@pytest.fixture(scope="module")
def kam_extra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UriEcho]:
    e = UriEcho(tmp_path_factory.mktemp("urix"), 'uri_host_extra_chars="_"\nphone2tel=0')
    yield e
    e.close()


def ours(uri: str, **kw: object) -> dict[str, str]:
    """Our parse in the shape of kamailio's answer (fields it prints the same way)."""
    try:
        u = parse_uri(uri, **kw)  # type: ignore[arg-type]
    except UriError:
        return {"U": "<null>", "D": "<null>", "z": "<null>"}
    out = {"U": u.user or "<null>", "D": u.host or "<null>", "z": u.type}
    if u.port_text:
        out["p"] = u.port_text  # $rp shows the port as written ("05060")
    if u.transport:  # a valueless ";transport" leaves kamailio's default
        out["P"] = u.transport
    return out


def theirs(got: dict[str, str], mine: dict[str, str]) -> dict[str, str]:
    return {k: got[k] for k in mine}


URIS = [
    "sip:a@my_host.example.com",
    "sip:a@host-1.example.com",
    "sip:+1234;phone-context=x@gw.example.com;user=phone",
    "sip:+1234@gw.example.com;user=phone",
    "sips:+1234@gw.example.com;user=phone",
    "tel:+1-234;ext=5",
    "sip:alice:pw@[::1]:5070;transport=tcp",
    "sip:alice@[2001:db8::1];transport=TLS",
    "sip:%61lice@h",
    "sip:a@h:",
    "sip:a@h:99999",
    "sip:a@h:65535",
    "sip:a@h:0",
    "sip:@h",
    "sip::pw@h",
    "sip:a@h;;lr",
    "sip:h?",
    "sips:a@h",
    "sip:a@h?x=y&z=w",
    "sip:a@[::1",
    "sip:a@1.2.3.4.5",
    "sip:a@h;lr=on;transport=TCP",
    "SIP:A@H",
    "sip:a;b=c@h",
    "sip:h;maddr=10.0.0.1;ttl=5",
    "sip:h?x=a@b",
    "sip:u@h?x=a@b",
    "sip:h;maddr=a@b",
    "sip:u;p=1@h;x=y",
    "sip:u?a@h",
    "sip:a@h%41",
    "sip:a@[::1]:",
    "sip:a@[fe80::1%25eth0]",
    "sip:a@-h",
    "sip:a@h..com",
    "sip:a@.h",
    "sip:a@h.",
    "sip:a@1.2.3.256",
    "sip:a@h:05060",
    "sip:a@h:5060x",
    "sip:a%20b@h",
    "sip:a@h;transport",
    "sip:a@h;=x",
    "sip:a@h;x=y=z",
    'sip:a@h;x="q"',
    "sip:a@h?=x",
    "sip:a@h?x",
    "sip:a@h?x=1&",
    "sip:a@h?&x=1",
    "sip:a@[1.2.3.4]",
    "sip:a@[::ffff:1.2.3.4]",
    "sip:a@h:+5",
    "sips:a@h:\u0663",
    "tel:",
    "sip:a@h;lr;lr",
    "sip:a@h;user=phone",
]


@pytest.mark.parametrize("uri", URIS)
def test_uri_parts_match_kamailio(kam: UriEcho, uri: str) -> None:
    mine = ours(uri)
    assert theirs(kam.ask(uri), mine) == mine


@pytest.mark.parametrize(
    "uri",
    [
        "sip:a@my_host.example.com",
        "sip:+1234;phone-context=x@gw;user=phone",
        "sip:+1@gw;user=phone",
    ],
)
def test_uri_host_extra_chars_and_phone2tel_off(kam_extra: UriEcho, uri: str) -> None:
    mine = ours(uri, host_extra_chars="_", phone2tel=False)
    assert theirs(kam_extra.ask(uri), mine) == mine


REWRITES = {
    "host": {"host": "h2.example.com"},
    "port": {"port": 5099},
    "user": {"user": "bob"},
    "hostport": {"host": "h3", "port": 5070},
    "nouser": {"user": ""},
}
REWRITE_URIS = [
    "SIP:A@H;lr",
    "sip:a:pw@h:5060;transport=tcp?x=y",
    "sip:+1;isub=2@gw;user=phone",
    "sip:a@h;;lr",
    "sip:h",
    "sip:a@[::1]:5070",
    "sip:a@h:",
    "sips:a@h?x=y",
    "tel:+123;ext=1",
]


# Left out on purpose: rewriteuser("") on a user=phone URI, where kamailio writes
# "sip:;isub=2gw;user=phone" (the '@' is lost; we write "sip:gw;user=phone"), and on a
# tel URI (we refuse an empty number).
KAMAILIO_BUGS = {("sip:+1;isub=2@gw;user=phone", "nouser"), ("tel:+123;ext=1", "nouser")}


@pytest.mark.parametrize("op", sorted(REWRITES))
@pytest.mark.parametrize("uri", REWRITE_URIS)
def test_replace_matches_kamailio_rewrites(kam: UriEcho, uri: str, op: str) -> None:
    if (uri, op) in KAMAILIO_BUGS:
        pytest.skip("kamailio output is malformed here; see KAMAILIO_BUGS")
    got = kam.ask(uri, op)["ru"]
    try:
        mine = str(parse_uri(uri).replace(**REWRITES[op]))  # type: ignore[arg-type]
    except UriError:
        # kamailio leaves a tel URI alone when only the port is rewritten
        assert uri.startswith("tel:") and op == "port"
        assert got == uri
        return
    assert mine == got
