"""The core reply route when a config has `reply_route` and an unnamed `onreply_route`
(or `onreply_route[0]`): Kamailio appends all their statements into one route, in cfg
order, so both run for a reply and an exit, drop or return in the first part ends it.

siprouter runs replies through runtime/pipeline.Pipeline in-process (its reply
forwarder replaced by a list); the differential test sends the same replies to the
installed Kamailio (one worker) and compares which blocks ran, in which order, and
which replies were forwarded back.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REQUEST, compile_text, marks, run_text

from siprouter.engine.compiler import CompiledConfig, drop_applies
from siprouter.engine.context import MsgContext
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket

# statuses: 180 exit in the first part, 181 drop in the first part, 182 drop in a later
# part, 183 return in the first part, 200 runs everything
BLOCKS = """
loadmodule "pv"
onreply_route {
    mark("onreply");
    if ($rs == 199) { mark("sync"); exit; }
    if ($rs == 180) { exit; }
    if ($rs == 181) { drop; }
    if ($rs == 183) { return; }
}
reply_route {
    mark("reply");
    if ($rs == 182) { drop; }
}
onreply_route[0] {
    mark("onreply0");
}
onreply_route[TM] {
    mark("tm");
}
reply_route {
    mark("reply-second");
}
"""

EXPECTED = {
    180: (["onreply"], True),
    181: (["onreply"], False),
    182: (["onreply", "reply"], False),
    183: (["onreply"], True),
    200: (["onreply", "reply", "onreply0", "reply-second"], True),
}


def reply_bytes(status: int, server_port: int, client_port: int) -> bytes:
    return (
        f"SIP/2.0 {status} Status\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{server_port};branch=z9hG4bK-srv{status}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-cl{status};rport\r\n"
        "From: <sip:alice@example.com>;tag=a1\r\n"
        "To: <sip:bob@example.org>;tag=b1\r\n"
        f"Call-ID: reply-blocks-{status}\r\nCSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _no_pv(blocks: str) -> str:
    return blocks.replace('loadmodule "pv"\n', "")


class _Recording:
    """The compiled config as the pipeline sees it, keeping each run's context."""

    def __init__(self, compiled: CompiledConfig) -> None:
        self.compiled = compiled
        self.contexts: list[MsgContext] = []

    def get(self, kind: str, name: str = "") -> Any:
        return self.compiled.get(kind, name)

    def run(self, kind: str, name: str, ctx: MsgContext) -> int:
        self.contexts.append(ctx)
        return self.compiled.run(kind, name, ctx)


def ours(blocks: str, statuses: list[int]) -> dict[int, tuple[list[str], bool]]:
    """Each reply through the pipeline: (marks, forwarded)."""
    rec = _Recording(compile_text('loadmodule "pv"\nrequest_route { exit; }\n' + _no_pv(blocks)))
    pipe = Pipeline(rec)
    forwarded: list[MsgContext] = []
    pipe.forward_reply = forwarded.append
    out: dict[int, tuple[list[str], bool]] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ls = LocalSocket("udp", "127.0.0.1", 5060, 4, sock)
        for status in statuses:
            pipe.receive(reply_bytes(status, 5060, 5070), ("127.0.0.1", 5070), ls)
            ctx = rec.contexts[-1]
            assert ctx.msg.status == status
            out[status] = (marks(ctx), bool(forwarded) and forwarded[-1] is ctx)
    return out


def test_both_blocks_run_in_cfg_order() -> None:
    got = ours(BLOCKS, [200, 183, 180])
    assert got[200] == EXPECTED[200]
    assert got[183] == EXPECTED[183]
    assert got[180] == EXPECTED[180]


@pytest.mark.parametrize("status", [181, 182, 180, 183, 200])
def test_drop_exit_return_in_the_joined_route(status: int) -> None:
    _rc, ctx = run_text(BLOCKS, kind="reply", data=reply_bytes(status, 5060, 5070))
    want_marks, forwarded = EXPECTED[status]
    assert marks(ctx) == want_marks
    assert drop_applies("reply", "", ctx) is (not forwarded)


def test_one_function_for_both_kinds() -> None:
    cc = compile_text(BLOCKS)
    assert cc.get("reply") is cc.get("onreply")
    assert cc.get("onreply", "TM") is not cc.get("reply")


def test_reply_route_first_then_onreply() -> None:
    text = 'reply_route { mark("r"); }\nonreply_route { mark("o"); }\n'
    _rc, ctx = run_text(text, kind="onreply", data=reply_bytes(200, 5060, 5070))
    assert marks(ctx) == ["r", "o"]


@pytest.mark.parametrize(
    "text",
    ['reply_route { mark("r"); }\n', 'onreply_route { mark("r"); }\n'],
    ids=["reply_route", "onreply_route"],
)
def test_a_single_core_reply_block_is_unchanged(text: str) -> None:
    cc = compile_text(text)
    assert (cc.get("reply") is None) != (cc.get("onreply") is None)
    ours_marks = ours(text, [200])
    assert ours_marks[200] == (["r"], True)


def test_request_route_unaffected() -> None:
    text = (
        'request_route { mark("req"); }\nreply_route { mark("r"); }\nonreply_route { mark("o"); }\n'
    )
    _rc, ctx = run_text(text, data=REQUEST)
    assert marks(ctx) == ["req"]


# ---- the same replies through Kamailio -------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kamailio_cfg(blocks: str, port: int) -> str:
    blocks = _no_pv(blocks)
    blocks = re.sub(r'mark\("([^"]*)"\)', r'xlog("L_ERR", "MARK \1 $rs\\n")', blocks)
    return (
        "#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\n"
        f"listen=udp:127.0.0.1:{port}\n"
        'loadmodule "pv.so"\nloadmodule "xlog.so"\n'
        "request_route { exit; }\n"
        'event_route[core:worker-one-init] { xlog("L_ERR", "PROBE-READY\\n"); }\n' + blocks
    )


def _reader(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """stderr lines of `proc` arrive in the queue (a thread reads them)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], needle: str, limit: float) -> list[str]:
    """Lines up to the one containing `needle` (waiting at most `limit` seconds)."""
    deadline = time.monotonic() + limit
    got: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(
                f"no {needle!r} from kamailio; got:\n{''.join(got)[-2000:]}"
            ) from None
        got.append(line)
        if needle in line:
            return got


def kamailio_replies(
    tmp: Path, blocks: str, statuses: list[int]
) -> dict[int, tuple[list[str], bool]]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    port = _free_port()
    cfg = tmp / "reply.cfg"
    cfg.write_text(_kamailio_cfg(blocks, port))
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp), "-w", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    try:
        lines = _reader(proc)
        _read_until(lines, "PROBE-READY", 15.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.bind(("127.0.0.1", 0))
            cport = int(client.getsockname()[1])
            for status in [*statuses, 199]:
                client.sendto(reply_bytes(status, port, cport), ("127.0.0.1", port))
            client.settimeout(5.0)
            forwarded: list[int] = []
            while 199 not in forwarded:
                data = client.recv(65535)
                forwarded.append(int(data.split(b" ", 2)[1]))
        logged = _read_until(lines, "MARK sync 199", 5.0)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    out: dict[int, tuple[list[str], bool]] = {s: ([], s in forwarded) for s in statuses}
    for line in logged:
        m = re.search(r"MARK (\S+) (\d+)$", line.rstrip())
        if m and int(m.group(2)) in out:
            out[int(m.group(2))][0].append(m.group(1))
    return out


@pytest.mark.kamailio
def test_joined_reply_route_against_kamailio(tmp_path: Path) -> None:
    statuses = sorted(EXPECTED)
    assert kamailio_replies(tmp_path, BLOCKS, statuses) == EXPECTED
    assert ours(BLOCKS, statuses) == EXPECTED
