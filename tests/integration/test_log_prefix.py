"""log_prefix / log_prefix_mode and the json log engine's c, p and U flags, compared with
Kamailio 5.6.3: the same config and requests through both servers, the log lines of the
worker compared after the pid, Kamailio's C source locations and the CEE time/process
fields are normalized."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .sip_load import ask, options

_NO_KAMAILIO = shutil.which("kamailio") is None

HEAD = """\
#!KAMAILIO
debug=2
children=1
log_name="lp-test"
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
"""

# mode 0: the prefix is evaluated when the message arrives ($var(n) keeps the value it
# had then; it persists from one message to the next in the worker)
MODE0 = (
    HEAD
    + """log_prefix="{$mt $hdr(CSeq) $ci n=$var(n)} "
request_route {
    xinfo("hello $rm\\n");
    $var(n) = $var(n) + 1;
    xlog("L_WARN", "n is now $var(n)\\n");
    sl_send_reply("200", "ok");
}
"""
)

# mode 1: evaluated for each action, $cfg(line) follows the running statement
MODE1 = (
    HEAD
    + """loadmodule "corex"
log_prefix="[$cfg(line) $var(x)] "
log_prefix_mode=1
request_route {
    xinfo("first\\n");
    $var(x) = $var(x) + 1;
    xerr("second $var(x)\\n");
    route(SUB);
    if ($var(x) > 0) {
        xinfo("in if\\n");
    }
    sl_send_reply("200", "ok");
}
route[SUB] {
    xinfo("sub\\n");
    $var(x) = $var(x) + 10;
    xnotice("sub after\\n");
}
"""
)

# the prefix names a PV of a module the config does not load: no prefix at all
WRONG = (
    HEAD
    + """log_prefix="[$cfg(line)] "
request_route {
    xinfo("no prefix\\n");
    sl_send_reply("200", "ok");
}
"""
)

# 1024 bytes or more do not fit Kamailio's buffer: two errors, and no prefix
OVERFLOW = (
    HEAD
    + 'log_prefix="[$ci] '
    + "x" * 1010
    + ' $rm"\n'
    + """request_route {
    xinfo("too long\\n");
    sl_send_reply("200", "ok");
}
"""
)

_WORKER = re.compile(r"^ 1\(\d+\) ", re.M)
_LOCATION = re.compile(r" \[[^\]\s]+:\d+\]")  # Kamailio's [file.c:line] after the module


def _worker_lines(log: str) -> list[str]:
    """The worker's (process 1) xlog and prefix error lines, pid and Kamailio's source
    location removed (the servers' other lines differ by nature)."""
    out = []
    for line in log.splitlines():
        if _WORKER.match(line) and ("<script>: " in line or "pv_printf_mode()" in line):
            out.append(_LOCATION.sub("", _WORKER.sub(" 1(PID) ", line), count=1))
    return out


def _run(servers: Any, udp_client: Any, which: str, cfg: str, *args: str) -> str:
    srv = getattr(servers, which)(cfg, *args)
    for i in range(2):
        ask(udp_client, srv.port, "x", f"lp-call-{i}")
    servers.stop_all()
    servers.started.clear()
    return str(srv.log())


def test_prefix_of_each_mode(servers: Any, udp_client: Any) -> None:
    lines = _worker_lines(_run(servers, udp_client, "siprouter", MODE0))
    assert lines == [
        " 1(PID) INFO: {1 1 OPTIONS lp-call-0 n=0} <script>: hello OPTIONS",
        " 1(PID) WARNING: {1 1 OPTIONS lp-call-0 n=0} <script>: n is now 1",
        " 1(PID) INFO: {1 1 OPTIONS lp-call-1 n=1} <script>: hello OPTIONS",
        " 1(PID) WARNING: {1 1 OPTIONS lp-call-1 n=1} <script>: n is now 2",
    ]
    lines = _worker_lines(_run(servers, udp_client, "siprouter", MODE1))
    assert lines[:5] == [
        " 1(PID) INFO: [13 0] <script>: first",
        " 1(PID) ERROR: [15 1] <script>: second 1",
        " 1(PID) INFO: [23 1] <script>: sub",
        " 1(PID) NOTICE: [25 11] <script>: sub after",
        " 1(PID) INFO: [18 11] <script>: in if",
    ]


def test_no_prefix_when_it_does_not_compile_or_fit(servers: Any, udp_client: Any) -> None:
    log = _run(servers, udp_client, "siprouter", WRONG)
    assert "ERROR: <core>: log_prefix_init(): wrong format[[$cfg(line)] ]" in log
    assert " 1(PID) INFO: <script>: no prefix" in _worker_lines(log)
    lines = _worker_lines(_run(servers, udp_client, "siprouter", OVERFLOW))
    assert lines[:3] == [
        " 1(PID) ERROR: <core>: pv_printf_mode(): no more space for spec value - "
        "printed:1023 token:7 buffer:1024",
        " 1(PID) ERROR: <core>: pv_printf_mode(): buffer overflow -- increase the buffer size...",
        " 1(PID) INFO: <script>: too long",
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(_NO_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize("cfg", [MODE0, MODE1, WRONG, OVERFLOW], ids=["m0", "m1", "bad", "long"])
def test_same_lines_as_kamailio(servers: Any, udp_client: Any, cfg: str) -> None:
    ours = _worker_lines(_run(servers, udp_client, "siprouter", cfg))
    theirs = _worker_lines(_run(servers, udp_client, "kamailio", cfg))
    assert ours and ours == theirs
    if cfg is WRONG:
        assert all("[" not in line for line in ours)


# --- the json engine ---------------------------------------------------------------------

JSON_CFG = (
    HEAD
    + """log_prefix="@PREFIX@"
request_route {
    xinfo("hello $rm \\"q\\"\\n");
    xinfo("{ \\"src_ip\\": \\"$si\\", \\"method\\": \\"$rm\\" }");
    xinfo(" {\\"spaced\\": 1} ");
    sl_send_reply("200", "ok");
}
"""
)
TEXT = "{$mt $ci} "
OBJECT = '{\\"mt\\": $mt}'
FIELDS = ', \\"src_ip\\": \\"$si\\", \\"mt\\": $mt, \\"cseq\\": \\"$hdr(CSeq)\\"'

_DOC = re.compile(
    r"\{ ?\"(?:kamailio\.)?(?:idx|time)\".*?(?=\{ ?\"(?:kamailio\.)?(?:idx|time)\"|\Z)", re.S
)
_VARIES = ("pid", "file", "line", "function")


def _normalized(doc: dict[str, Any]) -> dict[str, Any]:
    if "time" in doc:  # U: the CEE document
        doc["time"] = re.sub(r"\d", "0", doc["time"])
        doc["proc"] = {"id": "", "tid": 0}
        doc["file"] = {"name": "", "line": 0}
        doc["native"] = {"function": ""}
        doc["pname"] = ""
        return doc
    for k in list(doc):
        if k.split(".")[-1] in _VARIES:
            doc[k] = type(doc[k])()
    return doc


def _xlog_docs(log: str, flags: str) -> list[dict[str, Any]]:
    out = []
    for raw in _DOC.findall(log):
        text = raw if "N" in flags else raw.rstrip("\n")
        if '"xlog"' not in text:
            continue  # the servers' own lines differ by nature (C sources, start-up)
        out.append(_normalized(json.loads(text.replace('"""', '""'))))
    return out


def _json_run(servers: Any, udp_client: Any, which: str, prefix: str, flags: str) -> list[Any]:
    log = _run(servers, udp_client, which, JSON_CFG.replace("@PREFIX@", prefix),
               f"--log-engine=json:{flags}")  # fmt: skip
    return _xlog_docs(log, flags)


def test_json_flags(servers: Any, udp_client: Any) -> None:
    docs = _json_run(servers, udp_client, "siprouter", FIELDS, "cpM")
    assert docs[0] == {
        "idx": 1, "pid": 0, "level": "INFO", "module": "xlog", "file": "", "line": 0,
        "function": "", "callid": "lp-call-0", "src_ip": "127.0.0.1", "mt": 1,
        "cseq": "1 OPTIONS", "message": 'hello OPTIONS "q"',
    }  # fmt: skip
    docs = _json_run(servers, udp_client, "siprouter", TEXT, "U")
    assert docs[0] == {
        "time": "0000-00-00T00:00:00.000000000Z", "proc": {"id": "", "tid": 0},
        "pri": "INFO", "subsys": "xlog", "file": {"name": "", "line": 0},
        "native": {"function": ""}, "msg": 'hello OPTIONS "q"\n', "pname": "",
        "appname": "lp-test", "hostname": docs[0]["hostname"],
    }  # fmt: skip
    assert docs[0]["hostname"]


@pytest.mark.kamailio
@pytest.mark.skipif(_NO_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize(
    ("prefix", "flags"),
    [(TEXT, "c"), (TEXT, "j"), (OBJECT, "jM"), (FIELDS, "p"), (FIELDS, "cpa"), (TEXT, "p"),
     (TEXT, "UM"), (TEXT, "UN")],
)  # fmt: skip
def test_same_json_as_kamailio(servers: Any, udp_client: Any, prefix: str, flags: str) -> None:
    ours = _json_run(servers, udp_client, "siprouter", prefix, flags)
    theirs = _json_run(servers, udp_client, "kamailio", prefix, flags)
    assert len(ours) == 6
    assert ours == theirs


def test_run_message_shows_the_prefix(tmp_path: Any) -> None:
    """--run-message: the report's log lines and the log on stderr carry the prefix."""
    cfg = tmp_path / "p.cfg"
    cfg.write_text(MODE0.replace("@PORT@", "5060"))
    msg = tmp_path / "m.sip"
    msg.write_bytes(options(5070, 5060, "x", "off-1"))
    exe = Path(sys.executable).parent / "siprouter"
    done = subprocess.run(
        [str(exe), "-f", str(cfg), "--run-message", str(msg)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "log INFO: {1 1 OPTIONS off-1 n=0} hello OPTIONS" in done.stdout
    assert "log WARNING: {1 1 OPTIONS off-1 n=0} n is now 1" in done.stdout
    assert "INFO: {1 1 OPTIONS off-1 n=0} <script>: hello OPTIONS" in done.stderr
