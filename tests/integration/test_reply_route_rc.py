"""Whether a reply is forwarded after the core reply route, by the route's return value.

Kamailio 5.6.3 forwards a received reply when reply_route ends with a value above 0 or
with a bare `exit`; `return(0)`, `return(-1)`, `exit(0)`, `exit(-1)`, `return(0)` in a
sub-route, a failed last statement and `drop` keep it. Each case is one branch of an
if chain on the Call-ID in one server; the replies are sent in order, the last one
(always forwarded) tells that every earlier one has been handled. The set of Call-IDs
forwarded is compared with a fixed expectation and with Kamailio's."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .conftest import UdpClient

SUBS = """\
route[SUB0] { return(0); }
route[SUBM] { return(-1); }
route[SUBP] { return(1); }
route[SUBEXIT] { exit; }
route[SUBEXIT0] { exit(0); }
route[SUBEXIT1] { exit(1); }
route[SUBDROP] { drop; }
route[SUBF] { is_method("FOO"); }
"""

# case -> (reply route body, forwarded by Kamailio 5.6.3)
CASES: dict[str, tuple[str, bool]] = {
    "assign": ("$var(x) = 1;", True),
    "assign-neg": ("$var(x) = -1;", True),
    "exit": ("exit;", True),
    "exit0": ("exit(0);", False),
    "exit-1": ("exit(-1);", False),
    "exit1": ("exit(1);", True),
    "return": ("return;", True),
    "return0": ("return(0);", False),
    "return-1": ("return(-1);", False),
    "return1": ("return(1);", True),
    "return2": ("return(2);", True),
    "last-false": ('is_method("FOO");', False),
    "last-true": ('is_method("INVITE");', True),
    "false-then-exit": ('is_method("FOO"); exit;', True),
    "false-then-exit0": ('is_method("FOO"); exit(0);', False),
    "false-then-assign": ('is_method("FOO"); $var(x) = 1;', True),
    "false-in-if": ('if (1) { is_method("FOO"); }', False),
    "if-not-taken": ('if (is_method("FOO")) { $var(x) = 1; }', True),
    "return-2-in-if": ("if (1) { return(-2); } $var(x) = 1;", False),
    "sub-return0": ("route(SUB0);", False),
    "sub-return0-then": ("route(SUB0); $var(x) = 1;", False),
    "sub-return-1": ("route(SUBM);", False),
    "sub-return-1-then": ("route(SUBM); $var(x) = 1;", True),
    "sub-return1": ("route(SUBP);", True),
    "sub-exit": ("route(SUBEXIT);", True),
    "sub-exit0": ("route(SUBEXIT0);", False),
    "sub-exit1": ("route(SUBEXIT1);", True),
    "sub-false": ("route(SUBF);", False),
    "drop": ("drop;", False),
    "sub-drop": ("route(SUBDROP);", False),
}
LAST = "sentinel"


def _cfg() -> str:
    chain = []
    for i, (case, (body, _)) in enumerate(CASES.items()):
        kw = "if" if i == 0 else "} else if"
        chain.append(f'    {kw} ($ci == "{case}") {{\n        {body}')
    chain.append("    } else {\n        $var(x) = 1;\n    }")
    return (
        "#!KAMAILIO\ndebug=2\nchildren=1\nlisten=udp:127.0.0.1:@PORT@\n"
        'loadmodule "pv"\nloadmodule "textops"\n'
        "request_route { drop; }\n" + SUBS + "reply_route {\n" + "\n".join(chain) + "\n}\n"
    )


def _reply(port: int, client_port: int, callid: str) -> bytes:
    return (
        f"SIP/2.0 200 OK\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-top-{callid}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-uac-{callid}\r\n"
        f"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _forwarded(start: Any) -> set[str]:
    client = UdpClient()
    try:
        srv = start(_cfg())
        for case in [*CASES, LAST]:
            client.send(srv.port, _reply(srv.port, client.port, case))
        got: set[str] = set()
        while LAST not in got:
            data = client.recv(5.0)
            assert data is not None, f"the last reply was not forwarded; got {sorted(got)}"
            for line in data.split(b"\r\n"):
                if line.startswith(b"Call-ID: "):
                    got.add(line[9:].decode())
        got.discard(LAST)
        return got
    finally:
        client.close()


def test_reply_route_rc_decides_forwarding(servers: Any) -> None:
    expected = {case for case, (_, fwd) in CASES.items() if fwd}
    assert _forwarded(servers.siprouter) == expected


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_reply_route_rc_like_kamailio(servers: Any) -> None:
    assert _forwarded(servers.siprouter) == _forwarded(servers.kamailio)
