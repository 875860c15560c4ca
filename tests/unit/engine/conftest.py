"""Engine test helpers: compile a cfg snippet with the test module `enginetest` and run
a block on a parsed request; run the same program through the installed Kamailio.

Programs for differential tests use `$var(x)`, `mark("text")` and `show("x")`; for
siprouter they become `$tv(x)` and the test module's functions, for Kamailio
`xlog("L_ERR", "MARK text\\n")` / `xlog("L_ERR", "MARK x=[$var(x)]\\n")`. Both sides
yield the list of MARK lines in order.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import enginetest_mod

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import CompiledConfig, compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.sip.message import parse_message

REQUEST = (
    b"INVITE sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=a1\r\n"
    b"To: <sip:bob@example.org>\r\n"
    b"Call-ID: engine-test-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True, scope="session")
def _enginetest_module() -> Iterator[None]:
    enginetest_mod.register()
    yield


def compile_text(text: str, filename: str = "/test/engine.cfg") -> CompiledConfig:
    enginetest_mod.register()
    if 'loadmodule "enginetest"' not in text:
        text = 'loadmodule "enginetest"\n' + text
    return compile_config(parse_string(text, filename))


def run_text(
    text: str, kind: str = "request", name: str = "", data: bytes = REQUEST
) -> tuple[int, MsgContext]:
    """Compile `text`, run block kind/name once on `data`; (return code, context)."""
    cc = compile_text(text)
    ctx = MsgContext(parse_message(data), script=ScriptState())
    ctx.log = []
    return cc.run(kind, name, ctx), ctx


def marks(ctx: MsgContext) -> list[str]:
    return [text for kind, text in (ctx.log or []) if kind == "mark"]


# ---- the same program on both sides --------------------------------------------------


def ours_program(body: str, routes: str = "", head: str = "", pv: bool = False) -> list[str]:
    """Run `body` as request_route of siprouter (with our pv module when `pv`); MARK
    lines."""
    text = head + "request_route {\n" + body + "\n}\n" + routes
    if pv:
        text = 'loadmodule "pv"\n' + text
    text = text.replace("$var(", "$tv(")
    _rc, ctx = run_text(text)
    return marks(ctx)


def _kamailio_text(body: str, routes: str, head: str, port: int) -> str:
    def xl(m: re.Match[str]) -> str:
        return f'xlog("L_ERR", "MARK {m.group(1)}\\n")'

    def xs(m: re.Match[str]) -> str:
        n = m.group(1)
        return f'xlog("L_ERR", "MARK {n}=[$var({n})]\\n")'

    def conv(t: str) -> str:
        t = re.sub(r'mark\("([^"]*)"\)', xl, t)
        return re.sub(r'show\("([^"]*)"\)', xs, t)

    return (
        "#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\n"
        f"listen=udp:127.0.0.1:{port}\n{head}"
        'loadmodule "pv.so"\nloadmodule "xlog.so"\nloadmodule "htable.so"\n'
        "event_route[htable:mod-init] {\n" + conv(body) + "\n}\n"
        'event_route[core:worker-one-init] {\n xlog("L_ERR", "PROBE-END\\n");\n}\n' + conv(routes)
    )


def _free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def kamailio_program(tmp: Path, body: str, routes: str = "", head: str = "") -> list[str]:
    """Run `body` in Kamailio (as event_route[htable:mod-init]); MARK lines."""
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    cfg = tmp / "prog.cfg"
    cfg.write_text(_kamailio_text(body, routes, head, _free_port()))
    check = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr[-2000:]
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "PROBE-END" in line:
                break
            m = re.search(r"<script>: MARK (.*)$", line)
            if m:
                out.append(m.group(1))
    finally:
        # the whole process group: kamailio and its children (only ours)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return out


def both(tmp: Path, body: str, routes: str = "", head: str = "") -> tuple[list[str], Any]:
    return ours_program(body, routes, head), kamailio_program(tmp, body, routes, head)
