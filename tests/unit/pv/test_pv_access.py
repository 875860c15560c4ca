"""The access layer: what is refused at compile time (as `kamailio -c` refuses it), what
is bound once, read-only PVs, dynamic names and indexes, core PVs, transformations."""

from __future__ import annotations

import os
from typing import Any

import pytest

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError, Pos
from siprouter.modules.loader import LoadedModules
from siprouter.pv.access import PVCompiler, compile_pv, split_pv_text
from siprouter.pv.pvclass import ALL, PVError

POS = Pos("t.cfg", 3, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$(ct[1])", 'pvar "ct" does not get index param'),
        ("$(var(x)[0])", 'pvar "var" does not get index param'),
        ("$(ru[0])", 'pvar "ru" does not get index param'),
        ("$TV(x)", 'pvar "TV" has an invalid name param [x]'),
        ("$time(y)", 'pvar "time" has an invalid name param [y]'),
        ("$af", 'pvar "af" expects an inner name'),
        ("$hdr()", 'pvar "hdr" expects a non-empty inner name'),
        ("$hdr(X Y)", "invalid header name"),
        ("$avp(i:x)", "not a number"),
        ("$ru(x)", "does not take an inner name"),
        ("$nosuchpv", "unknown pseudo-variable $nosuchpv"),
        ("$(avp(x)[a])", "bad index [a]"),
    ],
)
def test_refused_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        PVCompiler().compile_text(text, POS)
    assert message in exc.value.message
    assert exc.value.pos == POS


def test_pv_module_needed_for_module_pvs() -> None:
    lm = LoadedModules()
    with pytest.raises(ConfigError) as exc:
        PVCompiler(lm).compile_text("$ru", POS)
    assert exc.value.hint is not None and 'loadmodule "pv"' in exc.value.hint
    # the core's own PVs need no module
    assert PVCompiler(lm).compile_text("$rc").read_only


def test_read_only_and_assignable_as_kamailio() -> None:
    comp = PVCompiler()
    # assignable in Kamailio 5.6.3 (kamailio -c accepts `$x = "1";`)
    for text in ["$ru", "$rU", "$rd", "$rp", "$du", "$fs", "$br", "$mf", "$bf", "$mF", "$bF",
                 "$fu", "$fU", "$fd", "$fn", "$tu", "$tU", "$td", "$tn", "$var(x)", "$avp(x)",
                 "$xavp(x)", "$shv(x)", "$ruri", "$from", "$to", "$duri", "$sf", "$sF"]:  # fmt: skip
        assert not comp.compile_text(text).read_only, text
    # refused by kamailio -c: "read only pvar in assignment left side"
    for text in ["$rP", "$rz", "$ou", "$oU", "$dd", "$dp", "$dP", "$bR", "$hdr(X)", "$hdrc(X)",
                 "$hfl(Via)", "$rm", "$rmid", "$rs", "$rr", "$ci", "$cs", "$ft", "$tt", "$ct",
                 "$ua", "$si", "$sp", "$Ri", "$Rp", "$RAi", "$RAp", "$pr", "$proto", "$af(id)",
                 "$mb", "$ml", "$mt", "$mi", "$env(X)", "$TV(s)", "$Ts", "$Tf", "$time(sec)",
                 "$timef(%Y)", "$version(num)", "$pp", "$bs", "$rb", "$cl", "$cT", "$di", "$dip",
                 "$dir", "$rt", "$re", "$adu", "$aU", "$ar", "$au", "$ad", "$Au", "$rv", "$null",
                 "$ai", "$pu", "$rc", "$retcode", "$?", "$ouri", "$od", "$op", "$oP", "$fUl", "$su",
                 "$Ru", "$cnt($avp(a))", "$hflc(Via)"]:  # fmt: skip
        assert comp.compile_text(text).read_only, text


def test_module_table_matches_checker_view() -> None:
    """What the -c checker sees (PVSpec.read_only) agrees with what compiles."""
    from siprouter.modules.pv import EXPORTS

    comp = PVCompiler()
    for name, spec in EXPORTS.pvs.items():
        inner = "" if spec.inner.value == "none" else "(x)"
        if name in ("TV",):
            inner = "(s)"
        elif name in ("time",):
            inner = "(sec)"
        elif name in ("af", "version"):
            inner = "(name)" if name == "af" else "(num)"
        elif name == "hfl":
            inner = "(Via)"
        elif name == "cnt":
            inner = "($avp(x))"
        elif name == "sel":
            inner = "(via[1].host)"
        elif name in _INNER:
            inner = f"({_INNER[name]})"
        acc = comp.compile_text(f"${name}{inner}")
        assert acc.read_only == spec.read_only, name


_INNER = {"msg": "len", "msgbuf": "0", "expires": "min", "K": "UDP", "via0": "host",
          "via1": "host", "viaZ": "host", "branch": "uri", "sbranch": "uri", "nh": "u",
          "utime": "sec"}  # fmt: skip


def test_split_pv_text_forms() -> None:
    p = split_pv_text("$(hdr(Via)[-1]{s.len}{s.int})")
    assert (p.name, p.inner, p.index, p.transforms) == ("hdr", "Via", "-1", ["s.len", "s.int"])
    p = split_pv_text("$avp($var(x))")
    assert (p.name, p.inner, p.index) == ("avp", "$var(x)", None)
    assert split_pv_text("$?").name == "?"
    with pytest.raises(ConfigError):
        split_pv_text("$(ru")
    with pytest.raises(ConfigError):
        split_pv_text("ru")


def test_ast_node_and_text_give_the_same(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    node = ast.PV("hdr", POS, "Via", None, [], "$hdr(Via)")
    assert compile_pv(node).get(ctx) == compile_pv("$hdr(Via)").get(ctx)


def test_dynamic_header_name(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$var(h)", "User-Agent")
    assert pvt.get(ctx, "$hdr($var(h))") == "probe/1"
    assert pvt.get(ctx, "$hdrc($var(h))") == 1
    pvt.put(ctx, "$var(h)", "bad name")
    assert pvt.get(ctx, "$hdr($var(h))") is None  # Kamailio: an error and $null
    pvt.put(ctx, "$var(n)", "")
    with pytest.raises(PVError):
        pvt.put(ctx, "$avp($var(n))", 1)


def test_dynamic_index(pvt: Any) -> None:
    ctx = pvt.make_ctx(pvt.INVITE.replace(b"Max-Forwards", b"X-A: 1\r\nX-A: 2\r\nMax-Forwards"))
    for i, want in ((0, "1"), (1, "2"), (-1, "2"), (2, None)):
        pvt.put(ctx, "$var(i)", i)
        assert pvt.get(ctx, "$(hdr(X-A)[$var(i)])") == want
    pvt.put(ctx, "$var(i)", "x")
    assert pvt.get(ctx, "$(hdr(X-A)[$var(i)])") is None


def test_core_pvs_env_and_def(pvt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVTEST_NUM", "42")
    monkeypatch.setenv("PVTEST_TXT", "abc")
    monkeypatch.delenv("PVTEST_NONE", raising=False)
    comp = PVCompiler(defines={"X": '"abc"', "Y": "12", "W": None, "V": "abc"})
    ctx = pvt.make_ctx()
    got = [comp.compile_text(t).get(ctx) for t in
           ["$def(X)", "$defn(X)", "$defn(Y)", "$def(Y)", "$def(W)", "$def(V)", "$def(Z)",
            "$defn(Z)", "$env(PVTEST_NONE)", "$envn(PVTEST_NUM)", "$envn(PVTEST_TXT)",
            "$env(PVTEST_NUM)"]]  # fmt: skip
    # what Kamailio 5.6.3 logs for the same defines and environment
    assert got == ['"abc"', '"abc"', 12, "12", "", "abc", None, 0, None, 42, "abc", "42"]
    assert os.environ["PVTEST_NUM"] == "42"


def test_ports_are_strings_as_in_kamailio(pvt: Any) -> None:
    """Kamailio types $rp/$dp as strings ($rp + 1 is "50601"), $sp/$Rp/$cs as ints."""
    ctx = pvt.make_ctx(src_port=5070)
    pvt.put(ctx, "$du", "sip:h:5080")
    assert [pvt.get(ctx, t) for t in ("$rp", "$dp", "$sp", "$cs")] == ["5060", "5080", 5070, 10]


def test_rc_follows_the_context(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    ctx.rc = -3
    assert [pvt.get(ctx, t) for t in ("$rc", "$retcode", "$?")] == [-3, -3, -3]
    assert pvt.get(ctx, "$null") is None


def test_transformations_applied_and_make_read_only(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    acc = compile_pv("$(fu{uri.host}{s.toupper})")
    assert acc.get(ctx) == "A.EXAMPLE.COM"
    assert acc.read_only
    pvt.put(ctx, "$var(n)", 2)
    assert compile_pv("$(ci{s.substr,0,$var(n)})").get(ctx) == "ci"


def test_transformation_class_needs_its_module() -> None:
    lm = LoadedModules()
    lm.load("pv")
    with pytest.raises(ConfigError, match="needs module textops"):
        PVCompiler(lm).compile_text("$(ru{re.subst,/a/b/})", POS)


def test_index_values() -> None:
    comp = PVCompiler()
    p = split_pv_text("$(avp(x)[*])")
    assert comp._index(p) is ALL
    assert comp._index(split_pv_text("$(avp(x)[-2])")) == -2
