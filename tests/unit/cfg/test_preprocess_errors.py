"""Preprocessor errors: each is a ConfigError with a clear message and the directive's place."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.cfg.pp_defines import MAX_DEFINES
from siprouter.cfg.preprocess import cfg_print, cfg_print_partial, preprocess

EXAMPLES = Path("/usr/share/doc/kamailio/examples")


def err(tmp_path: Path, text: str, name: str = "main.cfg", **kw: object) -> ConfigError:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        preprocess(str(path), **kw)  # type: ignore[arg-type]
    return info.value


def at(tmp_path: Path, line: int, col: int, name: str = "main.cfg") -> Pos:
    return Pos(str(tmp_path / name), line, col)


def test_missing_include_names_file_and_including_line(tmp_path: Path) -> None:
    e = err(tmp_path, 'debug=3\n  include_file "nosuch.cfg"\n')
    assert "cannot open included file: nosuch.cfg" in e.message
    assert str(tmp_path / "nosuch.cfg") in e.message
    assert e.pos == at(tmp_path, 2, 3)


def test_missing_import_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "main.cfg").write_text('import_file "nosuch.cfg"\nx\n')
    assert preprocess(str(tmp_path / "main.cfg")).text == "\nx\n"


def test_include_of_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    e = err(tmp_path, 'include_file "d"\n')
    assert "cannot open included file: d" in e.message


def test_include_name_must_be_quoted(tmp_path: Path) -> None:
    e = err(tmp_path, "include_file x.cfg\n")
    assert "between quotes" in e.message and e.pos == at(tmp_path, 1, 14)


def test_include_loop_stops_at_depth_limit(tmp_path: Path) -> None:
    e = err(tmp_path, 'a\ninclude_file "main.cfg"\n')
    assert "too many nested includes (more than 10)" in e.message
    assert e.pos == at(tmp_path, 2, 1)


@pytest.mark.parametrize(("levels", "ok"), [(10, True), (11, False)])
def test_include_depth_ten_is_allowed(tmp_path: Path, levels: int, ok: bool) -> None:
    for i in range(levels):
        (tmp_path / f"f{i}.cfg").write_text(f'include_file "f{i + 1}.cfg"\n')
    (tmp_path / f"f{levels}.cfg").write_text("leaf\n")
    if ok:
        assert "leaf" in preprocess(str(tmp_path / "f0.cfg")).text
    else:
        with pytest.raises(ConfigError) as info:
            preprocess(str(tmp_path / "f0.cfg"))
        assert info.value.pos == at(tmp_path, 1, 1, f"f{levels - 1}.cfg")


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed")
@pytest.mark.parametrize(("levels", "ok"), [(10, True), (11, False)])
def test_include_depth_matches_kamailio(tmp_path: Path, levels: int, ok: bool) -> None:
    for i in range(levels):
        (tmp_path / f"f{i}.cfg").write_text(f'include_file "f{i + 1}.cfg"\n')
    (tmp_path / f"f{levels}.cfg").write_text("request_route { drop; }\n")
    proc = subprocess.run(
        ["kamailio", "-c", "-f", "f0.cfg"],
        cwd=tmp_path,
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert (proc.returncode == 0) is ok


def test_missing_endif(tmp_path: Path) -> None:
    e = err(tmp_path, "a\n#!ifdef X\nb\n#!ifndef Y\nc\n#!endif\n")
    assert "different number of preprocessor directives" in e.message
    assert e.pos == at(tmp_path, 2, 1)


def test_endif_at_eof_without_newline_is_not_an_endif(tmp_path: Path) -> None:
    e = err(tmp_path, "#!ifdef X\nb\n#!endif")
    assert "different number of preprocessor directives" in e.message
    assert e.hint and "newline" in e.hint


def test_stray_endif(tmp_path: Path) -> None:
    e = err(tmp_path, "a\n#!ifdef X\n#!endif\n#!endif\n")
    assert "different number of preprocessor directives" in e.message
    assert "1 more #!endif" in e.message
    assert e.pos == at(tmp_path, 4, 1)


def test_stray_else_is_accepted_like_kamailio(tmp_path: Path) -> None:
    (tmp_path / "main.cfg").write_text("a\n#!else\nb\n")
    assert preprocess(str(tmp_path / "main.cfg")).text == "a\n\nb\n"


def test_text_after_ifdef_name(tmp_path: Path) -> None:
    e = err(tmp_path, "#!ifdef A B\n#!endif\n")
    assert "unexpected text after #!ifdef A" in e.message and e.pos == at(tmp_path, 1, 11)


def test_minus_in_define_name(tmp_path: Path) -> None:
    e = err(tmp_path, "\n#!define A-B 1\n")
    assert "'-' not allowed" in e.message and e.pos == at(tmp_path, 2, 11)


def test_define_needs_a_name(tmp_path: Path) -> None:
    e = err(tmp_path, "#!define 1abc\n")
    assert "needs a name" in e.message


def test_duplicate_define(tmp_path: Path) -> None:
    e = err(tmp_path, "#!define A 1\n\n#!define A 2\n")
    assert e.message == "already defined: A"
    assert e.pos == at(tmp_path, 3, 1)
    assert e.notes == [f"A was defined at {at(tmp_path, 1, 1)}"]


def test_command_line_define_clashes_with_config(tmp_path: Path) -> None:
    e = err(tmp_path, "#!define WITH_X\n", defines={"WITH_X": None})
    assert e.message == "already defined: WITH_X"
    assert e.notes == ["WITH_X was defined at the command line (-A)"]


@pytest.mark.parametrize(
    ("count", "value", "ok"),
    [(508, " 1", True), (509, " 1", False), (509, "", True), (510, "", False)],
)
def test_too_many_defines(tmp_path: Path, count: int, value: str, ok: bool) -> None:
    """5.6.3 takes 508 config defines with values or 509 without (512 names in all, with the
    3 predefined KAMAILIO_* ones; the last slot cannot hold a value)."""
    assert MAX_DEFINES == 512
    text = "".join(f"#!define D{i}{value}\n" for i in range(count))
    if ok:
        (tmp_path / "ok.cfg").write_text(text)
        assert len(preprocess(str(tmp_path / "ok.cfg")).defines) == count + 5
        return
    e = err(tmp_path, text)
    assert "too many defines" in e.message and e.pos == at(tmp_path, count, 1)


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed")
@pytest.mark.parametrize(
    ("count", "value", "ok"),
    [(508, " 1", True), (509, " 1", False), (509, "", True), (510, "", False)],
)
def test_define_limit_matches_kamailio(tmp_path: Path, count: int, value: str, ok: bool) -> None:
    text = "".join(f"#!define D{i}{value}\n" for i in range(count)) + "request_route { drop; }\n"
    (tmp_path / "main.cfg").write_text(text)
    proc = subprocess.run(
        ["kamailio", "-c", "-f", "main.cfg"],
        cwd=tmp_path,
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert (proc.returncode == 0) is ok


@pytest.mark.parametrize(
    ("expr", "col", "fragment"),
    [
        ("1 +", 12, "ends too early"),
        ("(1", 11, "missing ')'"),
        ("1 2", 11, "unexpected '2'"),
        ('"a" - 1', 13, "not defined for strings"),
        ("1 / 0", 11, "division by zero"),
        ("1 # 2", 11, "unexpected character"),
    ],
)
def test_bad_ifexp(tmp_path: Path, expr: str, col: int, fragment: str) -> None:
    e = err(tmp_path, f"x\n#!ifexp {expr}\n#!endif\n")
    assert e.message.startswith("bad #!ifexp expression") and fragment in e.message
    assert e.pos == at(tmp_path, 2, col)  # the operator or token at fault


def test_bad_defexp(tmp_path: Path) -> None:
    e = err(tmp_path, "#!defexp X 1 +\n")
    assert e.message.startswith("bad #!defexp expression") and e.pos == at(tmp_path, 1, 1)


@pytest.mark.parametrize(
    ("subst", "fragment"),
    [
        ('"/abc"', "not closed"),
        ('"/a/b/q"', "unknown subst flag 'q'"),
        ('"/a(/b/"', "bad regular expression"),
        ('"/a/\\\\1/"', "has 0 groups"),
        ('"//b/"', "empty regular expression"),
    ],
)
def test_bad_subst(tmp_path: Path, subst: str, fragment: str) -> None:
    e = err(tmp_path, f"\n#!subst {subst}\n")
    assert e.message.startswith("bad #!subst") and fragment in e.message
    assert e.pos == at(tmp_path, 2, 9)


def test_subst_without_string(tmp_path: Path) -> None:
    e = err(tmp_path, "#!subst abc\n")
    assert "needs a quoted" in e.message and e.pos == at(tmp_path, 1, 1)


def test_bad_command_line_subst() -> None:
    with pytest.raises(ConfigError) as info:
        preprocess("/etc/hostname", substs=["/x"])
    assert "bad --subst" in info.value.message


def test_defenv_missing_variable(tmp_path: Path) -> None:
    e = err(tmp_path, "#!defenv X=NOPE_NOT_SET\n", env={})
    assert "environment variable NOPE_NOT_SET is not set" in e.message and e.pos == at(
        tmp_path, 1, 1
    )
    e = err(tmp_path, "#!defenv X=\n", env={})
    assert "nothing after '='" in e.message


def test_recursive_define(tmp_path: Path) -> None:
    e = err(tmp_path, "#!define A B\n#!define B A\nx = A;\n")
    assert "expands into itself" in e.message and e.pos == at(tmp_path, 3, 5)


def test_unclosed_string(tmp_path: Path) -> None:
    e = err(tmp_path, 'a\nxlog("abc);\n')
    assert e.message == "unclosed string" and e.pos == at(tmp_path, 2, 6)


def test_unclosed_block_comment(tmp_path: Path) -> None:
    e = err(tmp_path, "a /* b\n")
    assert "comment" in e.message


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        preprocess(str(tmp_path / "nope.cfg"))
    assert "no such file" in info.value.message
    with pytest.raises(ConfigError):
        cfg_print(str(tmp_path))


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="kamailio examples not installed")
@pytest.mark.parametrize(
    ("rel", "line", "fragment"),
    [
        ("pkg/sip-router-basic.cfg", 121, "1 more #!endif"),
        ("pkg/sip-router-oob.cfg", 1718, "#!ifdef here is never closed"),
        ("ims/icscf/kamailio.cfg", 19, "cannot open included file: icscf.cfg"),
    ],
)
def test_broken_stock_examples(
    rel: str, line: int, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shipped examples that Kamailio 5.6.3 itself rejects (unbalanced directives, or an
    include shipped as .sample)."""
    path = EXAMPLES / rel
    monkeypatch.chdir(path.parent)
    with pytest.raises(ConfigError) as info:
        preprocess(path.name)
    assert fragment in info.value.message
    assert info.value.pos is not None and info.value.pos.line == line


FRAGMENTS = [
    "#!define ",
    "#!ifdef ",
    "#!ifndef ",
    "#!else",
    "#!endif",
    "#!ifexp ",
    "#!defexp ",
    "#!defexps ",
    "#!trydef ",
    "#!redefine ",
    "#!subst ",
    "#!substdef ",
    "#!defenv ",
    "#!trydefenv ",
    "include_file ",
    "import_file ",
    "loadmodule ",
    '"',
    "'",
    "/*",
    "*/",
    "//",
    "#",
    "$var(",
    ")",
    "(",
    "A",
    "B",
    "WITH_X",
    "1",
    "-",
    "+",
    "==",
    "\\",
    "\n",
    " ",
    "\t",
    "\r",
    '"/a/b/g"',
    '"x.cfg"',
    "@",
    "%",
    "event_route[",
    "]",
    "!!",
    "=",
    "KAMAILIO_5",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_any_input_gives_a_result_or_a_config_error(tmp_path: Path, parts: list[str]) -> None:
    """Whatever the text, the preprocessor returns or raises ConfigError (with a position
    when it comes from the file), never another exception."""
    (tmp_path / "x.cfg").write_text("inc\n")
    path = tmp_path / "main.cfg"
    path.write_text("".join(parts))
    try:
        r = preprocess(str(path), env={"E": "v"})
    except ConfigError as e:
        assert e.message
        return
    assert r.srcmap.text == r.text
    for off in range(0, len(r.text), 7):
        assert r.srcmap.pos(off).line >= 1
    assert cfg_print_partial(str(path), env={"E": "v"})[0] == r.printed


def test_error_in_included_file_says_how_it_was_included(tmp_path: Path) -> None:
    (tmp_path / "b.cfg").write_text("ok\n#!ifdef A B\n#!endif\n")
    e = err(tmp_path, 'x\ninclude_file "b.cfg"\n')
    assert e.pos == at(tmp_path, 2, 11, "b.cfg")
    assert e.notes == [f"included from {tmp_path / 'main.cfg'}:2"]
