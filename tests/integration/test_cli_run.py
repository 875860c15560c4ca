"""Run the `siprouter` console script as a subprocess: -v, -h, -c, --cfg-print, errors."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from siprouter.cli import LONG_OPTS, SHORT_OPTS

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_CFG = ROOT / "etc" / "siprouter.cfg"
HAS_KAMAILIO = shutil.which("kamailio") is not None
needs_kamailio = pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")


def siprouter(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "siprouter"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        input=stdin,
    )


def kamailio(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kamailio", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        input=stdin,
    )


GOOD = """\
#!KAMAILIO
debug=2
children=2
listen=udp:127.0.0.1:5060
request_route {
    if (method == "OPTIONS") {
        drop;
    }
    exit;
}
"""

BROKEN = """\
debug=2
request_route {
    if (method == "OPTIONS" {
        drop;
    }
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_version() -> None:
    proc = siprouter("-v")
    assert proc.returncode == 0
    first = proc.stdout.splitlines()[0]
    assert first.startswith("version: siprouter ")
    assert "kamailio 5.6.3" in first
    assert siprouter("--version").stdout == proc.stdout == siprouter("-V").stdout


def test_help_lists_every_option() -> None:
    proc = siprouter("-h")
    assert proc.returncode == 0
    assert "Usage: siprouter [options]" in proc.stdout
    for letter in SHORT_OPTS:
        assert re.search(rf"(^|[\s,])-{letter}\b", proc.stdout), f"-{letter} missing from -h"
    for name in LONG_OPTS:
        assert f"--{name}" in proc.stdout, f"--{name} missing from -h"
    assert siprouter("--help").stdout == proc.stdout


def test_internals() -> None:
    proc = siprouter("-I")
    assert proc.returncode == 0
    assert (
        "siprouter" in proc.stdout and "Default config: /etc/kamailio/kamailio.cfg" in proc.stdout
    )


def test_stray_argument_is_a_warning(tmp_path: Path) -> None:
    cfg = write(tmp_path, "good.cfg", GOOD)
    proc = siprouter("-c", "-f", str(cfg), "extra")
    assert proc.returncode == 0
    assert "WARNING: ignoring extra argument 'extra'" in proc.stderr


def test_unknown_option() -> None:
    proc = siprouter("-Z")
    assert proc.returncode == 255
    assert "Unknown option '-Z'. Use -h for help." in proc.stderr


def test_bad_listen_value() -> None:
    proc = siprouter("-c", "-l", "udp:127.0.0.1:99999", "-f", str(BUNDLED_CFG))
    assert proc.returncode == 255
    assert "bad -l address specifier: udp:127.0.0.1:99999" in proc.stderr
    assert "out of range" in proc.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    proc = siprouter("-c", "-f", "nonexist.cfg", cwd=tmp_path)
    assert proc.returncode == 255
    assert str(tmp_path / "nonexist.cfg") in proc.stderr
    assert "No such file or directory" in proc.stderr


def test_check_good_config(tmp_path: Path) -> None:
    cfg = write(tmp_path, "good.cfg", GOOD)
    proc = siprouter("-c", "-f", str(cfg))
    assert proc.returncode == 0, proc.stderr
    assert "config file ok, exiting..." in proc.stderr
    assert proc.stdout == ""


def test_check_broken_config_names_file_and_line(tmp_path: Path) -> None:
    cfg = write(tmp_path, "broken.cfg", BROKEN)
    proc = siprouter("-c", "-f", str(cfg))
    assert proc.returncode == 255
    assert re.search(rf"{re.escape(str(cfg))}:3:\d+: error: ", proc.stderr), proc.stderr
    assert "ERROR: bad config file" in proc.stderr


def test_start_without_D_daemonizes_and_reports_a_failed_startup(tmp_path: Path) -> None:
    # daemon mode (no -D): the command's status is the daemon's start-up status; the
    # config's port is held here, so the start-up fails (daemon tests: test_daemon.py)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        cfg = write(tmp_path, "good.cfg", GOOD.replace("127.0.0.1:5060", f"127.0.0.1:{port}"))
        proc = siprouter("-f", str(cfg), "-P", str(tmp_path / "s.pid"))
    assert proc.returncode == 255
    assert f"cannot bind udp:127.0.0.1:{port}" in proc.stderr
    assert not (tmp_path / "s.pid").exists()
    # a broken config is still reported as such, with Kamailio's status
    assert siprouter("-f", str(write(tmp_path, "b.cfg", BROKEN))).returncode == 255


def test_bundled_config_passes_check() -> None:
    for defines in ([], ["-A", "WITH_DEBUG"], ["-A", "LISTEN_PORT=5070", "-A", "WITH_DEBUG"]):
        proc = siprouter("-c", "-f", str(BUNDLED_CFG), *defines)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.kamailio
@needs_kamailio
def test_bundled_config_passes_kamailio_check() -> None:
    for defines in ([], ["-A", "WITH_DEBUG"], ["-A", "LISTEN_PORT=5070"]):
        proc = kamailio("-c", "-f", str(BUNDLED_CFG), *defines)
        assert proc.returncode == 0, proc.stderr[-2000:]


PRINT_MAIN = """\
#!KAMAILIO
#!define GREETING "hello"
#!ifdef WITH_EXTRA
#!define EXTRA 1
#!else
#!define EXTRA 0
#!endif
debug=2
include_file "part.cfg"
request_route {
    $var(x) = GREETING;
    drop;
}
"""

PRINT_PART = """\
# included part
children=EXTRA
"""


@pytest.mark.kamailio
@needs_kamailio
@pytest.mark.parametrize("defines", [[], ["-A", "WITH_EXTRA"]])
def test_cfg_print_matches_kamailio(tmp_path: Path, defines: list[str]) -> None:
    cfg = write(tmp_path, "main.cfg", PRINT_MAIN)
    write(tmp_path, "part.cfg", PRINT_PART)
    ours = siprouter("--cfg-print", "-f", str(cfg), *defines, cwd=tmp_path)
    theirs = kamailio("--cfg-print", "-f", str(cfg), *defines, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


def test_cfg_print_exits_zero_on_unparsable_config(tmp_path: Path) -> None:
    # like Kamailio: --cfg-print only preprocesses
    cfg = write(tmp_path, "broken.cfg", BROKEN)
    proc = siprouter("--cfg-print", "-f", str(cfg))
    assert proc.returncode == 0
    assert proc.stdout == BROKEN


CHECK_CASES = {
    "good": GOOD,
    "broken": BROKEN,
    "unclosed_block": "listen=udp:127.0.0.1:5060\nrequest_route {\n    drop;\n",
    "unknown_ifdef_end": "listen=udp:127.0.0.1:5060\n#!endif\nrequest_route {\n    drop;\n}\n",
}


@pytest.mark.kamailio
@needs_kamailio
@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_check_verdict_matches_kamailio(tmp_path: Path, name: str) -> None:
    cfg = write(tmp_path, f"{name}.cfg", CHECK_CASES[name])
    ours = siprouter("-c", "-f", str(cfg))
    theirs = kamailio("-c", "-f", str(cfg))
    assert (ours.returncode == 0) == (theirs.returncode == 0), ours.stderr
    assert ours.returncode in (0, 255)


PRINT_EDGE_CASES = {
    # Kamailio prints up to the missing include, then stops with status 255
    "missing_include": 'debug=2\ninclude_file "nosuch.cfg"\nchildren=2\n',
    # an unbalanced #!ifdef is not an error in print mode
    "unbalanced_ifdef": "#!ifdef X\nfoo\n",
}


@pytest.mark.kamailio
@needs_kamailio
@pytest.mark.parametrize("name", sorted(PRINT_EDGE_CASES))
def test_cfg_print_edge_cases_match_kamailio(tmp_path: Path, name: str) -> None:
    cfg = write(tmp_path, f"{name}.cfg", PRINT_EDGE_CASES[name])
    ours = siprouter("--cfg-print", "-f", str(cfg), cwd=tmp_path)
    theirs = kamailio("--cfg-print", "-f", str(cfg), cwd=tmp_path)
    assert ours.returncode == theirs.returncode
    assert ours.stdout == theirs.stdout


def test_config_from_stdin() -> None:
    proc = siprouter("-c", "-f", "-", stdin=GOOD)
    assert proc.returncode == 0, proc.stderr
    proc = siprouter("-c", "-f", "-", stdin=BROKEN)
    assert proc.returncode == 255
    assert re.search(r"^-:3:\d+: error: ", proc.stderr, re.M), proc.stderr
    assert "siprouter-stdin" not in proc.stderr


@pytest.mark.kamailio
@needs_kamailio
def test_cfg_print_from_stdin_matches_kamailio(tmp_path: Path) -> None:
    write(tmp_path, "part.cfg", PRINT_PART)
    ours = siprouter("--cfg-print", "-f", "-", cwd=tmp_path, stdin=PRINT_MAIN)
    theirs = kamailio("--cfg-print", "-f", "-", cwd=tmp_path, stdin=PRINT_MAIN)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
