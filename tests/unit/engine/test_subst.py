"""The shared subst parser (engine/subst.py): delimiters, escapes, flags, back references,
pseudo-variable pieces, str and bytes, errors; and that the three callers share it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from siprouter.engine.subst import SubstError, SubstExpr, parse_subst, split_subst


def py_re(regex: str, flags: frozenset[str]) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE if "i" in flags else 0)


def py_bytes(regex: str, flags: frozenset[str]) -> re.Pattern[bytes]:
    return re.compile(regex.encode(), re.IGNORECASE if "i" in flags else 0)


def sub(expr: str, text: str, **kw: object) -> str:
    s: SubstExpr = parse_subst(expr, py_re, **kw)  # type: ignore[arg-type]
    return s.apply(text)


@pytest.mark.parametrize(
    ("expr", "parts"),
    [
        ("/a/b/", ("a", "b", "")),
        ("/a/b/gi", ("a", "b", "gi")),
        ("#a/b#c#g", ("a/b", "c", "g")),
        ("|x\\|y|z\\|w|", ("x|y", "z|w", "")),
        ("/\\//-/", ("/", "-", "")),
        ("/a\\.b/\\1\\n/", ("a\\.b", "\\1\\n", "")),  # other escapes are kept for the next stage
        ("/a//", ("a", "", "")),
        ("///", ("", "", "")),
        ("/a/b/c/d", ("a", "b", "c/d")),  # everything after the third delimiter is the flags
    ],
)
def test_split(expr: str, parts: tuple[str, str, str]) -> None:
    assert split_subst(expr) == parts


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("//", "too short"),
        ("/a/", "not closed"),
        ("", "too short"),
        ("/abc", "not closed"),
        ("/a\\/b/", "not closed"),
        ("#a/b/c/", "not closed"),
    ],
)
def test_split_errors(expr: str, fragment: str) -> None:
    with pytest.raises(SubstError, match=fragment):
        split_subst(expr)


@pytest.mark.parametrize(
    ("expr", "text", "out"),
    [
        ("/an/AN/", "banana", "bANana"),  # first match only
        ("/an/AN/g", "banana", "bANANa"),
        ("/AN/x/gi", "banana", "bxxa"),
        ("/AN/x/g", "banana", "banana"),
        ("/(.*)@(.*)/\\2 at \\1/", "alice@host", "host at alice"),
        ("/b(x)?/<\\1>/", "abc", "a<>c"),  # a group that did not take part is empty
        ("/b/[\\0\\0]/", "abc", "a[bb]c"),
        ("/b/\\n\\r\\t\\\\/", "abc", "a\n\r\t\\c"),
        ("/b/\\q\\./", "abc", "aq.c"),  # any other escaped character stands for itself
        ("#b#\\##", "abc", "a#c"),  # an escaped delimiter in the replacement
        ("/b/$x/", "abc", "a$xc"),  # without a pv hook '$' is literal
        ("/z/y/", "abc", "abc"),
    ],
)
def test_apply_str(expr: str, text: str, out: str) -> None:
    assert sub(expr, text) == out


def test_flags_are_kept_and_passed_to_the_compiler() -> None:
    seen: list[frozenset[str]] = []

    def compile_(regex: str, flags: frozenset[str]) -> re.Pattern[str]:
        seen.append(flags)
        return re.compile(regex, re.DOTALL if "s" in flags else 0)

    s = parse_subst("/a.b/X/sg", compile_)
    assert seen == [frozenset("sg")] and s.replace_all and s.flags == frozenset("gs")
    assert s.apply("a\nb") == "X"
    assert not parse_subst("/a/b/i", compile_).replace_all


def test_bytes() -> None:
    s = parse_subst("/(b+)/<\\1\\n>/g", py_bytes)
    assert s.apply(b"abbcb") == b"a<bb\n>c<b\n>"
    assert s.parts == ("<", 1, "\n>")


def test_non_ascii_literal_over_bytes() -> None:
    assert parse_subst("/x/é/", py_bytes).apply(b"axb") == "aéb".encode()


def test_literals_are_merged() -> None:
    assert parse_subst("#a\\#b#c\\\\d\\n#ig", py_re).parts == ("c\\d\n",)


def test_prepare_rewrites_the_raw_replacement() -> None:
    s = parse_subst(
        "/b/X\\1Y/", lambda r, f: re.compile("(b)"), prepare=lambda t: t.replace("X", "\\1")
    )
    assert s.apply("abc") == "abbYc"


def test_pv_pieces_are_rendered_per_use() -> None:
    names: list[str] = []

    def pv(name: str) -> tuple[str]:  # a str result would be a literal
        names.append(name)
        return (name.upper(),)

    s = parse_subst(
        "/b/<$var(x)|$rU|$(hdr(X){s.len})|\\$y|$ z>/",
        py_re,
        pv=pv,
        render=lambda piece, ctx: f"{piece[0]}@{ctx}",
    )
    assert names == ["$var(x)", "$rU", "$(hdr(X){s.len})"]
    assert s.apply("abc", 7) == "a<$VAR(X)@7|$RU@7|$(HDR(X){S.LEN})@7|$y|$ z>c"


def test_unclosed_pv_is_an_error() -> None:
    with pytest.raises(SubstError, match="pseudo-variable"):
        parse_subst("/b/$var(x/", py_re, pv=str)


def test_back_reference_beyond_the_groups() -> None:
    with pytest.raises(SubstError, match="has 1 groups"):
        parse_subst("/(a)/\\2/", py_re, strict_groups=True)
    assert parse_subst("/(a)/[\\2]/", py_re).apply("xa") == "x[]"


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("/a/b/q", "unknown subst flag 'q'"),
        ("/a/b/gx", "unknown subst flag 'x'"),
        ("/a(/b/", "bad regular expression"),
        ("/abc", "not closed"),
    ],
)
def test_errors(expr: str, fragment: str) -> None:
    with pytest.raises(SubstError, match=fragment):
        parse_subst(expr, py_re)


def test_compiler_errors_become_subst_errors() -> None:
    def refuse(regex: str, flags: frozenset[str]) -> re.Pattern[str]:
        raise ValueError("nope")

    with pytest.raises(SubstError, match="nope"):
        parse_subst("/a/b/", refuse)
    assert issubclass(SubstError, ValueError)


def test_the_three_callers_share_the_parser() -> None:
    from siprouter.cfg import pp_subst
    from siprouter.modules import textops_re

    pp = pp_subst.parse_subst("/(b)/$env(E)\\1/g", {"E": "<"})
    assert isinstance(pp, SubstExpr) and pp.apply("abcb") == "a<bc<b"
    tx = textops_re.parse_subst("/^B/X/i")
    assert isinstance(tx, SubstExpr) and tx.apply(b"a\r\nbc") == b"a\r\nXc"  # line anchors
    with pytest.raises(SubstError, match="empty regular expression"):
        pp_subst.parse_subst("//b/", {})


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed")
@pytest.mark.parametrize(
    "expr",
    [
        "/a/b/q",
        "/abc",
        "/a(/b/",
        "#a\\#b#c#g",
        "/a//",
        "/a/b/gis",
        "/(a)/\\1/",
        "|x\\|y|z|",
    ],
)
def test_preprocessor_accepts_what_kamailio_accepts(tmp_path: Path, expr: str) -> None:
    from siprouter.cfg import pp_subst

    cfg = tmp_path / "t.cfg"
    cfg.write_text(f'#!subst "{expr}"\nrequest_route {{ drop; }}\n')
    proc = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30, check=False
    )
    try:
        pp_subst.parse_subst(expr, {})
        ours = True
    except SubstError:
        ours = False
    assert ours == (proc.returncode == 0), proc.stderr[-500:]
