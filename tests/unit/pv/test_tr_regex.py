"""re.subst: POSIX classes, flags, groups, delimiters, PVs in the replacement."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.pv.transforms import compile_transforms

POS = Pos("r.cfg", 1, 1)


def run(value: Any, spec: str, **kw: Any) -> Any:
    return compile_transforms([spec], POS, **kw)(value, {"$var(x)": "X"})


@pytest.mark.parametrize(
    ("value", "spec", "out"),
    [
        ("banana", "re.subst,/an/AN/", "bANana"),
        ("banana", "re.subst,/an/AN/g", "bANANa"),
        ("BANANA", "re.subst,/an/x/gi", "BxxA"),
        ("a1b22", "re.subst,/[[:digit:]]+/#/g", "a#b#"),
        ("alice@h", "re.subst,/(.*)@(.*)/\\2:\\1/", "h:alice"),
        ("a/b", "re.subst,|/|\\||", "a|b"),
        ("a/b", "re.subst,/\\//-/", "a-b"),
        ("nothing", "re.subst,/z/y/", "nothing"),
        ("a\nb", "re.subst,/a.b/X/", "X"),
        ("a\nb", "re.subst,/a.b/X/s", "a\nb"),
        ("a1\nb2", "re.subst,/[[:digit:]]$/#/g", "a1\nb#"),
        ("", "re.subst,/a/b/", None),
        (None, "re.subst,/a/b/", None),
    ],
)
def test_subst(value: Any, spec: str, out: Any) -> None:
    assert run(value, spec) == out


def test_pv_in_replacement() -> None:
    getter = lambda text, pos: lambda ctx: ctx[text]  # noqa: E731
    assert run("aaa", "re.subst,/a/<$var(x)>/g", arg_getter=getter) == "<X><X><X>"
    with pytest.raises(ConfigError):
        compile_transforms(["re.subst,/a/$var(x)/"], POS)


@pytest.mark.parametrize("spec", ["re.subst,/a/b", "re.subst,/a(/b/", "re.subst,/a/b/x"])
def test_bad(spec: str) -> None:
    with pytest.raises(ConfigError):
        compile_transforms([spec], POS)
