"""Message PVs without Kamailio: setter failures, what setters record in the context,
time and process PVs. (Values themselves are compared with Kamailio in
test_pv_kamailio.py.)"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from siprouter.engine.context import Branch
from siprouter.pv.pvclass import PVError

REPLY = (
    b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_ruri_setters_record_new_uri_not_the_message(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$rU", "carol")
    pvt.put(ctx, "$rp", "5070")
    assert ctx.new_uri == "sip:carol@example.com:5070"
    assert not ctx.has_changes  # the request line is rebuilt from new_uri when sent
    assert pvt.get(ctx, "$ou") == "sip:bob@example.com"
    pvt.put(ctx, "$rp", None)
    pvt.put(ctx, "$rU", None)
    assert pvt.get(ctx, "$ru") == "sip:example.com"


@pytest.mark.parametrize(
    ("pv", "value", "why"),
    [
        ("$ru", None, "null"),
        ("$ru", 5, "string"),
        ("$rp", "x", "bad port"),
        ("$rp", 70000, "bad port"),
        ("$rd", None, "null"),
        ("$fs", "1.2.3.4", "bad socket"),
        ("$fu", "junk", "bad URI"),
        ("$mf", "zz", "number"),
        ("$rU", 123, "string"),
        ("$du", 5, "string"),
        ("$fU", 7, "string"),
        ("$tn", 7, "string"),
        ("$br", 7, "URI string"),
    ],
)
def test_setter_failures(pvt: Any, pv: str, value: Any, why: str) -> None:
    ctx = pvt.make_ctx()
    with pytest.raises(PVError, match=why):
        pvt.put(ctx, pv, value)
    assert ctx.new_uri is None and ctx.dst_uri is None


def test_ru_and_du_take_any_text(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$ru", "garbage")
    pvt.put(ctx, "$du", "garbage")
    # as Kamailio: stored, and what parses them reads $null
    assert [pvt.get(ctx, p) for p in ("$ru", "$rU", "$du", "$dd")] == [None, None, "garbage", None]
    with pytest.raises(PVError):
        pvt.put(ctx, "$rU", "x")  # no URI to rewrite


def test_reply_has_no_request_uri(pvt: Any) -> None:
    ctx = pvt.make_ctx(REPLY)
    assert [pvt.get(ctx, p) for p in ("$ru", "$rU", "$rs", "$rr", "$rm", "$mt")] == [
        None, None, 180, "Ringing", "INVITE", 2,
    ]  # fmt: skip
    with pytest.raises(PVError, match="reply"):
        pvt.put(ctx, "$rU", "x")


def test_dst_uri_and_socket(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$du", "sip:10.0.0.1:5080;transport=tls")
    assert [pvt.get(ctx, p) for p in ("$dd", "$dp", "$dP")] == ["10.0.0.1", "5080", "tls"]
    pvt.put(ctx, "$du", None)
    assert ctx.dst_uri is None and pvt.get(ctx, "$dd") is None
    pvt.put(ctx, "$fs", "TCP:[::1]:5060")
    assert pvt.get(ctx, "$fs") == "tcp:[::1]:5060"


def test_branches_and_flags(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    assert pvt.get(ctx, "$br") is None and pvt.get(ctx, "$bR") is None
    pvt.put(ctx, "$br", "sip:a@x")
    ctx.branches.append(Branch("sip:b@y;transport=tcp", q=500))
    ctx.branches.append(Branch("sip:c@z", q=1000))
    assert pvt.get(ctx, "$br") == "sip:a@x"
    assert pvt.get(ctx, "$bR") == "sip:a@x, <sip:b@y;transport=tcp>;q=0.5, <sip:c@z>;q=1"
    pvt.put(ctx, "$mf", 8)
    pvt.put(ctx, "$bF", "0x20")
    assert [pvt.get(ctx, p) for p in ("$mf", "$mF", "$bf", "$bF")] == [
        8,
        "00000008",
        32,
        "00000020",
    ]


def test_script_flags_are_per_message(pvt: Any) -> None:
    """Kamailio 5.6.3: setsflag(2) in one message, the next one starts with $sf = 0."""
    from siprouter.pv.impl_net import get_sflags, set_sflags

    a, b = pvt.make_ctx(), pvt.make_ctx()
    b.script = a.script
    set_sflags(a, 4)
    assert [pvt.get(a, "$sf"), pvt.get(a, "$sF"), pvt.get(b, "$sf")] == [4, "00000004", 0]
    pvt.put(b, "$sf", 9)
    assert get_sflags(b) == 9 and get_sflags(a) == 4


def test_from_to_setters_are_lumps(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$fU", "carl")
    pvt.put(ctx, "$tn", None)
    assert pvt.get(ctx, "$fU") == "alice"  # reads the received message, as Kamailio
    out = ctx.changes.apply()
    assert b'From: "Alice A" <sip:carl@a.example.com:5072;transport=udp>;tag=ft1\r\n' in out
    assert b"To: <sip:bob@example.com>\r\n" in out
    with pytest.raises(PVError, match="conflicting"):
        pvt.put(ctx, "$fu", "sip:x@y")  # the same URI changed twice


def test_receive_info(pvt: Any) -> None:
    ctx = pvt.make_ctx(src_ip="::1", src_port=5071, dst_ip="::1", dst_port=5060, proto="tcp", af=6)
    got = [pvt.get(ctx, p) for p in ("$si", "$sp", "$Ri", "$Rp", "$pr", "$proto", "$af(id)",
                                     "$af(name)", "$RAi", "$RAp")]  # fmt: skip
    assert got == ["::1", 5071, "::1", 5060, "tcp", "tcp", 10, "IPv6", "::1", 5060]


def test_message_time_is_taken_once(pvt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = pvt.make_ctx()
    clock = [1_700_000_000_123_456_789]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    first = [pvt.get(ctx, p) for p in ("$TV(s)", "$TV(u)", "$Ts", "$TV(Sn)")]
    clock[0] += 5_000_000_000
    again = [pvt.get(ctx, p) for p in ("$TV(s)", "$TV(u)", "$Ts", "$TV(sn)", "$TV(un)")]
    assert first == [1_700_000_000, 123_456, 1_700_000_000, "1700000000.123456"]
    assert again == [1_700_000_000, 123_456, 1_700_000_000, 1_700_000_005, 123_456]
    other = pvt.make_ctx()
    assert pvt.get(other, "$Ts") == 1_700_000_005


def test_time_formats(pvt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        ctx = pvt.make_ctx()
        monkeypatch.setattr(time, "time_ns", lambda: 1_795_784_794_000_000_000)
        # what Kamailio printed at that second (Fri 27 Nov 2026 13:06:34 UTC)
        names = ["sec", "min", "hour", "mday", "mon", "year", "wday", "yday", "isdst"]
        got = [pvt.get(ctx, f"$time({n})") for n in names]
        assert got == [34, 6, 13, 27, 11, 2026, 6, 331, 0]
        assert pvt.get(ctx, "$Tf") == "Fri Nov 27 13:06:34 2026"
        assert pvt.get(ctx, "$timef(%Y-%m-%d %H)") == "2026-11-27 13"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_process_pvs(pvt: Any) -> None:
    import os

    a, b = pvt.make_ctx(), pvt.make_ctx()
    assert pvt.get(a, "$pp") == os.getpid()
    ma, mb = pvt.get(a, "$mi"), pvt.get(b, "$mi")
    assert mb == ma + 1 and pvt.get(a, "$mi") == ma
    assert pvt.get(a, "$version(num)") == "5.6.3"
    assert re.fullmatch(
        r"siprouter \S+ \(kamailio 5\.6\.3 compatible\) \(\S+\)", pvt.get(a, "$version(full)")
    )
    assert isinstance(pvt.get(a, "$Tb"), int)
