"""Table tests for the command line: every Kamailio option, its value checks and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.listen import ListenSpec
from siprouter.cli import LONG_OPTS, SHORT_OPTS, UsageError, parse_args
from siprouter.options import DEFAULT_CFG_FILE, Action, Alias, Define, LogEngine, ModParam

# (argv, field, expected value)
VALID: list[tuple[list[str], str, Any]] = [
    (["-a", "yes"], "auto_aliases", True),
    (["-a", "on"], "auto_aliases", True),
    (["-a", "no"], "auto_aliases", False),
    (["-aoff"], "auto_aliases", False),
    (["--alias=sip.example.com"], "aliases", (Alias("sip.example.com"),)),
    (["--alias", "udp:sip.example.com:5070"], "aliases", (Alias("sip.example.com", 5070, "udp"),)),
    (["--atexit=y"], "atexit", True),
    (["--atexit=yes"], "atexit", True),
    (["--atexit=1"], "atexit", True),
    (["--atexit=n"], "atexit", False),
    (["--atexit=no"], "atexit", False),
    (["--atexit=0"], "atexit", False),
    (["-A", "WITH_AUTH"], "defines", (Define("WITH_AUTH"),)),
    (["-A", "FLT_ACC=1"], "defines", (Define("FLT_ACC", "1"),)),
    (["-A", 'DEFVAL="str-val"'], "defines", (Define("DEFVAL", '"str-val"'),)),
    (["-AX", "-A", "Y=2"], "defines", (Define("X"), Define("Y", "2"))),
    (["-b", "262144"], "maxbuffer", 262144),
    (["-c"], "action", Action.CHECK),
    (["--cfg-print"], "action", Action.CFG_PRINT),
    (["--cfg-print", "-c"], "action", Action.CFG_PRINT),
    (["-c", "--cfg-print"], "action", Action.CFG_PRINT),
    (["--cfg"], "action", Action.CFG_PRINT),  # GNU getopt: unique prefix
    (["-d"], "debug", 1),
    (["-dddd"], "debug", 4),
    (["-d", "-d"], "debug", 2),
    (["--debug=3"], "debug", 3),
    (["--debug", "-2"], "debug", -2),
    (["--debug=1", "-dd"], "debug", 3),
    (["-D"], "dont_fork_level", 1),
    (["-DD"], "dont_fork_level", 2),
    (["-DDD"], "dont_fork_level", 3),
    (["-e"], "log_color", True),
    (["-E"], "log_stderr", True),
    (["-f", "x.cfg"], "cfg_file", "x.cfg"),
    (["-fx.cfg"], "cfg_file", "x.cfg"),
    (["-cf", "x.cfg"], "cfg_file", "x.cfg"),
    ([], "cfg_file", DEFAULT_CFG_FILE),
    (["-g", "65534"], "gid", 65534),
    (["-g", "root"], "gid", 0),
    (["-G", "/run/s.pgid"], "pgid_file", "/run/s.pgid"),
    (["-h"], "action", Action.HELP),
    (["--help"], "action", Action.HELP),
    (["-I"], "action", Action.INTERNALS),
    (["-K"], "check_via", True),
    (["-l", "udp:127.0.0.1:5080"], "listen", (ListenSpec("udp", ("127.0.0.1",), 5080),)),
    (
        ["-l", "127.0.0.1", "-l", "tcp:[::1]:5070/192.0.2.1:5060"],
        "listen",
        (ListenSpec(None, ("127.0.0.1",)), ListenSpec("tcp", ("::1",), 5070, "192.0.2.1", 5060)),
    ),
    (["--loadmodule=sl", "--loadmodule", "tm"], "load_modules", ("sl", "tm")),
    (["--log-engine=json:M"], "log_engine", LogEngine("json", "M")),
    (["--log-engine=json"], "log_engine", LogEngine("json")),
    (["-L", "/opt/mods"], "modules_path", "/opt/mods"),
    (["-m", "64"], "shm_mb", 64),
    (
        ["--modparam=corex:alias_subdomains:s:kamailio.org"],
        "modparams",
        (ModParam("corex", "alias_subdomains", "kamailio.org"),),
    ),
    (["--modparam=tm:fr_timer:i:3000"], "modparams", (ModParam("tm", "fr_timer", 3000),)),
    (["--modparam=a:b:s:x:y"], "modparams", (ModParam("a", "b", "x:y"),)),
    (["--modparam=a:b:s:"], "modparams", (ModParam("a", "b", ""),)),
    (["--all-errors"], "all_errors", True),
    (["-M", "8"], "pkg_mb", 8),
    (["-n", "4"], "children", 4),
    (["-n5"], "children", 5),
    (["-n", "0"], "children", 0),
    (["-n", "05"], "children", 5),
    (["-N", "2"], "tcp_children", 2),
    (["-O", "2"], "optimization", 2),
    (["-P", "/run/s.pid"], "pid_file", "/run/s.pid"),
    (["-Q", "3"], "sctp_children", 3),
    (["-r"], "dns_received", True),
    (["-R"], "rev_dns_received", True),
    (["-rR"], "dns_received", True),
    (["--server-id=7"], "server_id", 7),
    (["--server-id=-1"], "server_id", -1),
    (["--subst=/foo/bar/g"], "substs", ("/foo/bar/g",)),
    (["--substdef=/FOO/bar/"], "substdefs", ("/FOO/bar/",)),
    (["--substdefs=/FOO/bar/"], "substdefss", ("/FOO/bar/",)),
    (["-S"], "disable_sctp", True),
    (["-t", "/srv/jail"], "chroot_dir", "/srv/jail"),
    (["-T"], "disable_tcp", True),
    (["-u", "nobody"], "uid", 65534),
    (["-u", "99999"], "uid", 99999),
    (["-v"], "action", Action.VERSION),
    (["-V"], "action", Action.VERSION),
    (["--version"], "action", Action.VERSION),
    (["--vers"], "action", Action.VERSION),
    (["-x", "tlsf"], "shm_manager", "tlsf"),
    (["-X", "qm"], "pkg_manager", "qm"),
    (["-Y", "/run/siprouter"], "runtime_dir", "/run/siprouter"),
    (["-w", "/tmp"], "working_dir", "/tmp"),
    (["-W", "epoll_lt"], "poll_method", "epoll_lt"),
    (["-W", "/dev/poll"], "poll_method", "/dev/poll"),
    (["-Ec"], "log_stderr", True),
]


@pytest.mark.parametrize(("argv", "field", "expected"), VALID, ids=[" ".join(v[0]) for v in VALID])
def test_option_sets_field(argv: list[str], field: str, expected: Any) -> None:
    assert getattr(parse_args(argv), field) == expected


def test_every_kamailio_option_is_known() -> None:
    # The 48 option letters/names of `kamailio -h` (5.6.3) plus --all-errors (5.7 listing).
    shorts = set("aAbcdDeEfgGhIKlLmMnNOPQrRStTuvVwWxXY")
    longs = {
        "alias", "atexit", "cfg-print", "debug", "help", "loadmodule", "log-engine",
        "modparam", "all-errors", "server-id", "subst", "substdef", "substdefs", "version",
    }  # fmt: skip
    assert set(SHORT_OPTS) == shorts
    assert set(LONG_OPTS) == longs


def test_defaults() -> None:
    opts = parse_args([])
    assert opts.action is Action.RUN
    assert opts.debug is None and opts.listen == () and opts.dont_fork_level == 0
    assert opts.auto_aliases is None and not opts.all_errors


def test_combined_short_flags_with_value_last() -> None:
    opts = parse_args(["-EcdDf", "a.cfg", "-n3"])
    assert opts.log_stderr and opts.action is Action.CHECK
    assert opts.debug == 1 and opts.dont_fork_level == 1
    assert opts.cfg_file == "a.cfg" and opts.children == 3


def test_version_acts_when_met() -> None:
    # like getopt in Kamailio: -v exits at once, so a later bad option is never seen ...
    assert parse_args(["-v", "-Z"]).action is Action.VERSION
    # ... but an earlier one is
    with pytest.raises(UsageError, match="Unknown option '-Z'"):
        parse_args(["-Z", "-v"])


def test_stray_arguments_are_warned_about() -> None:
    opts = parse_args(["-c", "extra", "--", "-x"])
    assert opts.action is Action.CHECK and opts.shm_manager is None
    assert opts.warnings == ("ignoring extra argument 'extra'", "ignoring extra argument '-x'")


INVALID: list[tuple[list[str], str]] = [
    (["-Z"], "Unknown option '-Z'"),
    (["--nosuch"], "Unknown option '--nosuch'"),
    (["--subs=/a/b/"], "ambiguous"),
    (["-f"], "Option '-f' requires an argument"),
    (["-A"], "Option '-A' requires an argument"),
    (["--alias"], "Option '--alias' requires an argument"),
    (["--help=x"], "takes no argument"),
    (["-a", "1"], "bad auto aliases parameter: 1"),
    (["-a", "YES"], "bad auto aliases parameter: YES"),
    (["--alias=foo:bar:baz"], "bad --alias value"),
    (["--alias=sip.example.com:abc"], "bad --alias value"),
    (["--atexit=x"], "bad atexit value: x"),
    (["--atexit=YES"], "bad atexit value: YES"),
    (["-A", ""], "error at define param"),
    (["-A", "=1"], "error at define param"),
    (["-A", "X", "-A", "X=2"], "already defined"),
    (["-b", "x"], "bad max buffer size number: -b x"),
    (["-b", "-1"], "must be >= 0"),
    (["--debug=x"], "bad debug level value"),
    (["-g", "nosuchgroup-xyz"], "bad group name/gid number: -g nosuchgroup-xyz"),
    (["-l", "foo:127.0.0.1"], "bad -l address specifier: foo:127.0.0.1"),
    (["-l", "::1"], "brackets"),
    (["-l", "127.0.0.1:70000"], "out of range"),
    (["-l", "udp:127.0.0.1:5060/"], "advertise"),
    (["-l", 'udp:127.0.0.1 name "s"'], "belong to listen="),
    (["--log-engine=:x"], "bad --log-engine"),
    (["-m", "abc"], "bad shmem size number: -m abc"),
    (["-m", "-1"], "must be >= 0"),
    (["--modparam=foo"], "invalid format for --modparam"),
    (["--modparam=a:b:c:d"], "invalid type 'c'"),
    (["--modparam=a:b:i:x"], "invalid integer value"),
    (["--modparam=:b:s:x"], "invalid format"),
    (["--alias=0:0::3"], "must be in brackets"),
    (["-M", "abc"], "bad private mem size number: -M abc"),
    (["-n", "abc"], "bad process number: -n abc"),
    (["-n", "5x"], "bad process number: -n 5x"),
    (["-n", "0x10"], "bad process number"),
    (["-n", "-3"], "must be >= 0"),
    (["-N", "x"], "bad process number: -N x"),
    (["-O", "x"], "bad optimization level: -O x"),
    (["-Q", "abc"], "bad process number: -Q abc"),
    (["--server-id=x"], "bad server_id value"),
    (["--subst=foo"], "bad subst expression"),
    (["--substdef=foo"], "bad subst expression"),
    (["--substdefs=foo"], "bad subst expression"),
    (["-u", "nosuchuser-xyz"], "bad user name/uid number: -u nosuchuser-xyz"),
    (["-x", "foo"], "bad shm memory manager: -x foo"),
    (["-X", "foo"], "bad pkg memory manager: -X foo"),
    (["-W", "epoll"], "bad poll method name: -W epoll"),
    (["-W", "none"], "try one of poll, epoll_lt"),
]


@pytest.mark.parametrize(("argv", "fragment"), INVALID, ids=[" ".join(v[0]) for v in INVALID])
def test_bad_value_is_a_usage_error(argv: list[str], fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_args(argv)
    assert fragment in str(info.value)


INVENTORY = Path(__file__).resolve().parents[3] / "shared" / "spec" / "inventory.json"


@pytest.mark.skipif(not INVENTORY.exists(), reason="spec inventory not beside the checkout")
def test_every_inventory_option_is_known() -> None:
    entries = json.loads(INVENTORY.read_text())["cli_options"]
    options = [e for e in entries if e["kind"] == "option"]
    assert len(options) == 48
    for entry in options:
        if entry["flag"]:
            assert entry["flag"][1:] in SHORT_OPTS, entry
            assert SHORT_OPTS[entry["flag"][1:]] == (
                entry["arg"] is not None or entry["flag"] in ("-N", "-Q")
            ), entry  # -N/-Q take a number though the listing shows no placeholder
        if entry["long"]:
            assert entry["long"][2:] in LONG_OPTS, entry
    # the json log-engine flags of --log-engine=json:<flags>
    flags = {e["flag"] for e in entries if e["kind"] == "log_engine_json_flag"}
    assert flags == set("aAcjMNpU")
