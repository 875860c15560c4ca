"""`-c` verdicts of statistics and counters cfgs: route types, argument counts and
modparam types that Kamailio 5.6.3's `-c` refuses are refused by `siprouter -c`, and what
it accepts is accepted. Unknown statistic or counter names are the documented exception:
Kamailio passes `-c` and fails at start-up, siprouter refuses them at `-c`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import HAS_KAMAILIO, siprouter_cmd

HEAD = """\
#!KAMAILIO
loadmodule "sl"
loadmodule "pv"
loadmodule "statistics"
loadmodule "counters"
modparam("statistics", "variable", "mystat")
modparam("statistics", "variable", "nr/no_reset")
modparam("counters", "script_counter", "foo: a counter")
"""
REQ = "request_route { exit; }\n"

CASES = [
    (
        "all-routes",
        REQ
        + """\
failure_route[f] { update_stat("mystat", "+1"); reset_stat("mystat"); cnt_inc("foo"); cnt_reset("foo"); }
branch_route[b] { update_stat("mystat", "-1"); reset_stat("nr"); }
onreply_route[r] { update_stat("mystat", "1"); reset_stat("mystat"); cnt_add("foo", 2); }
reply_route { update_stat("mystat", "+1"); cnt_add("foo", "$var(x)"); }
onsend_route { update_stat("mystat", "+1"); cnt_inc("foo"); cnt_reset("foo"); }
event_route[core:worker-one-init] { update_stat("mystat", "+1"); cnt_inc("script.foo"); }
""",
    ),
    ("reset-in-onsend", REQ + 'onsend_route { reset_stat("mystat"); }\n'),
    ("cnt-inc-in-branch", REQ + 'branch_route[b] { cnt_inc("foo"); }\n'),
    ("cnt-add-in-branch", REQ + 'branch_route[b] { cnt_add("foo", 1); }\n'),
    ("cnt-reset-in-branch", REQ + 'branch_route[b] { cnt_reset("foo"); }\n'),
    ("update-one-arg", 'request_route { update_stat("mystat"); }\n'),
    ("reset-two-args", 'request_route { reset_stat("mystat", "1"); }\n'),
    ("cnt-add-one-arg", 'request_route { cnt_add("foo"); }\n'),
    ("cnt-inc-two-args", 'request_route { cnt_inc("foo", "1"); }\n'),
    ("pv-names", 'request_route { update_stat("$var(n)", "+1"); reset_stat("$rU"); }\n'),
]


def _rc(cmd: list[str], cfg: Path) -> int:
    return subprocess.run([*cmd, "-c", "-f", str(cfg)], capture_output=True, timeout=60).returncode


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize(("name", "body"), CASES, ids=[c[0] for c in CASES])
def test_check_verdict_as_kamailio(tmp_path: Path, name: str, body: str) -> None:
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(HEAD + body)
    kam = _rc(["kamailio"], cfg)
    ours = _rc(siprouter_cmd(), cfg)
    assert (ours == 0) == (kam == 0), f"kamailio -c rc={kam}, siprouter -c rc={ours}"


@pytest.mark.parametrize(
    "body",
    [
        'request_route { update_stat("nope", "+1"); }\n',
        'request_route { update_stat("mystat", "abc"); }\n',
        'request_route { cnt_inc("nope"); }\n',
        'request_route { cnt_inc("$var(n)"); }\n',
    ],
)
def test_unknown_names_refused_at_check(tmp_path: Path, body: str) -> None:
    cfg = tmp_path / "t.cfg"
    cfg.write_text(HEAD + body)
    r = subprocess.run([*siprouter_cmd(), "-c", "-f", str(cfg)], capture_output=True, timeout=60)
    assert r.returncode != 0
    assert b"not defined" in r.stderr or b"does not exist" in r.stderr or b"bad update" in r.stderr
