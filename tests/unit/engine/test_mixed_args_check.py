"""`-c` verdicts for module-function calls with expression arguments: siprouter's
compile and `kamailio -c` (5.6.3) accept and refuse the same calls. Kamailio refuses an
expression argument for functions without a runtime fixup ("parameter N is not
constant"); constant expressions are folded and always accepted."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

MODULES = ("sl", "pv", "kex", "textops", "xlog")

# (call, Kamailio refuses it at -c)
CASES: list[tuple[str, bool]] = [
    ('sl_send_reply("2" + "00", "OK")', False),
    ('sl_send_reply(100 + 83, "Ses" + "sion")', False),
    ('sl_send_reply((int)"480", "r " + (str)7)', False),
    ('sl_send_reply("404", "r " + "$rU")', False),
    ('sl_send_reply($var(code), "OK")', True),
    ('sl_send_reply("200", $var(x))', True),
    ('sl_send_reply($var(c) + 1, "OK")', True),
    ('sl_send_reply("200", "OK " + $var(x))', True),
    ('append_hf("X-A: " + "1" + "\\r\\n")', False),
    ('append_hf("X-A: " + $var(x) + "\\r\\n")', True),
    ('append_hf("X-A: " + $var(x) + "\\r\\n", "Call-ID")', True),
    ('xlog("L_INFO", "x " + $var(y))', True),
    ('xlog($var(l), "x")', True),
    ('pv_printf("$var(x)", "a" + $var(y))', True),
    ("setbflag($var(a), 1)", False),
    ("setbflag(1, $var(a))", False),
    ('setbflag("abc", $var(b))', False),  # constants of a runtime-fixed call: not checked
    ('setbflag("$var(f)", $var(b) + 1)', False),
    ('setdsturi("sip:" + $var(x))', False),
    ('setdsturi("sip:" + "a@b")', False),
    ('is_myself("sip:" + $fd)', False),
    # textops functions with runtime fixups (dynamic_args since issue #4)
    ('is_present_hf($var(n) + "-ID")', False),
    ('search("^" + $var(n))', False),
    ('replace("a" + $var(x), "b")', False),
    ("pv_printf($var(x), $var(y))", True),
]


def _cfg(call: str) -> str:
    head = "#!KAMAILIO\n" + "".join(f'loadmodule "{m}"\n' for m in MODULES)
    return head + "request_route {\n    " + call + ";\n}\n"


def _ours_refuses(call: str) -> bool:
    try:
        compile_config(parse_string(_cfg(call), "t.cfg"))
    except ConfigError as e:
        assert "not constant" in e.message, e.message
        return True
    return False


@pytest.mark.parametrize(("call", "refused"), CASES, ids=[c for c, _ in CASES])
def test_ours(call: str, refused: bool) -> None:
    assert _ours_refuses(call) is refused


def _kamailio_refuses(path: Path) -> tuple[bool, str]:
    proc = subprocess.run(
        ["kamailio", "-c", "-f", str(path), "-l", "udp:127.0.0.1:5999"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.returncode != 0, proc.stderr[-300:]


@pytest.mark.kamailio
def test_kamailio_agrees(tmp_path: Path) -> None:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    paths = []
    for i, (call, _refused) in enumerate(CASES):
        cfg = tmp_path / f"t{i}.cfg"
        cfg.write_text(_cfg(call))
        paths.append(cfg)
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(pool.map(_kamailio_refuses, paths))
    wrong = [
        (call, err) for (call, refused), (kam, err) in zip(CASES, verdicts, strict=True)
        if kam is not refused
    ]  # fmt: skip
    assert not wrong
