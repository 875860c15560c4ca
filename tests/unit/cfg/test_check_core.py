"""Core functions and core pseudo-variables in the checker, compared with kamailio -c."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg import core_functions as cf
from siprouter.cfg.check import check
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.modules.registry import InnerName, RouteType
from siprouter.pv.names import CORE_PVS, known_pvs

SPEC = Path("/work/shared/spec/inventory.json")

BLOCKS = {
    "request": "request_route {{\n {call};\n}}\n",
    "failure": "request_route {{\n drop;\n}}\nfailure_route[F] {{\n {call};\n}}\n",
    "reply": "request_route {{\n drop;\n}}\nonreply_route {{\n {call};\n}}\n",
    "branch": "request_route {{\n drop;\n}}\nbranch_route[B] {{\n {call};\n}}\n",
    "onsend": "request_route {{\n drop;\n}}\nonsend_route {{\n {call};\n}}\n",
    "event": "request_route {{\n drop;\n}}\nevent_route[core:worker-one-init] {{\n {call};\n}}\n",
}

CALLS = [
    "forward()",
    'forward("127.0.0.1", 5060)',
    "forward(uri:host, uri:port)",
    "strip(1)",
    'strip("1")',
    "strip()",
    'prefix("a")',
    "prefix(1)",
    'rewritehost("a")',
    'sethp("a:5060")',
    "setflag(1)",
    "setflag(32)",
    "setflag(UNDECLARED)",
    "isflagset(0)",
    'log("x")',
    'log(1, "x")',
    "revert_uri()",
    "force_rport()",
    "set_advertised_port(5080)",
    'set_advertised_port("5080")',
    "set_reply_close()",
    "udp_mtu_try_proto(TCP)",
    "force_send_socket(udp:127.0.0.1:5060)",
    'error("a", "b")',
    "userphone()",
    "remove_branch()",
]


def _ours(text: str) -> bool:
    try:
        check(parse_string(text, "c.cfg"))
    except ConfigError:
        return False
    return True


@pytest.mark.skipif(not SPEC.exists(), reason="spec inventory not present")
def test_every_spec_core_function_has_a_row() -> None:
    inv = json.loads(SPEC.read_text())
    missing = [
        n for f in inv["functions"] for n in (f["name"], *f["aliases"]) if cf.lookup(n) is None
    ]
    assert missing == []
    assert len(inv["functions"]) == 41


def test_rows_are_signatures_only() -> None:
    strip = cf.lookup("strip")
    assert strip is not None and strip.arg_counts == (1,)
    assert strip.signature_for(1) == (cf.CoreArg.NUM,)
    assert strip.signature_for(0) is None
    fwd = cf.lookup("forward")
    assert fwd is not None and fwd.arg_counts == (0, 1, 2)
    assert cf.lookup("sethp") is cf.lookup("rewritehostport")
    assert not cf.lookup("forward").route_types & RouteType.ONSEND  # type: ignore[union-attr]
    assert cf.lookup("setflag").route_types & RouteType.ONSEND  # type: ignore[union-attr]
    assert cf.lookup("is_int").module == "pv"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("call", "block", "message"),
    [
        ("strip()", "request", "function 'strip' takes 1 argument, got 0"),
        ('strip("1")', "request", "strip(): argument 1 must be a number"),
        ("prefix(1)", "request", "prefix(): argument 1 must be a quoted string"),
        ("setflag(32)", "request", "setflag(): message flag 32 too high; allowed 0..31"),
        ("setflag(X)", "request", "setflag(): flag X not declared"),
        ("forward()", "onsend", "function 'forward' cannot be used in onsend_route"),
        ("udp_mtu_try_proto(FOO)", "request", "UDP, TCP, TLS or SCTP expected"),
        ("forward(uri:host, 70000)", "request", "port number or uri:port expected"),
    ],
)
def test_core_call_errors(call: str, block: str, message: str) -> None:
    text = BLOCKS[block].format(call=call)
    with pytest.raises(ConfigError) as ei:
        check(parse_string(text, "c.cfg"))
    assert message in ei.value.message
    assert ei.value.pos is not None and ei.value.pos.line == text.count("\n") - 1


def test_flags_declared_by_name_are_accepted() -> None:
    assert _ours("flags FLT_NAT:5, FLT_ACC;\nrequest_route {\n setflag(FLT_NAT);\n"
                 " if (isflagset(FLT_ACC)) { resetflag(FLT_NAT); }\n}\n")  # fmt: skip


def test_core_pvs() -> None:
    assert set(CORE_PVS) == {"null", "rc", "retcode", "?", "env", "envn", "def", "defn"}
    assert all(pv.read_only for pv in CORE_PVS.values())
    assert CORE_PVS["env"].inner is InnerName.REQUIRED
    names = known_pvs(None)
    assert names.lookup("ru") is None and names.lookup("rc") is not None
    assert _ours(
        'request_route {\n if ($rc == 1 && $? == 1 && $env(HOME) != "" && $null == 0) { drop; }\n}\n'
    )
    with pytest.raises(ConfigError, match=r"\$env needs a name"):
        check(parse_string("request_route {\n if ($env == 1) { drop; }\n}\n", "c.cfg"))


# --- differential --------------------------------------------------------------

PV_CASES = [
    "request_route {\n $rc = 1;\n}\n",
    "request_route {\n $null = 1;\n}\n",
    "request_route {\n $env(X) = 1;\n}\n",
    'request_route {\n if ($env(HOME) == "x") { drop; }\n}\n',
    'request_route {\n if ($def(X) == "x") { drop; }\n}\n',
    "request_route {\n if ($retcode == 1) { drop; }\n}\n",
    "request_route {\n $var(x) = 1;\n}\n",
    'request_route {\n if ($hdr(From) == "x") { drop; }\n}\n',
]


def _kamailio_ok(text: str, tmp_path: Path) -> bool:
    cfg = tmp_path / "c.cfg"
    cfg.write_text(text)
    run = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    return run.returncode == 0


kamailio = pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")


@pytest.mark.kamailio
@kamailio
@pytest.mark.parametrize("text", PV_CASES)
def test_core_pv_verdicts_match_kamailio(text: str, tmp_path: Path) -> None:
    assert _ours(text) == _kamailio_ok(text, tmp_path)


@pytest.mark.kamailio
@kamailio
@pytest.mark.parametrize("call", CALLS)
def test_core_call_verdicts_match_kamailio(call: str, tmp_path: Path) -> None:
    mismatches = []
    for block, tpl in BLOCKS.items():
        text = tpl.format(call=call)
        ours, theirs = _ours(text), _kamailio_ok(text, tmp_path)
        if ours != theirs:
            mismatches.append((block, ours, theirs))
    assert mismatches == []
