"""Statements, return codes and limits, each program run through siprouter and Kamailio.

`expected` is what Kamailio 5.6.3 prints (MARK lines); the siprouter test needs no
Kamailio, the differential one re-checks the expectation against the real thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import kamailio_program, ours_program

ROUTES = """
route[RM2] { return -2; }
route[R5] { return 5; }
route[R0] { return 0; }
route[RET_NOVAL] { route(RM2); return; }
route[NORET] { route(RM2); }
route[EMPTY] { ; }
route[E_ASSIGN] { route(RM2); $var(a) = 7; }
route[E_ASSIGN0] { route(RM2); $var(a) = 0; }
route[E_IFF] { route(RM2); if ($var(a) == 99) { $var(b) = 1; } }
route[E_IFT] { route(RM2); if ($var(a) == 7) { $var(b) = 1; } }
route[E_WHILE] { route(RM2); $var(i) = 0; while ($var(i) < 2) { $var(i) = $var(i) + 1; } }
route[E_SW] { route(RM2); switch ($var(a)) { case 7: $var(b) = 3; break; } }
route[E_SWNO] { route(RM2); switch ($var(a)) { case 8: $var(b) = 3; break; } }
route[E_ASSIGNFAIL] { route(RM2); $var(r) = 1 / $var(z); }
route[RET_EXPR] { $var(m) = -2; return $var(m) - 1; }
route[DEEP] { $var(d) = $var(d) + 1; route(DEEP); }
route[EXITER] { mark("in-exiter"); exit; mark("not-here"); }
route[DYN_1] { mark("dyn-1"); return 3; }
route[1] { mark("one"); return 4; }
route[E_WBREAK] { route(RM2); $var(i) = 0; while (1) { $var(i) = $var(i) + 1; if ($var(i) > 2) break; } }
route[E_WNONE] { route(RM2); while (0) { $var(i) = 1; } }
route[E_SWFALL] { route(RM2); $var(a) = 1; switch ($var(a)) { case 1: $var(b) = 1; case 2: route(RM2); } }
route[E_SWDEF] { route(RM2); $var(a) = 9; switch ($var(a)) { case 1: $var(b) = 1; default: route(RM2); } }
route[E_IFRET] { route(RM2); if (1) { route(RM2); } }
route[E_WLAST] { $var(i) = 0; while ($var(i) < 2) { $var(i) = $var(i) + 1; route(RM2); } }
"""

PROGRAMS: list[tuple[str, str, str, list[str]]] = [
    (
        "route values",
        "",
        """
        $var(r) = route(RM2); show("r");
        $var(r) = route(R5); show("r");
        $var(r) = route(RM2) + 0; show("r");
        $var(r) = route(R5) == 1; show("r");
        $var(r) = route(R5) == 5; show("r");
        $var(r) = !route(RM2); show("r");
        $var(r) = (str)route(R5); show("r");
        $var(r) = route(R5) + route(R5); show("r");
        $var(r) = 1 + route(R5); show("r");
        $var(r) = route(RET_EXPR); show("r");
        """,
        [
            "r=[-2]",
            "r=[5]",
            "r=[-2]",
            "r=[1]",
            "r=[0]",
            "r=[1]",
            "r=[1]",
            "r=[2]",
            "r=[2]",
            "r=[-3]",
        ],
    ),
    (
        "the cookbook's route(RET) == -2 warning",
        "",
        """
        if (route(RM2) == -2) { mark("eq"); } else { mark("ne"); }
        $var(rc) = $rc; show("rc");
        if (route(R5) == 1) { mark("eq1"); }
        if (route(RM2) == 0) { mark("eq0"); }
        if (route(RM2)) { mark("true"); } else { mark("false"); }
        if (!route(RM2)) { mark("negated"); }
        if (route(R5)) { mark("positive"); }
        $var(r) = selval(route(RM2), "t", "f"); show("r");
        """,
        ["ne", "rc=[1]", "eq1", "eq0", "false", "negated", "positive", "r=[f]"],
    ),
    (
        "$rc after statements",
        "",
        """
        route(RM2); $var(q) = 1; $var(rc) = $rc; show("rc");
        route(RM2); if ($var(q) == 1) { $var(rc) = $rc; show("rc"); }
        route(RET_NOVAL); $var(rc) = $rc; show("rc");
        route(NORET); $var(rc) = $rc; show("rc");
        route(RM2); route(EMPTY); $var(rc) = $rc; show("rc");
        route(E_ASSIGN); $var(rc) = $rc; show("rc");
        route(E_ASSIGN0); $var(rc) = $rc; show("rc");
        route(E_IFF); $var(rc) = $rc; show("rc");
        route(E_IFT); $var(rc) = $rc; show("rc");
        route(E_WHILE); $var(rc) = $rc; show("rc");
        $var(a) = 7; route(E_SW); $var(rc) = $rc; show("rc");
        route(E_SWNO); $var(rc) = $rc; show("rc");
        $var(z) = 0; route(E_ASSIGNFAIL); $var(rc) = $rc; show("rc");
        route(RM2); $var(r) = 1 / $var(z); $var(rc) = $retcode; show("rc");
        """,
        [
            "rc=[-2]",
            "rc=[-2]",
            "rc=[1]",
            "rc=[-2]",
            "rc=[1]",
            "rc=[1]",
            "rc=[1]",
            "rc=[1]",
            "rc=[1]",
            "rc=[1]",
            "rc=[0]",
            "rc=[1]",
            "rc=[-1]",
            "rc=[-2]",
        ],
    ),
    (
        "return 0 in a sub-route ends the script, also inside an expression",
        "",
        """
        mark("before");
        $var(r) = route(R0);
        mark("after");
        """,
        ["before"],
    ),
    (
        "exit in a sub-route",
        "",
        'mark("a"); route(EXITER); mark("b");',
        ["a", "in-exiter"],
    ),
    (
        "switch: fall-through, break, regex cases (case-sensitive), default",
        "",
        """
        $var(x) = 3;
        switch ($var(x)) { case 1: mark("one"); case 3: mark("three"); case 4: mark("four"); break; default: mark("def"); }
        $var(x) = "abc";
        switch ($var(x)) { case "ABC": mark("ABC"); break; case /"^a.c$": mark("re"); break; default: mark("def"); }
        $var(x) = "A";
        switch ($var(x)) { case /"^a$": mark("re-icase"); break; default: mark("def2"); }
        $var(x) = 9;
        switch ($var(x)) { case 1: mark("x1"); default: mark("def3"); case 2: mark("x2"); }
        $var(x) = 2;
        switch ($var(x)) { case 1: case 2: mark("one-or-two"); break; case 3: mark("x3"); }
        $var(x) = 5;
        switch ($var(x)) { case 1: mark("none"); }
        mark("end");
        """,
        ["three", "four", "re", "def2", "def3", "x2", "one-or-two", "end"],
    ),
    (
        "while, break in while, max_while_loops",
        "max_while_loops=5\n",
        """
        $var(i) = 0; while ($var(i) < 100) { $var(i) = $var(i) + 1; } show("i");
        $var(i) = 0; while ($var(i) < 3) { $var(i) = $var(i) + 1; if ($var(i) == 2) break; } show("i");
        $var(r) = -3; while ($var(r)) { $var(r) = 0; mark("nonzero-is-true"); }
        $var(i) = 0; while ($var(i) < 3) { $var(i) = $var(i) + 1; switch ($var(i)) { case 2: break; } } show("i");
        """,
        ["i=[5]", "i=[2]", "nonzero-is-true", "i=[3]"],
    ),
    (
        "max_while_loops=0 disables the limit",
        "max_while_loops=0\n",
        '$var(i) = 0; while ($var(i) < 1000) { $var(i) = $var(i) + 1; } show("i");',
        ["i=[1000]"],
    ),
    (
        "max_recursive_level: sub-routes",
        "max_recursive_level=10\n",
        '$var(d) = 0; route(DEEP); show("d"); $var(rc) = $rc; show("rc");',
        ["d=[9]", "rc=[1]"],
    ),
    (
        "max_recursive_level: nested blocks and else-if chains",
        "max_recursive_level=3\n",
        """
        $var(a) = 1;
        if ($var(a)) { mark("d1"); if ($var(a)) { mark("d2"); if ($var(a)) { mark("d3"); } } }
        $var(x) = 2;
        if ($var(x) == 1) { mark("x1"); } else if ($var(x) == 2) { mark("x2"); } else if ($var(x) == 3) { mark("x3"); }
        $var(x) = 3;
        if ($var(x) == 1) { mark("y1"); } else if ($var(x) == 2) { mark("y2"); } else if ($var(x) == 3) { mark("y3"); } else { mark("y-else"); }
        switch ($var(a)) { case 1: if ($var(a)) { mark("sw-d2"); if ($var(a)) { mark("sw-d3"); } } }
        mark("end");
        """,
        ["d1", "d2", "x2", "sw-d2", "end"],
    ),
    (
        "if truth: > 0; && || ! use non-zero",
        "",
        """
        $var(m3) = -3; $var(one) = 1; $var(s5) = "5"; $var(sm) = "-1"; $var(abc) = "abc";
        if ($var(m3)) { mark("m3-true"); } else { mark("m3-false"); }
        if ($var(s5)) { mark("s5-true"); }
        if ($var(sm)) { mark("sm-true"); } else { mark("sm-false"); }
        if ($var(abc)) { mark("abc-true"); } else { mark("abc-false"); }
        if ($var(m3) && $var(one)) { mark("and-true"); }
        if (!$var(m3)) { mark("not-true"); } else { mark("not-false"); }
        """,
        ["m3-false", "s5-true", "sm-false", "abc-false", "and-true", "not-false"],
    ),
    (
        "$rc: core actions leave it as a statement, set it to 0 inside expressions",
        "flags FA, FB;\n",
        """
        route(RM2); setflag(FA); $var(rc) = $rc; show("rc");
        route(R5); if (isflagset(FB)) { mark("x"); } else { $var(rc) = $rc; show("rc"); }
        route(R5); $var(r) = isflagset(FA); $var(rc) = $rc; show("rc"); show("r");
        route(R5); if (route(RM2)) { mark("x"); } $var(rc) = $rc; show("rc");
        route(R5); $var(r) = mark("m"); $var(rc) = $rc; show("rc");
        """,
        ["rc=[-2]", "rc=[0]", "rc=[0]", "r=[1]", "rc=[-2]", "m", "rc=[1]"],
    ),
    (
        "value of a block ending in while/switch/if, switch value conversions",
        "",
        """
        route(E_WBREAK); $var(rc) = $rc; show("rc");
        route(E_WNONE); $var(rc) = $rc; show("rc");
        route(E_SWFALL); $var(rc) = $rc; show("rc");
        route(E_SWDEF); $var(rc) = $rc; show("rc");
        route(E_IFRET); $var(rc) = $rc; show("rc");
        route(E_WLAST); $var(rc) = $rc; show("rc");
        $var(s) = "3"; switch ($var(s)) { case 3: mark("int-case-str-value"); break; default: mark("d1"); }
        $var(s) = 3; switch ($var(s)) { case "3": mark("str-case-int-value"); break; default: mark("d2"); }
        $var(s) = "abc"; switch ($var(s)) { case 0: mark("abc-is-0"); break; default: mark("d3"); }
        """,
        [
            "rc=[0]",
            "rc=[1]",
            "rc=[-2]",
            "rc=[-2]",
            "rc=[-2]",
            "rc=[-2]",
            "int-case-str-value",
            "str-case-int-value",
            "abc-is-0",
        ],
    ),
    (
        "dynamic route names",
        "",
        """
        $var(n) = "DYN_"; $var(k) = 1;
        route($var(n) + $var(k)); $var(rc) = $rc; show("rc");
        route(1); route("1"); $var(rc) = $rc; show("rc");
        $var(n) = 1; route($var(n)); $var(rc) = $rc; show("rc");
        """,
        ["dyn-1", "rc=[3]", "one", "one", "rc=[4]", "one", "rc=[4]"],
    ),
]


def _ids() -> list[str]:
    return [p[0] for p in PROGRAMS]


@pytest.mark.parametrize(("name", "head", "body", "expected"), PROGRAMS, ids=_ids())
def test_program_ours(name: str, head: str, body: str, expected: list[str]) -> None:
    assert ours_program(body, ROUTES, head) == expected


@pytest.mark.kamailio
@pytest.mark.parametrize(("name", "head", "body", "expected"), PROGRAMS, ids=_ids())
def test_program_kamailio(
    tmp_path: Path, name: str, head: str, body: str, expected: list[str]
) -> None:
    assert kamailio_program(tmp_path, body, ROUTES, head) == expected
