"""`siprouter -c` runs the route compiler; `--dump-python` prints the generated code."""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.cli import run

CFG = """loadmodule "pv"
request_route {
    $var(x) = 1;
    if ($var(x) == 1) {
        FUNC
    }
}
"""


def _write(tmp_path: Path, func: str) -> Path:
    p = tmp_path / "x.cfg"
    p.write_text(CFG.replace("FUNC", func))
    return p


def test_check_reports_unsupported_core_function(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _write(tmp_path, "forward_sctp();")
    assert run(["-c", "-f", str(cfg)]) != 0
    err = capsys.readouterr().err
    assert "core function 'forward_sctp' is not supported yet" in err
    assert f"{cfg}:5:" in err


def test_check_ok_when_everything_compiles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _write(tmp_path, "$var(y) = $var(x) + 1;")
    assert run(["-c", "-f", str(cfg)]) == 0
    assert "config file ok" in capsys.readouterr().err


def test_dump_python(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(tmp_path, "setflag(3);")
    assert run(["--dump-python", "-f", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def request_0(ctx, lvl):")
    # every generated line names the cfg line it comes from
    assert f"# {cfg}:5" in out and f"# {cfg}:3" in out
    compile(out, "dump", "exec")  # the dump is valid Python


def test_all_errors_reports_each_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "x.cfg"
    cfg.write_text(
        "request_route {\n    forward_sctp();\n}\nroute[A] {\n    forward_tls();\n}\nroute[B] {\n    exit;\n}\n"
    )
    assert run(["-c", "--all-errors", "-f", str(cfg)]) != 0
    err = capsys.readouterr().err
    assert f"{cfg}:2:" in err and "'forward_sctp'" in err
    assert f"{cfg}:5:" in err and "'forward_tls'" in err
