"""Module cfg values changed at runtime take effect from the next message, as in
Kamailio 5.6.3: `maxfwd.max_limit` caps the Max-Forwards mf_process_maxfwd_header()
lets through (the rewritten header is shown in the reply reason), and
`xlog.methods_filter` decides whether xlogm() logs for the request's method.

siprouter runs forked from the test process (test_core_cfg_runtime.forked_siprouter:
the cfg.* commands run here over the shared store); Kamailio runs the same routes with
jsonrpcs + cfg_rpc and is asked through its FIFO. After each change the same request
goes to both; the reply reasons and the xlogm lines of each request must be equal.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO
from .test_core_cfg_runtime import Target, forked_siprouter, kamailio_target

ROUTES = """\
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
loadmodule "maxfwd"
loadmodule "cfg_rpc"
modparam("maxfwd", "max_limit", 50)
request_route {
    mf_process_maxfwd_header("10");
    xlogm("L_ERR", "xlogm-line $ci\\n");
    sl_send_reply("200", "mf=[$hdr(Max-Forwards)] lim=$sel(cfg_get.maxfwd.max_limit) mfl=$sel(cfg_get.xlog.methods_filter) pid=$pp");
}
"""


def _cfg(children: int, extra: str = "") -> str:
    return f"#!KAMAILIO\ndebug=1\nchildren={children}\nlisten=udp:127.0.0.1:@PORT@\n{extra}{ROUTES}"


# (RPC call or None, Max-Forwards of the request)
STEPS: list[tuple[tuple[Any, ...] | None, int]] = [
    (None, 90),
    (None, 30),
    (("cfg.set_now_int", "maxfwd", "max_limit", 20), 90),
    (None, 15),
    # one digit: a value written narrower than the received one is padded with blanks,
    # which Kamailio's $hdr shows and siprouter's does not (not a cfg matter)
    (("cfg.set_now_int", "maxfwd", "max_limit", 0), 9),
    (("cfg.set_now_int", "xlog", "methods_filter", 0), 9),
    (("cfg.set_now_int", "xlog", "methods_filter", 512), 9),  # OPTIONS
    (("cfg.set_now_int", "xlog", "methods_filter", 1), 9),  # INVITE
    (("cfg.sets", "maxfwd", "max_limit", "255"), 300),
    (("cfg.set_now_int", "maxfwd", "max_limit", 256), 300),  # refused: no change
]

_REASON = re.compile(rb"^SIP/2\.0 200 (mf=\[[^]]*\] lim=\S+ mfl=\S+) pid=(\d+)\r\n")


def _request(t: Target, callid: str, max_forwards: int) -> bytes:
    port = t.client.port
    return (
        f"OPTIONS sip:probe@127.0.0.1:{t.port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{callid};rport\r\n"
        f"From: <sip:tester@127.0.0.1>;tag=ft-{callid}\r\nTo: <sip:probe@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: {max_forwards}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _ask(t: Target, callid: str, max_forwards: int) -> tuple[str, int]:
    t.client.send(t.port, _request(t, callid, max_forwards))
    reply = t.client.recv()
    assert reply is not None, f"no reply to {callid}: {t.log()[-1500:]}"
    m = _REASON.match(reply)
    assert m, reply[:200]
    return m.group(1).decode(), int(m.group(2))


def _logged(t: Target, callid: str) -> int:
    return len(re.findall(rf"xlogm-line {re.escape(callid)}\b", t.log()))


def _observe(t: Target, tag: str) -> list[tuple[Any, str, int]]:
    seen = []
    for n, (call, mf) in enumerate(STEPS):
        if call is not None:
            t.rpc(*call)
        callid = f"{tag}-{n}-{uuid.uuid4().hex[:8]}"
        reason, _pid = _ask(t, callid, mf)
        seen.append((call, reason, _logged(t, callid)))
    return seen


def test_changes_apply_from_the_next_message(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, _cfg(1)) as t:
        seen = _observe(t, "sr")
    assert [(r, n) for _c, r, n in seen] == [
        ("mf=[50] lim=50 mfl=-1", 0),
        ("mf=[29] lim=50 mfl=-1", 0),
        ("mf=[20] lim=20 mfl=-1", 0),
        ("mf=[14] lim=20 mfl=-1", 0),
        ("mf=[0] lim=0 mfl=-1", 0),
        ("mf=[0] lim=0 mfl=0", 1),
        ("mf=[0] lim=0 mfl=512", 0),
        ("mf=[0] lim=0 mfl=1", 1),
        ("mf=[255] lim=255 mfl=1", 1),
        ("mf=[255] lim=255 mfl=1", 1),
    ]


def test_every_worker_sees_a_change(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, _cfg(3)) as t:
        callids = [f"w-{i}-{uuid.uuid4().hex}" for i in range(36)]
        before = [_ask(t, ci, 90) for ci in callids]
        assert t.rpc("cfg.set_now_int", "maxfwd", "max_limit", 12) == {}
        assert t.rpc("cfg.set_now_int", "xlog", "methods_filter", 0) == {}
        after = [_ask(t, f"{ci}-a", 90) for ci in callids]
        logged = [_logged(t, f"{ci}-a") for ci in callids]
    assert {r for r, _p in before} == {"mf=[50] lim=50 mfl=-1"}
    assert {r for r, _p in after} == {"mf=[12] lim=12 mfl=0"}
    assert len({p for _r, p in after}) == 3  # every worker answered, with the new values
    assert logged == [1] * len(callids)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any, tmp_path: Path) -> None:
    with kamailio_target(servers, tmp_path, lambda rpc: _cfg(1, rpc)) as target:
        theirs = _observe(target, "k")
    with forked_siprouter(tmp_path, _cfg(1)) as t:
        ours = _observe(t, "s")
    assert [(c, r, n) for c, r, n in ours] == theirs
