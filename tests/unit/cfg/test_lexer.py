"""Lexer: token kinds, values, positions, comments, strings and escapes, PVs, selects."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.cfg.lexer import tokenize
from siprouter.cfg.srcmap import SourceMap


def toks(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(text, SourceMap.identity(text, "l.cfg"))][:-1]


def test_numbers_ids_operators() -> None:
    assert toks("a_1 = 0x1F + 017 - 101b * 42 mod 3;") == [
        ("ID", "a_1"), ("OP", "="), ("INT", 31), ("OP", "+"), ("INT", 15), ("OP", "-"),
        ("INT", 5), ("OP", "*"), ("INT", 42), ("ID", "mod"), ("INT", 3), ("OP", ";"),
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["08", "09", "0X1F", "0b101", "0o17", "0x"])
def test_numbers_kamailio_refuses(text: str) -> None:
    # Kamailio 5.6.3 reads 017 as octal, 101b as binary; these are syntax errors there
    with pytest.raises(ConfigError, match="bad number"):
        toks(f"a = {text};")


def test_octal_and_binary_values() -> None:
    assert [v for k, v in toks("017 0 00 101b 0x0 10") if k == "INT"] == [15, 0, 0, 5, 0, 10]


def test_multi_char_operators_longest_first() -> None:
    ops = "== != =~ !~ >= <= && || << >> = > < ! ~ & | ^"
    assert [v for _, v in toks(ops)] == ops.split()


def test_addresses() -> None:
    assert toks("10.0.0.1 ::1 fe80::1:2 [2001:db8::5]:5060 udp:1.2.3.4:5060") == [
        ("IPV4", "10.0.0.1"), ("IPV6", "::1"), ("IPV6", "fe80::1:2"), ("OP", "["),
        ("IPV6", "2001:db8::5"), ("OP", "]"), ("OP", ":"), ("INT", 5060), ("ID", "udp"),
        ("OP", ":"), ("IPV4", "1.2.3.4"), ("OP", ":"), ("INT", 5060),
    ]  # fmt: skip


def test_case_label_is_not_ipv6() -> None:
    assert toks("case 1: default:") == [
        ("ID", "case"), ("INT", 1), ("OP", ":"), ("ID", "default"), ("OP", ":"),
    ]  # fmt: skip


def test_comments_all_styles_and_nesting() -> None:
    text = "a # x\nb // y\nc /* z /* nested */ still */ d\n#!KAMAILIO\ne"
    assert [v for _, v in toks(text)] == ["a", "b", "c", "d", "e"]


def test_strings_and_escapes() -> None:
    assert toks(r'"a\nb\t\"q\\" ' + r"'raw\n' " + r'"\x41\101\q"') == [
        ("STRING", 'a\nb\t"q\\'), ("STRING", "raw\\n"), ("STRING", "AA\\q"),
    ]  # fmt: skip


def test_string_spans_lines() -> None:
    assert toks('"a\nb"') == [("STRING", "a\nb")]


def test_escapes_match_kamailio() -> None:
    # checked against kamailio 5.6.3 ($(var(x){s.encode.hexa}) of the same literal)
    text = r'"a\x41\101\q\n\t\"\\" "c' + "\\\n" + 'd"'
    assert toks(text) == [("STRING", 'aAA\\q\n\t"\\'), ("STRING", "cd")]


def test_pseudo_variables() -> None:
    text = "$ru $var(x) $(hdr(Via)[0]{s.len}{s.int}) $sht(t=>$ci) $avp(s:n) $? $null"
    assert [v for _, v in toks(text)] == text.split()


def test_pv_nested_brackets() -> None:
    assert toks("$(ru{s.select,1,:}) $(avp(x)[*])") == [
        ("PV", "$(ru{s.select,1,:})"), ("PV", "$(avp(x)[*])"),
    ]  # fmt: skip
    assert toks("$xavp(a=>b[1]) $T(reply_code)") == [
        ("PV", "$xavp(a=>b[1])"), ("PV", "$T(reply_code)"),
    ]  # fmt: skip


def test_selects_and_msg_len() -> None:
    assert toks('@via[1].host @hf_value["X"].name msg:len') == [
        ("SELECT", "@via[1].host"), ("SELECT", '@hf_value["X"].name'), ("ID", "msg:len"),
    ]  # fmt: skip


def test_positions_are_line_and_column() -> None:
    text = "a\n  bb = 1;\n\t$var(x)"
    got = [t.pos for t in tokenize(text, SourceMap.identity(text, "p.cfg"))]
    assert got[:4] == [
        Pos("p.cfg", 1, 1),
        Pos("p.cfg", 2, 3),
        Pos("p.cfg", 2, 6),
        Pos("p.cfg", 2, 8),
    ]
    assert got[5] == Pos("p.cfg", 3, 2)


def test_positions_follow_the_source_map() -> None:
    text = "x = 1\ny = 2\n"
    sm = SourceMap(text=text)
    sm.add(0, Pos("main.cfg", 10, 1))
    sm.add(6, Pos("inc.cfg", 3, 5))
    got = [t.pos for t in tokenize(text, sm)]
    assert got[0] == Pos("main.cfg", 10, 1)
    assert got[3] == Pos("inc.cfg", 3, 5)
    assert got[5] == Pos("inc.cfg", 3, 9)


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ('x = "abc', "unterminated string", 5),
        ("x /* abc", "unterminated block comment", 3),
        ("x = $(ru{s.len}", "unterminated pseudo-variable", 6),
        ("x = $(ru{s.len)", "bad pseudo-variable: expected '}', got ')'", 15),
        ("x = $ + 1", "bad pseudo-variable: expected a name after '$'", 5),
        ("x = @1", "bad select: expected a name after '@'", 5),
        ("x = \x00", "unexpected character U+0000", 5),
        ("x = `", "unexpected character '`'", 5),
        ("x =\u00a01", "unexpected character U+00A0", 4),
        ("x = \u201ca\u201d", "unexpected character '\u201c'", 5),
    ],
)
def test_lexical_errors(text: str, message: str, col: int) -> None:
    with pytest.raises(ConfigError) as info:
        tokenize(text, SourceMap.identity(text, "e.cfg"))
    assert info.value.message == message
    assert info.value.pos == Pos("e.cfg", 1, col)


def test_position_index_matches_source_map() -> None:
    from siprouter.cfg.lexer import PositionIndex

    text = "ab\ncd\n\nx = 1\nDEF;\n"
    sm = SourceMap(text=text)
    sm.add(0, Pos("m.cfg", 1, 1))
    sm.add(3, Pos("inc.cfg", 7, 3))
    sm.add(14, Pos("m.cfg", 9, 1), verbatim=False, notes=("expanded from #!define DEF",))
    sm.add(17, Pos("m.cfg", 9, 4))
    idx = PositionIndex(sm, text)
    assert [idx.pos(i) for i in range(len(text) + 2)] == [sm.pos(i) for i in range(len(text) + 2)]
    ident = SourceMap.identity(text, "i.cfg")
    got = [PositionIndex(ident, text).pos(i) for i in range(len(text) + 1)]
    assert got == [ident.pos(i) for i in range(len(text) + 1)]


def test_hints_for_pasted_characters() -> None:
    for text, word in (("x =\u00a01", "non-breaking space"), ("x = \u201ca\u201d", "typographic")):
        try:
            tokenize(text, SourceMap.identity(text, "h.cfg"))
        except ConfigError as err:
            assert err.hint is not None and word in err.hint
        else:
            raise AssertionError("no error")


def test_empty_text_has_a_position() -> None:
    (eof,) = tokenize("", SourceMap.identity("", "empty.cfg"))
    assert eof.kind == "EOF" and eof.pos == Pos("empty.cfg", 1, 1)
