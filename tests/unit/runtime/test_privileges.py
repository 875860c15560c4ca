"""Unit tests of runtime/privileges.py (resolving -u/-g/-t/-w/-Y, directory errors) and
runtime/interfaces.py (the rtnetlink address dump, the no-listen address choice)."""

from __future__ import annotations

import os
import pwd
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from siprouter.runtime import interfaces, privileges
from siprouter.runtime.interfaces import IfAddr


@dataclass
class Opts:
    uid: int | None = None
    gid: int | None = None
    chroot_dir: str | None = None
    working_dir: str | None = None
    runtime_dir: str | None = None


def test_user_name_gives_uid_and_primary_group() -> None:
    nobody = pwd.getpwnam("nobody")
    env = privileges.ProcessEnv.from_settings(Opts(), {"user": "nobody"})
    assert (env.uid, env.gid, env.user) == (nobody.pw_uid, nobody.pw_gid, "nobody")
    assert env.changes_ids


def test_command_line_wins_over_config_and_group_overrides_primary() -> None:
    env = privileges.ProcessEnv.from_settings(
        Opts(uid=0, gid=4321, working_dir="/w"),
        {"user": "nobody", "group": "root", "workdir": "/x"},
    )
    assert (env.uid, env.gid, env.user, env.user_gid) == (0, 4321, "root", 0)
    assert env.working_dir == "/w"


def test_group_by_name_and_unknown_numbers() -> None:
    env = privileges.ProcessEnv.from_settings(Opts(), {"group": "daemon"})
    assert env.uid is None and env.gid == 1
    assert privileges.lookup_group("54321") == 54321  # a number needs no group entry
    with pytest.raises(privileges.EnvError, match="bad group name/gid number"):
        privileges.lookup_group("no-such-group-x")


def test_numeric_uid_without_passwd_entry_fails_as_in_kamailio() -> None:
    uid = 54321
    while True:
        try:
            pwd.getpwuid(uid)
            uid += 1
        except KeyError:
            break
    with pytest.raises(privileges.EnvError, match="user lookup failed"):
        privileges.ProcessEnv.from_settings(Opts(uid=uid), {})


def test_nothing_given_changes_nothing() -> None:
    env = privileges.ProcessEnv.from_settings(Opts(), {})
    assert not env.changes_ids
    privileges.drop(env)  # no-op
    assert env.chroot_dir is None and env.working_dir is None


def test_missing_directories_are_clear_errors(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    cwd = os.getcwd()
    with pytest.raises(privileges.EnvError, match=f"cannot chdir to {missing}: No such file"):
        privileges.enter_dirs(privileges.ProcessEnv(working_dir=missing))
    assert os.getcwd() == cwd
    if os.geteuid() == 0:
        with pytest.raises(privileges.EnvError, match=f"Cannot chroot to {missing}: No such"):
            privileges.enter_dirs(privileges.ProcessEnv(chroot_dir=missing))


def test_runtime_dir_is_created_0700_like_kamailio(tmp_path: Path) -> None:
    rd = tmp_path / "run"
    assert privileges.prepare_runtime_dir(privileges.ProcessEnv(runtime_dir=str(rd))) is None
    assert rd.is_dir() and (rd.stat().st_mode & 0o777) == 0o700
    deep = tmp_path / "a" / "b"  # the parent must exist, as for Kamailio
    problem = privileges.prepare_runtime_dir(privileges.ProcessEnv(runtime_dir=str(deep)))
    assert problem is not None and "No such file" in problem and not deep.exists()


def _nl(mtype: int, body: bytes) -> bytes:
    msg = struct.pack("=IHHII", 16 + len(body), mtype, 2, 1, 0) + body
    return msg + b"\0" * ((4 - len(msg) % 4) % 4)


def _attr(atype: int, value: bytes) -> bytes:
    a = struct.pack("=HH", 4 + len(value), atype) + value
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def test_parse_dump_reads_addresses_in_order_until_done() -> None:
    v4 = struct.pack("=BBBBI", socket.AF_INET, 8, 0, 254, 1)
    v4 += _attr(1, socket.inet_aton("10.0.0.1")) + _attr(2, socket.inet_aton("127.0.0.1"))
    v4 += _attr(3, b"lo\0")
    v6 = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 253, 3)
    v6 += _attr(1, socket.inet_pton(socket.AF_INET6, "fe80::9"))
    rows, done = interfaces.parse_dump(_nl(20, v4) + _nl(20, v6))
    assert not done
    assert [(i, f, s) for i, f, s, _ in rows] == [
        (1, socket.AF_INET, 254),
        (3, socket.AF_INET6, 253),
    ]
    assert rows[0][3] == socket.inet_aton("127.0.0.1")  # IFA_LOCAL before IFA_ADDRESS
    rows, done = interfaces.parse_dump(_nl(3, b"\0\0\0\0"))
    assert rows == [] and done
    with pytest.raises(OSError):
        interfaces.parse_dump(_nl(2, struct.pack("=i", -1) + b"\0" * 16))


def test_auto_listen_ips_ipv4_then_ipv6_link_local_on_request() -> None:
    addrs = [
        IfAddr(1, "lo", socket.AF_INET, "127.0.0.1", False),
        IfAddr(1, "lo", socket.AF_INET6, "::1", False),
        IfAddr(2, "v1", socket.AF_INET, "192.0.2.10", False),
        IfAddr(2, "v1", socket.AF_INET6, "fe80::1", True),
        IfAddr(3, "v0", socket.AF_INET6, "fd00::9", False),
    ]
    assert interfaces.auto_listen_ips(False, False, addrs) == ["127.0.0.1", "192.0.2.10"]
    assert interfaces.auto_listen_ips(True, False, addrs) == [
        "127.0.0.1", "192.0.2.10", "::1", "fd00::9"
    ]  # fmt: skip
    assert interfaces.auto_listen_ips(True, True, addrs)[-2:] == ["fe80::1%v1", "fd00::9"]


def test_machine_addresses_include_loopback() -> None:
    found = interfaces.machine_addresses()
    assert any(a.ip == "127.0.0.1" and a.family == socket.AF_INET for a in found)
