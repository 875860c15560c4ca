"""siputils in-process: the pure helpers and the functions that edit the message, with
the results Kamailio 5.6.3 gives (the compat case files siputils_*.toml play the same
against Kamailio)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules import siputils
from siprouter.modules import siputils_checks as chk
from siprouter.modules import siputils_contact as con
from siprouter.modules import siputils_newer as newer
from siprouter.modules import siputils_pcv as pcv
from siprouter.sip.message import parse_message


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    siputils.reset()
    yield
    siputils.reset()


def request(extra: str = "", ruri: str = "sip:x@example.org", method: str = "OPTIONS") -> bytes:
    return (
        f"{method} {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: u-1\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


HEAD = 'loadmodule "pv"\nloadmodule "sl"\nloadmodule "siputils"\n'


def run(body: str, data: bytes, head: str = "") -> tuple[MsgContext, bytes]:
    cc = compile_config(parse_string(HEAD + head + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(data), ReceiveInfo(dst_ip="192.0.2.10"), ScriptState())
    ctx.sent = []
    cc.run("request", "", ctx)
    out = ctx.changes.apply() if ctx.has_changes else ctx.msg.data
    return ctx, out


def var(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


def test_string_checks() -> None:
    assert [chk.is_numeric(v) for v in ("123", "12a", "")] == [1, -2, -2]
    assert [chk.is_alphanum(v) for v in ("aB3", "a-b", "")] == [1, -3, -2]
    assert chk.is_alphanumex("a-b.", "-") == -3 and chk.is_alphanumex("a-b.", "-.") == 1
    assert [chk.is_tel_number(v) for v in ("+12", "12", "+", "1+2")] == [1, 1, -2, -2]
    assert [chk.is_e164(v) for v in ("+12", "+1", "+" + "1" * 15, "+" + "1" * 16)] == [1, -1, 1, -1]


def test_uri_comparisons() -> None:
    assert chk.cmp_uri("sip:a@b", "sip:a@B") == 1
    assert chk.cmp_uri("sip:A@b", "sip:a@b") == -1
    assert chk.cmp_uri("sip:a@b;transport=udp", "sip:a@b") == 1
    assert chk.cmp_uri("sip:a@b;x=1", "sip:a@b;x=2") == -1
    assert chk.cmp_uri("sip:a@b:5060", "sip:a@b") == -1
    assert chk.cmp_uri("bad", "sip:a@b") == -2
    assert chk.cmp_aor("sip:a@b:5060", "sip:a@b") == 1
    assert chk.cmp_aor("sips:a@b", "sip:a@b;x=1") == 1
    assert chk.cmp_aor("sip:a@b:5070", "sip:a@b") == -1
    assert [chk.cmp_hdr_name(*p) for p in (("f", "From"), ("v", "t"), ("X-A", "x-b"))] == [
        1,
        -1,
        -2,
    ]


def test_gruu_and_date() -> None:
    assert [chk.gruu_kind(u) for u in ("sip:a@b;gr", "sip:a@b;gr=x", "sip:a@b", "x")] == [
        2,
        1,
        -1,
        -1,
    ]
    when = chk.parse_date("Thu, 01 Jan 2009 00:00:00 GMT")
    assert when == 1230768000
    assert chk.parse_date("Thu, 1 Jan 2009 00:00:00 GMT") is None
    assert chk.parse_date("Thu, 01 Jan 2009 00:00:00 UTC") is None
    ctx = MsgContext(parse_message(request("Date: Thu, 01 Jan 2009 00:00:00 GMT\r\n")))
    assert chk.hdr_date_check(ctx, 10, now=1230768005) == 1
    assert chk.hdr_date_check(ctx, 10, now=1230768011) == -4
    assert chk.hdr_date_check(MsgContext(parse_message(request())), 10) == -1


def test_uri_param_functions() -> None:
    body = """
        $var(a) = uri_param("lr"); $var(b) = uri_param("x", "1"); $var(c) = uri_param_any("x");
        $var(d) = get_uri_param("x", "$var(v)"); uri_param_rm("lr"); add_uri_param("nat=yes");
    """
    ctx, _ = run(body, request(ruri="sip:u@h;lr;x=1"))
    assert [var(ctx, n) for n in "abcdv"] == [1, 1, 1, 1, "1"]
    assert ctx.new_uri == "sip:u@h;x=1;nat=yes"


def test_tel2sip_and_set_uri() -> None:
    body = """
        $var(r) = tel2sip("tel:+12-(34)-56-78;Ext=200", "foo.com", "$var(o)");
        $var(n) = tel2sip("sip:a@b", "foo.com", "$var(p)");
        $var(u) = "sip:a:pw@h:5070;x"; set_uri_user("$var(u)", "bob");
        $var(h) = "sip:a@h:5070;x"; set_uri_host("$var(h)", "example.net");
    """
    ctx, _ = run(body, request())
    assert var(ctx, "r") == 1 and var(ctx, "o") == "sip:+12345678;ext=200@foo.com;user=phone"
    assert var(ctx, "n") == 2 and var(ctx, "p") is None
    assert var(ctx, "u") == "sip:bob@h:5070;x"
    assert var(ctx, "h") == "sip:a@example.net:5070;x"


def test_encode_decode_roundtrip() -> None:
    enc = con.encode_uri("sip:user:pw@10.0.0.1:5070;transport=tcp;x=1", "enc", "192.0.2.4")
    assert enc == "sip:enc*user*pw*10.0.0.1*5070*tcp@192.0.2.4"
    assert con.decode_uri(enc) == "sip:user:pw@10.0.0.1:5070;transport=tcp"
    assert con.decode_uri("sip:plain@h") is None
    con.PARAMS["contact_flds_separator"] = "-x"
    assert con.encode_uri("sip:u@h", "p", "g") == "sip:p-u--h--@g"
    assert con.decode_uri("sip:p-u--h--@g;lr") == "sip:u@h;lr"


def test_encode_contact_edits_first_contact_header() -> None:
    extra = 'Contact: "A" <sip:u@10.0.0.1:5070;transport=udp>;expires=60, <sip:v@h>\r\n'
    ctx, out = run('$var(r) = encode_contact("enc", "192.0.2.4");', request(extra))
    assert var(ctx, "r") == 1
    assert (
        b'Contact: "A" <sip:enc*u**10.0.0.1*5070*udp@192.0.2.4>;expires=60, '
        b"<sip:enc*v**h**@192.0.2.4>\r\n" in out
    )
    ctx, _ = run('$var(r) = encode_contact("enc", "h");', request())
    assert var(ctx, "r") == -1
    ctx, _ = run('$var(r) = encode_contact("enc", "h");', request("Contact: <sips:a@h>\r\n"))
    assert var(ctx, "r") == -509


def test_contact_param_encode_decode() -> None:
    extra = "Contact: <sip:alice@10.0.0.1:5070;transport=udp>;expires=60\r\n"
    _, out = run('contact_param_encode("ksu", "sip:192.0.2.4:5060;transport=tcp");', request(extra))
    encoded = "c2lwOmFsaWNlQDEwLjAuMC4xOjUwNzA7dHJhbnNwb3J0PXVkcA"
    line = f"Contact: <sip:192.0.2.4:5060;transport=tcp;ksu={encoded}>;expires=60\r\n"
    assert line.encode() in out
    _, back = run('contact_param_decode("ksu");', request(line))
    assert extra.encode() in back
    _, rm = run('contact_param_rm("ksu");', request(line))
    assert b"Contact: <sip:192.0.2.4:5060;transport=tcp>;expires=60\r\n" in rm
    ruri = f"sip:192.0.2.4;ksu={encoded}"
    ctx, _ = run('contact_param_decode_ruri("ksu");', request(ruri=ruri))
    assert ctx.new_uri == "sip:alice@10.0.0.1:5070;transport=udp"


def test_options_reply() -> None:
    head = 'modparam("siputils", "options_support", "path")\n'
    ctx, _ = run("$var(r) = options_reply();", request(ruri="sip:127.0.0.1"), head)
    assert var(ctx, "r") == 1
    reply = (ctx.sent or [])[0][2]
    assert reply.startswith(b"SIP/2.0 200 OK\r\n")
    assert (
        b"Accept: */*\r\nAccept-Encoding: \r\nAccept-Language: en\r\nSupported: path\r\n" in reply
    )
    ctx, _ = run("$var(r) = options_reply();", request(ruri="sip:u@127.0.0.1"))
    assert var(ctx, "r") == -1 and ctx.sent == []
    ctx, _ = run("$var(r) = options_reply();", request(ruri="sip:127.0.0.1", method="INFO"))
    assert var(ctx, "r") == -1


def test_rpid() -> None:
    body = '$var(a) = append_rpid_hf(); $avp(s:rpid) = "sip:+4930@h"; $var(b) = append_rpid_hf();'
    body += ' $var(c) = append_rpid_hf("<", ">"); $var(e) = is_rpid_user_e164();'
    ctx, out = run(body, request())
    assert [var(ctx, n) for n in "abce"] == [-1, 1, 1, 1]
    assert out.endswith(
        b"Remote-Party-ID: sip:+4930@h;party=calling;id-type=subscriber;screen=yes\r\n"
        b"Remote-Party-ID: <sip:+4930@h>\r\n\r\n"
    )


def test_pcv_generate_read_remove() -> None:
    body = 'sip_p_charging_vector("g"); $var(v) = $pcv(value); $var(g) = $pcv(genaddr);'
    ctx, out = run(body, request())
    icid = var(ctx, "v")
    assert isinstance(icid, str) and len(icid) == 32 and icid.startswith("495653C000020A")
    assert var(ctx, "g") == "192.0.2.10"
    assert f"P-Charging-Vector: icid-value={icid}; icid-generated-at=192.0.2.10\r\n".encode() in out
    extra = "P-Charging-Vector: icid-value=abc;icid-generated-at=1.2.3.4;orig-ioi=o\r\n"
    ctx, out = run(
        '$var(o) = $pcv(orig); $var(t) = $pcv(term); sip_p_charging_vector("r");', request(extra)
    )
    assert var(ctx, "o") == "o" and var(ctx, "t") == 0  # $null assigned to $var is 0
    assert b"P-Charging-Vector" not in out
    assert pcv.parse_pcv("orig-ioi=o") is None


def test_bad_constant_arguments_are_config_errors() -> None:
    for call in ('is_supported("nosuch")', 'sip_p_charging_vector("x")', 'is_e164("+12")'):
        with pytest.raises(ConfigError):
            run(call + ";", request())


def test_newer_functions() -> None:
    assert (
        newer.tel2sip2_text("tel:+1-2;Phone-Context=example.com;zz=1;postd=pp;isub=+9", "h")
        == "sip:+12;isub=+9;postd=pp;zz=1@h;user=phone"
    )
    assert newer.tel2sip2_text("tel:5.5;phone-context=+49-30", "h") == (
        "sip:55;phone-context=+4930@h;user=phone"
    )
    assert newer.tel2sip2_text("sip:a@b", "h") is None
    extra = "Contact: <sip:a@h;x=1>, <sip:b@h;ksu=q>\r\n"
    body = (
        '$var(a) = contact_param_check("ksu"); $var(b) = contact_param_check("y");'
        ' $var(c) = sip_parse_headers(); $var(d) = tel2sip2("tel:+1", "h", "$var(o)");'
    )
    ctx, _ = run(body, request(extra))
    assert [var(ctx, n) for n in "abcdo"] == [1, -1, 1, 1, "sip:+1@h;user=phone"]
    ctx, _ = run("$var(c) = sip_parse_headers();", request("Expires: soon\r\n"))
    assert var(ctx, "c") == -1


def test_e164_max_len() -> None:
    body = '$var(n) = "+1234567890123456"; $var(r) = is_e164("$var(n)");'
    ctx, _ = run(body, request())
    assert var(ctx, "r") == -1
    ctx, _ = run(body, request(), 'modparam("siputils", "e164_max_len", 17)\n')
    assert var(ctx, "r") == 1
