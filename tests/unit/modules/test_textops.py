"""textops module in-process: return codes and the message bytes after the changes."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import maxfwd
from siprouter.modules.textops_re import compile_msg_re, parse_subst
from siprouter.sip.message import parse_message

HEAD = 'loadmodule "pv"\nloadmodule "textops"\nloadmodule "maxfwd"\n'
BODY = b"v=0\r\no=x y z\r\n"
REQ = (
    b"INVITE sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
    b"Call-ID: tx-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
    b"X-A: one\r\nX-B: two\r\nX-A: three\r\n"
    b"Content-Type: application/sdp\r\nContent-Length: 14\r\n\r\n" + BODY
)
NOBODY = REQ.split(b"Content-Type")[0] + b"Content-Length: 0\r\n\r\n"


def run(body: str, data: bytes = REQ) -> tuple[MsgContext, bytes]:
    maxfwd.reset()
    cc = compile_config(parse_string(HEAD + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(data), script=ScriptState())
    cc.run("request", "", ctx)
    out = ctx.changes.apply() if ctx.has_changes else ctx.msg.data
    return ctx, out


def codes(ctx: MsgContext, names: str) -> list[object]:
    return [ctx.script.vars.get(n) for n in names]


def test_presence_and_method() -> None:
    ctx, out = run(
        '$var(a)=is_present_hf("x-a"); $var(b)=is_present_hf("X-Z"); $var(c)=is_present_hf("v");'
        ' $var(d)=is_present_hf_re("^X-[AB]$"); $var(e)=is_method("BYE|invite");'
        ' $var(f)=is_method("ACK");'
    )
    assert codes(ctx, "abcdef") == [1, -1, 1, 1, 1, -1]
    assert out == REQ


def test_is_method_list_of_unknown_methods_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        run('is_method("FOO|INVITE");')


def test_append_insert_remove_bytes() -> None:
    ctx, out = run(
        '$var(x) = "pv"; append_hf("X-New: $var(x)\\r\\n"); append_hf("X-Aft: 1\\r\\n", "X-A");'
        ' insert_hf("X-Ins: 1\\r\\n"); insert_hf("X-Bef: 1\\r\\n", "X-B");'
        ' $var(r) = remove_hf("x-a"); $var(n) = remove_hf("X-None");'
    )
    assert codes(ctx, "rn") == [1, -1]
    head = out.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[1] == b"X-Ins: 1"
    assert b"X-A: one" not in out and b"X-A: three" not in out
    assert head[-1] == b"X-New: pv"
    i = head.index(b"X-B: two")
    assert head[i - 1 : i + 2] == [b"X-Bef: 1", b"X-B: two", b"X-Aft: 1"]
    assert out.endswith(BODY)


@pytest.mark.parametrize(
    ("idx", "code", "left"),
    [(0, 1, b"three"), (1, 1, b"one"), (-1, 1, b"one"), (2, 2, b"both"), (-3, 2, b"both")],
)
def test_remove_hf_idx(idx: int, code: int, left: bytes) -> None:
    ctx, out = run(f'$var(r) = remove_hf_idx("X-A", "{idx}");')
    assert codes(ctx, "r") == [code]
    if left == b"both":
        assert out == REQ
    else:
        assert out.count(b"X-A:") == 1 and b"X-A: " + left in out


def test_search_and_replace_with_content_length() -> None:
    ctx, out = run(
        '$var(a)=search("^x-b: t"); $var(b)=search("two$"); $var(c)=search_body("^To:");'
        ' $var(d)=replace_body_all("[xyz]", "QQ"); $var(e)=replace("nomatch", "z");'
    )
    assert codes(ctx, "abcde") == [1, -1, -1, 1, -1]  # "$" is before LF, after the CR
    assert out.endswith(b"Content-Length: 17\r\n\r\nv=0\r\no=QQ QQ QQ\r\n")
    assert parse_message(out).body == b"v=0\r\no=QQ QQ QQ\r\n"


def test_subst_groups_pvs_and_flags() -> None:
    ctx, out = run(
        '$var(x) = "pv"; $var(a)=subst("/^(To: )<sip:([a-z]+)@/\\1<sip:\\2.$var(x)@/");'
        ' $var(b)=subst("/invite/INV/"); $var(c)=subst("/x-(.): ([a-z]+)/X-\\1: <\\2>/ig");'
        ' $var(d)=subst_body("/^o=(.)/O=[\\1]/");'
    )
    assert codes(ctx, "abcd") == [1, -1, 1, 1]
    assert b"\r\nTo: <sip:bob.pv@example.org>\r\n" in out
    assert b"X-A: <one>\r\nX-B: <two>\r\nX-A: <three>\r\n" in out
    assert out.endswith(b"Content-Length: 16\r\n\r\nv=0\r\nO=[x] y z\r\n")


def test_subst_uri_and_user() -> None:
    ctx, _ = run('$var(a)=subst_user("/^b(o)b$/carol\\1/"); $var(u) = $ru;')
    assert codes(ctx, "au") == [1, "sip:carolo@example.org"]
    ctx, _ = run('$var(a)=subst_uri("/example/127.0.0.1/"); $var(b)=subst_uri("/zz/y/");')
    assert codes(ctx, "ab") == [1, -1]
    assert ctx.new_uri == "sip:bob@127.0.0.1.org"


def test_empty_body() -> None:
    ctx, out = run(
        '$var(a)=has_body(); $var(b)=search_body("."); $var(c)=replace_body("x", "y");'
        ' $var(d)=subst_body("/^/x/");',
        NOBODY,
    )
    assert codes(ctx, "abcd") == [-1, -1, -1, -1]
    assert out == NOBODY


def test_has_body_type() -> None:
    ctx, _ = run('$var(a)=has_body("application/SDP"); $var(b)=has_body("text/plain");')
    assert codes(ctx, "ab") == [1, -1]


def test_overlapping_edit_is_refused_not_corrupting() -> None:
    ctx, out = run('$var(a)=replace("x-a: one", "X-A: 1"); $var(b)=replace_all("X-(A|B)", "Y");')
    assert codes(ctx, "ab") == [1, -1]
    assert b"X-A: 1\r\nX-B: two\r\n" in out


def test_maxfwd_in_place_keeps_textops_lumps() -> None:
    ctx, out = run(
        'append_hf("X-New: 1\\r\\n"); $var(m) = mf_process_maxfwd_header(10);'
        ' $var(r) = remove_hf("X-B");'
    )
    assert codes(ctx, "mr") == [1, 1]
    assert b"Max-Forwards: 69\r\n" in out and b"X-B" not in out and b"X-New: 1\r\n\r\n" in out


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ('starts_with("abc", "ab")', 1), ('starts_with("abc", "b")', -2),
        ('starts_with("", "a")', -1), ('ends_with("abc", "bc")', 1),
        ('ends_with("abc", "x")', -2), ('cmp_str("abc", "abc")', 1),
        ('cmp_str("abc", "abd")', -2), ('cmp_str("abd", "abc")', -1),
        ('cmp_istr("ABC", "abc")', 1), ('in_list("b", "a, b,c", ",")', 1),
        ('in_list(" b", "a, b,c", ",")', -1), ('in_list("", "a,,b", ",")', -1),
        ('in_list_prefix("abcd", "x,ab", ",")', 1), ('in_list_prefix("ab", "abc", ",")', -1),
        ('str_find("abcabc", "ca")', 3), ('str_find("abc", "")', 4),
        ('str_find("abc", "x")', -1), ('str_ifind("aBc", "BC")', 2),
        ('starts_with("$ru", "sip:bob")', 1),
    ],
)  # fmt: skip
def test_string_functions(call: str, code: int) -> None:
    ctx, _ = run(f"$var(r) = {call};")
    assert codes(ctx, "r") == [code]


def test_posix_regex_newline_semantics() -> None:
    rx = compile_msg_re("^b.*$")
    assert rx.search(b"a\r\nbcd\r\ne").group(0) == b"bcd\r"
    assert compile_msg_re("A").search(b"xa") is not None  # case-insensitive
    assert compile_msg_re("\\d").search(b"1") is None  # glibc: \d matches nothing


def test_parse_subst() -> None:
    s = parse_subst("#a\\#b#c\\\\d\\n#ig")
    assert s.replace_all and s.regex.search(b"A#B")
    assert s.parts == ("c\\d\n",)
    with pytest.raises(ValueError):
        parse_subst("/a/b/q")
    with pytest.raises(ValueError):
        parse_subst("/a(/b/")


def test_bad_regex_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        run('search("a(");')


def test_set_body_replaces_body_and_content_type() -> None:
    ctx, out = run('$var(x) = "pv"; $var(a) = set_body("hello $var(x)", "text/plain");')
    assert codes(ctx, "a") == [1]
    head, body = out.split(b"\r\n\r\n")
    assert body == b"hello pv"
    assert head.endswith(b"Content-Length: 8\r\nContent-Type: text/plain")
    assert head.count(b"Content-Type") == 1


def test_set_body_on_empty_body() -> None:
    _ctx, out = run('set_body("v=1", "application/sdp");', NOBODY)
    assert out.endswith(b"Content-Length: 3\r\nContent-Type: application/sdp\r\n\r\nv=1")


def test_replace_variants() -> None:
    ctx, out = run(
        '$var(a)=replace_body_atonce("y z\\r\\n$", "Q"); $var(b)=replace_hdrs("X-(A|B)", "Y");'
        ' $var(c)=replace_hdrs("^v=0", "W"); $var(d)=replace_hdrs_str("X-A", "Z", "a");'
        ' $var(e)=replace_hdrs_str("nothing", "Z", "f");'
    )
    assert codes(ctx, "abcde") == [1, 1, -1, -1, 1]  # d overlaps b's edit: refused
    assert b"\r\nY: one\r\nX-B: two\r\nX-A: three\r\n" in out
    assert out.endswith(b"Content-Length: 10\r\n\r\nv=0\r\no=x Q")


def test_replace_body_str_is_case_sensitive_and_returns_1() -> None:
    ctx, out = run(
        '$var(a)=replace_body_str("X", "Q", "a"); $var(b)=replace_body_str("x", "Q", "a");'
    )
    assert codes(ctx, "ab") == [1, 1]
    assert out.endswith(b"\r\n\r\nv=0\r\no=Q y z\r\n")


def test_regex_substring_and_search_str() -> None:
    ctx, _ = run(
        '$var(a)=regex_substring("foo123bar456", "([0-9]+)[a-z]+([0-9]+)", 2, 3, "$var(o)");'
        ' $var(b)=regex_substring("abc", "z", 0, 1, "$var(p)");'
        ' $var(c)=regex_substring("a1", "[0-9]", 1, 1, "$var(q)");'
        ' $var(d)=search_str("ABC", "b"); $var(e)=search_str("abcd", "^b");'
    )
    assert codes(ctx, "abcdeo") == [1, -2, -1, 1, -1, "456"]
    assert ctx.script.vars.get("p") is None


@pytest.mark.parametrize(
    ("sdp", "code"),
    [
        ("c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n", 1),
        ("c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", 2),
        ("c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", -1),
        ("c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n", -1),
        ("c=IN IP4 0.0.0.0\r\nm=video 4000 RTP/AVP 0\r\n", -1),
        ("a=inactive\r\nm=audio 4000 RTP/AVP 0\r\n", 2),
    ],
)
def test_is_audio_on_hold(sdp: str, code: int) -> None:
    body = ("v=0\r\ns=-\r\n" + sdp).encode()
    data = REQ.split(b"Content-Length")[0] + b"Content-Length: %d\r\n\r\n" % len(body) + body
    ctx, _ = run("$var(a) = is_audio_on_hold();", data)
    assert codes(ctx, "a") == [code]


def test_append_time_after_first_via_and_privacy() -> None:
    data = REQ.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nPrivacy: user; id\r\n")
    ctx, out = run(
        '$var(a) = append_time_to_request(); $var(b) = is_privacy("ID");'
        ' $var(c) = is_privacy("header");',
        data,
    )
    assert codes(ctx, "abc") == [1, 1, -1]
    lines = out.split(b"\r\n")
    assert lines[1].startswith(b"Via: ") and lines[2].startswith(b"Date: ")
    assert lines[2].endswith(b" GMT")


def test_has_body_without_content_type_is_sdp_and_bad_type_is_a_config_error() -> None:
    data = REQ.replace(b"Content-Type: application/sdp\r\n", b"")
    ctx, _ = run('$var(a)=has_body("application/sdp;x=1"); $var(b)=has_body("text/plain");', data)
    assert codes(ctx, "ab") == [1, -1]
    with pytest.raises(ConfigError):
        run('has_body("application");')


@pytest.mark.parametrize(
    ("op", "expr", "code", "left"),
    [
        ("eq", "one", 1, [b"three"]),
        ("ne", "one", 1, [b"one"]),
        ("in", "hre", 1, [b"one"]),
        ("re", "^T", 1, [b"one"]),
        ("eq", "ONE", -2, [b"one", b"three"]),
        ("xx", "one", -1, [b"one", b"three"]),
    ],
)
def test_remove_hf_match(op: str, expr: str, code: int, left: list[bytes]) -> None:
    ctx, out = run(f'$var(r) = remove_hf_match("X-A", "{op}", "{expr}");')
    assert codes(ctx, "r") == [code]
    assert [ln[5:] for ln in out.split(b"\r\n") if ln.startswith(b"X-A: ")] == left
