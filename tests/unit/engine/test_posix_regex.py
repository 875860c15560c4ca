"""POSIX ERE translation; the match table also runs through Kamailio's `=~`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import kamailio_program, ours_program

from siprouter.engine.posix_regex import compile_posix, translate

# (pattern, subject, matches with =~ (case-insensitive))
MATCHES: list[tuple[str, str, bool]] = [
    ("^[[:digit:]]{3}$", "123", True),
    ("^[[:digit:]]{3}$", "12a", False),
    ("[[:alpha:]]+", "123", False),
    ("^[[:alnum:]_]+$", "ab_12", True),
    ("^[[:upper:]]+$", "abc", True),  # case-insensitive: [[:upper:]] matches lower case
    ("^[[:xdigit:]]+$", "00ff", True),
    ("^[[:space:]]*x", "  x", True),
    ("^[[:punct:]]$", ";", True),
    ("^sip:.*@example\\\\.com$", "sip:alice@example.com", True),
    ("^sip:.*@example\\\\.com$", "sip:alice@exampleXcom", False),
    ("^\\\\+49", "+4930", True),
    ("abc$", "xabc", True),
    ("^(INVITE|ACK)$", "ack", True),
    ("^[^a]+$", "bcd", True),
    ("^[]a]+$", "]a]", True),
    ("^[a-c-]+$", "a-c", True),
    ("^a{2,3}$", "aaaa", False),
    ("^\\\\d$", "d", False),  # glibc: \d matches nothing
    ("\\\\d", "5", False),
    ("\\\\q", "q", False),
    ("^\\\\w\\\\s\\\\.$", "_ .", True),
    ("^[\\\\.]$", "\\\\", True),  # a backslash in brackets is literal
    ("^a.c$", "a\nc", True),  # . matches a newline (no REG_NEWLINE)
]


def test_translate_examples() -> None:
    assert translate("[[:digit:]]{3}") == "[0-9]{3}"
    assert translate("a$") == "a\\Z"
    assert translate("[\\.]") == "[\\\\.]"
    assert translate("[]a]") == "[\\]a]"
    assert translate("\\d") == "(?!)"
    assert translate("\\<a\\>").startswith("\\b")
    with pytest.raises(re.error):
        translate("[[:nope:]]")
    with pytest.raises(re.error):
        translate("(?i)x")


def test_compile_icase_ascii_only() -> None:
    rx = compile_posix("^straße$", icase=True)
    assert rx.search("STRAßE")
    assert not compile_posix("^k$", icase=True).search("\u212a")  # Kelvin sign: not ASCII


def _cfg_text(s: str) -> str:
    return s.replace("\n", "\\n")


def _program() -> str:
    lines = []
    for i, (pattern, subject, _m) in enumerate(MATCHES):
        lines.append(
            f'$var(s) = "{_cfg_text(subject)}"; '
            f'if ($var(s) =~ "{pattern}") {{ mark("m{i}=1"); }} else {{ mark("m{i}=0"); }}'
        )
    return "\n".join(lines)


def _expected() -> list[str]:
    return [f"m{i}={int(m)}" for i, (_p, _s, m) in enumerate(MATCHES)]


def test_match_table_ours() -> None:
    assert ours_program(_program()) == _expected()


@pytest.mark.kamailio
def test_match_table_kamailio(tmp_path: Path) -> None:
    assert kamailio_program(tmp_path, _program()) == _expected()
