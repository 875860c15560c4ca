"""s.* transformations: behaviour beyond the kamailio differential (bytes, quirks, PVs)."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.transforms import compile_transforms

POS = Pos("s.cfg", 1, 1)


def run(value: Any, *specs: str) -> Any:
    return compile_transforms(list(specs), POS)(value, None)


def test_undefined_fails_every_s_transformation() -> None:
    for spec in ("s.len", "s.int", "s.md5", "s.substr,0,1", "s.tolower", "s.trim"):
        assert run(None, spec) is None


def test_len_and_substr_count_bytes() -> None:
    assert run("é", "s.len") == 2
    assert run("aéb", "s.substr,1,2") == "é"
    assert run("aéb", "s.encode.hexa") == "61c3a962"


def test_int() -> None:
    v = run("007", "s.int")
    assert type(v) is int and v == 7
    assert run("-42", "s.int") == -42 and type(run("-42", "s.int")) is int
    assert run("12ab", "s.int") is None
    assert run("2147483648", "s.int") is None


@pytest.mark.parametrize(
    ("value", "spec", "out"),
    [
        ("abcdef", "s.substr,-3,2", "de"),
        ("abcdef", "s.substr,2,0", "cdef"),
        ("abcdef", "s.substr,9,1", None),
        ("a b", "s.select,1,\\t", ""),
        ("a\tb", "s.select,1,\\t", "b"),
        ("a\nb", "s.select,-1,\\n", "b"),
        ("a:b:c", "s.select,-3,:", "a"),
        ("a\tb\\c", "s.rm,\\t", "ab\\c"),
        ("a\\b", "s.rm,\\\\", "ab"),
        ("x=1", "s.before,=", "x"),
        ("a/b/c", "s.rbefore,/", "a/b"),
        ("a/b/c", "s.rafter,/", "c"),
        ("a/b/c", "s.rafter,z", ""),
        ("abcdef", "s.fmtlinet,3,2", "a\r\n\t\tb\r\n\t\tcdef"),
        ("abc", "s.prefixes.quoted", "'a','ab','abc'"),
        ("  x \r\n", "s.rtrim", "  x"),
        ("a b\tc\r\nd", "s.rmws", "abcd"),
        ('a"b', "s.escape.csv", '"a""b"'),
        ("a b/c", "s.escape.user", "a%20b%2fc"),
        ("a b/c", "s.escape.param", "a%20b/c"),
        ("é", "s.escape.user", None),
        ("a b+", "s.urlencode.param", "a%20b%2b"),
        ("a+b%20", "s.urldecode.param", "a b "),
        ("hello", "s.encode.7bit", "E8329BFD06"),
        ("E8329BFD06", "s.decode.7bit", "hello"),
        ("+40 (721) 123-456", "s.numeric", "40721123456"),
    ],
)
def test_values(value: Any, spec: str, out: Any) -> None:
    assert run(value, spec) == out


def test_integer_inputs_use_their_text() -> None:
    assert run(12345, "s.substr,1,2") == "23"
    assert run(-5, "s.len") == 2
    assert run(7, "s.unquote") == 7  # too short: unchanged, still an integer
    assert run(42, "s.unbracket") == "42"


def test_hashes_match_hashlib() -> None:
    import hashlib

    for name in ("md5", "sha256", "sha384", "sha512"):
        assert run("abc", f"s.{name}") == hashlib.new(name, b"abc").hexdigest()


def test_ftime_formats_local_time() -> None:
    import time

    assert run(86400 * 400, "s.ftime,%Y-%m-%d") == time.strftime(
        "%Y-%m-%d", time.localtime(86400 * 400)
    )
    assert run("nope", "s.ftime,%Y") is None


def test_corehash_slot() -> None:
    full = int(run("sip:a@b", "s.corehash"))
    assert full == 2105893227
    assert run("sip:a@b", "s.corehash,8") == str(full & 7)
