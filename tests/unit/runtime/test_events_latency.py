"""Latency logs of the pipeline (runtime/latency.py) with a clock that advances 10 us per
reading, so every action is "slow": which actions are logged, in which order, with
Kamailio 5.6.3's names and action type numbers, and the route duration line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.cfg.core_params import effective_params
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.runtime.latency import LatencyLog, action_names
from siprouter.runtime.logging import LOG
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket

SRC = ("127.0.0.1", 40000)
LS = LocalSocket("udp", "127.0.0.1", 5060, 4, None)  # type: ignore[arg-type]

CFG = """#!KAMAILIO
loadmodule "pv"
loadmodule "xlog"
loadmodule "textops"
latency_limit_action=5
route[SUB] {
    $var(a) = 1;
    return 1;
}
request_route {
    route(SUB);
    if (is_method("OPTIONS")) {
        setflag(1);
    }
    $var(b) = 2;
    strip(1);
}
reply_route {
    $var(c) = 3;
}
"""

REQUEST = (
    b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: l1\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


class TenMicros:
    """A clock that moves 10 us each time it is read."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        self.now += 10_000
        return self.now


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    old = (LOG.stream, LOG.level)
    buf = io.StringIO()
    LOG.stream, LOG.level = buf, 2
    try:
        yield buf
    finally:
        LOG.stream, LOG.level = old


def _pipeline(cfg: str, cfg_level: int = 2, limit: int = 5, level: int = 1) -> Pipeline:
    config = parse_string(cfg, "lat.cfg")
    compiled = compile_config(config)
    pipe = Pipeline(compiled, params=effective_params(config))
    names = action_names(compiled.blocks.values())
    pipe.latency = LatencyLog(cfg_level, limit, level, names, clock=TenMicros())
    return pipe


def alerts_raw(buf: io.StringIO) -> list[str]:
    """The alert lines from their level word on (the process prefix cut)."""
    out = [line.split(" ", 2)[2] for line in buf.getvalue().splitlines()]
    return [line for line in out if "alert" in line]


def _lines(buf: io.StringIO) -> list[str]:
    return [line.partition(": ")[2] for line in buf.getvalue().splitlines()]


def test_every_slow_action_is_logged_after_it_ends(logs: Any) -> None:
    _pipeline(CFG).receive(REQUEST, SRC, LS)
    got = _lines(logs)
    alerts = [line.split("alert - action ")[1] for line in got if "alert" in line]
    assert [a.rsplit(" took", 1)[0] for a in alerts] == [
        "[corefunc (63)] cfg [lat.cfg:7]",
        "[corefunc (2)] cfg [lat.cfg:8]",
        "[corefunc (5)] cfg [lat.cfg:11]",
        "[is_method (25)] cfg [lat.cfg:12]",
        "[corefunc (39)] cfg [lat.cfg:13]",
        "[corefunc (63)] cfg [lat.cfg:15]",
        "[corefunc (45)] cfg [lat.cfg:16]",
    ]
    assert all(line.startswith("NOTICE: <core>: run_actions(): alert") for line in alerts_raw(logs))
    # the sub-route call includes the sub-route's own lines
    took = [int(a.rsplit("[", 1)[1].split()[0]) for a in alerts]
    assert took[2] > took[0] + took[1]
    assert got[-1].startswith("<core>: receive_msg(): request-route executed in: ")
    assert got[-1].endswith(" usec")


def test_limit_and_levels(logs: Any) -> None:
    _pipeline(CFG, limit=1000).receive(REQUEST, SRC, LS)  # no line takes 1 ms by this clock
    assert [line for line in _lines(logs) if "alert" in line] == []
    logs.seek(0)
    logs.truncate(0)
    _pipeline(CFG, cfg_level=3).receive(REQUEST, SRC, LS)  # debug is 2: no route line
    assert not any("executed in" in line for line in _lines(logs))
    assert any("alert" in line for line in _lines(logs))
    logs.seek(0)
    logs.truncate(0)
    _pipeline(CFG, level=3).receive(REQUEST, SRC, LS)  # alerts at debug: not printed
    assert not any("alert" in line for line in _lines(logs))


def test_reply_route_duration(logs: Any) -> None:
    reply = (
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: l2\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    _pipeline(CFG).receive(reply, SRC, LS)
    got = _lines(logs)
    assert got[0].startswith("NOTICE") or "cfg [lat.cfg:19]" in got[0]
    assert got[-1].startswith("<core>: receive_msg(): reply-route executed in: ")


def test_defaults_log_nothing(logs: Any) -> None:
    config = parse_string(CFG.replace("latency_limit_action=5\n", ""), "lat.cfg")
    pipe = Pipeline(compile_config(config), params=effective_params(config))
    assert pipe.latency.timer is None and pipe.latency.cfg_level == 3
    pipe.receive(REQUEST, SRC, LS)
    assert _lines(logs) == []


def test_params_read_from_the_config() -> None:
    config = parse_string(
        CFG.replace("latency_limit_action=5", "latency_limit_action=7\nlatency_log=2\n"
                    "latency_cfg_log=1"), "lat.cfg")  # fmt: skip
    pipe = Pipeline(compile_config(config), params=effective_params(config))
    lat = pipe.latency
    assert (lat.cfg_level, lat.limit_us, lat.level) == (1, 7, 2)
    assert lat.timer is not None and lat.timer.names[("lat.cfg", 14)] == "is_method (25)"


def test_reply_time_is_logged_without_a_reply_route(logs: Any) -> None:
    cfg = CFG[: CFG.index("reply_route")]
    reply = (
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: l3\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    _pipeline(cfg, limit=1000).receive(reply, SRC, LS)  # as Kamailio 5.6.3 prints it too
    assert _lines(logs) == ["<core>: receive_msg(): reply-route executed in: 10 usec"]
