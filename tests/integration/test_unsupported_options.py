"""Options siprouter cannot honour yet stop the start-up with a clear error instead of
being ignored: -r / -R and dns= / rev_dns= (DNS checks for Via received=)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CFG = 'listen=udp:127.0.0.1:5096\n{extra}\nloadmodule "sl"\nrequest_route {{ exit; }}\n'


@pytest.mark.parametrize(
    ("args", "extra"), [(["-r"], ""), (["-R"], ""), ([], "dns=yes"), ([], "rev_dns=on")]
)
def test_dns_received_checks_are_refused(tmp_path: Path, args: list[str], extra: str) -> None:
    cfg = tmp_path / "x.cfg"
    cfg.write_text(CFG.format(extra=extra))
    exe = Path(sys.executable).parent / "siprouter"
    proc = subprocess.run(
        [str(exe), "-DD", "-E", *args, "-f", str(cfg)],
        capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 255
    if args:
        assert "-r/-R (dns/rev_dns" in proc.stderr and "not supported yet" in proc.stderr
    else:  # the parameter is refused with its position, by -c as well
        name = extra.split("=")[0]
        assert f"x.cfg:2:{len(name) + 2}: error: {name} is not supported yet" in proc.stderr
        check = subprocess.run(
            [str(exe), "-c", "-f", str(cfg)],
            capture_output=True, text=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert check.returncode == 255 and "not supported yet" in check.stderr
