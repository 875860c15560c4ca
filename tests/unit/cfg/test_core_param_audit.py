"""The audit of issue 4/5: no core parameter is accepted and silently ignored.

Every row of the core parameter table is read by the running server (its name appears
as a string in src/siprouter outside the tables that only list names, or it is a cfg
variable with an applied effect), marked no_effect with a reason, or refused by `-c`
when set to a value other than its default (core_param_support.UNSUPPORTED, or the
SCTP checks). Each refusal is checked through `-c` with its file:line:col, the default
values are checked to stay accepted, and `kamailio -c` is checked to accept the refused
values (they are refused because siprouter would ignore them, not because they are bad).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg import core_cfg_vars
from siprouter.cfg import core_params as cp
from siprouter.cfg.core_param_support import NO_EFFECT, STARTUP_ONLY, UNSUPPORTED
from siprouter.cfg.core_param_types import Kind
from siprouter.cfg.loader import run_config_action
from siprouter.cli import parse_args

SRC = Path(__file__).resolve().parents[3] / "src" / "siprouter"
# files that list parameter names without acting on them
CATALOGUES = {
    "core_params.py",
    "core_param_support.py",
    "core_param_types.py",
    "pp_keywords.py",
    "kamailio_names.py",
    "core_cfg_vars.py",
}
# rows other changes in progress implement (log engines), and a reported gap:
# corex via_add_xavp_params reads the XAVP named by xavp_via_fields, where Kamailio
# 5.6.3 with only xavp_via_params set adds that XAVP's fields
ELSEWHERE = {"log_engine_type", "log_engine_data", "xavp_via_params"}
# read through a name template (runtime/dst_blocklist.py)
TEMPLATES = ("dst_blocklist_{p}_imask",)
# refused by the value checks of core_params (_POST_CHECKS)
SCTP_CHECKS = {"enable_sctp", "disable_sctp"}

# a value other than the default for each refused parameter
SAMPLES = {
    "corelog": "corelog=1",
    "http_reply_parse": "http_reply_parse=yes",
    "mcast": "mcast=lo",
    "msg_time": "msg_time=1",
    "dns_cache_flags": "dns_cache_flags=1",
    "dns_retr_no": "dns_retr_no=2",
    "dns_retr_time": "dns_retr_time=2",
    "dns_servers_no": "dns_servers_no=1",
    "dns_use_search_list": "dns_use_search_list=no",
    "dns_search_full_match": "dns_search_full_match=no",
    "dns_try_naptr": "dns_try_naptr=yes",
    "use_dns_failover": "use_dns_failover=on",
    "tcp_accept_hep3": "tcp_accept_hep3=yes",
    "tcp_connection_match": "tcp_connection_match=yes",
    "tcp_reuse_port": "tcp_reuse_port=yes",
    "dns": "dns=yes",
    "rev_dns": "rev_dns=on",
    "tcp_wq_max": "tcp_wq_max=2000000",
    "sip_warning": "sip_warning=1",
    "local_rport": "local_rport=yes",
    "phone2tel": "phone2tel=0",
    "uri_host_extra_chars": 'uri_host_extra_chars="_"',
}
ROUTE = "request_route {\n    drop;\n}\n"


def _sources() -> list[str]:
    return [p.read_text() for p in SRC.rglob("*.py") if p.name not in CATALOGUES]


def _applied_cfg_vars() -> set[str]:
    return {
        v.param or v.name
        for v in (*core_cfg_vars.CORE_VARS, *core_cfg_vars.TCP_VARS)
        if v.effect is not None and (v.param or v.name)
    }


def _templated(name: str, texts: list[str]) -> bool:
    for tpl in TEMPLATES:
        pattern = re.sub(r"\\{\w+\\}", "[a-z0-9]+", re.escape(tpl))
        if re.fullmatch(pattern, name) and any(tpl in t for t in texts):
            return True
    return False


def test_no_row_is_silently_ignored() -> None:
    texts = _sources()
    applied = _applied_cfg_vars()
    ignored = []
    for row in cp.CORE_PARAMS:
        if row.kind is Kind.DIRECTIVE or row.no_effect or row.unsupported:
            continue
        if row.name in SCTP_CHECKS | ELSEWHERE or row.name in applied:
            continue
        quoted = re.compile(rf"[\"']{re.escape(row.name)}[\"']")
        if any(quoted.search(t) for t in texts) or _templated(row.name, texts):
            continue
        ignored.append(row.name)
    assert ignored == [], f"accepted and ignored: {ignored} (read them, refuse or mark them)"


def test_the_tables_name_rows_once() -> None:
    assert not set(NO_EFFECT) & set(UNSUPPORTED)
    rows = {r.name: r for r in cp.CORE_PARAMS}
    for name in NO_EFFECT:
        assert rows[name].no_effect == NO_EFFECT[name] and rows[name].unsupported is None
    for name in UNSUPPORTED:
        assert rows[name].unsupported == UNSUPPORTED[name]
    assert set(UNSUPPORTED) >= STARTUP_ONLY


def test_every_refusal_has_a_sample() -> None:
    assert set(SAMPLES) == set(UNSUPPORTED) - STARTUP_ONLY


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "t.cfg"
    path.write_text(text)
    err = io.StringIO()
    status = run_config_action(parse_args(["-c", "-f", str(path)]), io.StringIO(), err)
    return status, err.getvalue()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_check_refuses_a_value_siprouter_would_ignore(tmp_path: Path, name: str) -> None:
    line = SAMPLES[name]
    status, err = _check(tmp_path, f"debug=2\n{line}\n{ROUTE}")
    col = line.index("=") + 2
    assert status == 255, err
    assert f"t.cfg:2:{col}: error: {name} is not supported yet (" in err, err
    assert "ERROR: bad config file (1 error)" in err


def _default_line(row: cp.CoreParam) -> str:
    d = row.default
    if isinstance(d, bool):
        return f"{row.name}={'yes' if d else 'no'}"
    if isinstance(d, str):
        return f'{row.name}="{d}"'
    return f"{row.name}={d}"


def test_default_values_stay_accepted(tmp_path: Path) -> None:
    rows = [r for r in cp.CORE_PARAMS if r.unsupported and r.default is not None]
    assert len(rows) >= 15
    text = "".join(_default_line(r) + "\n" for r in rows)
    assert _check(tmp_path, text + ROUTE) == (0, "config file ok, exiting...\n")


def test_alias_names_are_refused_by_their_own_name(tmp_path: Path) -> None:
    status, err = _check(tmp_path, f"dns_use_failover=yes\n{ROUTE}")
    assert status == 255 and "t.cfg:1:18: error: dns_use_failover is not supported yet" in err


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_kamailio_accepts_the_refused_values(tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text("".join(f"{line}\n" for line in SAMPLES.values()) + ROUTE)
    run = subprocess.run(
        ["kamailio", "-c", "-l", "udp:127.0.0.1:5099", "-f", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-600:]
