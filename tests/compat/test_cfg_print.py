"""Differential test: our `printed` / cfg_print() against `kamailio --cfg-print` (5.6.3).

The output is compared byte for byte, no normalisation. Each stock config (the installed
/etc/kamailio/kamailio.cfg and every .cfg under /usr/share/doc/kamailio/examples) is run
with no defines, with each WITH_* name it tests on its own, with all of them at once, and
with the combinations kamailio.cfg documents. Both programs run with the config's own
directory as cwd (some examples include files relative to it). Where Kamailio stops with an
error (rc != 0, e.g. an include_file that is not shipped) we must raise ConfigError.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.preprocess import cfg_print, cfg_print_partial, preprocess

pytestmark = pytest.mark.kamailio

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
HAVE_KAMAILIO = os.access(KAMAILIO, os.X_OK)
STOCK = Path("/etc/kamailio/kamailio.cfg")
EXAMPLES = Path("/usr/share/doc/kamailio/examples")

# Combinations documented in the stock kamailio.cfg header.
DOCUMENTED = [
    ("WITH_MYSQL", "WITH_AUTH"),
    ("WITH_MYSQL", "WITH_AUTH", "WITH_USRLOCDB"),
    ("WITH_AUTH", "WITH_USRLOCDB", "WITH_NAT"),
    ("WITH_MYSQL", "WITH_AUTH", "WITH_IPAUTH"),
    ("WITH_MYSQL", "WITH_AUTH", "WITH_USRLOCDB", "WITH_PRESENCE"),
    ("WITH_MYSQL", "WITH_AUTH", "WITH_NAT", "WITH_TLS", "WITH_ANTIFLOOD"),
    ("WITH_MYSQL", "WITH_AUTH", "WITH_PSTN", "WITH_ALIASDB", "WITH_SPEEDDIAL", "WITH_MULTIDOMAIN"),
    ("WITH_DEBUG", "WITH_NAT", "WITH_RTPENGINE", "WITH_NATSIPPING", "WITH_JSONRPC"),
    ("WITH_ACCDB", "WITH_MYSQL", "WITH_VOICEMAIL", "WITH_BLOCK", "WITH_MSGREBUILD"),
]


def _configs() -> list[Path]:
    out = [STOCK] if STOCK.is_file() else []
    if EXAMPLES.is_dir():
        out += sorted(EXAMPLES.rglob("*.cfg"))
    return out


def _with_names(path: Path) -> list[str]:
    text = path.read_text(errors="replace")
    return sorted(set(re.findall(r"#!(?:ifn?def|define|trydef)\s+(WITH_[A-Za-z0-9_]+)", text)))


def _cases() -> list[pytest.param]:
    cases = []
    for cfg in _configs():
        names = _with_names(cfg)
        combos: list[tuple[str, ...]] = [()]
        combos += [(n,) for n in names]
        if len(names) > 1:
            combos.append(tuple(names))
        if cfg == STOCK:
            combos += DOCUMENTED
        seen = set()
        for combo in combos:
            if combo in seen:
                continue
            seen.add(combo)
            label = str(cfg.relative_to(EXAMPLES) if cfg.is_relative_to(EXAMPLES) else cfg)
            cases.append(pytest.param(cfg, combo, id=f"{label}[{'+'.join(combo) or '-'}]"))
    return cases


def _kamailio_print(cfg: Path, combo: tuple[str, ...]) -> tuple[int, bytes]:
    args = [KAMAILIO, "--cfg-print", "-f", cfg.name]
    for name in combo:
        args += ["-A", name]
    proc = subprocess.run(args, cwd=cfg.parent, capture_output=True, timeout=20, check=False)
    return proc.returncode, proc.stdout


def _ours(cfg: Path, combo: tuple[str, ...], fn: Callable[..., Any]) -> Any:
    old = os.getcwd()
    os.chdir(cfg.parent)
    try:
        return fn(cfg.name, defines=dict.fromkeys(combo))
    finally:
        os.chdir(old)


@pytest.mark.skipif(not HAVE_KAMAILIO, reason="kamailio is not installed")
@pytest.mark.parametrize(("cfg", "combo"), _cases())
def test_cfg_print_matches_kamailio(cfg: Path, combo: tuple[str, ...]) -> None:
    rc, expected = _kamailio_print(cfg, combo)
    got, error = _ours(cfg, combo, cfg_print_partial)
    assert (error is None) == (rc == 0), error
    # on an error both have printed the same text up to the point where they stopped
    assert got.encode("utf-8", "surrogateescape") == expected


@pytest.mark.skipif(not HAVE_KAMAILIO, reason="kamailio is not installed")
@pytest.mark.parametrize("cfg", [c for c in _configs()], ids=lambda c: c.name)
def test_preprocess_printed_is_cfg_print(cfg: Path) -> None:
    """preprocess().printed is the same text, for every stock config it accepts."""
    try:
        result = _ours(cfg, (), preprocess)
    except ConfigError:
        pytest.skip("config rejected by the preprocessor (checked in test_preprocess_*)")
    rc, expected = _kamailio_print(cfg, ())
    assert rc == 0
    assert result.printed.encode("utf-8", "surrogateescape") == expected


@pytest.mark.skipif(not HAVE_KAMAILIO, reason="kamailio is not installed")
@pytest.mark.parametrize("role", ["icscf", "scscf"])
def test_ims_configs_with_their_samples(role: str, tmp_path: Path) -> None:
    """The IMS examples include "<role>.cfg", shipped as <role>.cfg.sample: copy the files
    to a scratch dir under their real names and compare there."""
    src = EXAMPLES / "ims" / role
    if not src.is_dir():
        pytest.skip("IMS examples not installed")
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name.removesuffix(".sample"))
    cfg = tmp_path / "kamailio.cfg"
    rc, expected = _kamailio_print(cfg, ())
    assert rc == 0
    assert _ours(cfg, (), cfg_print).encode() == expected
    assert _ours(cfg, (), preprocess).printed.encode() == expected


# Print-mode corner cases, each checked against the binary: print mode knows no strings
# (a "/*" in a string opens a comment), loadmodule defines MOD_x and reports a duplicate,
# 5.6.3 reads #!ifexp as a comment, a rejected duplicate #!define makes the next ID the
# define name, directives are found mid-line, #!subst is not run, a directive needs its
# newline, include_file works inside a word (and stops print mode when the name is bad).
SYNTHETIC = {
    "string-comment": 'xlog("a /* x");\n#!ifdef NOPE\nshown\n#!endif\nxlog("*/");\n'
    "#!ifdef NOPE\nhidden\n#!endif\nend\n",
    "loadmodule": 'loadmodule "tm.so"\nloadmodule "tm.so"\nloadmodule\t"/x/y/sl.so"\n'
    'loadmodule "ab"\nloadmodule\n  "xlog"\n#!ifdef MOD_xlog\nx\n#!endif\n'
    "#!ifdef MOD_sl\ns\n#!endif\n#!ifdef MOD_tm\nt\n#!endif\n",
    "ifexp-is-a-comment": "#!ifexp 0\nin\n#!else\nelse\n#!endif\nafter\n",
    "duplicate-define": "#!define A 1\n#!define A 2\n#!define B 3\n#!ifdef B\nb\n#!endif\n"
    "#!ifdef define\nd\n#!endif\n",
    "mid-line-and-forms": "debug=3 #!ifdef NOPE\nmid\n#!endif\n!!define BANG\n#!ifdef BANG\nbang\n"
    "#!endif\n#!trydef T\n#!redefine T 2\n#!ifdef T\nt\n#!endif\n"
    "#!define ML a \\\n  b\n#!ifdef ML\nml\n#!endif\n",
    "env-and-subst": "#!defenv HOME\n#!ifdef HOME\nhome\n#!endif\n#!trydefenv NO_SUCH_VAR_X\n"
    '#!ifndef NO_SUCH_VAR_X\nnosuch\n#!endif\n#!substdef "/SD/x/"\n'
    "#!ifdef SD\nsd\n#!endif\n",
    "endif-needs-newline": "#!endif // comment\n #!else\t\n#!ifdef X\nx\n#!endif",
    "comments": "/* a /* nested */ still\n#!ifdef NOPE\nin comment\n#!endif\n*/\n// c\n# d\n",
    "include-in-word": "ok\nmy_include_file_x\nnever\n",
    "includes": 'a include_file "inc1.cfg"\n#!include_file "inc2.cfg"\n!!import_file "inc2.cfg"\n'
    'import_file "nothere.cfg"\nx\n',
    "missing-include": 'before\ninclude_file "nothere.cfg"\nafter\n',
    "ifdef-in-skip": "#!ifdef NOPE\n#!ifdef KAMAILIO_5\na\n#!else\nb\n#!endif\n#!else\nc\n#!endif\n",
}
INCLUDED = {"inc1.cfg": 'inc1\ninclude_file "inc2.cfg" trailing\n', "inc2.cfg": "inc2"}


@pytest.mark.skipif(not HAVE_KAMAILIO, reason="kamailio is not installed")
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
@pytest.mark.parametrize("combo", [(), ("X", "NOPE", "MOD_tm")], ids=["-", "X+NOPE+MOD_tm"])
def test_cfg_print_corner_cases(name: str, combo: tuple[str, ...], tmp_path: Path) -> None:
    for fname, text in INCLUDED.items():
        (tmp_path / fname).write_text(text)
    cfg = tmp_path / "main.cfg"
    cfg.write_text(SYNTHETIC[name])
    rc, expected = _kamailio_print(cfg, combo)
    got, error = _ours(cfg, combo, cfg_print_partial)
    assert (error is None) == (rc == 0), error
    assert got.encode() == expected


@pytest.mark.skipif(not HAVE_KAMAILIO, reason="kamailio is not installed")
def test_cfg_print_command_line_options(tmp_path: Path) -> None:
    """--substdef names, --loadmodule MOD_* and -A values are known to print mode; --subst
    is not applied to the printed text."""
    cfg = tmp_path / "main.cfg"
    cfg.write_text(
        "#!ifdef FOO\nfoo FOO\n#!endif\n#!ifdef MOD_xlog\nxlog\n#!endif\n"
        "#!ifdef V\nv V\n#!endif\n#!ifdef Q\nq\n#!endif\n"
        '#!ifdef KAMAILIO_VERSION\nkv\n#!endif\ns="abc"\n'
    )
    proc = subprocess.run(
        [
            KAMAILIO,
            "--cfg-print",
            "-f",
            cfg.name,
            "--substdef",
            "/FOO/bar/",
            "--substdefs",
            "/Q/q/",
            "--subst",
            "/abc/xyz/",
            "--loadmodule",
            "xlog.so",
            "-A",
            "V=1",
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert proc.returncode == 0
    got = cfg_print(
        str(cfg),
        defines={"V": "1"},
        substdefs=["/FOO/bar/"],
        substdefss=["/Q/q/"],
        substs=["/abc/xyz/"],
        preloaded_modules=["xlog.so"],
    )
    assert got.encode() == proc.stdout
    assert "kv" not in got  # 5.6.3 has no KAMAILIO_VERSION
