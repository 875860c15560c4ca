"""Core actions without network: flags, R-URI rewrites, per-message settings.

The R-URI cases run through Kamailio 5.6.3 too (the R-URI set with `$ru`, then the
action, then `$ru` shown), so the rewrite rules are Kamailio's, not our reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import kamailio_program, ours_program, run_text

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MF_ADD_LOCAL_RPORT, MF_FORCE_RPORT, MF_REPLY_CLOSE

URI = "sip:alice:secret@example.com:5070;transport=udp;lr"

# (action, R-URI after it)
RURI_CASES: list[tuple[str, str]] = [
    ("strip(2)", "sip:ice:secret@example.com:5070;transport=udp;lr"),
    ('prefix("00")', "sip:00alice:secret@example.com:5070;transport=udp;lr"),
    ("strip_tail(2)", "sip:ali:secret@example.com:5070;transport=udp;lr"),
    ('rewriteuser("bob")', "sip:bob:secret@example.com:5070;transport=udp;lr"),
    ('setuser("bob")', "sip:bob:secret@example.com:5070;transport=udp;lr"),
    ('rewriteuserpass("pw")', "sip:pw@example.com:5070;transport=udp;lr"),
    ('setuserpass("bob:pw2")', "sip:bob:pw2@example.com:5070;transport=udp;lr"),
    ('rewritehost("h.example.net")', "sip:alice:secret@h.example.net:5070;transport=udp;lr"),
    ('sethost("10.0.0.1")', "sip:alice:secret@10.0.0.1:5070;transport=udp;lr"),
    ('rewriteport("5080")', "sip:alice:secret@example.com:5080;transport=udp;lr"),
    ('rewritehostport("1.2.3.4:5090")', "sip:alice:secret@1.2.3.4:5090;transport=udp;lr"),
    ('sethp("h.example.net")', "sip:alice:secret@h.example.net;transport=udp;lr"),
    ('rewritehostporttrans("1.2.3.4:5090")', "sip:alice:secret@1.2.3.4:5090;lr"),
    ('sethpt("h.example.net")', "sip:alice:secret@h.example.net;lr"),
    ("userphone()", "sip:alice:secret@example.com:5070;transport=udp;lr;user=phone"),
    ('rewriteuri("sip:carol@example.org")', "sip:carol@example.org"),
    ("strip(100)", "sip:example.com:5070;transport=udp;lr"),
    ("strip_tail(5)", "sip:example.com:5070;transport=udp;lr"),
    ('seturi("sip:carol@example.org")', "sip:carol@example.org"),
]


def _ruri_program() -> str:
    lines = []
    for i, (action, _want) in enumerate(RURI_CASES):
        lines.append(f'$ru = "{URI}"; {action}; $var(u{i}) = $ru; show("u{i}");')
    return "\n".join(lines)


def _ruri_expected() -> list[str]:
    return [f"u{i}=[{want}]" for i, (_a, want) in enumerate(RURI_CASES)]


def test_ruri_rewrites_ours() -> None:
    assert ours_program(_ruri_program(), pv=True) == _ruri_expected()


@pytest.mark.kamailio
def test_ruri_rewrites_kamailio(tmp_path: Path) -> None:
    assert kamailio_program(tmp_path, _ruri_program()) == _ruri_expected()


FLAGS_PROGRAM = """
setflag(FA); setflag(FC);
if (isflagset(FA)) { mark("FA"); }
if (isflagset(FB)) { mark("FB-shares-bit-0"); }
if (isflagset(FC)) { mark("FC"); }
resetflag(FA);
if (!isflagset(FB)) { mark("FB-reset-with-FA"); }
setflag(31);
if (isflagset(31)) { mark("31"); }
"""


def test_flags_ours() -> None:
    got = ours_program(FLAGS_PROGRAM, head="flags FA, FB:0, FC;\n")
    assert got == ["FA", "FB-shares-bit-0", "FC", "FB-reset-with-FA", "31"]


@pytest.mark.kamailio
def test_flags_kamailio(tmp_path: Path) -> None:
    head = "flags FA, FB:0, FC;\n"
    assert kamailio_program(tmp_path, FLAGS_PROGRAM, head=head) == ours_program(
        FLAGS_PROGRAM, head=head
    )


def test_flag_bits_and_msg_flags() -> None:
    rc, ctx = run_text(
        "flags A, B:7;\nrequest_route { setflag(A); setflag(B); setflag(2); resetflag(2);"
        " force_rport(); add_local_rport(); set_reply_close();"
        ' set_advertised_address("203.0.113.5"); set_advertised_port(5080);'
        " force_send_socket(udp:127.0.0.1:5060); }"
    )
    assert rc == 1
    assert ctx.flags == (1 << 0) | (1 << 7)
    assert ctx.msg_flags == MF_FORCE_RPORT | MF_ADD_LOCAL_RPORT | MF_REPLY_CLOSE
    assert ctx.advertised_address == "203.0.113.5"
    assert ctx.advertised_port == "5080"
    assert ctx.force_socket == "udp:127.0.0.1:5060"


def test_revert_uri() -> None:
    _rc, ctx = run_text('request_route { prefix("9"); revert_uri(); sethost("h.example.net"); }')
    assert ctx.new_uri == "sip:bob@h.example.net"
    _rc, ctx = run_text('request_route { prefix("9"); revert_uri(); }')
    assert ctx.new_uri is None


def test_userphone() -> None:
    _rc, ctx = run_text('request_route { rewriteuser("+4930123"); userphone(); }')
    assert ctx.new_uri == "sip:+4930123@example.org;user=phone"


@pytest.mark.parametrize(
    "call",
    ["forward_sctp()", 'forward_tls("127.0.0.1", 5060)'],
)
def test_network_core_functions_fail_compilation(call: str) -> None:
    name = call.split("(")[0]
    with pytest.raises(ConfigError, match=f"core function '{name}' is not supported yet"):
        run_text(f"request_route {{ {call}; }}")


def test_unknown_flag_is_config_error() -> None:
    with pytest.raises(ConfigError, match="flag"):
        run_text("request_route { setflag(NOPE); }")
