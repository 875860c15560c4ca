"""textops functions of later Kamailio releases (no 5.6.3 reference to diff against:
checked against their documentation) and the multipart helpers, in-process."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.modules.textops_multipart import find_part, hex_text

from .test_textops import BODY, NOBODY, REQ, codes, run


def test_str_any_all_in() -> None:
    ctx, _ = run(
        '$var(a)=str_any_in("a;b", ",;"); $var(b)=str_any_in("ab", ",;");'
        ' $var(c)=str_all_in("a.b-c;", ".;-"); $var(d)=str_all_in("a.b", ".;");'
        ' $var(e)=str_any_in("", "a"); $var(f)=str_all_in("abc", "");'
    )
    assert codes(ctx, "abcdef") == [1, -1, 1, -1, -1, -1]


def test_subst_v_groups_and_no_match() -> None:
    ctx, out = run(
        '$var(x) = "sip:alice@a.example"; $var(r) = "keep";'
        ' $var(a)=subst_v("$var(x)", "/^sip:([a-z]+)@(.*)$/\\2:\\1/", "$var(o)");'
        ' $var(b)=subst_v("$var(x)", "/zzz/q/", "$var(r)");'
        ' $var(c)=subst_v("aXbXc", "/x/-/gi", "$var(g)");'
        ' $var(d)=subst_v("abc", "/(/x/", "$var(bad)");'
    )
    assert codes(ctx, "abcd") == [1, -1, 1, -1]
    assert ctx.script.vars["o"] == "a.example:alice"
    assert ctx.script.vars["r"] == "keep"
    assert ctx.script.vars["g"] == "a-b-c"
    assert out == REQ


def test_via_param_rm() -> None:
    two_vias = REQ.replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n",
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;p1=x\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-2;p1;lr\r\n",
    )
    ctx, out = run(
        '$var(a)=via_param_rm("p1", "0"); $var(b)=via_param_rm("p1", "-1");'
        ' $var(c)=via_param_rm("nope", "0"); $var(d)=via_param_rm("p1", "2");'
        ' $var(i)=1; $var(e)=via_param_rm("lr", "$var(i)");',
        two_vias,
    )
    assert codes(ctx, "abcde") == [1, 1, -1, -1, 1]
    assert b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n" in out
    assert b"Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-2\r\n" in out


def test_set_body_hex() -> None:
    ctx, out = run(
        '$var(a)=set_body_hex("68 65 6c 6c 6f", "text/plain"); $var(b)=set_body_hex("6", "x/y");',
        NOBODY,
    )
    assert codes(ctx, "ab") == [1, -1]
    assert out.endswith(b"Content-Type: text/plain\r\n\r\nhello")
    assert b"Content-Length: 5\r\n" in out


def test_set_reply_body_hex_not_in_onsend() -> None:
    with pytest.raises(ConfigError):
        run('}\nonsend_route {\nset_reply_body_hex("41", "text/plain");')


def test_hex_text() -> None:
    assert hex_text("41 42\t4a") == b"ABJ"
    assert hex_text("4") is None
    assert hex_text("zz") is None


def test_find_part_rules() -> None:
    body = b"--B\r\nContent-Type: a/b;x=1\r\n\r\none\r\n--B\r\ncontent-type:A/B\r\n\r\ntwo\r\n--B--\r\n"
    found = find_part(body, "a/b", b"--B")
    assert found is not None
    ct, content, nxt, end = found
    assert body[ct:].startswith(b"content-type:A/B")
    assert body[content:nxt] == b"\r\ntwo\r\n"
    assert body[nxt:end] == b"--B--\r\n"
    assert find_part(body, "a/c", b"--B") is None
    assert find_part(BODY, "a/b", b"--B") is None
