"""`$?` is the last return code, like `$rc` and `$retcode`; boolean words are 1 and 0
in expressions, as Kamailio's lexer reads them."""

from __future__ import annotations

from conftest import marks, run_text


def test_dollar_question_reads_the_last_return_code() -> None:
    _, ctx = run_text(
        'request_route { ret(-3); $tv(a) = $?; show("a"); ret(5); $tv(b) = $rc; show("b"); }'
    )
    assert marks(ctx) == ["a=[-3]", "b=[5]"]


def test_dollar_question_in_a_condition() -> None:
    _, ctx = run_text('request_route { ret(2); if ($? == 2) { mark("two"); } }')
    assert marks(ctx) == ["two"]


def test_boolean_words_are_numbers_in_expressions() -> None:
    # kamailio -c accepts `if (true)` and `$var(b) = yes;`: the lexer reads them as 1/0
    _, ctx = run_text(
        'request_route { if (true) { mark("t"); } if (off) { mark("off"); } '
        '$tv(b) = yes; show("b"); $tv(c) = disable + 2; show("c"); }'
    )
    assert marks(ctx) == ["t", "b=[1]", "c=[2]"]
