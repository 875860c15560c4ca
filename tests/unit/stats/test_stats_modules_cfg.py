"""statistics and counters in a compiled config: what the fixups refuse, and what the
functions do to the shared statistics, run through the in-process pipeline."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.loader import load_config
from siprouter.options import Options
from siprouter.runtime.lifecycle import init_modules
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket
from siprouter.stats import registry

HEAD = """\
#!KAMAILIO
loadmodule "sl"
loadmodule "pv"
loadmodule "statistics"
loadmodule "counters"
modparam("statistics", "variable", "mystat")
modparam("statistics", "variable", "nr/no_reset")
modparam("counters", "script_counter", "foo")
modparam("counters", "script_counter", "bar: bar desc")
"""

ROUTE = """\
request_route {
    if ($rU == "u1") {
        update_stat("mystat", "+3"); $var(r1) = $rc;
        update_stat("mystat", "-1"); $var(r2) = $rc;
        $var(v) = 10; update_stat("mystat", "$var(v)");
        $var(n) = "zz"; update_stat("$var(n)", "+1"); $var(r3) = $rc;
        $var(n) = "mystat"; update_stat("$var(n)", "+1");
        update_stat("nr", "+5"); reset_stat("nr"); $var(r4) = $rc;
        cnt_inc("foo"); cnt_add("bar", 7); $var(x) = -2; cnt_add("bar", "$var(x)");
        cnt_inc("script.foo"); cnt_inc("sl.sent_replies"); $var(r5) = $rc;
        $var(n) = "zz"; reset_stat("$var(n)"); $var(r6) = $rc;
    }
    if ($rU == "u2") { reset_stat("mystat"); cnt_reset("foo"); }
}
"""


@pytest.fixture
def sock() -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield s
    s.close()


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "t.cfg"
    cfg.write_text(text)
    return load_config(Options(cfg_file=str(cfg)))


def run(loaded, sock: socket.socket, user: str):  # type: ignore[no-untyped-def]
    msg = (
        f"OPTIONS sip:{user}@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\n"
        "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    ls = LocalSocket("udp", "127.0.0.1", 5060, 4, sock)
    pipeline = Pipeline(loaded.compiled)
    pipeline.receive(msg, ("127.0.0.1", 5099), ls)
    return pipeline.script


def value(name: str) -> int | None:
    st = registry().find(name)
    return None if st is None else st.value()


def test_functions_update_the_shared_statistics(tmp_path: Path, sock: socket.socket) -> None:
    loaded = load(tmp_path, HEAD + ROUTE)
    init_modules(loaded.modules, loaded.compiled)
    script = run(loaded, sock, "u1")
    got = {k: script.vars.get(k) for k in ("r1", "r2", "r3", "r4", "r5", "r6")}
    assert got == {"r1": 1, "r2": 1, "r3": -1, "r4": 1, "r5": 1, "r6": -1}
    assert value("mystat") == 3 - 1 + 10 + 1
    assert value("nr") == 5  # no_reset
    assert value("foo") == 2 and value("bar") == 5
    assert value("sent_replies") == 0  # sl's own: cnt_inc leaves it alone
    run(loaded, sock, "u2")
    assert value("mystat") == 0 and value("foo") == 0 and value("bar") == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('update_stat("nope", "+1");', "variable <nope> not defined"),
        ('update_stat("mystat", "abc");', "bad update number <abc>"),
        ('reset_stat("nope");', "variable <nope> not defined"),
        ('cnt_inc("nope");', "counter script.nope does not exist"),
        ('cnt_inc("$var(n)");', "counter script.$var(n) does not exist"),
        ('cnt_add("sl.nope", 1);', "counter sl.nope does not exist"),
    ],
)
def test_fixups_refuse_unknown_names(tmp_path: Path, call: str, message: str) -> None:
    with pytest.raises((ConfigError, ConfigErrors)) as e:
        load(tmp_path, HEAD + "request_route {\n    " + call + "\n}\n")
    assert message in str(e.value)


def test_known_core_and_sl_names_are_accepted(tmp_path: Path) -> None:
    load(
        tmp_path,
        HEAD
        + 'request_route {\n  update_stat("rcv_requests", "+1"); cnt_inc("sl.sent_replies");\n'
        + '  cnt_add("core.fwd_requests", 2); cnt_inc("mystat");\n}\n',
    )


def test_statistics_exist_before_the_init_hooks(tmp_path: Path) -> None:
    """Kamailio accepts update_stat and cnt_inc in an event route run at another module's
    init: stats.setup() (the start of the init phase) declares the modparams' statistics
    and counters before any module's init hook runs."""
    from siprouter.stats import setup

    load(tmp_path, HEAD + "request_route { exit; }\n")
    setup()
    assert registry().get("script", "mystat") is not None
    assert registry().get("script", "nr").flags  # type: ignore[union-attr]
    assert registry().get("script", "bar").help == "bar desc"  # type: ignore[union-attr]


def test_counter_group_param_after_the_counters(tmp_path: Path) -> None:
    text = (
        HEAD
        + 'modparam("counters", "script_cnt_grp_name", "mine")\n'
        + 'request_route { cnt_inc("foo"); cnt_inc("mine.bar"); }\n'
    )
    loaded = load(tmp_path, text)
    init_modules(loaded.modules, loaded.compiled)
    assert registry().get("mine", "foo") is not None
    assert registry().get("script", "foo") is None
    assert registry().get("script", "mystat") is not None
