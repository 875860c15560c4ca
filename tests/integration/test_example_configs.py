"""Kamailio's installed example configs through `siprouter -c` (issue 6 acceptance):
each passes, or fails only on modules siprouter does not have yet, or fails for a reason
`kamailio -c` refuses it too (old syntax, fragments without their modules, missing
include files). The listing (tools/example_configs.py) is printed with `-s`."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "example_configs.py"
_spec = importlib.util.spec_from_file_location("example_configs", _TOOL)
assert _spec is not None and _spec.loader is not None
example_configs = importlib.util.module_from_spec(_spec)
sys.modules["example_configs"] = example_configs
_spec.loader.exec_module(example_configs)

FILES = [p for p in example_configs.example_files() if os.path.exists(p)]
pytestmark = pytest.mark.skipif(not FILES, reason="kamailio examples not installed")

# Configs whose own listen/alias values make `kamailio -c` query DNS (see
# tests/unit/cfg/test_parser_stock.py): never run through kamailio here.
NEEDS_DNS = {"mixed/kamailio-minimal-anycast.cfg", "mixed/logging.cfg"}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, object]:
    return {p: example_configs.check(p) for p in FILES}


def _kamailio_refuses(path: str) -> tuple[bool, str]:
    proc = subprocess.run(
        ["kamailio", "-c", "-l", "udp:127.0.0.1:5099", "-f", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=os.path.dirname(path),
    )
    return proc.returncode != 0, proc.stderr[-400:]


def test_listing(verdicts, capsys) -> None:  # type: ignore[no-untyped-def]
    text = example_configs.table(list(verdicts.values()))
    with capsys.disabled():
        print("\n" + text)
    assert len(verdicts) >= 60
    assert any(v.ok for v in verdicts.values())  # at least the logging examples


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.split("/examples/", 1)[-1])
def test_no_failure_but_missing_modules(verdicts, path: str) -> None:  # type: ignore[no-untyped-def]
    v = verdicts[path]
    if v.ok or v.missing:
        return
    short = path.split("/examples/", 1)[-1]
    if short in NEEDS_DNS:
        pytest.fail(f"{short}: refused ({v.error}) and cannot be checked against kamailio")
    refused, theirs = _kamailio_refuses(path)
    assert refused, f"siprouter refuses {short} ({v.error}); kamailio -c accepts it:\n{theirs}"
