"""corex_nio in-process: parameter checks, the hooks' install, and the route run over
received and outgoing data (the end-to-end comparison with Kamailio 5.6.3 is in
tests/integration/test_mod_corex_nio.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import ReceiveInfo
from siprouter.modules import corex_nio as nio
from siprouter.runtime import lifecycle, pipeline, state

CFG = """\
loadmodule "pv"
loadmodule "corex"
event_route[network:msg] {
    if (is_incoming()) { $avp(msg) = $(mb{s.replace,AAA,BBB}); }
    else { $avp(msg) = "out:" + $ml; }
}
request_route { exit; }
"""

DATA = b"OPTIONS sip:AAA@h SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
RCV = ReceiveInfo("127.0.0.1", 5070, "127.0.0.1", 5060, "udp")


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    nio.reset()
    yield
    nio.reset()


def _init(min_len: int = 0, avp: str = "$avp(msg)") -> None:
    nio.PARAMS.update(nio_intercept=1, nio_min_msg_len=min_len, nio_msg_avp=avp)
    nio.init(compile_config(parse_string(CFG, "t.cfg")))


def test_avp_parameter_must_be_an_avp() -> None:
    assert nio.check_avp("$avp(msg)") == "$avp(msg)"
    assert nio.check_avp("") == ""
    with pytest.raises(ValueError):
        nio.check_avp("$var(x)")


def test_init_needs_the_event_route() -> None:
    nio.PARAMS["nio_intercept"] = 1
    with pytest.raises(lifecycle.ModuleInitError):
        nio.init(compile_config(parse_string('loadmodule "corex"\nrequest_route { exit; }\n', "t")))
    assert nio.on_received not in pipeline.RECEIVE_HOOKS


def test_off_installs_nothing() -> None:
    nio.init(compile_config(parse_string(CFG, "t.cfg")))
    assert nio.on_received not in pipeline.RECEIVE_HOOKS and nio.on_send not in state.SEND_HOOKS


def test_both_directions_and_is_incoming() -> None:
    _init()
    assert nio.on_received in pipeline.RECEIVE_HOOKS and nio.on_send in state.SEND_HOOKS
    assert nio.on_received(DATA, RCV) == DATA.replace(b"AAA", b"BBB")
    assert nio.is_incoming(None) == 1  # type: ignore[arg-type]
    out = nio.on_send("udp", "127.0.0.1", 5060, ("127.0.0.1", 5070), DATA)
    assert out == f"out:{len(DATA)}".encode()
    assert nio.is_incoming(None) == -1  # type: ignore[arg-type]


def test_short_data_and_no_avp_keep_the_data() -> None:
    _init(min_len=len(DATA) + 1)
    assert nio.on_received(DATA, RCV) == DATA
    nio.reset()
    _init(avp="")
    assert nio.on_received(DATA, RCV) == DATA
