"""htable without a server: Kamailio's hashes (values printed by Kamailio 5.6.3), the
`htable` modparam, table storage with expiry (time passed in), matchers, iterators,
re-entrant slot locks, the expiry pass with its event route, sht_print lines, RPCs,
and exact increments from forked processes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import ScriptState
from siprouter.modules import htable_iter, htable_locks, htable_rpc, htable_tables
from siprouter.modules.htable_funcs import print_lines
from siprouter.modules.htable_hash import core_case_hash, core_hash
from siprouter.modules.htable_pv import count_matcher
from siprouter.modules.htable_spec import parse_table_spec
from siprouter.modules.htable_store import HTable, Matcher
from siprouter.modules.htable_timer import expire_tick, timer_groups
from siprouter.rpc import RpcError
from siprouter.shared import space as space_mod


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    space_mod.reset()
    htable_tables.clear()
    htable_locks.reset()
    htable_iter.reset()
    yield
    htable_iter.reset()
    htable_locks.reset()
    htable_tables.clear()
    space_mod.reset()


def table(text: str) -> HTable:
    return htable_tables.define(parse_table_spec(text))


# ---- hashes --------------------------------------------------------------------------


def test_hashes_are_kamailios() -> None:
    # sht_print of Kamailio 5.6.3: hid of k1 and K1 26214, tables a 109 and b 110
    assert core_case_hash("k1") == core_case_hash("K1") == 26214
    assert core_case_hash("a") == 109 and core_case_hash("b") == 110
    # cfgutils core_hash() of Kamailio 5.6.3 returns (hash & (2^size - 1)) + 1
    assert (core_hash("abc", "") & 15) + 1 == 3
    assert (core_hash("ABCDEFGH1", "") & 15) + 1 == 10
    assert (core_hash("hello world", "zz") & 15) + 1 == 2
    assert (core_hash("hello world") & (2**17 - 1)) + 1 == 113018
    assert (core_hash("hello world") & (2**31 - 1)) + 1 == 1221179770
    assert (core_hash("abc") & (2**20 - 1)) + 1 == 876355
    assert core_hash("k1") != core_hash("K1")


def test_high_bytes_are_signed_chars() -> None:
    assert core_hash(b"\xe9") != core_hash(b"\x69")
    assert core_hash("x\xe9yz") == core_hash("x\xe9yz".encode())


# ---- the modparam ---------------------------------------------------------------------


def test_table_spec() -> None:
    s = parse_table_spec("a=>size=8;autoexpire=300;initval=-3;updateexpire=0;")
    assert (s.name, s.slots, s.autoexpire, s.initval, s.updateexpire) == ("a", 256, 300, -3, False)
    assert parse_table_spec("b=>").slots == 16
    assert parse_table_spec("c=>size=1").slots == 8
    assert parse_table_spec("c=>size=40").slots == 2**14
    assert parse_table_spec("=>size=4").name == ""


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "a=>foo=1",
        "a=>size=x",
        "a=>autoexpire=-5",
        "a=>initval=abc",
        "a=>size=4;;",
        "a=>dbtable=t",
        "a=>dbmode=1",
        "a=>coldelim=x",
    ],
)
def test_table_spec_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_table_spec(text)


def test_db_attributes_say_why() -> None:
    with pytest.raises(ValueError, match="needs a database"):
        parse_table_spec("a=>dbtable=htable")


def test_duplicate_table() -> None:
    table("a=>size=2")
    with pytest.raises(ValueError, match="already configured"):
        table("a=>size=3")


# ---- storage and expiry ----------------------------------------------------------------


def test_values_and_initval() -> None:
    a, b = table("a=>size=4"), table("b=>initval=7")
    assert a.read("x") is None and b.read("x") == 7
    a.set("x", 5)
    a.set("s", "str")
    assert a.read("x") == 5 and a.read("s") == "str"
    assert a.add("x", 1) == 6 and a.add("s", 1) is None and a.add("missing", 1) is None
    assert a.get("missing") is None  # no initval: nothing stored
    assert b.add("n", -1) == 6 and b.get("n") == 6
    a.set("big", 2**31 - 1)
    assert a.add("big", 1) == -(2**31)
    a.delete("x")
    assert a.get("x") is None


def test_expiry_with_time_passed_in() -> None:
    t = table("t=>autoexpire=10")
    t.set("k", "v", now=1000)
    assert t.expires_in("k", now=1004) == 6
    assert t.get("k", now=1010) == "v" and t.get("k", now=1011) is None
    t.set("k", "w", now=1005)  # updateexpire=1: renewed
    assert t.expires_in("k", now=1005) == 10
    assert t.set_expire("k", 3, now=1005) and t.expires_in("k", now=1005) == 3
    assert not t.set_expire("nope", 3, now=1005)
    assert [i.key for i in t.purge_expired(now=1008)] == []
    assert [(i.key, i.value) for i in t.purge_expired(now=1009)] == [("k", "w")]
    assert t.items() == []


def test_updateexpire_off_keeps_the_expiry_until_it_passed() -> None:
    t = table("t=>autoexpire=10;updateexpire=0")
    t.set("k", 1, now=1000)
    t.set("k", 2, now=1005)
    assert t.expires_in("k", now=1005) == 5
    t.set("k", 3, now=1020)  # already expired: an update starts a new period
    assert t.expires_in("k", now=1020) == 10 and t.get("k", now=1020) == 3


def test_no_autoexpire() -> None:
    t = table("t=>size=2")
    t.set("k", 1, now=1)
    assert t.expires_in("k", now=1) == 0 and t.get("k", now=10**9) == 1
    t.set_with_expire("s", "x", 5, now=100)
    assert t.get("s", now=105) == "x" and t.get("s", now=106) is None


def test_listing_order_is_kamailios() -> None:
    t = table("a=>size=4")
    for k in ("x", "y", "z", "w"):
        t.set(k, k)
    t.set("k1", 1)
    t.set("K1", 2)
    # Kamailio 5.6.3's iterator: z:zv,y:2,x:1,w:4 (slots 5, 6, 7, 9); k1 before K1 (slot 6,
    # same hash, insertion order)
    assert [i.key for i in t.items()] == ["z", "y", "k1", "K1", "x", "w"]
    t.set("k1", "again")  # an update keeps the place
    assert [i.key for i in t.items()][2] == "k1"


# ---- matching ----------------------------------------------------------------------


def test_matchers_and_count_operators() -> None:
    t = table("a=>size=4")
    for k, v in (("k1", "v1"), ("k2", "v2"), ("kk", 3), ("K1", "V1")):
        t.set(k, v)
    counts = {
        e: t.count(count_matcher(e), False)
        for e in ("==k1", "~~^k", "~%k", "!=k1", "%~k", "k", "~%1", ".*")
    }
    assert counts == {
        "==k1": 1,
        "~~^k": 4,
        "~%k": 1,
        "!=k1": 0,
        "%~k": 3,
        "k": 4,
        "~%1": 2,
        ".*": 4,
    }
    assert t.count(count_matcher(".*"), True) == 3  # string values only
    assert t.count(count_matcher("~~V"), True) == 3
    assert t.remove_matching(Matcher("sw", "k"), False) == 3
    assert [i.key for i in t.items()] == ["K1"]
    with pytest.raises(ValueError):
        Matcher("xx", "a")


# ---- iterators and locks -------------------------------------------------------------


def test_iterator_walks_restarts_and_changes_items() -> None:
    t = table("a=>size=4")
    for k, v in (("x", 1), ("y", "two"), ("z", 3)):
        t.set(k, v)
    assert htable_iter.start("i", "a") == 1
    seen = []
    while htable_iter.next_item("i") > 0:
        key = htable_iter.key_of("i")
        seen.append((key, htable_iter.value_of("i")))
        if key == "y":
            assert htable_iter.set_value("i", "TWO") == 1
        if key == "x":
            assert htable_iter.remove("i") == 1
    assert seen == [("z", 3), ("y", "two"), ("x", 1)]  # x removed last: nothing skipped
    assert htable_iter.next_item("i") == 1 and htable_iter.key_of("i") == "z"  # starts over
    assert htable_iter.end("i") == 1 and htable_iter.end("i") == -1
    assert t.get("y") == "TWO" and t.get("x") is None
    assert htable_iter.start("j", "nope") == -1 and htable_iter.next_item("j") == -1
    for n in range(4):
        assert htable_iter.start(f"i{n}", "a") == 1
    assert htable_iter.start("fifth", "a") == -1


def test_slot_locks_are_reentrant_per_process() -> None:
    t = table("a=>size=4")
    htable_locks.lock(t, "x")
    htable_locks.lock(t, "x")  # the same process again: no dead-lock
    htable_locks.unlock(t, "x")
    htable_locks.unlock(t, "x")
    htable_locks.unlock(t, "x")  # not held: ignored
    ls, i = htable_locks._index(t, "x")
    assert ls.lock_at(i).acquire(False)  # free again
    ls.lock_at(i).release()


def test_increments_from_forked_processes_are_exact() -> None:
    t = table("t=>size=4;initval=0")
    htable_locks.create(t)
    t.reset()  # the shared space exists before the fork (the module's init does this)
    space_mod.before_fork()
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for _ in range(50):
                    t.add("inc", 1)
                    htable_locks.lock(t, "rmw")
                    t.set("rmw", int(t.read("rmw") or 0) + 1)
                    htable_locks.unlock(t, "rmw")
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        assert os.waitpid(pid, 0)[1] == 0
    assert t.get("inc") == 200 and t.get("rmw") == 200


# ---- timer pass, print, RPC ------------------------------------------------------------


def test_expire_tick_runs_the_expired_route() -> None:
    cfg = """
loadmodule "pv"
loadmodule "htable"
modparam("htable", "htable", "e=>autoexpire=5")
modparam("htable", "htable", "log=>size=2")
event_route[htable:expired:e] { $sht(log=>$shtrecord(key)) = $shtrecord(value); }
request_route { exit; }
"""
    compiled = compile_config(parse_string(cfg))
    e, log = table("e=>autoexpire=5"), table("log=>size=2")
    e.set("k", "v", now=100)
    e.set("j", 2, now=104)
    assert expire_tick([e, log], compiled, ScriptState(compiled=compiled), now=106) == 1
    assert log.get("k") == "v" and log.get("j") is None
    assert expire_tick([e, log], None, ScriptState(), now=200) == 1


def test_print_lines() -> None:
    a = table("a=>size=2")
    a.set("k1", "v1")
    a.set("n", 5)
    lines = print_lines([a])
    assert lines[0] == "htable[a] hid: 109 exp: 0>"
    assert "\tcell: k1" in lines and "\thid: 26214 msize: 78 flags: 2 expire: 0" in lines
    assert "\tv-s:v1" in lines and "\tv-i:5" in lines
    assert sum(1 for x in lines if x.startswith("htable[") and "--" in x) == 4


def test_rpcs() -> None:
    a = table("a=>size=2;autoexpire=30")
    table("b=>size=3")
    assert htable_rpc.rpc_sets("a", "k", "v") == "Ok. Key set to new value."
    htable_rpc.rpc_seti("a", "n", 12)
    htable_rpc.rpc_seti("a", "s", "12")  # a string parameter stores 0, as Kamailio's
    item = htable_rpc.rpc_get("a", "k")["item"]
    assert (item["name"], item["value"], item["flags"]) == ("k", "v", 2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["expire"])
    assert a.get("n") == 12 and a.get("s") == 0
    with pytest.raises(RpcError) as e:
        htable_rpc.rpc_get("a", "missing")
    assert (e.value.code, e.value.message) == (500, "Key name doesn't exist in htable.")
    with pytest.raises(RpcError):
        htable_rpc.rpc_get("zz", "k")
    dump = htable_rpc.rpc_dump("a")
    assert sorted((i["name"], i["type"]) for s in dump for i in s["slot"]) == [
        ("k", "str"),
        ("n", "int"),
        ("s", "int"),
    ]
    assert [t["name"] for t in htable_rpc.rpc_list_tables()] == ["b", "a"]
    stats = {s["name"]: s for s in htable_rpc.rpc_stats()}
    assert stats["a"]["all"] == 3 and stats["a"]["slots"] == 4 and stats["b"]["all"] == 0
    assert htable_rpc.rpc_setex("a", "k", 5) == "Ok" and a.expires_in("k") in (4, 5)
    assert htable_rpc.rpc_delete("a", "k") == "Ok. Key deleted."
    with pytest.raises(RpcError) as e:
        htable_rpc.rpc_delete("a", "k")
    assert e.value.code == 404
    assert htable_rpc.rpc_flush("a") == "Ok. Htable flushed." and a.items() == []
    with pytest.raises(RpcError) as e:
        htable_rpc.rpc_reload("a")
    assert e.value.message == "No htable db_url"


def test_iterator_rm_skips_the_next_item() -> None:
    t = table("a=>size=4")
    for k in ("x", "y", "z", "w"):  # listed z, y, x, w
        t.set(k, 1)
    htable_iter.start("i", "a")
    seen = []
    while htable_iter.next_item("i") > 0:
        key = htable_iter.key_of("i")
        seen.append(key)
        if key == "y":
            htable_iter.remove("i")
    assert seen == ["z", "y", "w"]  # as Kamailio 5.6.3: x is passed over, and kept
    assert [i.key for i in t.items()] == ["z", "x", "w"]


def test_newer_functions_inc_dec_is_null() -> None:
    from siprouter.engine.context import MsgContext
    from siprouter.modules import htable_funcs as F
    from siprouter.sip.message import parse_message

    ctx = MsgContext(
        parse_message(
            b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\nFrom: <sip:a@b>;tag=1\r\n"
            b"To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
    )
    a, b = table("a=>size=2"), table("b=>initval=10")
    inc = F._add(1, "sht_inc")
    dec = F._add(-1, "sht_dec")
    assert F.sht_is_null(ctx, "a", "k") == 1
    assert inc(ctx, "a", "k") == -1  # no initval: nothing to add to
    a.set("k", 1)
    assert inc(ctx, "a", "k") == 1 and a.get("k") == 2
    assert F.sht_is_null(ctx, "a", "k") == -1
    assert dec(ctx, "b", "n") == 1 and b.get("n") == 9
    assert inc(ctx, "zz", "k") == -1 and F.sht_is_null(ctx, "zz", "k") == -1
    assert F.sht_setxi(ctx, "a", "x", 5, 0) == 0 and a.get("x") == 5  # 5.6.3 ends the script


def test_timer_groups() -> None:
    a, b, c = table("a=>autoexpire=1"), table("b=>size=2"), table("c=>autoexpire=5")
    assert timer_groups([a, b, c], 0) == [[a, c]]
    assert timer_groups([a, b, c], 2) == [[a], [c]]
    assert timer_groups([a, b, c], 8) == [[a], [c]]
    assert timer_groups([b], 1) == []
