"""siputils is_sip, is_http and contact_param_encode_alias in-process. These exist only
in Kamailio releases after 5.6.3 (5.6.3 refuses them), so there is no 5.6.3 reference:
the expected values follow the module documentation (see siputils_latest.py)."""

from __future__ import annotations

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules import siputils_contact as con
from siprouter.modules import siputils_latest as latest
from siprouter.sip.message import parse_message

HEAD = 'loadmodule "pv"\nloadmodule "sl"\nloadmodule "siputils"\n'


def _request(extra: str = "") -> bytes:
    return (
        "REGISTER sip:example.org SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-1\r\n"
        "From: <sip:a@example.org>;tag=1\r\nTo: <sip:a@example.org>\r\n"
        f"Call-ID: l-1\r\nCSeq: 1 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def _run(body: str, data: bytes, proto: str = "udp") -> tuple[MsgContext, bytes]:
    cc = compile_config(parse_string(HEAD + "request_route {\n" + body + "\n}\n", "t.cfg"))
    rcv = ReceiveInfo("198.51.100.7", 40123, "192.0.2.10", 5060, proto)
    ctx = MsgContext(parse_message(data), rcv, ScriptState())
    ctx.sent = []
    cc.run("request", "", ctx)
    out = ctx.changes.apply() if ctx.has_changes else ctx.msg.data
    return ctx, out


def test_is_sip_and_is_http() -> None:
    ctx, _ = _run("$var(s) = is_sip(); $var(h) = is_http();", _request())
    assert ctx.script.vars["s"] == 1 and ctx.script.vars["h"] == -1


def test_with_alias_appends_once_and_keeps_headers() -> None:
    assert latest.with_alias("sip:u@10.0.0.5:5062", "1.2.3.4~5~1") == (
        "sip:u@10.0.0.5:5062;alias=1.2.3.4~5~1"
    )
    assert latest.with_alias("sip:u@h;alias=x", "y") == "sip:u@h;alias=x"
    assert latest.with_alias("sip:u@h;lr?X=1", "a~1~2") == "sip:u@h;lr;alias=a~1~2?X=1"


def test_contact_param_encode_alias_round_trip() -> None:
    contact = "Contact: <sip:u@10.0.0.5:5062;ob>;expires=60\r\n"
    _, out = _run(
        'contact_param_encode_alias("kx", "sip:192.0.2.10:5060");', _request(contact), "tcp"
    )
    line = next(x for x in out.decode().split("\r\n") if x.startswith("Contact:"))
    assert line.startswith("Contact: <sip:192.0.2.10:5060;kx=") and line.endswith(";expires=60")
    value = line.split("kx=", 1)[1].split(">", 1)[0]
    assert con.unb64url(value) == "sip:u@10.0.0.5:5062;ob;alias=198.51.100.7~40123~2"


def test_contact_param_encode_alias_without_contact_is_true() -> None:
    ctx, out = _run('$var(r) = contact_param_encode_alias("kx", "sip:h");', _request())
    assert ctx.script.vars["r"] == 1 and out == _request()
