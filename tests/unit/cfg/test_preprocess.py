"""Unit tests for the preprocessor's lexer text: defines, #!ifdef & co, includes, positions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siprouter import KAMAILIO_COMPAT_VERSION
from siprouter.cfg.errors import ConfigError, Pos
from siprouter.cfg.pp_defines import DefineError, parse_cli_define
from siprouter.cfg.preprocess import PreprocessResult, preprocess


def pp(tmp_path: Path, text: str, name: str = "main.cfg", **kw: object) -> PreprocessResult:
    path = tmp_path / name
    path.write_text(text)
    return preprocess(str(path), **kw)  # type: ignore[arg-type]


def line_of(r: PreprocessResult, needle: str) -> Pos:
    return r.srcmap.pos(r.text.index(needle))


# ----- #!define --------------------------------------------------------------------------


def test_define_value_replaces_id_and_directive_line_becomes_empty(tmp_path: Path) -> None:
    r = pp(tmp_path, '#!define FOO 123\n#!define BAR "str"\n$var(x) = FOO + BAR;\n')
    assert r.text == '\n\n$var(x) = 123 + "str";\n'
    assert r.defines["FOO"] == "123"
    assert r.defines["BAR"] == '"str"'


def test_define_without_value_expands_to_nothing(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define WITH_X\na WITH_X b\n")
    assert r.text == "\na  b\n"
    assert r.defines["WITH_X"] is None


def test_define_not_replaced_in_strings_comments_vars_selects(tmp_path: Path) -> None:
    src = (
        "#!define FOO bar\n"
        'xlog("FOO $var(FOO)"); # FOO\n'
        "x = 'FOO'; /* FOO */ // FOO\n"
        "$var(FOO) = $avp(FOO); $FOO; @FOO.x;\n"
        "event_route[FOO:bar] { FOO_X; XFOO; FOO; }\n"
    )
    r = pp(tmp_path, src)
    lines = r.text.split("\n")
    assert lines[1] == 'xlog("FOO $var(FOO)"); # FOO'
    assert lines[2] == "x = 'FOO'; /* FOO */ // FOO"
    assert lines[3] == "$var(FOO) = $avp(FOO); $FOO; @FOO.x;"
    assert lines[4] == "event_route[FOO:bar] { FOO_X; XFOO; bar; }"


def test_define_replaced_in_route_names_and_calls(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define R RELAY\nroute[R] { route(R); }\n")
    assert r.text == "\nroute[RELAY] { route(RELAY); }\n"


def test_define_with_keyword_name_is_not_expanded(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define debug 9\n#!define listen x\ndebug=3\nlisten=udp:127.0.0.1\n")
    assert r.text == "\n\ndebug=3\nlisten=udp:127.0.0.1\n"


def test_define_used_before_its_definition_stays(tmp_path: Path) -> None:
    r = pp(tmp_path, "a = LATER;\n#!define LATER 5\nb = LATER;\n")
    assert r.text == "a = LATER;\n\nb = 5;\n"


def test_nested_defines_expand_recursively(tmp_path: Path) -> None:
    r = pp(
        tmp_path, '#!define A B + C\n#!define B 1\n#!define C "c" D\n#!define D $var(D)\nx = A;\n'
    )
    assert r.text.endswith('x = 1 + "c" $var(D);\n')


def test_digit_words_and_ipv6_are_not_ids(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define db8 X\n#!define abc Y\nlisten=2001:db8::1 5abc abc\n")
    assert r.text.endswith("listen=2001:db8::1 5abc Y\n")


def test_multiline_define_joins_lines(tmp_path: Path) -> None:
    r = pp(tmp_path, '#!define LOOP $var(i) = 0; \\\n   xlog("x"); \\\n   exit;\nLOOP\nnext\n')
    assert r.defines["LOOP"] == '$var(i) = 0;    xlog("x");    exit;'
    assert r.text == '\n\n\n$var(i) = 0;    xlog("x");    exit;\nnext\n'
    assert line_of(r, "next") == Pos(str(tmp_path / "main.cfg"), 5, 1)


def test_define_value_keeps_trailing_text(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define FOO bar   # comment\n")
    assert r.defines["FOO"] == "bar   # comment"


def test_define_forms_and_trydef_redefine(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        "!!define A 1\n#!def B 2\n#!trydef A 9\n#!trydefine C 3\n"
        "#!redefine B 4\n#!redef D 5\n#!redefine A\n",
    )
    assert {k: r.defines[k] for k in "ABCD"} == {"A": None, "B": "4", "C": "3", "D": "5"}


def test_define_at_end_of_file_without_newline_has_no_value(tmp_path: Path) -> None:
    # Kamailio only stores the value when it reaches the newline.
    r = pp(tmp_path, "#!define A 1")
    assert "A" in r.defines and r.defines["A"] is None


def test_predefined_names(tmp_path: Path) -> None:
    r = pp(tmp_path, "x\n")
    major, minor, patch = KAMAILIO_COMPAT_VERSION
    for name in (
        f"KAMAILIO_{major}",
        f"KAMAILIO_{major}_{minor}",
        f"KAMAILIO_{major}_{minor}_{patch}",
    ):
        assert name in r.defines
    assert r.defines["KAMAILIO_VERSION"] == "5006003"
    assert r.defines["OS_NAME"] == '"linux"'


# ----- #!ifdef and friends -----------------------------------------------------------------


def test_ifdef_else_endif_nested(tmp_path: Path) -> None:
    src = (
        "#!define A\n#!ifdef A\na1\n#!ifndef B\nnb\n#!else\nb\n#!endif\n#!else\na0\n#!endif\n"
        "#!ifdef B\n#!ifdef A\nhidden\n#!else\nhidden2\n#!endif\n#!endif\nend\n"
    )
    r = pp(tmp_path, src)
    words = [w for w in r.text.split("\n") if w]
    assert words == ["a1", "nb", "end"]
    assert r.text.count("\n") == src.count("\n")  # line structure kept
    assert line_of(r, "end").line == 19


def test_directives_need_their_own_line_end(tmp_path: Path) -> None:
    # "#!endif // x" is not an endif for Kamailio: it is a comment.
    r = pp(tmp_path, "#!ifdef KAMAILIO_5\n#!endif\n   #!ifdef NOPE   \nx\n #!endif  \ny\n")
    assert r.text.split("\n")[5] == "y"
    assert "x" not in r.text


def test_ifdef_on_define_with_value_and_predefined(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define V 0\n#!ifdef V\nv\n#!endif\n#!ifdef KAMAILIO_5_6\nk\n#!endif\n")
    assert [w for w in r.text.split("\n") if w] == ["v", "k"]


def test_directive_in_comment_or_string_is_text(tmp_path: Path) -> None:
    r = pp(tmp_path, '/*\n#!ifdef NOPE\n*/\nx = "#!define Q 1";\n')
    assert "#!ifdef NOPE" in r.text
    assert "Q" not in r.defines


def test_inactive_region_ignores_defines_and_includes(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        '#!ifdef NOPE\n#!define X 1\ninclude_file "missing.cfg"\nloadmodule "tm"\n#!endif\n',
    )
    assert "X" not in r.defines and r.modules == [] and "MOD_tm" not in r.defines


def test_ifexp(tmp_path: Path) -> None:
    src = (
        '#!define N 10\n#!define S "abc"\n'
        "#!ifexp KAMAILIO_VERSION >= 5006000\nv\n#!else\nnv\n#!endif\n"
        '#!ifexp N == 10 && S == "abc"\nt\n#!endif\n'
        "#!ifexp N > 9\nstrcmp\n#!endif\n"  # "10" > "9" compares as strings: false
        "#!ifexp UNDEFINED\nu\n#!else\nnu\n#!endif\n"
        "#!ifexp UNDEFINED == 0\nz\n#!endif\n"
        '#!ifexp ""\nempty\n#!endif\n'
        "#!ifdef NOPE\n#!ifexp 1\ninner\n#!endif\n#!endif\n"
    )
    r = pp(tmp_path, src)
    assert [w for w in r.text.split("\n") if w] == ["v", "t", "nu", "z"]


def test_defexp_and_defexps(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        '#!define IPADDR 127.0.0.1\n#!defexp SIPURI "sip:" + IPADDR + ":5060"\n'
        "#!defexp QSIPURI '\"sip:' + IPADDR + ':5060\"'\n#!defexp V16 1<<4\n"
        "#!defexps S 1 + 2\n#!defexp F 7 / 2\nx = SIPURI V16 S F;\n",
    )
    assert r.defines["SIPURI"] == "sip:127.0.0.1:5060"
    assert r.defines["QSIPURI"] == '"sip:127.0.0.1:5060"'
    assert r.defines["V16"] == "16"
    assert r.defines["S"] == '"3"'
    assert r.defines["F"] == "3"
    assert r.text.endswith('x = sip:127.0.0.1:5060 16 "3" 3;\n')


# ----- environment -------------------------------------------------------------------------


def test_defenv_family(tmp_path: Path) -> None:
    env = {"SHELL": "/bin/bash", "HOST": "h1"}
    r = pp(
        tmp_path,
        "#!defenv SHELL\n#!defenvs QS=SHELL\n#!trydefenv NOPE\n#!trydefenvs T=NOPE\n"
        "#!trydefenv H=HOST\n#!trydefenvs HS=HOST\nx SHELL QS H HS\n",
        env=env,
    )
    assert r.defines["SHELL"] == "/bin/bash"
    assert r.defines["QS"] == '"/bin/bash"'
    assert "NOPE" not in r.defines and "T" not in r.defines
    assert r.defines["H"] == "h1" and r.defines["HS"] == '"h1"'
    assert r.text.endswith('x /bin/bash "/bin/bash" h1 "h1"\n')


# ----- subst -------------------------------------------------------------------------------


def test_subst_applies_to_strings_with_flags(tmp_path: Path) -> None:
    src = (
        '#!subst "/DBPASSWD/xyz/"\n#!subst "/a(b)c/[\\\\1]/g"\n#!subst ",x,Y,i"\n'
        'modparam("acc", "db_url", "mysql://user:DBPASSWD@localhost/db")\n'
        'xlog("abcabc XX");\nDBPASSWD;\n'
    )
    r = pp(tmp_path, src)
    # substs run in order, each on the previous one's result: xyz -> Yyz
    assert 'modparam("acc", "db_url", "mysql://user:Yyz@localhost/db")' in r.text
    assert 'xlog("[b][b] YX");' in r.text
    assert "\nDBPASSWD;\n" in r.text  # IDs are not strings


def test_subst_on_concatenated_string_maps_to_its_start(tmp_path: Path) -> None:
    r = pp(tmp_path, '#!subst "/ab/Z/"\nx = "a"\n  "b";\ny\n')
    assert 'x = "Z"\n;' in r.text  # one literal; the line break between the parts is kept
    assert line_of(r, '"Z"') == Pos(str(tmp_path / "main.cfg"), 2, 5)
    assert line_of(r, "y") == Pos(str(tmp_path / "main.cfg"), 4, 1)


def test_substdef_and_substdefs(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        '#!substdef "/MYIP/10.0.0.1/"\n#!substdefs "/MYDOM/example.com/"\n'
        'listen=MYIP\nalias=MYDOM\nx = "MYIP MYDOM";\n',
        env={"HOME": "/h"},
    )
    assert r.defines["MYIP"] == "10.0.0.1"
    assert r.defines["MYDOM"] == '"example.com"'
    assert 'listen=10.0.0.1\nalias="example.com"\nx = "10.0.0.1 example.com";' in r.text


def test_subst_env_in_replacement(tmp_path: Path) -> None:
    r = pp(tmp_path, '#!substdef "/NM/$env(HOME)/"\nx = "NM";\n', env={"HOME": "/root"})
    assert r.defines["NM"] == "/root" and 'x = "/root";' in r.text


def test_subst_on_pvar_and_include_name(tmp_path: Path) -> None:
    (tmp_path / "real.cfg").write_text("inc\n")
    r = pp(tmp_path, '#!subst "/NAME/real/"\n$var(NAME) = 1;\ninclude_file "NAME.cfg"\n')
    assert "$var(real) = 1;" in r.text and "inc\n" in r.text


# ----- includes ----------------------------------------------------------------------------


def test_include_splices_file_and_maps_positions(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.cfg").write_text('#!define B 7\n\n  bline = B;\ninclude_file "c.cfg"\n')
    (tmp_path / "sub" / "c.cfg").write_text("cline\n")
    r = pp(tmp_path, 'first\ninclude_file "sub/b.cfg"\nlast = B;\n')
    assert r.text == "first\n\n\n  bline = 7;\ncline\n\n\nlast = 7;\n"
    main = str(tmp_path / "main.cfg")
    b = str(tmp_path / "sub" / "b.cfg")
    c = str(tmp_path / "sub" / "c.cfg")
    assert r.files == [main, b, c]
    assert line_of(r, "bline") == Pos(b, 3, 3)
    assert r.srcmap.notes(r.text.index("bline")) == [f"included from {main}:2"]
    assert line_of(r, "cline") == Pos(c, 1, 1)
    assert r.srcmap.notes(r.text.index("cline")) == [
        f"included from {b}:4",
        f"included from {main}:2",
    ]
    assert line_of(r, "last") == Pos(main, 3, 1)
    seven = r.text.rindex("7")
    assert r.srcmap.pos(seven) == Pos(main, 3, 8)
    assert r.srcmap.notes(seven) == [f"expanded from #!define B at {b}:1:1"]


def test_include_forms_and_cwd_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "cwd"
    cfgdir = tmp_path / "cfg"
    cwd.mkdir()
    cfgdir.mkdir()
    (cwd / "x.cfg").write_text("from_cwd\n")
    (cfgdir / "x.cfg").write_text("from_cfgdir\n")
    (cfgdir / "y.cfg").write_text("y\n")
    (cfgdir / "main.cfg").write_text(
        'include_file "x.cfg"\n#!include_file "y.cfg"\n!!include_file "y.cfg"\n'
        'import_file "nope.cfg"\n#!import_file "y.cfg"\n'
    )
    monkeypatch.chdir(cwd)
    r = preprocess(str(cfgdir / "main.cfg"))
    assert r.text == "from_cwd\n\ny\n\ny\n\n\ny\n\n"


def test_loadmodule_defines_mod_names(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        'loadmodule "tm.so"\nloadmodule "sl"\n'
        'loadmodule "/usr/lib/x86_64-linux-gnu/kamailio/modules/xlog.so"\n'
        "#!ifdef MOD_tm\nhave_tm\n#!endif\n#!ifdef MOD_xlog\nhave_xlog\n#!endif\n"
        "#!ifdef MOD_acc\nhave_acc\n#!endif\n",
        preloaded_modules=["acc"],
    )
    main = str(tmp_path / "main.cfg")
    assert r.modules == [
        ("tm", Pos(main, 1, 1)),
        ("sl", Pos(main, 2, 1)),
        ("xlog", Pos(main, 3, 1)),
    ]
    assert "have_tm" in r.text and "have_xlog" in r.text and "have_acc" in r.text


def test_mod_define_only_after_the_loadmodule(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        '#!ifdef MOD_tm\nearly\n#!endif\nloadmodule "tm.so"\n#!ifdef MOD_tm\nlate\n#!endif\n',
    )
    assert "early" not in r.text and "late" in r.text


# ----- command line ------------------------------------------------------------------------


def test_command_line_defines_and_substs(tmp_path: Path) -> None:
    r = pp(
        tmp_path,
        '#!ifdef WITH_X\nx = Y Z;\n#!endif\ns = "AAA";\nQ R\n',
        defines={"WITH_X": None, "Y": "1", "Z": '"str"'},
        substs=["/AAA/bbb/"],
        substdefs=["/Q/qq/"],
        substdefss=["/R/rr/"],
    )
    assert 'x = 1 "str";' in r.text
    assert 's = "bbb";' in r.text
    assert 'qq "rr"' in r.text


def test_relative_path_is_taken_from_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k.cfg").write_text('include_file "i.cfg"\n')
    (tmp_path / "i.cfg").write_text("i\n")
    monkeypatch.chdir(tmp_path)
    r = preprocess("k.cfg")
    assert r.files == ["k.cfg", "i.cfg"]
    assert r.srcmap.pos(r.text.index("i\n")) == Pos("i.cfg", 1, 1)
    assert os.getcwd() == str(tmp_path)


def test_srcmap_text_is_text(tmp_path: Path) -> None:
    r = pp(tmp_path, "#!define A 1\nA\n")
    assert r.srcmap.text == r.text


# ----- invariants ----------------------------------------------------------------------------

STOCK_CONFIGS = [
    Path("/etc/kamailio/kamailio.cfg"),
    *sorted(Path("/usr/share/doc/kamailio/examples").rglob("*.cfg")),
]


@pytest.mark.parametrize("cfg", [c for c in STOCK_CONFIGS if c.is_file()], ids=lambda c: c.name)
def test_stock_configs_keep_their_line_structure(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For a config without includes every text line maps back to the same file line, and
    every character that was not replaced maps to its own place."""
    monkeypatch.chdir(cfg.parent)
    try:
        r = preprocess(cfg.name, defines={"WITH_NAT": None, "WITH_AUTH": None, "WITH_MYSQL": None})
    except ConfigError:
        pytest.skip("rejected (see test_preprocess_errors)")
    if len(r.files) > 1:
        pytest.skip("has includes")
    src = cfg.read_text(errors="surrogateescape").split("\n")
    start = 0
    for number, line in enumerate(r.text.split("\n"), 1):
        pos = r.srcmap.pos(start) if line else None
        if pos is not None and not r.srcmap.notes(start):
            assert pos.line == number
            assert src[number - 1][pos.col - 1 :].startswith(line[:1])
        start += len(line) + 1
    assert r.text.count("\n") == len(src) - 1


@pytest.mark.parametrize(
    ("arg", "parsed"),
    [
        ("WITH_AUTH", ("WITH_AUTH", None)),
        ("FLT_ACC=1", ("FLT_ACC", "1")),
        ('DEFVAL="str-val"', ("DEFVAL", '"str-val"')),
        ("X=", ("X", None)),
        ("URL=a=b", ("URL", "a=b")),
    ],
)
def test_parse_cli_define(arg: str, parsed: tuple[str, str | None]) -> None:
    assert parse_cli_define(arg) == parsed


@pytest.mark.parametrize("arg", ["", "1X", "A-B=1", "=1"])
def test_parse_cli_define_rejects_bad_names(arg: str) -> None:
    with pytest.raises(DefineError):
        parse_cli_define(arg)


def test_bad_command_line_define_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        pp(tmp_path, "x\n", defines={"A-B": None})
    assert "invalid define name" in info.value.message
