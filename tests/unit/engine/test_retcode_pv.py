"""`$?` is the last return code, like `$rc` and `$retcode` (the parser reads `$?` as a PV)."""

from __future__ import annotations

from conftest import marks, run_text


def test_dollar_question_reads_the_last_return_code() -> None:
    _, ctx = run_text(
        "request_route { ret(-3); $tv(a) = $?; show(\"a\"); ret(5); $tv(b) = $rc; show(\"b\"); }"
    )
    assert marks(ctx) == ["a=[-3]", "b=[5]"]


def test_dollar_question_in_a_condition() -> None:
    _, ctx = run_text('request_route { ret(2); if ($? == 2) { mark("two"); } }')
    assert marks(ctx) == ["two"]
