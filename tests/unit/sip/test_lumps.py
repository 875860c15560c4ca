"""Tests for siprouter.sip.lumps: insert/delete/replace, ordering and conflict rules."""

from __future__ import annotations

import pytest

from siprouter.sip.lumps import LumpConflictError, LumpError, LumpList

DATA = b"0123456789"


def lumps() -> LumpList:
    return LumpList(len(DATA))


def test_no_lumps_returns_same_bytes() -> None:
    ll = lumps()
    assert ll.apply(DATA) is DATA
    assert not ll and len(ll) == 0


def test_insert_delete_replace() -> None:
    ll = lumps()
    ll.insert(0, b"<")
    ll.insert(10, b">")
    ll.delete(2, 4)
    ll.replace(6, 8, b"xyz")
    assert ll.apply(DATA) == b"<0145xyz89>"
    assert ll.delta() == len(b"<0145xyz89>") - len(DATA)
    assert len(ll) == 4


def test_inserts_at_one_offset_keep_insertion_order() -> None:
    ll = lumps()
    ll.insert(5, b"A")
    ll.insert(5, b"B")
    ll.insert(5, b"C")
    assert ll.apply(DATA) == b"01234ABC56789"


def test_front_insert_goes_first() -> None:
    ll = lumps()
    ll.insert(5, b"A")
    ll.insert(5, b"B", front=True)
    ll.insert(5, b"C", front=True)
    assert ll.apply(DATA) == b"01234CBA56789"


def test_insert_at_start_of_delete_comes_before_and_at_end_after() -> None:
    ll = lumps()
    ll.delete(3, 6)
    ll.insert(3, b"[")
    ll.insert(6, b"]")
    assert ll.apply(DATA) == b"012[]6789"


def test_replacement_and_inserts_at_its_start_follow_insertion_order() -> None:
    ll = lumps()
    ll.insert(3, b"a")
    ll.replace(3, 5, b"R")
    ll.insert(3, b"b")
    assert ll.apply(DATA) == b"012aRb56789"


def test_adjacent_deletes_do_not_conflict() -> None:
    ll = lumps()
    ll.delete(2, 4)
    ll.delete(4, 6)
    assert ll.apply(DATA) == b"016789"


def test_same_delete_twice_is_one_delete() -> None:
    ll = lumps()
    first = ll.delete(2, 4)
    assert ll.delete(2, 4) is first
    assert ll.apply(DATA) == b"01456789"
    assert len(ll) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [((2, 6), (4, 8)), ((2, 6), (3, 4)), ((3, 4), (2, 6)), ((2, 6), (2, 7)), ((2, 6), (0, 3))],
)
def test_overlapping_deletes_conflict(a: tuple[int, int], b: tuple[int, int]) -> None:
    ll = lumps()
    ll.delete(*a, what="remove X-A")
    with pytest.raises(LumpConflictError) as ei:
        ll.delete(*b, what="remove X-B")
    msg = str(ei.value)
    assert "remove X-A" in msg and "remove X-B" in msg
    assert ei.value.first.what == "remove X-A" and ei.value.second.what == "remove X-B"
    assert ll.apply(DATA) == DATA[: a[0]] + DATA[a[1] :]  # the rejected change left no trace


def test_two_replaces_of_same_range_conflict() -> None:
    ll = lumps()
    ll.replace(2, 4, b"x", what="set A")
    with pytest.raises(LumpConflictError, match="set A"):
        ll.replace(2, 4, b"y", what="set B")


def test_delete_then_replace_same_range_conflicts() -> None:
    ll = lumps()
    ll.delete(2, 4, what="remove")
    with pytest.raises(LumpConflictError):
        ll.replace(2, 4, b"y", what="replace")


def test_insert_inside_deleted_range_conflicts() -> None:
    ll = lumps()
    ll.delete(2, 6, what="remove hdr")
    with pytest.raises(LumpConflictError, match="falls inside"):
        ll.insert(4, b"x", what="add param")


def test_delete_swallowing_an_insert_conflicts() -> None:
    ll = lumps()
    ll.insert(4, b"x", what="add param")
    with pytest.raises(LumpConflictError, match="would swallow"):
        ll.delete(2, 6, what="remove hdr")


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (2, 11), (5, 5), (6, 5)])
def test_bad_ranges(start: int, end: int) -> None:
    ll = lumps()
    with pytest.raises(LumpError):
        ll.delete(start, end)


def test_insert_out_of_range() -> None:
    with pytest.raises(LumpError):
        lumps().insert(11, b"x")


def test_apply_checks_buffer_size() -> None:
    ll = lumps()
    ll.insert(0, b"x")
    with pytest.raises(LumpError, match="made for 10 bytes"):
        ll.apply(b"short")


def test_iteration_is_application_order_and_clear() -> None:
    ll = lumps()
    ll.insert(9, b"z")
    ll.delete(1, 2)
    ll.insert(1, b"a")
    assert [lump.start for lump in ll] == [1, 1, 9]
    ll.clear()
    assert ll.apply(DATA) is DATA


MSG = (
    b"INVITE sip:bob@b.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
    b"From: <sip:a@a>;tag=1\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"abcd"
)


def _off(needle: bytes) -> int:
    return MSG.index(needle)


def test_header_helpers() -> None:
    ll = LumpList(len(MSG))
    via = _off(b"Via:")
    ll.add_record_route(via, b"Record-Route: <sip:p;lr>")
    ll.add_via(via, b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n")
    ll.add_header_at(_off(b"Content-Length"), b"X-A: 1")
    frm = _off(b"From:")
    ll.remove_span(frm, frm + len(b"From: <sip:a@a>;tag=1\r\n"))
    uri = _off(b"sip:bob")
    ll.set_request_uri(uri, uri + len(b"sip:bob@b.example.com"), b"sip:carol@c")
    out = ll.apply(MSG)
    assert out == (
        b"INVITE sip:carol@c SIP/2.0\r\n"
        b"Record-Route: <sip:p;lr>\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
        b"X-A: 1\r\n"
        b"Content-Length: 4\r\n"
        b"\r\n"
        b"abcd"
    )


def test_set_body_fixes_content_length() -> None:
    ll = LumpList(len(MSG))
    cl = _off(b"Content-Length: 4") + len(b"Content-Length: ")
    ll.set_body(_off(b"abcd"), b"v=0\r\n", cl_value=(cl, cl + 1), headers_end=_off(b"\r\n\r\n") + 2)
    assert ll.apply(MSG).endswith(b"Content-Length: 5\r\n\r\nv=0\r\n")


def test_set_body_adds_missing_content_length_and_handles_empty_body() -> None:
    msg = b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n"
    ll = LumpList(len(msg))
    ll.set_body(len(msg), b"hello", cl_value=None, headers_end=len(msg) - 2)
    assert ll.apply(msg) == (
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 5\r\n\r\nhello"
    )
    ll2 = LumpList(len(MSG))
    cl = _off(b"Content-Length: 4") + len(b"Content-Length: ")
    ll2.set_body(_off(b"abcd"), b"", cl_value=(cl, cl + 1), headers_end=_off(b"\r\n\r\n") + 2)
    assert ll2.apply(MSG).endswith(b"Content-Length: 0\r\n\r\n")


def test_set_body_conflicts_with_second_body_change() -> None:
    ll = LumpList(len(MSG))
    cl = _off(b"Content-Length: 4") + len(b"Content-Length: ")
    ll.set_body(_off(b"abcd"), b"x", cl_value=(cl, cl + 1), headers_end=_off(b"\r\n\r\n") + 2)
    with pytest.raises(LumpConflictError, match="set body"):
        ll.set_body(_off(b"abcd"), b"y", cl_value=(cl, cl + 1), headers_end=_off(b"\r\n\r\n") + 2)


def test_set_body_is_all_or_nothing() -> None:
    ll = LumpList(len(MSG))
    cl = _off(b"Content-Length: 4") + len(b"Content-Length: ")
    ll.delete(cl - 2, cl + 1, what="mangle CL")
    with pytest.raises(LumpConflictError, match="mangle CL"):
        ll.set_body(_off(b"abcd"), b"xy", cl_value=(cl, cl + 1), headers_end=_off(b"\r\n\r\n") + 2)
    assert len(ll) == 1 and ll.apply(MSG).endswith(b"\r\n\r\nabcd")
