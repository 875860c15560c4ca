"""Kamailio's start-up type check of expressions: the same verdict from `siprouter -c`
(compile) and `kamailio -c`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

# (expression, Kamailio refuses it at -c)
CASES: list[tuple[str, bool]] = [
    ('1 + "2"', True),
    ('"abc" + 1', False),
    ('"3" - 1', True),
    ('$var(x) - "1"', True),
    ('10 < "9"', True),
    ('"4" > 20', True),
    ('0 == ""', True),
    ('"" == 0', False),
    ('"a" == $var(x)', False),
    ('$var(x) == ""', False),
    ('0 eq ""', True),
    ('($var(x) - 1) eq "a"', True),
    ('(str)1 eq "1"', False),
    ('"a" ieq "b"', True),
    ('123 =~ "2"', True),
    ('"ABC" =~ "abc"', False),
    ("strlen(12345)", True),
    ('strlen("12345")', False),
    ("strempty(3)", True),
    ("defined 1", True),
    ('!"abc"', True),
    ('~"3"', True),
    ('-"5"', True),
    ('1 && "abc"', True),
    ('(int)"12" + 1', False),
    ("(str)12 + 3", False),
]


def _cfg(expr: str, kamailio: bool) -> str:
    head = '#!KAMAILIO\nloadmodule "pv.so"\n' if kamailio else 'loadmodule "pv"\n'
    return head + "request_route {\n    $var(r) = " + expr + ";\n}\n"


def _ours_refuses(expr: str) -> bool:
    try:
        compile_config(parse_string(_cfg(expr, False), "t.cfg"))
    except ConfigError as e:
        assert "type mismatch" in e.message, e.message
        return True
    return False


@pytest.mark.parametrize(("expr", "refused"), CASES)
def test_ours(expr: str, refused: bool) -> None:
    assert _ours_refuses(expr) is refused


@pytest.mark.kamailio
def test_kamailio_agrees(tmp_path: Path) -> None:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    wrong = []
    for i, (expr, refused) in enumerate(CASES):
        cfg = tmp_path / f"t{i}.cfg"
        cfg.write_text(_cfg(expr, True))
        proc = subprocess.run(
            ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, check=False
        )
        if (proc.returncode != 0) is not refused:
            wrong.append((expr, proc.returncode, proc.stderr[-300:]))
    assert not wrong
