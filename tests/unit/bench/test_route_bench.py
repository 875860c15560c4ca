"""bench/route_bench.py: the route it times sends the same 404 whether the parsed message
is reused or parsed again per run (--fresh), and every mode runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import route_bench as rb  # noqa: E402

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState  # noqa: E402
from siprouter.sip.message import parse_message  # noqa: E402

RCV = ReceiveInfo("192.0.2.10", 5060, "127.0.0.1", 5060, "udp", 4)


def _reply(compiled: object, msg: object) -> bytes:
    ctx = MsgContext(msg, RCV, ScriptState(compiled=compiled))  # type: ignore[arg-type]
    ctx.sent = []
    compiled.run("request", "", ctx)  # type: ignore[attr-defined]
    assert len(ctx.sent) == 1
    return ctx.sent[0][2]  # type: ignore[no-any-return]


def test_reused_and_fresh_messages_get_the_same_reply() -> None:
    compiled = rb._compile(rb.CFG)
    shared = parse_message(rb.MSG)
    first = _reply(compiled, shared)
    assert first.startswith(b"SIP/2.0 404 Not here def\r\n")
    # received/rport on the top Via (it has ;rport), a To tag added
    assert b";branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10\r\n" in first
    assert b"\r\nTo: <sip:+4930123456@example.com>;tag=" in first
    assert _reply(compiled, shared) == first  # the shared message was not changed
    assert _reply(compiled, parse_message(rb.MSG)) == first


def test_every_mode_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    argv = ["route_bench", "--rounds", "1", "--n", "3", "--cpu", "--fresh", "--engine-only"]
    monkeypatch.setattr(sys, "argv", argv)
    assert rb.main() == 0
    out = capsys.readouterr().out
    assert "reply built" in out and "parsed again per run" in out
    assert "parse alone" in out and "(message parsed per run)" in out
