"""textops append_to_reply / set_reply_body / append_time and sl's replies.

What the functions store for a request goes into every stateless reply sent for it,
after the copied headers and before Server / Content-Length, in call order, as
Kamailio 5.6.3 does (also its refusals: an empty text or body, a second body whose
Content-Type line stays). The replies are compared byte for byte with Kamailio's, the
ports, the To tag and the Date value normalised."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from .conftest import UdpClient, options_request

# (route code, number of replies it sends)
CASES: list[tuple[str, int]] = [
    (
        'append_to_reply("X-A: 1\\r\\n"); set_reply_body("b1\\n", "text/plain"); '
        'append_to_reply("X-B: $rU\\r\\n");',
        1,
    ),
    ('set_reply_body("b1", "text/plain"); set_reply_body("b22", "text/x");', 1),
    ('append_time(); append_to_reply("X-C: 3");', 1),
    (
        'append_to_reply("X-D: 4\\r\\n"); sl_send_reply("404", "first"); sl_send_reply("405", "x");',
        3,
    ),
    ('set_reply_body("", "text/plain");', 1),
    (
        '$var(r) = set_reply_body("b1", "text/plain"); $var(s) = set_reply_body("b2", "t/x"); '
        'append_to_reply("X-R: $var(r) $var(s)\\r\\n");',
        1,
    ),
    ('$var(t) = append_time(); append_to_reply("X-T: $var(t)\\r\\n");', 1),
    ('append_to_reply(""); $var(e) = $rc; append_to_reply("X-E: $var(e)\\r\\n");', 1),
    ("$var(n) = 1;", 1),
    # unlike sl's reason, a text that starts with a PV is rendered whole
    ('$var(a) = "X-V: 1"; append_to_reply("$var(a) tail\\r\\n");', 1),
]


def _cfg() -> str:
    body = "\n".join(f"    if ($cs == {i + 1}) {{ {c} }}" for i, (c, _) in enumerate(CASES))
    return (
        "#!KAMAILIO\ndebug=2\nchildren=1\nlisten=udp:127.0.0.1:@PORT@\n"
        'server_header="Server: T"\n'
        'loadmodule "pv"\nloadmodule "sl"\nloadmodule "textops"\n'
        "request_route {\n" + body + '\n    sl_send_reply("200", "OK");\n}\n'
    )


_DATE = re.compile(rb"^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r$", re.M)


def _norm(data: bytes) -> bytes:
    assert len(_DATE.findall(data)) == data.count(b"\nDate: "), data
    data = _DATE.sub(b"Date: D\r", data)
    data = re.sub(rb"127\.0\.0\.1:\d+", b"127.0.0.1:P", data)
    data = re.sub(rb"rport=\d+", b"rport=P", data)
    return re.sub(rb"^(To: [^\r\n]*;tag=)[^\r\n;]*", rb"\1T", data, flags=re.M)


def _replies(start: Any) -> list[list[bytes]]:
    client = UdpClient()
    try:
        srv = start(_cfg())
        out = []
        for i, (_, count) in enumerate(CASES):
            client.send(srv.port, options_request(client.port, srv.port, f"c{i}", i + 1))
            got = []
            for _ in range(count):
                data = client.recv(5.0)
                assert data is not None, f"case {i}: {len(got)} of {count} replies"
                got.append(_norm(data))
            out.append(got)
        return out
    finally:
        client.close()


def test_reply_lumps_in_replies(servers: Any) -> None:
    got = _replies(servers.siprouter)
    first = got[0][0]
    assert b"\r\nX-A: 1\r\nContent-Type: text/plain\r\nX-B: probe\r\nServer: T\r\n" in first
    assert first.endswith(b"Content-Length: 3\r\n\r\nb1\n")
    assert b"Content-Type: text/plain\r\nContent-Type: text/x\r\n" in got[1][0]
    assert b"\r\nDate: D\r\nX-C: 3Server: T\r\n" in got[2][0]
    assert all(b"\r\nX-D: 4\r\n" in r for r in got[3])
    assert b"Content-Type" not in got[4][0]
    assert b"\r\nX-R: 1 -1\r\n" in got[5][0]
    assert b"\r\nX-T: 1\r\n" in got[6][0]
    assert b"\r\nX-E: -1\r\n" in got[7][0]
    assert b"X-" not in got[8][0]
    assert b"\r\nX-V: 1 tail\r\n" in got[9][0]


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_reply_lumps_like_kamailio(servers: Any) -> None:
    ours = _replies(servers.siprouter)
    theirs = _replies(servers.kamailio)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"case {i}: {CASES[i][0]}"
