"""Operators and type rules, each case run through siprouter and Kamailio 5.6.3.

One program assigns every expression to its own variable and shows it; the MARK lines
of both sides must be equal. The expected values are also written here (checked
against siprouter without Kamailio), so the table documents what Kamailio does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import kamailio_program, ours_program

PRESETS = """
  $var(abc) = "abc"; $var(s2) = "2"; $var(s12a) = "12abc"; $var(s5) = "5"; $var(e) = "";
  $var(x) = "x"; $var(s3) = "3"; $var(s4) = "4"; $var(sp12) = " 12"; $var(m12) = "-12";
  $var(big) = "99999999999"; $var(p5) = "+5"; $var(s9) = "9"; $var(s10) = "10";
  $var(zero) = 0; $var(one) = 1; $var(m3) = -3; $var(sm1) = "-1"; $var(ABC) = "ABC";
"""

# (expression, value Kamailio 5.6.3 gives)
CASES: list[tuple[str, str]] = [
    ("2147483647 + 1", "-2147483648"),
    ("-7 / 2", "-3"),
    ("-7 mod 2", "-1"),
    ("-5 mod 3", "-2"),
    ("5 mod -3", "2"),
    ("$var(abc) + 1", "abc1"),
    ("1 + $var(s2)", "3"),
    ("1 + $var(abc)", "1"),
    ("$null + 1", "1"),
    ("($null + 1) + 1", "11"),
    ("1 << 31", "-2147483648"),
    ("1 << 33", "2"),
    ("1 << 32", "1"),
    ("-8 >> 1", "-4"),
    ("-1 >> 40", "-1"),
    ("~2", "-3"),
    ("~$var(s5)", "-6"),
    ("(int)$var(s12a)", "0"),
    ("-$var(s5)", "-5"),
    ("-$var(abc)", "0"),
    ("strlen($var(big))", "11"),
    ("65536 * 65536", "0"),
    ("2147483647 * 2", "-2"),
    ("(str)12 + 3", "123"),
    ("$var(s4) > 20", "0"),
    ("$var(s9) < $var(s10)", "1"),
    ("$var(s10) < 9", "0"),
    ("10 < $var(s9)", "0"),
    ("0 == $var(e)", "1"),
    ("$var(zero) eq $var(e)", "0"),
    ("$var(abc) ieq $var(x)", "1"),
    ('"ABC" =~ "^abc$"', "1"),
    ('$var(ABC) =~ "[[:lower:]]{3}"', "1"),
    ('$var(abc) =~ "^a.c$"', "1"),
    ('$var(abc) =~ "\\\\d"', "0"),
    ('$var(zero) =~ "0"', "1"),
    ("$null == $null", "1"),
    ("$null == 0", "1"),
    ('$null == ""', "1"),
    ("$null != 1", "1"),
    ("-2147483647 - 2", "2147483647"),
    ("3 - $var(x)", "3"),
    ("$var(s3) - 1", "2"),
    ("$var(s3) * $var(s4)", "12"),
    ("defined $null", "0"),
    ("defined $var(abc)", "1"),
    ('strempty("")', "1"),
    ("strempty($var(abc))", "0"),
    ('"x" + $null', "x"),
    ("7 + $null", "7"),
    ("!$var(abc)", "1"),
    ("!$var(e)", "1"),
    ("!$var(m3)", "0"),
    ("$var(sp12) + 1", " 121"),
    ("1 + $var(sp12)", "1"),
    ("1 + $var(m12)", "-11"),
    ("1 + $var(big)", "1"),
    ("1 + $var(p5)", "6"),
    ("1 && $var(abc)", "0"),
    ("$var(m3) && $var(one)", "1"),
    ("$var(m3) || $var(zero)", "1"),
    ("$var(zero) || $var(s5)", "1"),
    ("$var(s10) + 1", "101"),
    ("$var(abc) + $var(s2)", "abc2"),
    ("0 - 2147483647 - 1", "-2147483648"),
    ("-(0 - 2147483647 - 1)", "-2147483648"),
    ('selval($var(m3), "t", "f")', "f"),
    ('selval($var(one), "t", "f")', "t"),
    ("$var(nonexistent)", "0"),
    ("4 + ( 7 & ( ~2 ) )", "9"),
    ("$var(s5) | 2", "7"),
    ("6 ^ 3", "5"),
    ("5 / 1", "5"),
    ("-7 / -2", "3"),
    ("strlen($null)", "0"),
    ("strempty($null)", "1"),
    ("defined $var(nonexist2)", "1"),
    ("(int)$null", "0"),
    ("(str)$null + 1", "1"),
    ('selval($var(s5), 1 + 1, "no")', "2"),
    ("$var(abc) == $var(ABC)", "0"),
    ('$var(abc) eq "abc"', "1"),
    ("$var(s10) ieq 10", "1"),
    ("$var(s10) == 10", "1"),
    ("10 == $var(s10)", "1"),
    ("$var(zero) == $var(e)", "1"),
    ("$var(e) == $var(zero)", "0"),
    ("$null + $null", ""),
    ("-$null", "0"),
    ("~$null", "-1"),
    ("$var(abc) + $null + 1", "abc1"),
    ("(str)$var(m3) + 1", "-31"),
    ("1 - -1", "2"),
    ('$var(x) != "x"', "0"),
    ('$var(x) ne "y"', "1"),
    ("$var(s2) ine 2", "0"),
]


def _program() -> str:
    lines = [PRESETS]
    for i, (expr, _want) in enumerate(CASES):
        lines.append(f'  $var(r{i}) = {expr}; show("r{i}");')
    return "\n".join(lines)


def _expected() -> list[str]:
    return [f"r{i}=[{want}]" for i, (_e, want) in enumerate(CASES)]


def test_ops_table_ours() -> None:
    got = ours_program(_program())
    assert got == _expected()


@pytest.mark.kamailio
def test_ops_table_kamailio(tmp_path: Path) -> None:
    got = kamailio_program(tmp_path, _program())
    assert got == _expected()


DIV_PROGRAM = """
  $var(z) = 0; $var(r) = 5;
  $var(r) = 1 / $var(z); show("r");
  $var(r) = 7 mod $var(z); show("r");
  if (1 / $var(z)) { mark("div-true"); } else { mark("div-false"); }
  $var(i) = 1; while ($var(i) / $var(z)) { mark("in-loop"); } mark("after-loop");
"""


def test_division_by_zero_ours() -> None:
    assert ours_program(DIV_PROGRAM) == ["r=[5]", "r=[5]", "div-false", "after-loop"]


@pytest.mark.kamailio
def test_division_by_zero_kamailio(tmp_path: Path) -> None:
    assert kamailio_program(tmp_path, DIV_PROGRAM) == ours_program(DIV_PROGRAM)
