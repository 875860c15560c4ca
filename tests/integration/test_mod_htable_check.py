"""htable and cfgutils configs through `-c` and start-up, against Kamailio 5.6.3:
`htable` modparam values and cfgutils parameter types accepted/refused alike; every
function of both modules in every route type accepted/refused alike; values Kamailio
refuses only at start-up (initial_probability out of range, an unreadable hash_file,
a table defined twice) stop siprouter's start-up too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.loader import load_config
from siprouter.options import Options

from .conftest import HAS_KAMAILIO, siprouter_cmd

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

TABLE_SPECS = [
    "a=>size=1", "a=>size=40", "a", "a=>", "a=>foo=1", "a=>size=x", "a=>autoexpire=-5",
    "a=>initval=abc", "a=>initval=-3;updateexpire=0", "a=>size=4;size=5", " a => size = 4 ; ",
    "a=>size=4;;", "a=>updateexpire=2", "a=>dmqreplicate=1", "a=>size=4;autoexpire=300;",
]  # fmt: skip

CFGUTILS_PARAMS = [
    '"initial_probability", 15', '"initial_probability", "15"', '"initial_gflags", "3"',
    '"initial_gflags", 3', '"lock_set_size", 4', '"hash_file", 4', '"hash_file", "/x"',
]  # fmt: skip

CALLS = [
    "sht_print()", 'sht_rm("a", "k")', 'sht_rm_name_re("a=>k")', 'sht_rm_value_re("a=>k")',
    'sht_rm_name("a", "re", "k")', 'sht_rm_value("a", "sw", "k")', 'sht_reset("a")',
    'sht_lock("a=>k")', 'sht_unlock("a=>k")', 'sht_iterator_start("i", "a")',
    'sht_iterator_next("i")', 'sht_iterator_end("i")', 'sht_iterator_rm("i")',
    'sht_iterator_sets("i", "v")', 'sht_iterator_seti("i", "1")', 'sht_iterator_setex("i", "1")',
    'sht_match_name("a", "eq", "k")', 'sht_has_name("a", "eq", "k")',
    'sht_match_str_value("a", "eq", "k")', 'sht_has_str_value("a", "eq", "k")',
    'sht_setxs("a", "k", "v", "1")', 'sht_setxi("a", "k", "1", "1")',
    "rand_event()", 'rand_set_prob("5")', "rand_reset_prob()", "rand_get_prob()",
    'sleep("1")', 'usleep("1")', "abort()", "pkg_status()", "pkg_summary()",
    "shm_status()", "shm_summary()", 'set_gflag("1")', 'reset_gflag("1")', 'is_gflag("1")',
    'lock("k")', 'trylock("k")', 'unlock("k")', 'check_route_exists("r")',
    'route_if_exists("r")', 'core_hash("a", "b", "2")',
]  # fmt: skip

PV_USES = [
    "$shtinc(a=>x) = 5;", "$shtcn(a=>x) = 1;", "$shtitkey(i) = 1;", "$shtrecord(key) = 1;",
    "$RANDOM = 1;", '$shtex(a=>x) = "s";', "$sht(a) = 1;", "$var(x) = $shtitval(i);",
    "$var(x) = $shtrecord(foo);", "$var(x) = $sht(zz=>x);", "$var(x) = $sht(=>x);",
    "$var(x) = $shtdec(a);", "$sht(a=>$ci::x) = $RANDOM;",
]  # fmt: skip

ROUTES = ["request_route", "reply_route", "onreply_route[x]", "failure_route[x]",
          "branch_route[x]", "onsend_route", "event_route[htable:mod-init]"]  # fmt: skip

HEAD = 'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "htable"\nloadmodule "cfgutils"\n'


def _ok(cmd: list[str], cfg: Path) -> bool:
    r = subprocess.run([*cmd, "-c", "-f", str(cfg)], capture_output=True, timeout=60)
    return r.returncode == 0


def _siprouter_ok(cfg: Path) -> bool:
    """`siprouter -c` in this process (the same front end, without a process start)."""
    try:
        load_config(Options(cfg_file=str(cfg)))
    except (ConfigError, ConfigErrors):
        return False
    return True


def _both(tmp_path: Path, texts: list[tuple[str, str]]) -> list[str]:
    """The labels whose cfg kamailio -c and siprouter -c judge differently."""
    diff = []
    for i, (label, text) in enumerate(texts):
        cfg = tmp_path / f"c{i}.cfg"
        cfg.write_text(text)
        kam, ours = _ok(["kamailio"], cfg), _siprouter_ok(cfg)
        if kam != ours:
            diff.append(
                f"{label}: kamailio {'ok' if kam else 'refused'}, siprouter {'ok' if ours else 'refused'}"
            )
    return diff


def test_htable_modparam_verdicts(tmp_path: Path) -> None:
    texts = [
        (spec, f'{HEAD}modparam("htable", "htable", "{spec}")\nrequest_route {{ exit; }}\n')
        for spec in TABLE_SPECS
    ]
    assert _both(tmp_path, texts) == []


def test_cfgutils_param_verdicts(tmp_path: Path) -> None:
    texts = [
        (p, f'{HEAD}modparam("cfgutils", {p})\nrequest_route {{ exit; }}\n')
        for p in CFGUTILS_PARAMS
    ]
    assert _both(tmp_path, texts) == []


def test_pv_verdicts(tmp_path: Path) -> None:
    """Read-only PVs, bad names, undefined tables (a runtime matter) alike."""
    texts = [
        (use, f'{HEAD}modparam("htable", "htable", "a=>size=4")\nrequest_route {{ {use} }}\n')
        for use in PV_USES
    ]
    assert _both(tmp_path, texts) == []


def test_route_types(tmp_path: Path) -> None:
    """Every function in every route type (Kamailio 5.6.3 accepts them all); one cfg per
    route type, one call per line."""
    texts = []
    body = "\n".join(f"    {c};" for c in CALLS)
    for route in ROUTES:
        text = f"{HEAD}request_route {{ exit; }}\n{route} {{\n{body}\n}}\n"
        if route == "request_route":
            text = f"{HEAD}request_route {{\n{body}\n}}\n"
        texts.append((route, text))
    assert _both(tmp_path, texts) == []


@pytest.mark.parametrize(
    "extra",
    [
        'modparam("cfgutils", "initial_probability", 150)',
        'modparam("cfgutils", "hash_file", "/nonexistent/kamailio.cfg")',
    ],
)
def test_start_up_refusals(tmp_path: Path, extra: str) -> None:
    cfg = tmp_path / "s.cfg"
    cfg.write_text(f"{HEAD}{extra}\nrequest_route {{ exit; }}\n".replace("5060", "5999"))
    rundir = tmp_path / "run"
    rundir.mkdir()
    for cmd in (["kamailio", "-Y", str(rundir), "-m", "64", "-M", "8"], siprouter_cmd()):
        assert _ok(cmd, cfg)  # -c accepts: only start-up refuses
        r = subprocess.run(
            [*cmd, "-DD", "-E", "-f", str(cfg)], capture_output=True, timeout=30, text=True
        )
        assert r.returncode != 0, (cmd[0], r.stderr[-500:])
    assert "Listening on" not in r.stdout  # siprouter stops before binding


def test_table_defined_twice(tmp_path: Path) -> None:
    cfg = tmp_path / "d.cfg"
    cfg.write_text(
        f'{HEAD}modparam("htable", "htable", "a=>size=4")\n'
        'modparam("htable", "htable", "a=>size=2")\nrequest_route { exit; }\n'.replace(
            "5060", "5998"
        )
    )
    assert not _ok(["kamailio"], cfg)
    # siprouter: a modparam cannot see the others, so start-up refuses it
    r = subprocess.run(
        [*siprouter_cmd(), "-DD", "-E", "-f", str(cfg)], capture_output=True, timeout=30, text=True
    )
    assert r.returncode != 0 and "already configured" in r.stderr


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ('"htable", "a=>size=4;dbtable=htable"', "needs a database"),
        ('"db_url", "mysql://kamailio:pw@localhost/kamailio"', "not supported by siprouter"),
        ('"enable_dmq", 1', "DMQ replication is not implemented"),
    ],
)
def test_database_and_dmq_settings_are_refused_clearly(
    tmp_path: Path, param: str, says: str
) -> None:
    cfg = tmp_path / "db.cfg"
    cfg.write_text(f'{HEAD}modparam("htable", {param})\nrequest_route {{ exit; }}\n')
    r = subprocess.run(
        [*siprouter_cmd(), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode != 0 and says in r.stderr, r.stderr
