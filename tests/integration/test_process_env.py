"""The process environment of a running server, against Kamailio 5.6.3: -u/-g privilege
drop (workers' ids, pid file owner), -w/-t errors, the -Y runtime directory, listening
on every address when no listen is given, and the lines logged for a dead worker."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.message import parse_message

HAS_KAMAILIO = shutil.which("kamailio") is not None
ROOT = os.geteuid() == 0
ONLY_LO = [n for _i, n in socket.if_nameindex()] == ["lo"]

CFG = """#!KAMAILIO
listen=udp:127.0.0.1:@PORT@
children=2
loadmodule "sl.so"
request_route { sl_send_reply("200", "OK"); }
"""

NO_LISTEN_CFG = """#!KAMAILIO
port=@PORT@
children=1
loadmodule "sl.so"
request_route { sl_send_reply("200", "OK"); }
"""

kamailio = pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
as_root = pytest.mark.skipif(not ROOT, reason="needs root (privilege drop, chroot)")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def _ids(pid: int) -> tuple[int, int, str]:
    status = Path(f"/proc/{pid}/status").read_text()
    uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    gid = int(re.search(r"^Gid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    groups = re.search(r"^Groups:\s*(.*)$", status, re.M).group(1).strip()  # type: ignore[union-attr]
    return uid, gid, groups


def _ask(client: Any, port: int, options_req: Any, callid: str) -> bytes | None:
    client.send(port, options_req(client.port, port, callid))
    return client.recv()  # type: ignore[no-any-return]


@as_root
@kamailio
def test_user_and_group_drop_matches_kamailio(
    servers: Any, udp_client: Any, options_req: Any, tmp_path: Path
) -> None:
    nobody = pwd.getpwnam("nobody")
    seen = {}
    for name in ("siprouter", "kamailio"):
        pid_file = tmp_path / f"{name}.pid"
        start = getattr(servers, name)
        srv = start(CFG, "-u", "nobody", "-g", "daemon", "-P", str(pid_file))
        reply = _ask(udp_client, srv.port, options_req, f"drop-{name}")
        assert reply is not None and parse_message(reply).status == 200, srv.log()[-2000:]
        main_ids = _ids(srv.proc.pid)
        kids = {_ids(c) for c in _children(srv.proc.pid)}
        st = pid_file.stat()
        seen[name] = (main_ids, kids, (st.st_uid, st.st_gid))
        srv.stop()
    assert seen["siprouter"] == seen["kamailio"]
    main_ids, _kids, owner = seen["siprouter"]
    assert main_ids == (nobody.pw_uid, 1, str(nobody.pw_gid))  # -g daemon is gid 1
    assert owner == (nobody.pw_uid, 1)


@as_root
def test_runtime_dir_created_for_the_user_and_holds_the_shared_space(
    servers: Any, udp_client: Any, options_req: Any, tmp_path: Path
) -> None:
    # pytest's tmp_path sits in a root-only (0700) directory: nobody could not reach it
    with tempfile.TemporaryDirectory(dir="/tmp") as base:
        _check_runtime_dir(servers, udp_client, options_req, Path(base) / "run")


def _check_runtime_dir(servers: Any, udp_client: Any, options_req: Any, rd: Path) -> None:
    os.chmod(rd.parent, 0o755)
    srv = servers.siprouter(CFG, "-u", "nobody", "-Y", str(rd))
    reply = _ask(udp_client, srv.port, options_req, "rundir")
    assert reply is not None and parse_message(reply).status == 200, srv.log()[-2000:]
    st = rd.stat()
    assert (st.st_mode & 0o777, st.st_uid) == (0o700, pwd.getpwnam("nobody").pw_uid)
    spaces = [p for p in rd.iterdir() if p.name.startswith(f"siprouter-{srv.proc.pid}-")]
    assert len(spaces) == 1 and spaces[0].stat().st_uid == st.st_uid
    assert srv.stop() == 0
    assert not spaces[0].exists()  # removed at shutdown, also after the drop


def _run(cmd: list[str], cfg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, "-f", str(cfg)],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _siprouter() -> list[str]:
    exe = Path(sys.executable).parent / "siprouter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]


@kamailio
@pytest.mark.parametrize(
    ("opt", "words"),
    [("-w", "cannot chdir to {d}: No such file or directory"),
     ("-t", "Cannot chroot to {d}: No such file or directory")],
)  # fmt: skip
def test_missing_directory_fails_start_like_kamailio(
    free_port: Any, tmp_path: Path, opt: str, words: str
) -> None:
    if opt == "-t" and not ROOT:
        pytest.skip("chroot needs root")
    missing = tmp_path / "missing"
    cfg = tmp_path / "x.cfg"
    cfg.write_text(CFG.replace("@PORT@", str(free_port())))
    kam = _run(
        ["kamailio", "-DD", "-E", "-m", "64", "-M", "8", "-Y", str(tmp_path), opt, str(missing)],
        cfg,
    )
    ours = _run([*_siprouter(), "-DD", "-E", opt, str(missing)], cfg)
    assert kam.returncode == ours.returncode == 255
    text = words.format(d=missing)
    assert text in kam.stderr and text in ours.stderr, ours.stderr


@as_root
def test_chroot_serves_inside_the_new_root(
    servers: Any, udp_client: Any, options_req: Any, tmp_path: Path
) -> None:
    jail = tmp_path / "jail"
    (jail / "tmp").mkdir(parents=True)
    srv = servers.siprouter(CFG, "-t", str(jail))
    for i in range(4):  # both workers answer (Call-IDs spread over the owners)
        reply = _ask(udp_client, srv.port, options_req, f"jail-{i}")
        assert reply is not None and parse_message(reply).status == 200, srv.log()[-2000:]
    for pid in [srv.proc.pid, *_children(srv.proc.pid)]:
        assert os.readlink(f"/proc/{pid}/root") == str(jail)
    assert srv.stop() == 0


def _socket_lines(stdout: str) -> list[str]:
    lines = stdout.split("Listening on", 1)[1].splitlines()[1:]
    out = []
    for line in lines:
        if not line.startswith("             "):
            break
        out.append(line.strip())
    return out


@kamailio
@pytest.mark.skipif(not ONLY_LO, reason="the listing is compared where only lo exists")
def test_no_listen_binds_every_address_like_kamailio(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    listings = {}
    for name in ("siprouter", "kamailio"):
        srv = getattr(servers, name)(NO_LISTEN_CFG)
        reply = _ask(udp_client, srv.port, options_req, f"nolisten-{name}")
        assert reply is not None and parse_message(reply).status == 200, srv.log()[-2000:]
        listings[name] = [x.replace(str(srv.port), "PORT") for x in _socket_lines(srv.stdout())]
        srv.stop()
    assert listings["siprouter"] == listings["kamailio"]
    assert listings["siprouter"][0].startswith("udp: 127.0.0.1:")


@pytest.mark.skipif(not ONLY_LO, reason="needs a namespace where only lo exists")
def test_auto_bind_ipv6_adds_the_ipv6_loopback(servers: Any) -> None:
    # Kamailio 5.6.3 hangs at start-up here (netlink read, kamailio issue #4098)
    srv = servers.siprouter(NO_LISTEN_CFG.replace("children=1", "children=1\nauto_bind_ipv6=1"))
    lines = _socket_lines(srv.stdout())
    port = srv.port
    assert lines == [f"udp: 127.0.0.1:{port}", f"udp: ::1:{port}",
                     f"tcp: 127.0.0.1:{port}", f"tcp: ::1:{port}"]  # fmt: skip
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(
            b"OPTIONS sip:x@[::1] SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:9;branch=z9hG4bK-6;rport\r\n"
            b"From: <sip:a@[::1]>;tag=1\r\nTo: <sip:x@[::1]>\r\nCall-ID: v6-1\r\n"
            b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            ("::1", port),
        )
        assert parse_message(s.recv(65535)).status == 200
    srv.stop()


@kamailio
def test_dead_worker_lines_match_kamailio(servers: Any) -> None:
    logs = {}
    for name in ("siprouter", "kamailio"):
        srv = getattr(servers, name)(CFG)
        kids = _children(srv.proc.pid)
        victim = kids[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while srv.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.proc.poll() is not None, f"{name} still running after a worker died"
        logs[name] = (victim, srv.log(), srv.proc.returncode)
    assert logs["siprouter"][2] == logs["kamailio"][2] == 1
    for victim, log, _status in logs.values():
        assert re.search(rf"ALERT: .*child process {victim} exited by a signal 9", log), log
        assert "core was not generated" in log


ALIAS_CFG = """#!KAMAILIO
listen=127.0.0.1:@PORT@
alias=foo.example:5070
alias=udp:bar.example
loadmodule "sl.so"
request_route { sl_send_reply("200", "OK"); }
"""


def _alias_block(stdout: str) -> list[str]:
    lines = stdout.split("Aliases: \n", 1)[1].split("\n\n", 1)[0]
    return lines.splitlines()


@kamailio
def test_aliases_block_matches_kamailio(servers: Any) -> None:
    blocks = {}
    for name in ("siprouter", "kamailio"):
        srv = getattr(servers, name)(ALIAS_CFG, "--alias=cli.example:7000")
        blocks[name] = [x.replace(str(srv.port), "PORT") for x in _alias_block(srv.stdout())]
        srv.stop()
    assert blocks["siprouter"] == blocks["kamailio"]
    assert blocks["siprouter"][-3:] == [
        "             udp: bar.example:*",
        "             *: foo.example:5070",
        "             *: cli.example:7000",
    ]


@as_root
@kamailio
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv not installed")
def test_changing_ids_without_root_fails_like_kamailio(free_port: Any) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as base:
        os.chmod(base, 0o755)
        cfg = Path(base) / "x.cfg"
        cfg.write_text(CFG.replace("@PORT@", str(free_port())))
        cfg.chmod(0o644)
        rundir = Path(base) / "run"
        rundir.mkdir()
        os.chown(rundir, pwd.getpwnam("nobody").pw_uid, -1)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        probe = subprocess.run(
            [*as_nobody, sys.executable, "-c", "import siprouter"],
            capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if probe.returncode != 0:  # e.g. a checkout in a 0700 directory
            pytest.skip("user nobody cannot run this checkout's siprouter")
        kam = [*as_nobody, "kamailio", "-DD", "-E", "-m", "64", "-M", "8", "-Y", str(rundir)]
        results = [
            _run([*cmd, "-u", "daemon"], cfg)
            for cmd in (kam, [*as_nobody, *_siprouter(), "-DD", "-E"])
        ]
    for res in results:
        assert res.returncode == 255
        assert "cannot change gid to 1: Operation not permitted" in res.stderr, res.stderr
