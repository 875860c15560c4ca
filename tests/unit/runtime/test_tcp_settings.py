"""TCP core parameters (runtime/tcp_conn.TcpSettings), the keepalive socket options,
and the send flags the set_reply_* / set_forward_* core functions turn into."""

from __future__ import annotations

import socket

import pytest

from siprouter.engine.context import (
    MF_FORWARD_CLOSE,
    MF_FORWARD_NO_CONNECT,
    MF_REPLY_CLOSE,
    MF_REPLY_NO_CONNECT,
)
from siprouter.runtime import state
from siprouter.runtime.tcp_conn import TcpSettings, apply_keepalive


def test_settings_from_params_with_defaults_and_values() -> None:
    d = TcpSettings.from_params({})
    assert (d.rd_buf_size, d.connection_lifetime, d.max_connections, d.crlf_ping) == (
        16384,
        120.0,
        2048,
        True,
    )
    s = TcpSettings.from_params(
        {
            "tcp_rd_buf_size": 4096,
            "tcp_accept_no_cl": True,
            "tcp_crlf_ping": False,
            "tcp_connection_lifetime": 3605,
            "tcp_connect_timeout": 3,
            "tcp_send_timeout": 2,
            "tcp_max_connections": 10,
            "tcp_accept_iplimit": 5,
            "tcp_accept_unique": 1,
            "tcp_accept_aliases": 1,
            "tcp_accept_haproxy": 1,
            "tcp_no_connect": 1,
            "tcp_script_mode": 1,
            "tcp_keepalive": 0,
            "tcp_keepidle": 30,
            "tcp_keepintvl": 10,
            "tcp_keepcnt": 3,
            "tcp_source_ipv4": "127.0.0.2",
        }
    )
    assert s.source_ipv4 == "127.0.0.2" and s.source_ipv6 is None
    assert s.rd_buf_size == 4096 and s.accept_no_cl and not s.crlf_ping
    assert (s.connection_lifetime, s.connect_timeout, s.send_timeout) == (3605, 3, 2)
    assert (s.max_connections, s.accept_iplimit) == (10, 5)
    assert s.accept_unique and s.accept_aliases and s.accept_haproxy and s.no_connect
    assert s.script_mode == 1 and not s.keepalive
    assert (s.keepidle, s.keepintvl, s.keepcnt) == (30, 10, 3)


def test_keepalive_options_are_set_on_the_socket() -> None:
    with socket.socket() as sock:
        apply_keepalive(sock, TcpSettings(keepidle=33, keepintvl=7, keepcnt=4))
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 33
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 7
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4
    with socket.socket() as sock:
        apply_keepalive(sock, TcpSettings(keepalive=False, keepidle=33))
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


def test_send_flags_from_message_flags() -> None:
    assert state.reply_flags(0) == 0 and state.forward_flags(0) == 0
    assert state.reply_flags(MF_REPLY_NO_CONNECT) == state.SEND_NO_CONNECT
    assert state.reply_flags(MF_REPLY_CLOSE | MF_REPLY_NO_CONNECT) == (
        state.SEND_NO_CONNECT | state.SEND_CLOSE
    )
    assert state.reply_flags(MF_FORWARD_CLOSE | MF_FORWARD_NO_CONNECT) == 0
    assert state.forward_flags(MF_FORWARD_CLOSE) == state.SEND_CLOSE
    assert state.forward_flags(MF_FORWARD_NO_CONNECT | MF_REPLY_CLOSE) == state.SEND_NO_CONNECT


def test_state_send_passes_flags_to_the_registered_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []

    def sender(*args: object) -> bool:
        calls.append(args)
        return True

    monkeypatch.setitem(state.SENDERS, "tcp", sender)
    assert state.send("tcp", "127.0.0.1", 5060, ("127.0.0.1", 9), b"x", state.SEND_CLOSE)
    assert calls == [("127.0.0.1", 5060, ("127.0.0.1", 9), b"x", state.SEND_CLOSE)]
    assert not state.send("sctp", "127.0.0.1", 5060, ("127.0.0.1", 9), b"x")
