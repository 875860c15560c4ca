"""Differential: the same command-line options through `kamailio -c` and our parser must
be accepted or refused alike."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cli import UsageError, parse_args

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

ACCEPTED = [
    ["-a", "yes"], ["-a", "off"], ["--alias=sip.example.com:5070"], ["--atexit=y"],
    ["--atexit=0"], ["-A", "X=1"], ["-A", 'S="a b"'], ["-b", "1000"], ["-d"], ["--debug=1"],
    ["-D"], ["-DD"], ["-e"], ["-E"], ["-g", "65534"], ["-K"], ["-l", "127.0.0.1"],
    ["-l", "udp:127.0.0.1:5080/192.0.2.1:5060"], ["--log-engine=json:M"], ["-L", "/tmp"],
    ["-m", "64"], ["-M", "8"], ["-n", "4"], ["-n5"], ["-N", "2"], ["-O", "2"], ["-r"], ["-R"],
    ["-rR"], ["--server-id=3"], ["--subst=/a/b/"], ["--substdef=/A/b/"], ["--substdefs=/A/b/"],
    ["-S"], ["-T"], ["-u", "nobody"], ["-x", "tlsf"], ["-X", "qm"], ["-Y", "/tmp"],
    ["-w", "/tmp"], ["-W", "poll"], ["-W", "kqueue"], ["-Ec"], ["--cfg-print"],
]  # fmt: skip

REFUSED = [
    ["-Z"], ["--nosuch"], ["-f"], ["-a", "1"], ["-a", "YES"], ["--alias=foo:bar:baz"],
    ["--atexit=x"], ["--atexit=YES"], ["-A", ""], ["-A", "=1"], ["-A", "X", "-A", "X=2"],
    ["-b", "x"], ["--debug=x"], ["-g", "nosuchgroup-xyz"], ["-l", "foo:127.0.0.1"],
    ["-l", "::1"], ["-m", "abc"], ["-m", "-1"], ["--modparam=foo"], ["--modparam=a:b:c:d"],
    ["-M", "abc"], ["-n", "abc"], ["-n", "5x"], ["-n", "0x10"], ["-N", "x"], ["-O", "x"],
    ["--server-id=x"], ["--subst=foo"], ["-u", "nosuchuser-xyz"], ["-x", "foo"],
    ["-X", "foo"], ["-W", "epoll"], ["-W", "none"],
]  # fmt: skip

# Where we differ on purpose (not tested here): Kamailio takes `-n -3`, `-b -1`, `-O -1`,
# `-A 1X` and ports above 65535 in -l (it wraps them); we refuse them. `-Q` and `-l tls:`
# fail in Debian's build only because SCTP/TLS are off there. `--all-errors` is newer
# than 5.6.3.


def kamailio_accepts(argv: list[str], cfg: Path) -> bool:
    proc = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg), *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return proc.returncode == 0


def we_accept(argv: list[str]) -> bool:
    try:
        parse_args(["-c", "-f", "x.cfg", *argv])
    except UsageError:
        return False
    return True


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("k") / "k.cfg"
    path.write_text("request_route {\n    drop;\n}\n")
    return path


@pytest.mark.parametrize("argv", ACCEPTED, ids=[" ".join(a) for a in ACCEPTED])
def test_both_accept(argv: list[str], cfg: Path) -> None:
    assert kamailio_accepts(argv, cfg)
    assert we_accept(argv)


@pytest.mark.parametrize("argv", REFUSED, ids=[" ".join(a) for a in REFUSED])
def test_both_refuse(argv: list[str], cfg: Path) -> None:
    assert not kamailio_accepts(argv, cfg)
    assert not we_accept(argv)
