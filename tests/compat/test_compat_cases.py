"""The differential suite: every case of every file under tests/compat/cases/ is played
to Kamailio 5.6.3 and to siprouter running the same cfg; the normalised replies and
forwarded messages must be equal. Cases naming a known difference are strict xfails."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from compat_harness import all_case_files, diff

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]


def _params() -> list[Any]:
    out = []
    for cf in all_case_files():
        for case in cf.cases:
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
            out.append(pytest.param(cf, case, id=f"{cf.path.stem}::{case.name}", marks=marks))
    return out


@pytest.mark.parametrize(("case_file", "case"), _params())
def test_case(compat_pair: Any, case_file: Any, case: Any) -> None:
    pair = compat_pair(case_file)
    try:
        kam, ours = pair.observe(case)
    finally:
        if case is case_file.cases[-1]:
            compat_pair.release(case_file)
    delta = diff(kam, ours)
    assert not delta, (
        f"{case_file.path.name}::{case.name} differs ({case.spec})\n{delta}\n"
        f"--- siprouter log tail ---\n{pair.siprouter.log(1500)}"
    )
