"""Differential: which define IDs get replaced, in which order, compared with Kamailio.

Kamailio's lexer logs "returning define ID [NAME]" (at debug level) each time it replaces an
ID by its define; we record each expansion the preprocessor makes and compare the two
sequences. The configs load only core modules and keep `debug=3` so the log stays on to
the end; parse errors later in the file do not stop Kamailio's lexer.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.cfg import pp_directives, pp_main
from siprouter.cfg.preprocess import preprocess

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed"),
]

HEAD = """#!define A 1
#!define B "bee"
#!define E
#!define R RELAY
#!define NEST A + B
#!define db8 X
#!define uri Q
#!define host H
#!define tm T
#!define ruri RU
#!define user US
#!define relay RL
#!define debug 9
debug=3
log_stderror=yes
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
loadmodule "tm.so"
"""

CASES = {
    "contexts": HEAD
    + """/* A B comment */
# A B line comment
modparam("tm", "fr_timer", A)
request_route {
	$var(A) = A;
	xlog("A B $var(B)");
	$var(B) = 'A';
	if (uri==myself) { route(R); }
	if (@ruri.user == "x") { drop; }
	E
	$var(x) = NEST;
	$var(A_B) = 2A;
	route(R);
	t_relay();
	$var(y) = uri:host;
	forward("2001:db8::1");
	$var(z) = $(var(A){s.len});
}
route[R] {
	drop;
}
event_route[tm:local-request] {
	drop;
}
""",
    "order-and-redefine": HEAD
    + """request_route {
	$var(a) = LATER;
#!define LATER 5
	$var(b) = LATER;
#!redefine LATER 6
	$var(c) = LATER;
#!trydef LATER 7
	$var(d) = LATER;
#!ifdef NOPE
	$var(e) = A;
#!else
	$var(f) = B;
#!endif
#!define CHAIN NEST + NEST
	$var(g) = CHAIN;
	include_file "inc.cfg"
	$var(h) = IN;
}
""",
    "modules-env-substdef": HEAD
    + """#!ifdef MOD_tm
#!define HAVE_TM 1
#!endif
#!ifdef MOD_acc
#!define HAVE_ACC 1
#!endif
#!ifdef MOD_xlog
#!define HAVE_XLOG 1
#!endif
#!defenv MYENV=HOME
#!defenvs MYENVS=HOME
#!trydefenv NOPE=NO_SUCH_VARIABLE_X
#!substdef "/SUBA/sa/"
#!substdefs "/SUBB/sb/"
request_route {
	$var(a) = HAVE_TM;
	$var(b) = HAVE_ACC;
	$var(c) = HAVE_XLOG;
	$var(d) = MYENV MYENVS NOPE;
	$var(e) = SUBA + SUBB;
}
""",
}
INCLUDED = {"inc.cfg": "#!define IN A\n\t$var(i) = IN + B;\n"}


def _kamailio_sequence(cfg: Path) -> list[str]:
    proc = subprocess.run(
        ["kamailio", "-c", "-E", "-ddd", "-f", cfg.name],
        cwd=cfg.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return re.findall(r"returning define ID \[(\w+)\]", proc.stderr)


def _our_sequence(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    orig = pp_main.MainPass._expand

    def record(self: pp_main.MainPass, name: str, *args: object) -> None:
        seen.append(name)
        orig(self, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pp_main.MainPass, "_expand", record)
    monkeypatch.chdir(cfg.parent)
    preprocess(cfg.name)
    return seen


@pytest.mark.parametrize("name", sorted(CASES))
def test_define_replacements_match_kamailio(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fname, text in INCLUDED.items():
        (tmp_path / fname).write_text(text)
    cfg = tmp_path / "main.cfg"
    cfg.write_text(CASES[name])
    expected = _kamailio_sequence(cfg)
    assert expected, "kamailio logged no define lookups (debug log off?)"
    assert _our_sequence(cfg, monkeypatch) == expected


def test_expanded_text_of_contexts_case(tmp_path: Path) -> None:
    cfg = tmp_path / "main.cfg"
    cfg.write_text(CASES["contexts"])
    text = preprocess(str(cfg)).text
    body = text[text.index("request_route") :]
    assert "$var(A) = 1;" in body
    assert 'xlog("A B $var(B)");' in body
    assert "route(RELAY);" in body and "route[RELAY]" in body
    assert '$var(x) = 1 + "bee";' in body
    assert "$var(y) = uri:host;" in body
    assert "event_route[tm:local-request]" in body
    assert "debug=3" in text


SUBST_CFG = r"""debug=3
log_stderror=yes
loadmodule "pv.so"
loadmodule "xlog.so"
#!subst "/DBPASSWD/xyz/"
#!subst "/a(b)c/[\\1]/g"
#!subst ",Q,Y,i"
#!substdef "/NM/$env(HOME)/"
#!substdefs "/NQ/nq/"
modparam("pv", "varset", "mysql://u:DBPASSWD@h/db")
request_route {
	xlog("abcabc\n");
	xlog("qqQ" "q");
	xlog('NM');
	$var(NM) = "none";
	$var(x) = NQ;
	xlog("L_INFO", "nothing");
}
"""


def test_substs_match_kamailio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kamailio logs each subst it applies to a string or variable token ("applied [#k] to
    [IN] - returning new string [OUT]", k counting per token); compare IN -> final OUT."""
    cfg = tmp_path / "main.cfg"
    cfg.write_text(SUBST_CFG)
    env = {"HOME": "/home/x"}
    proc = subprocess.run(
        ["kamailio", "-c", "-E", "-ddd", "-f", cfg.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, **env},
    )
    expected: list[tuple[str, str]] = []
    log_entry = (
        r"applied \[#(\d+)\] to \[(.*?)\] - returning new string \[(.*?)\]\n(?= *\d+\(\d+\) |\Z)"
    )
    for k, src, out in re.findall(log_entry, proc.stderr, re.S):
        if k == "1":
            expected.append((src, out))
        else:
            expected[-1] = (expected[-1][0], out)
    assert len(expected) >= 5

    seen: list[tuple[str, str]] = []
    orig = pp_main.run_substs

    def record(substs: list, text: str) -> str:  # type: ignore[type-arg]
        out = orig(substs, text)
        if out != text:
            seen.append((text, out))
        return out

    monkeypatch.setattr(pp_main, "run_substs", record)
    monkeypatch.setattr(pp_directives, "run_substs", record)
    preprocess(str(cfg), env=env)
    assert seen == expected
