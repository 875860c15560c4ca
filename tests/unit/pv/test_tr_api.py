"""compile_transforms: compile-time errors at the PV's position, chaining, PV arguments."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.pv.transforms import CLASS_MODULE, CLASSES, compile_transforms, transformation_names

POS = Pos("k.cfg", 7, 12)


def run(value: Any, *specs: str, ctx: Any = None, **kw: Any) -> Any:
    return compile_transforms(list(specs), POS, **kw)(value, ctx)


def test_chain_applies_in_order() -> None:
    assert run("sip:alice@example.com", "uri.user", "s.toupper", "s.len") == 5
    assert run("sip:alice@example.com", "uri.user", "s.toupper") == "ALICE"


def test_failure_stops_the_chain_even_before_val() -> None:
    # s.int fails on "12ab": the PV is undefined, a later {val.n0} does not see it
    assert run("12ab", "s.int", "val.n0") is None
    # but an undefined input reaches val.* directly
    assert run(None, "val.n0") == 0


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("s.nope", "unknown transformation {s.nope}"),
        ("zz.len", "unknown transformation class 'zz'"),
        ("s.substr,1", "expected ','"),
        ("s.substr,x,1", "expected a number"),
        ("s.len,1", "unexpected"),
        ("re.subst,/a(/b/", "bad substitution"),
        ("re.subst,/a/b/q", "unknown flag"),
        ("param.value,a,;;", "one character"),
    ],
)
def test_bad_specs_are_config_errors_at_the_pv(spec: str, words: str) -> None:
    with pytest.raises(ConfigError) as ei:
        compile_transforms([spec], POS)
    assert words in ei.value.message
    assert ei.value.pos == POS


def test_hint_lists_the_class_members() -> None:
    with pytest.raises(ConfigError) as ei:
        compile_transforms(["uri.usr"], POS)
    assert ei.value.hint is not None and "user" in ei.value.hint


def test_pv_argument_without_arg_getter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\$var\(i\)"):
        compile_transforms(["s.substr,$var(i),1"], POS)


def test_pv_arguments_are_compiled_once_and_read_per_message() -> None:
    compiled: list[str] = []

    def arg_getter(text: str, pos: Pos) -> Any:
        compiled.append(text)
        assert pos == POS
        return lambda ctx: ctx[text]

    apply = compile_transforms(["s.substr,$var(i),$(var(n){s.int})"], POS, arg_getter=arg_getter)
    assert compiled == ["$var(i)", "$(var(n){s.int})"]
    assert apply("abcdef", {"$var(i)": 1, "$(var(n){s.int})": 2}) == "bc"
    assert apply("abcdef", {"$var(i)": 3, "$(var(n){s.int})": 0}) == "def"
    # a number argument must be an integer at run time
    assert apply("abcdef", {"$var(i)": "1", "$(var(n){s.int})": 2}) is None


def test_names_are_case_insensitive_and_trimmed() -> None:
    assert run("abc", "s.LEN") == 3
    assert run("abc", "s. len ") == 3


def test_registry_covers_the_classes() -> None:
    names = transformation_names()
    assert len(names) == sum(len(t) for t in CLASSES.values())
    for n in ("s.len", "s.fmtlinet", "uri.tosocket", "param.in", "tobody.params", "re.subst"):
        assert n in names
    assert CLASS_MODULE["re"] == "textops"
    assert set(CLASS_MODULE) == set(CLASSES)
    # not in kamailio 5.6.3: refused like kamailio does
    for absent in ("s.sha1", "s.rmhws", "dst.ip", "uri.rmparam"):
        with pytest.raises(ConfigError):
            compile_transforms([absent], POS)


def test_failure_on_a_defined_value_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="siprouter.pv.transforms"):
        assert run("not a uri", "uri.user") is None
        assert run(None, "uri.user") is None  # undefined in: no log, as kamailio
        assert run("sip:a@b", "uri.user", "s.substr,9,1") is None
    msgs = [r.getMessage() for r in caplog.records]
    assert len(msgs) == 2
    assert "{uri.user} failed on [not a uri] (k.cfg:7:12)" in msgs[0]
    assert "{s.substr,9,1} failed on [a]" in msgs[1]
