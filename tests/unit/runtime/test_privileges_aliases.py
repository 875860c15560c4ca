"""Unit tests of runtime/aliases.py: the order and form of the Aliases: lines."""

from __future__ import annotations

from siprouter.runtime.aliases import alias_lines

NAMES = {"127.0.0.1": "localhost", "127.0.0.2": "two.local"}


def test_newest_first_with_auto_names_per_socket_and_stars() -> None:
    lines = alias_lines(
        [("udp", "127.0.0.1", 5060), ("udp", "127.0.0.2", 5060), ("tcp", "127.0.0.1", 5060),
         ("udp", "::1", 5062)],
        [("foo.example", 5070, None), ("bar.example", None, "udp")],
        [("cli.example", 7000, None)],
        True,
        NAMES.get,
    )  # fmt: skip
    assert [x.strip() for x in lines] == [
        "tcp: localhost:5060",
        "udp: two.local:5060",
        "udp: localhost:5060",
        "udp: bar.example:*",
        "*: foo.example:5070",
        "*: cli.example:7000",
    ]
    assert all(x.startswith(" " * 13) for x in lines)


def test_duplicates_once_and_no_auto_names_when_off() -> None:
    same = [("a.example", 1, None), ("a.example", 1, None), ("a.example", 2, None)]
    lines = alias_lines([("udp", "127.0.0.1", 5060)], same, [], False, NAMES.get)
    assert [x.strip() for x in lines] == ["*: a.example:2", "*: a.example:1"]
