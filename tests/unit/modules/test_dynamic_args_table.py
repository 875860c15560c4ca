"""The verdict table of expression arguments (issue #4): which module functions take
non-constant expressions (`search("^" + $var(n))`), as Kamailio 5.6.3's `-c` decides.

VERDICTS pins what tools/probe_dynamic_args.py found against kamailio 5.6.3: function
-> True (every call) or the argument counts that accept expressions. siprouter's export
tables must say the same, its `-c` must accept exactly those calls, and its engine must
compile them (engine/call_args.DynamicCall). With kamailio installed, the table is
re-checked against `kamailio -c` (one probe per function and argument count).
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

from siprouter.cfg.check import check
from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.modules.registry import FunctionSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
import probe_dynamic_args as probe

Verdict = bool | tuple[int, ...]

# Kamailio 5.6.3 accepts expression arguments for these (everything else of the modules
# below is refused: "parameter N is not constant")
VERDICTS: dict[str, dict[str, Verdict]] = {
    "textops": {
        **dict.fromkeys(
            (
                "is_present_hf", "is_present_hf_pv", "is_present_hf_re", "is_present_hf_re_pv",
                "append_urihf", "remove_hf", "remove_hf_pv", "remove_hf_re", "remove_hf_re_pv",
                "remove_hf_exp", "remove_hf_exp_pv", "remove_hf_idx", "remove_hf_match",
                "search", "search_body", "search_append", "search_append_body", "replace",
                "replace_all", "replace_body", "replace_body_all", "replace_body_atonce",
                "replace_hdrs", "replace_hdrs_str", "replace_body_str", "set_body",
                "search_str", "append_to_reply", "set_reply_body", "starts_with", "ends_with",
                "cmp_str", "cmp_istr", "in_list", "in_list_prefix", "str_find", "str_ifind",
                "replace_str", "filter_body", "remove_body_part",
            ),
            True,
        ),
        "append_body_part": (2,),
        "append_body_part_hex": (2,),
        "set_body_multipart": (1, 2),
    },
    "textopsx": dict.fromkeys(
        (
            "msg_set_buffer", "change_reply_status_code", "keep_hf", "hf_iterator_start",
            "hf_iterator_next", "hf_iterator_prev", "hf_iterator_end", "hf_iterator_rm",
            "hf_iterator_append", "hf_iterator_insert", "bl_iterator_start",
            "bl_iterator_next", "bl_iterator_end", "bl_iterator_rm", "bl_iterator_append",
            "bl_iterator_insert",
        ),
        True,
    ),
    "siputils": dict.fromkeys(
        (
            "is_numeric", "is_alphanum", "is_alphanumex", "is_tel_number", "is_e164",
            "is_uri_user_e164", "is_uri", "cmp_uri", "cmp_aor", "cmp_hdr_name", "is_gruu",
            "is_first_hop", "is_user", "hdr_date_check", "uri_param", "uri_param_any",
            "add_uri_param", "get_uri_param", "uri_param_rm", "set_uri_user", "set_uri_host",
            "encode_contact", "contact_param_encode", "contact_param_decode",
            "contact_param_decode_ruri", "contact_param_rm", "append_rpid_hf",
            "sip_p_charging_vector",
        ),
        True,
    ),
    "sanity": {"sanity_check": True},
    "corex": dict.fromkeys(
        (
            "append_branch", "send_udp", "send_tcp", "send_data", "sendx", "set_send_socket",
            "set_send_socket_name", "set_recv_socket", "set_recv_socket_name",
            "set_source_address", "is_socket_name", "via_add_srvid", "via_add_xavp_params",
            "via_use_xavp_fields", "setxflag", "resetxflag", "isxflagset", "msg_iflag_set",
            "msg_iflag_reset", "msg_iflag_is_set", "file_write",
        ),
        True,
    ),
    "kex": dict.fromkeys(
        (
            "setsflag", "resetsflag", "issflagset", "setbflag", "resetbflag", "isbflagset",
            "setdsturi", "is_myself", "setdebug",
        ),
        True,
    ),
    "cfgutils": dict.fromkeys(
        ("lock", "trylock", "unlock", "sleep", "usleep", "check_route_exists",
         "route_if_exists"),
        True,
    ),
    "htable": dict.fromkeys(
        (
            "sht_rm", "sht_reset", "sht_setxs", "sht_setxi", "sht_iterator_start",
            "sht_iterator_next", "sht_iterator_end", "sht_iterator_rm", "sht_iterator_sets",
            "sht_iterator_seti", "sht_iterator_setex",
        ),
        True,
    ),
    "statistics": {},
    "counters": {},
    "pv": dict.fromkeys(
        (
            "pv_isset", "pv_unset", "is_int", "typeof", "not_empty", "xavp_rm",
            "xavp_child_rm", "xavp_child_seti", "xavp_child_sets", "xavp_params_explode",
            "xavp_params_implode", "xavp_slist_explode", "xavu_params_explode",
            "xavu_params_implode", "xavi_rm", "xavi_child_rm", "xavi_child_seti",
            "xavi_child_sets", "pv_var_to_xavp", "pv_xavp_to_var",
        ),
        True,
    ),
    "xlog": {},
    "sl": {},
    "maxfwd": dict.fromkeys(
        ("mf_process_maxfwd_header", "process_maxfwd", "maxfwd_process", "is_maxfwd_lt",
         "maxfwd_at_least", "mf_lowlimit"),
        True,
    ),
}  # fmt: skip

# Functions 5.6.3 does not have (a later release's): no Kamailio verdict; the flag
# siprouter gives them (the kex/corex ones keep their igp/spve fixups' expressions)
NOT_IN_563: dict[str, dict[str, Verdict]] = {
    "textops": dict.fromkeys(
        ("str_any_in", "str_all_in", "subst_v", "via_param_rm", "set_body_hex",
         "set_reply_body_hex"),
        False,
    ),
    "textopsx": {"msg_changed_route": False},
    "siputils": dict.fromkeys(
        ("contact_param_check", "tel2sip2", "contact_param_encode_alias"), False
    ),
    "corex": {
        "forward_uac": True, "forward_uac_uri": False, "add_tcp_alias": True,
        "via_reply_add_xavp_params": True, "msg_vbflag_set": True,
        "msg_vbflag_reset": True, "msg_vbflag_is_set": True,
    },
    "kex": {"is_myhost": True},
    "htable": dict.fromkeys(("sht_inc", "sht_dec", "sht_is_null"), False),
    "pv": dict.fromkeys(
        ("xavp_xparams_explode", "xavp_params_implode_qval", "xavp_rm_all", "xavi_rm_all",
         "pv_register_api"),
        False,
    ),
}  # fmt: skip

# Kamailio accepts expressions there, siprouter's -c still refuses them (none now)
KNOWN_REFUSED: set[tuple[str, str]] = set()


def _spec(module: str, name: str) -> FunctionSpec:
    return importlib.import_module(f"siprouter.modules.{module}").EXPORTS.functions[name]  # type: ignore[no-any-return]


def _expected(module: str, name: str, count: int) -> bool:
    verdict = VERDICTS[module].get(name, NOT_IN_563.get(module, {}).get(name, False))
    if (module, name) in KNOWN_REFUSED:
        return False
    return count in verdict if isinstance(verdict, tuple) else verdict


def test_table_names_exported_functions_only() -> None:
    for module in probe.MODULES:
        names = set(importlib.import_module(f"siprouter.modules.{module}").EXPORTS.functions)
        pinned = set(VERDICTS[module]) | set(NOT_IN_563.get(module, {}))
        assert set(VERDICTS[module]) <= names, module
        assert set(NOT_IN_563.get(module, {})) <= names, module
        assert not set(VERDICTS[module]) & set(NOT_IN_563.get(module, {}))
        assert pinned <= names


@pytest.mark.parametrize("module", probe.MODULES)
def test_exports_match_the_table(module: str) -> None:
    wrong = []
    for name, spec in importlib.import_module(
        f"siprouter.modules.{module}"
    ).EXPORTS.functions.items():
        for count in spec.arg_counts:
            if count and spec.dynamic_for(count) is not _expected(module, name, count):
                wrong.append((name, count, spec.dynamic_for(count)))
    assert not wrong


def _ours(p: probe.Probe) -> tuple[bool, str]:
    """(siprouter -c accepts the probe call, the first error's text)."""
    try:
        check(parse_string(probe.probe_cfg(p.module, p.call, p.block), "p.cfg"), all_errors=True)
    except ConfigError as e:
        return False, e.message
    except ConfigErrors as e:
        return False, "; ".join(err.message for err in e.errors)
    return True, ""


PROBES = list(probe.probes())


def test_siprouter_check_follows_the_table() -> None:
    wrong = []
    for p in PROBES:
        if p.func == "add_tcp_alias":  # a core function of its own in 5.6.3 and siprouter
            continue
        ok, why = _ours(p)
        if _expected(p.module, p.func, p.count) and not ok:
            wrong.append((p.call, "refused", why))
        elif not _expected(p.module, p.func, p.count) and "is not constant" not in why:
            wrong.append((p.call, "accepted", why))
    assert not wrong


def test_refusal_names_the_accepted_counts() -> None:
    p = next(p for p in PROBES if p.func == "append_body_part" and p.count == 3)
    try:
        check(parse_string(probe.probe_cfg(p.module, p.call, p.block), "p.cfg"))
    except ConfigError as e:
        assert "parameter 1 is not constant" in e.message
        assert e.hint == "append_body_part takes expressions only with 2 arguments"
    else:
        raise AssertionError("append_body_part with 3 expression arguments was accepted")


def test_accepted_calls_compile() -> None:
    """The engine builds a runtime-fixup call for every accepted probe (sample constants
    that fail their fixup only fail at run time, as in Kamailio)."""
    failed = []
    for p in PROBES:
        if not _expected(p.module, p.func, p.count) or p.func == "add_tcp_alias":
            continue
        try:
            compile_config(parse_string(probe.probe_cfg(p.module, p.call, p.block), "p.cfg"))
        except ConfigError as e:
            failed.append((p.call, e.message))
    assert not failed


def test_classify() -> None:
    err = "ERROR: <core> x: function search: parameter 1 is not constant\n"
    assert probe.classify(1, err, "search") == (
        "refuse",
        "function search: parameter 1 is not constant",
    )
    assert probe.classify(0, "", "search") == ("accept", "")
    assert probe.classify(1, "failed to find command foo (params 1)", "foo")[0] == "absent"
    assert probe.classify(1, " 0(1) CRITICAL: <core> bad\n", "foo") == ("error", "<core> bad")


@pytest.mark.kamailio
def test_kamailio_agrees_with_the_table() -> None:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    # one probe per function and argument count: the expression in the last position
    sample = [p for p in PROBES if p.pos == p.count - 1]
    wrong = []
    for v in probe.run_all(sample, jobs=4):
        p = v.probe
        if p.func in NOT_IN_563.get(p.module, {}):
            if v.result != "absent" and p.func != "add_tcp_alias":  # a core keyword in 5.6.3
                wrong.append((p.call, v.result, v.message))
            continue
        verdict = VERDICTS[p.module].get(p.func, False)
        accepts = p.count in verdict if isinstance(verdict, tuple) else verdict
        if v.result != ("accept" if accepts else "refuse"):
            wrong.append((p.call, v.result, v.message))
    assert not wrong


# evaluated values a runtime fixup may meet: each must be fixed up or fail cleanly (a
# _Failure: logged, the function not called), never raise out of the call
ODD_VALUES = (
    "", "0", "-1", "+", "007", "4294967296", "abc", " 5 ", "$", "$(", "$var(", "$var(x)",
    "$ci", "$(ru{s.len})", "(", "[", "*", "\\", "a=>b", "t=>", "=>", "a;b=c", "sip:",
    "sip:a@127.0.0.1", "é", "\x00", "%", "a|b", "L_INFO",
)  # fmt: skip


def _dynamic_specs() -> list[tuple[str, FunctionSpec, int]]:
    out = []
    for module in probe.MODULES:
        for spec in importlib.import_module(
            f"siprouter.modules.{module}"
        ).EXPORTS.functions.values():
            out.extend((module, spec, n) for n in spec.arg_counts if n and spec.dynamic_for(n))
    return out


@pytest.mark.parametrize(
    ("module", "spec", "count"),
    _dynamic_specs(),
    ids=[f"{s.name}/{n}" for _m, s, n in _dynamic_specs()],
)
def test_runtime_fixup_never_raises(module: str, spec: FunctionSpec, count: int) -> None:
    from siprouter.engine.call_args import DynamicCall

    assert spec.fixup is not None, "a dynamic function needs a fixup (call_args.DynamicCall)"
    for dyn in [[i] for i in range(count)] + [list(range(count))]:
        raw = ["1"] * count
        site = DynamicCall(spec.name, spec.func, spec.fixup, raw, dyn, "t.cfg:1")
        for value in ODD_VALUES:
            fixed = site.fix(tuple(value for _ in dyn))
            again = site.fix(tuple(value for _ in dyn))
            assert type(fixed) is type(again), (spec.name, dyn, value)
