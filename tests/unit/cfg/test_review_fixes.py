"""Config front-end points where siprouter differed from kamailio 5.6.3: string escapes,
listen keywords in capitals, IPv6 aliases without brackets, `domain=` as an alias and
`[`/`]` inside a transformation. Unit tests plus differential runs of `kamailio -c`
(and of kamailio itself for the string escapes)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.lexer import tokenize
from siprouter.cfg.listen import parse_alias, parse_listen_line
from siprouter.cfg.parser import parse_string
from siprouter.cfg.srcmap import SourceMap
from siprouter.engine.myself import _config_aliases

KAMAILIO = shutil.which("kamailio")
needs_kamailio = pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed")
LOOPBACK = ("-l", "udp:127.0.0.1:5099")  # no interface scan, no DNS query
MODULES = '\nmpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"\nloadmodule "pv.so"\n'

# --- string escapes ------------------------------------------------------------------

# cfg source inside "..." -> the string kamailio 5.6.3 builds (measured with xlog and
# {s.encode.hexa} in event_route[core:worker-one-init]).
ESCAPES = [
    (r"A\1B", "A\\1B"),  # one octal digit: kept (subst back-reference)
    (r"A\0B", "A\\0B"),
    (r"A\12B", "A\nB"),  # two digits: octal
    (r"A\101B", "AAB"),  # three digits
    (r"A\1011B", "AA1B"),  # at most three
    (r"A\777B", "A\xffB"),  # & 0xFF
    (r"A\8B", "A\\8B"),
    (r"A\18B", "A\\18B"),
    (r"A\x41B", "AAB"),
    (r"A\x4gB", "A\x04gB"),
    (r"A\xgB", "A\\xgB"),
    (r"A\qB", "A\\qB"),
    (r"A\'B\"C\\D", "A\\'B\"C\\D"),  # \' is not an escape in "..."
    (r"A\n\r\t\aB", "A\n\r\t\aB"),
    (r"A\bB\fC\vD", "A\\bB\\fC\\vD"),
]


def _string_value(src: str) -> str:
    text = f'"{src}"'
    toks = tokenize(text, SourceMap.identity(text, "s.cfg"))
    assert toks[0].kind == "STRING"
    return str(toks[0].value)


@pytest.mark.parametrize(("src", "want"), ESCAPES)
def test_string_escapes(src: str, want: str) -> None:
    assert _string_value(src) == want


def test_single_quoted_string_has_no_escapes() -> None:
    text = r"'A\1\nB'"
    toks = tokenize(text, SourceMap.identity(text, "s.cfg"))
    assert toks[0].value == "A\\1\\nB"


def test_subst_back_reference_survives() -> None:
    cfg = MODULES + 'loadmodule "textops.so"\nrequest_route { subst("/(a)b/\\1/"); }\n'
    text = repr(parse_string(cfg).routes)
    assert "/(a)b/\\\\1/" in text  # repr doubles the kept backslash
    assert "\\x01" not in text


@pytest.mark.kamailio
@needs_kamailio
def test_string_escapes_match_kamailio(tmp_path: Path) -> None:
    lines = [
        f'  $var(x) = "{src}"; xlog("L_ERR", "ESC{i} $(var(x){{s.encode.hexa}})\\n");'
        for i, (src, _want) in enumerate(ESCAPES)
    ]
    cfg = (
        MODULES
        + 'loadmodule "xlog.so"\nevent_route[core:worker-one-init] {\n'
        + "\n".join(lines)
        + '\n  xlog("L_ERR", "ESCEND\\n");\n}\nrequest_route { drop; }\n'
    )
    (tmp_path / "e.cfg").write_text(cfg)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # a free port, not the 5099 that -c runs name
    listen = ("-l", f"udp:127.0.0.1:{port}")
    args = [KAMAILIO or "kamailio", "-f", str(tmp_path / "e.cfg"), *listen, "-DD", "-E"]
    args += ["-n", "1", "-Y", str(tmp_path), "-w", str(tmp_path), "-P", str(tmp_path / "k.pid")]
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    got: dict[int, str] = {}
    deadline = time.monotonic() + 20  # a bound on a hung kamailio, not an assertion
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "ESCEND" in line or time.monotonic() > deadline:
                break
            if " ESC" in line:
                tag, _, hexa = line.split(" ESC", 1)[1].strip().partition(" ")
                got[int(tag)] = hexa
    finally:
        # its own session: kamailio and its children (SIGTERM can come before kamailio
        # handles it, during its start-up)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert len(got) == len(ESCAPES)
    for i, (src, _want) in enumerate(ESCAPES):
        mine = _string_value(src).encode("latin-1").hex()
        assert mine == got[i], src


# --- listen / alias ------------------------------------------------------------------


def test_listen_keywords_in_capitals() -> None:
    (spec,) = parse_listen_line('udp:127.0.0.1:5070 ADVERTISE 127.0.0.2:5080 NAME "s1"')
    assert (spec.advertise_host, spec.advertise_port, spec.name) == ("127.0.0.2", 5080, "s1")
    for bad in ("udp:127.0.0.1:5070 VIRTUAL", 'udp:127.0.0.1:5070 Name "s1"'):
        with pytest.raises(ValueError):
            parse_listen_line(bad)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("0:0::3", ("0:0::3", None, None)),
        ("::1", ("::1", None, None)),
        ("dead:beef::1", ("dead:beef::1", None, None)),
        ("0:0::3:5060", ("0:0::3:5060", None, None)),  # the longest IPv6 address
        ("udp:0:0::3:5060", ("0:0::3:5060", None, "udp")),
        ("1:2:3:4:5:6:7:8:5090", ("1:2:3:4:5:6:7:8", 5090, None)),
        ("[0:0::3]:5060", ("0:0::3", 5060, None)),
        ("localhost:5060", ("localhost", 5060, None)),
        ("tcp:127.0.0.1:5061", ("127.0.0.1", 5061, "tcp")),
    ],
)
def test_alias_forms(text: str, want: tuple[str, int | None, str | None]) -> None:
    assert parse_alias(text) == want


def test_unbracketed_ipv6_listen() -> None:
    (spec,) = parse_listen_line("0:0::1")
    assert spec.addrs == ("0:0::1",)
    with pytest.raises(ValueError):
        parse_listen_line("udp:::1:5070")  # kamailio's lexer reads `::` then `1`
    # the command line (-l, --alias) wants brackets, as kamailio's
    with pytest.raises(ValueError):
        parse_listen_line("0:0::1", cli=True)
    with pytest.raises(ValueError):
        parse_alias("0:0::3", cli=True)
    assert parse_alias("[0:0::3]", cli=True) == ("0:0::3", None, None)


def test_domain_is_an_alias_entry() -> None:
    cfg = "domain=localhost:5070 udp:0:0::3\nalias=example.test\nrequest_route { drop; }\n"
    conf = parse_string(cfg)
    got = [(x.param, x.spec) for x in conf.listens]
    assert got == [
        ("alias", ("localhost", 5070, None)),
        ("alias", ("0:0::3", None, "udp")),
        ("alias", ("example.test", None, None)),
    ]
    assert not [p for p in conf.params if p.name == "domain"]
    names = {(a.host, a.port) for a in _config_aliases(conf)}
    assert names == {("localhost", 5070), ("::3", 0), ("example.test", 0)}
    assert isinstance(conf.listens[0], ast.Listen)


# --- transformations -----------------------------------------------------------------

PV_OK = [
    "$(ru{s.after,[})",
    "$(ru{s.after,]})",
    "$(ru{s.after,[}{s.before,]})",
    "$(hdr(X)[0]{s.after,[})",
    "$(var(a{))",
    "$(var(a[))",
    "$(ru{s.select,1,[})",
]
PV_BAD = ["$(ru{s.after,{})", "$(ru{s.after,}})", "$(ru{s.before,(})", "$(ru{s.before,)})"]


def test_brackets_inside_transformations() -> None:
    conf = parse_string(MODULES + "request_route { $var(x) = $(ru{s.after,[}{s.before,]}); }\n")
    assert "['s.after,[', 's.before,]']" in repr(conf.routes)
    for pv in PV_BAD:
        with pytest.raises(ConfigError):
            parse_string(MODULES + f"request_route {{ $var(x) = {pv}; }}\n")


# --- differential verdicts of -c -----------------------------------------------------

CHECK_CASES = [
    *[(f"request_route {{ $var(x) = {pv}; drop; }}", True) for pv in PV_OK],
    *[(f"request_route {{ $var(x) = {pv}; drop; }}", False) for pv in PV_BAD],
    ('listen=udp:127.0.0.1:5070 ADVERTISE 127.0.0.2:5080 NAME "s1"', True),
    ("alias=0:0::3", True),
    ("alias=udp:0:0::3:5060", True),
    ("alias=::1", True),
    ("alias=dead:beef::1", True),
    ("alias=0:0::3:5060", True),
    ("listen=udp:::1:5070", False),
    ('request_route { $var(x) = "a\\1b\\12c\\\'"; drop; }', True),
]


def _verdict(cmd: list[str], cfg: Path) -> bool:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    res = subprocess.run(
        [*cmd, "-c", "-f", str(cfg), *LOOPBACK], capture_output=True, text=True, env=env, timeout=60
    )
    return res.returncode == 0


@pytest.mark.kamailio
@needs_kamailio
@pytest.mark.parametrize(("snippet", "ok"), CHECK_CASES)
def test_check_verdict_matches_kamailio(tmp_path: Path, snippet: str, ok: bool) -> None:
    cfg = tmp_path / "c.cfg"
    body = snippet if "request_route" in snippet else snippet + "\nrequest_route { drop; }"
    cfg.write_text(MODULES + body + "\n")
    assert _verdict([KAMAILIO or "kamailio"], cfg) is ok
    assert _verdict([sys.executable, "-m", "siprouter.cli"], cfg) is ok
