"""Hypothesis: random text and random mutations of valid configs never make the lexer or
parser raise anything but ConfigError/ConfigErrors (also with all_errors=True)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.parser import parse_string

VALID = """#!KAMAILIO
debug=2
children=4
listen=udp:127.0.0.1:5060 advertise 1.2.3.4:5060 name "s1"
alias="sip.example.com"
flags FLAG_A:1, FLAG_B;
pstn.gw = "1.2.3.4" desc "gw"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule("sl.so", "x")
modparam("tm", "fr_timer", 30000)
modparam("sl", "bind_tm", yes)
socket = { bind = udp:127.0.0.2:5060; name = "s2"; }
/* block
   comment */
request_route {
    if (!is_method("INVITE") && $(hdr(Via)[0]{s.len}) > 0x10 || src_ip == 10.0.0.0/8) {
        sl_send_reply("404", "Not here");  // reply
        exit;
    } else if (uri == myself && af == INET6) {
        $var(x) = (int)"1" + strlen($ru) * 3 mod 2 - -1;
        $(avp(y)[*]) = $null;
    } else {
        force_rport;
    }
    switch ($rU) {
        case "a": route(A); break;
        case /"^b": drop;
        default: $sht(t=>$ci) = @via[1].host;
    }
    while ($var(i) < 3) { $var(i) = $var(i) + 1; }
    route(A);
}
route[A] { if (defined $avp(s:x) && !strempty($var(y))) return 1; return; }
failure_route[MANAGE_FAILURE] { if (t_is_canceled()) exit; }
onreply_route { xlog("L_INFO", "$rs\\n"); }
event_route[tm:local-request] { drop; }
"""

ALPHABET = st.sampled_from(
    [
        *list("{}()[];:=!<>&|^~+-*/%$@#\"'\\.,\n\t 0123456789abcxyzRUV_"),
        "if",
        "else",
        "route",
        "request_route",
        "switch",
        "case",
        "default:",
        "$var(",
        "/*",
        "*/",
        "//",
        "$(",
        "{s.len}",
    ]
)


def _check(text: str) -> None:
    for all_errors in (False, True):
        with contextlib.suppress(ConfigError, ConfigErrors):
            parse_string(text, "fuzz.cfg", all_errors=all_errors)


def test_valid_config_parses() -> None:
    cfg = parse_string(VALID, "v.cfg")
    assert cfg.route("request") is not None
    assert cfg.route("failure", "MANAGE_FAILURE") is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=120).map("".join))
def test_random_token_soup(text: str) -> None:
    _check(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VALID)),
            st.integers(min_value=0, max_value=8),
            st.one_of(ALPHABET, st.text(max_size=4)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_valid_config(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut :]
    _check(text)


def test_deep_nesting_is_a_config_error() -> None:
    for text in (
        "request_route { $var(x) = " + "(" * 5000 + "1" + ")" * 5000 + "; }",
        "request_route { $var(x) = " + "!" * 5000 + "1; }",
        "request_route { $var(x) = " + "-" * 5000 + "1; }",
        "request_route {" + " if (1) {" * 3000 + " drop;" + " }" * 3001,
        "request_route {" + " switch(1) { case 1:" * 2000,
    ):
        for all_errors in (False, True):
            try:
                parse_string(text, "deep.cfg", all_errors=all_errors)
            except ConfigErrors as e:
                assert any("nesting too deep" in err.message for err in e.errors)
            except ConfigError as e:
                assert "nesting too deep" in e.message


def _stock_text() -> str | None:
    from siprouter.cfg.preprocess import preprocess

    try:
        return preprocess("/etc/kamailio/kamailio.cfg", defines={"WITH_NAT": None}).text
    except (OSError, ConfigError):
        return None


STOCK = _stock_text()


@pytest.mark.skipif(STOCK is None, reason="no /etc/kamailio/kamailio.cfg")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1),
            st.integers(min_value=0, max_value=12),
            st.one_of(ALPHABET, st.text(max_size=3)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_stock_config(edits: list[tuple[float, int, str]]) -> None:
    assert STOCK is not None
    text = STOCK
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    _check(text)
