"""The PVs added for real configs ($msg, $expires, $K, $via0/1/Z, $branch, $sbranch, $nh,
$ds, $xavu, $xavi, $vn, $vz, socket and credential PVs): read on every message the
parser accepts (RFC 4475 torture tests, captures) they give int, str or None and never
raise; on a known request they give the values Kamailio 5.6.3 gives (checked with
kamailio -E on the same request, see tests/integration/test_mod_pv_more.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.engine.context import Branch, MsgContext
from siprouter.pv.access import PVCompiler
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message

DATA = Path(__file__).parents[2] / "data" / "sip"
FILES = sorted(p for d in ("rfc4475", "captures") for p in (DATA / d).glob("*.sip"))

READS = [
    *(f"$msg({k})" for k in ("len", "buf", "body", "hdrs", "fline")),
    "$mbu", "$mts", "$csb", "$true", "$expires(min)", "$expires(max)", "$K(UDP)",
    "$_s(a$rm)", "$AU", "$adc", "$adn", "$ado", "$adr", "$dic", "$Ras", "$Rn", "$sas",
    "$src_ip", "$siz", "$fsp", "$conid", "$sid", "$prid", "$ds", "$oUl",
    *(f"$via{w}({k})" for w in ("0", "1", "Z") for k in ("host", "port", "proto", "branch",
                                                          "rport", "received", "i")),
    *(f"$nh({k})" for k in "uUdpP"),
    "$branch(uri)", "$branch(count)", "$(branch(q)[1])", "$sbranch(uri)",
    "$xavu(a=>b)", "$xavi(a=>b)", "$vn(a)", "$vz(a)", "$msgbuf(0)", "$msgbuf(99999)",
]  # fmt: skip


def _message(path: Path) -> bytes:
    text = path.read_bytes()
    return text if b"\r\n" in text else text.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_new_pvs_read_without_error(path: Path) -> None:
    try:
        msg = parse_message(_message(path))
    except SipParseError:
        pytest.skip("the parser refuses it")
    comp = PVCompiler()
    ctx = MsgContext(msg)
    for text in READS:
        value = comp.compile_text(text).get(ctx)
        assert value is None or isinstance(value, int | str), (text, value)


REQ = (
    b"INVITE sip:bob@127.0.0.1;x=1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-v1;rport=77\r\n"
    b"Via: SIP/2.0/TCP 10.1.1.1:5070;branch=z9hG4bK-v0;received=1.2.3.4;rport;i=5\r\n"
    b"Via: SIP/2.0/TLS [::1]\r\n"
    b"From: <sip:alice@x>;tag=1\r\nTo: <sip:bob@y>\r\nCall-ID: v-1\r\nCSeq: 1 INVITE\r\n"
    b"Contact: <sip:a@h>;expires=300, <sip:b@h>\r\nExpires: 120\r\n"
    b'Proxy-Authorization: Digest username="al@d", realm="r", nonce="n", response="rs"\r\n'
    b"Diversion: <sip:d@x>;counter=4\r\nContent-Length: 4\r\n\r\nbody"
)


def value(text: str, ctx: MsgContext | None = None) -> object:
    ctx = ctx or MsgContext(parse_message(REQ))
    return PVCompiler().compile_text(text).get(ctx)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$msg(len)", len(REQ)),
        ("$msg(fline)", "INVITE sip:bob@127.0.0.1;x=1 SIP/2.0"),
        ("$msg(body)", "body"),
        ("$(msg(hdrs){s.len})", len(REQ) - len(b"INVITE sip:bob@127.0.0.1;x=1 SIP/2.0\r\n") - 8),
        ("$mts", "rq"),
        ("$csb", "1 INVITE"),
        ("$expires(min)", 120),
        ("$expires(max)", 300),
        ("$K(WSS)", 6),
        ("$K(IPv6)", 10),
        ("$_s($rm-$csb)", "INVITE-1 INVITE"),
        ("$via0(rport)", "77"),
        ("$via1(received)", "1.2.3.4"),
        ("$via1(rport)", None),
        ("$via1(i)", "5"),
        ("$viaZ(host)", "[::1]"),
        ("$viaZ(port)", 5060),
        ("$viaZ(proto)", "TLS"),
        ("$AU", "alice"),  # the From user, not the credentials'
        ("$adn", "n"),
        ("$adc", ""),
        ("$dic", 4),
        ("$oUl", 3),
        ("$nh(P)", "UDP"),
        ("$nh(p)", 5060),
        ("$ds", None),
        ("$true", 1),
    ],
)
def test_values(text: str, expected: object) -> None:
    assert value(text) == expected


def test_branch_and_ds() -> None:
    ctx = MsgContext(parse_message(REQ))
    ctx.branches.append(Branch("sip:b1@h", q=500))
    ctx.branches.append(Branch("sip:b2@h", dst_uri="sip:p:5090;transport=tcp"))
    assert value("$ds", ctx) == "Contact: <sip:b1@h>;q=0.5, <sip:b2@h>"
    assert value("$branch(count)", ctx) == 2
    assert value("$(branch(dst_uri)[1])", ctx) == "sip:p:5090;transport=tcp"
    assert value("$(branch(uri)[2])", ctx) is None
    comp = PVCompiler()
    comp.compile_text("$(branch(q)[1])").set(ctx, 700)  # type: ignore[misc]
    assert ctx.branches[1].q == 700
    ctx.dst_uri = "sip:p:5090;transport=tcp"
    assert (value("$nh(d)", ctx), value("$nh(p)", ctx), value("$nh(P)", ctx)) == ("p", 5090, "TCP")


@pytest.mark.parametrize("text", ["$msg(x)", "$K(udp)", "$via0(params)", "$branch(len)", "$nh(x)",
                                  "$expires(mid)", "$xavu(a[0]=>b)"])  # fmt: skip
def test_bad_names_fail_at_load(text: str) -> None:
    from siprouter.cfg.errors import ConfigError

    with pytest.raises(ConfigError):
        PVCompiler().compile_text(text)


def test_xavu_xavi_vn() -> None:
    ctx = MsgContext(parse_message(REQ))
    comp = PVCompiler()
    for text, v in [("$xavu(a=>b)", 1), ("$xavu(a=>c)", "x"), ("$xavu(a=>b)", 2),
                    ("$xavi(Ab=>Cd)", "i1"), ("$xavi(ab=>cd)", "i2"), ("$vn(w)", "n")]:  # fmt: skip
        comp.compile_text(text).set(ctx, v)  # type: ignore[misc]
    assert value("$xavu(a=>b)", ctx) == 2 and value("$xavu(a=>c)", ctx) == "x"
    assert value("$xavi(AB=>CD)", ctx) == "i2"
    assert value("$(xavi(ab[1]=>cd))", ctx) is None or value("$xavi(ab[1]=>cd)", ctx) == "i1"
    assert value("$vn(w)", ctx) == "n" and value("$vn(other)", ctx) is None
    comp.compile_text("$vn(w)").set(ctx, None)  # type: ignore[misc]
    assert value("$vn(w)", ctx) is None
    assert value("$vz(never)", ctx) == 0


def test_msgbuf_reads_and_replaces_one_character() -> None:
    ctx = MsgContext(parse_message(REQ))
    assert value("$msgbuf(0)", ctx) == "I"
    assert value("$msgbuf(99999)", ctx) is None
    acc = PVCompiler().compile_text("$msgbuf(0)")
    assert acc.set is not None
    acc.set(ctx, "O")
    assert ctx.changes.apply().startswith(b"ONVITE sip:")
