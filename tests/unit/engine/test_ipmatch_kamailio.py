"""src_ip / dst_ip comparisons against the installed Kamailio 5.6.3: the same cfg run by
Kamailio on loopback UDP (requests from 127.0.0.1 and ::1) and by siprouter's engine;
each reply's reason holds one 0/1 per condition. Names resolve through /etc/hosts
(`localhost`), never DNS."""

from __future__ import annotations

import pytest
from test_myself_kamailio import KamailioProbe, ours

pytestmark = pytest.mark.kamailio

CONDS = [
    "src_ip==127.0.0.0/8",
    "src_ip==127.0.0.1",
    "src_ip==127.0.0.0/255.0.0.0",
    "src_ip==10.0.0.0/8",
    "src_ip!=10.0.0.0/8",
    "src_ip==127.1.2.3/8",
    "src_ip==::1",
    "src_ip!=::1",
    "src_ip==[::1]",
    "src_ip==::/0",
    'src_ip=="127.0.0.1"',
    'src_ip=="127.0.0.0/8"',
    "src_ip==localhost",
    'src_ip=="LOCALHOST"',
    'src_ip=~"^127\\."',
    "src_ip eq 127.0.0.1",
    "src_ip ne 127.0.0.1",
    '$si=="127.0.0.1"',
    "src_ip==$fU",
    "src_ip!=$fU",
    "src_ip==$fd",
    "dst_ip==127.0.0.1",
    "dst_ip==::1/128",
    "src_ip==0.0.0.0/0",
    "src_ip==127.0.0.1/32",
    'src_ip=="::1"',
    'src_ip=="0:0::1"',
    "src_ip==0:0::1",
    "src_ip==::0/64",
    "src_ip==2001:db8::/32",
    "src_ip!=127.0.0.1",
    'src_ip!="127.0.0.1"',
    "src_ip!=localhost",
    "src_ip==127.0.0.1/0.0.0.0",
    'src_ip=~"^::"',
]
# (R-URI, From URI, source)
CASES = [
    ("sip:x@127.0.0.1", "sip:127.0.0.1@127.0.0.1", "127.0.0.1"),
    ("sip:x@127.0.0.1", "sip:127.0.0.0/8@localhost", "127.0.0.1"),
    ("sip:x@127.0.0.1", "sip:LOCALHOST@x.example.com", "127.0.0.1"),
    ("sip:x@127.0.0.1", "sip:x@[::1]", "::1"),
    ("sip:x@127.0.0.1", "sip:x@[0::1]", "::1"),
    ("sip:x@127.0.0.1", "sip:127.0.0.1@127.0.0.2", "::1"),
]


@pytest.fixture(scope="module")
def kamailio_verdicts(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int, list[str]]:
    probe = KamailioProbe(tmp_path_factory.mktemp("ipmatch"), "auto_aliases=no\n", CONDS)
    try:
        got = [probe.ask(u, f, s) for u, f, s in CASES]
    finally:
        probe.close()
    return probe.text, probe.port, got


@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{c[2]}-{c[1]}" for c in CASES])
def test_ip_comparisons_match_kamailio(
    kamailio_verdicts: tuple[str, int, list[str]], i: int
) -> None:
    text, port, theirs = kamailio_verdicts
    uri, frm, src = CASES[i]
    mine = ours(text, port, uri, frm, src)
    bad = [
        CONDS[k]
        for k, (a, b) in enumerate(zip(mine.split()[-1], theirs[i].split()[-1], strict=True))
        if a != b
    ]
    assert mine == theirs[i], f"{src} {frm}: differ on {bad}"
