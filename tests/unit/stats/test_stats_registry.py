"""The statistics registry: Kamailio's core and sl counting rules, flags, look-ups, and
exact totals when several forked processes count at once."""

from __future__ import annotations

import os

from siprouter import stats
from siprouter.shared import space as space_mod
from siprouter.stats import StatFlag, core, sl, tcp


def values(group: str) -> dict[str, int]:
    return {s.name: s.value() for s in stats.registry().in_group(group) if s.value()}


def test_core_statistics_have_kamailio_names() -> None:
    names = [s.name for s in stats.registry().in_group("core")]
    assert names == sorted(names)
    for n in (
        "rcv_requests",
        "rcv_requests_invite",
        "rcv_replies_2xx_reg",
        "rcv_replies_18x",
        "rcv_replies_486",
        "unsupported_methods",
        "bad_URIs_rcvd",
        "bad_msg_hdr",
        "fwd_requests",
        "drop_replies",
        "err_requests",
    ):
        assert n in names
    assert len(names) == 85


def test_request_counting_by_method() -> None:
    core.request_received("INVITE")
    core.request_received("invite")
    core.request_received("FOOBAR")
    core.request_received("INVITEX")
    core.request_received("kdmq")  # known to Kamailio's parser, no counter of its own
    assert values("core") == {
        "rcv_requests": 5,
        "rcv_requests_invite": 2,
        "unsupported_methods": 2,
    }


def test_reply_counting_by_class_code_and_method() -> None:
    core.reply_received(183, "BYE")
    core.reply_received(401, "REGISTER")
    core.reply_received(302, "SUBSCRIBE")
    core.reply_received(200, "OPTIONS")
    assert values("core") == {
        "rcv_replies": 4,
        "rcv_replies_1xx": 1,
        "rcv_replies_18x": 1,
        "rcv_replies_1xx_bye": 1,
        "rcv_replies_4xx": 1,
        "rcv_replies_401": 1,
        "rcv_replies_4xx_reg": 1,
        "rcv_replies_3xx": 1,
        "rcv_replies_2xx": 1,
    }


def test_forward_drop_and_error_counters() -> None:
    core.request_forwarded()
    core.request_dropped()
    core.reply_forwarded()
    core.reply_forwarded()
    core.reply_dropped()
    core.bad_uri()
    core.bad_msg_hdr()
    assert values("core") == {
        "fwd_requests": 1,
        "drop_requests": 1,
        "fwd_replies": 2,
        "drop_replies": 1,
        "bad_URIs_rcvd": 1,
        "bad_msg_hdr": 1,
    }


def test_sl_reply_classes_as_kamailio() -> None:
    for code in (100, 180, 183, 200, 201, 202, 299, 305, 404, 410, 486, 500, 503, 603):
        sl.reply_sent(code)
    sl.failure()
    sl.ack_received()
    assert values("sl") == {
        "sent_replies": 14,
        "xxx_replies": 3,  # Kamailio 5.6.3 counts provisional replies there
        "200_replies": 1,
        "202_replies": 1,
        "2xx_replies": 2,
        "3xx_replies": 1,
        "404_replies": 1,
        "4xx_replies": 2,
        "500_replies": 1,
        "5xx_replies": 1,
        "6xx_replies": 1,
        "failures": 1,
        "received_ACKs": 1,
    }


def test_flags_no_reset_and_computed() -> None:
    reg = stats.registry()
    plain = reg.declare("script", "plain")
    nr = reg.declare("script", "nr", StatFlag.NO_RESET)
    sl.reply_sent(200)
    computed = reg.get("sl", "sent_replies")
    assert computed is not None
    for st in (plain, nr, computed):
        st.update(5)
    assert (plain.value(), nr.value(), computed.value()) == (5, 5, 1)
    assert plain.reset() and plain.value() == 0
    assert not nr.reset() and nr.value() == 5
    assert not computed.reset() and computed.value() == 1


def test_find_by_bare_name_and_inc() -> None:
    reg = stats.registry()
    reg.declare("script", "grp:x")
    assert reg.find("grp:x") is not None
    assert reg.find("script:grp:x") is None
    assert stats.inc("rcv_requests", 3)
    assert not stats.inc("nope")
    assert reg.find("rcv_requests").value() == 3  # type: ignore[union-attr]
    assert reg.groups() == ["core", "script"]


def test_declare_is_idempotent() -> None:
    reg = stats.registry()
    a = reg.declare("script", "a")
    again = reg.declare("script", "a")
    assert a is again
    assert len(reg.in_group("script")) == 1


def test_statistics_sum_exactly_over_forked_processes() -> None:
    reg = stats.setup()
    sl.declare()
    mine = reg.declare("script", "mine")
    arr = mine.array
    space_mod.before_fork()
    pids = []
    for rank in range(1, 5):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                arr.set_rank(rank)
                for _ in range(2000):
                    core.request_received("OPTIONS")
                    sl.reply_sent(200)
                    mine.update(2)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert reg.find("rcv_requests_options").value() == 8000  # type: ignore[union-attr]
    assert reg.get("sl", "200_replies").value() == 8000  # type: ignore[union-attr]
    assert mine.value() == 16000
    assert mine.reset() and mine.value() == 0


def test_update_wraps_around_64_bits() -> None:
    st = stats.registry().declare("script", "big")
    st.update(2**63 - 1)
    st.update(2)
    assert st.value() == -(2**63) + 1
    assert st.unsigned() == 2**63 + 1


def test_sum_of_rows_wraps_and_reset_still_works() -> None:
    st = stats.registry().declare("script", "rows")
    arr = st.array
    st.update(2**63 - 1)
    arr.set_rank(1)
    st.update(2**63 - 1)
    arr.set_rank(0)
    assert st.value() == -2  # two C counters summed in 64 bits
    assert st.reset() and st.value() == 0
    st.update(5)
    assert st.value() == 5


def test_tcp_group_counts_as_kamailio_once_declared() -> None:
    tcp.accepted()  # not declared: nothing counted, nothing listed
    assert "tcp" not in stats.registry().groups()
    tcp.declare()
    tcp.accepted()
    tcp.accepted()
    tcp.closed()
    tcp.reset()
    tcp.connect_failed()
    tcp.connected()
    tcp.queued(300)
    tcp.queued(-100)
    assert values("tcp") == {
        "passive_open": 2,
        "established": 3,
        "current_opened_connections": 2,
        "con_reset": 1,
        "connect_failed": 1,
        "connect_success": 1,
        "current_write_queue_size": 200,
    }
    assert [s.name for s in stats.registry().in_group("tcp")] == list(tcp.NAMES)
