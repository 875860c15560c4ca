"""The records workers exchange over their inboxes (AF_UNIX datagram socketpairs).

Every record is a fixed header, then the payload (a SIP message, or data to send):

    kind (B), address family 4|6 (B), local socket index (B), flags (B),
    port (H), address (16s), connection id (I)

* `UDP`: a datagram for the Call-ID owner; address:port is its source, the index
  names the receiving worker's UDP socket of the same listen address (every worker
  has one per UDP endpoint).
* `TCP`: a framed TCP message for the Call-ID owner; address:port is the source the
  script sees ($si/$sp), the index names the TCP listen socket, the connection id says
  which worker holds the connection (runtime/tcp_transport.worker_of).
* `SEND`: data for the worker holding connection id (or, id 0, the outbound owner of
  address:port) to write to address:port; flags are state.SEND_*; the index names the
  local TCP socket asked for (255: any).
* `CLOSE`: close connection id (tcp_script_mode 0 after a routing error).
* `ALIAS`: address:port now reaches connection id (tcp_accept_aliases), for every
  other worker's peer table.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

UDP = 0
TCP = 1
SEND = 2
CLOSE = 3
ALIAS = 4

ANY_SOCKET = 255

_HEAD = struct.Struct("!BBBBH16sI")
HEAD_SIZE = _HEAD.size


class Record(NamedTuple):
    kind: int
    af: int
    index: int
    flags: int
    addr: tuple[str, int]
    conn_id: int
    payload: bytes


def pack(
    kind: int,
    addr: tuple[str, int],
    payload: bytes = b"",
    *,
    index: int = 0,
    flags: int = 0,
    conn_id: int = 0,
) -> bytes:
    """One record; OSError when the address is not an IP literal."""
    af = 6 if ":" in addr[0] else 4
    family = socket.AF_INET6 if af == 6 else socket.AF_INET
    packed = socket.inet_pton(family, addr[0])
    return _HEAD.pack(kind, af, index, flags, addr[1], packed, conn_id) + payload


def unpack(rec: bytes) -> Record:
    kind, af, index, flags, port, packed, conn_id = _HEAD.unpack_from(rec)
    if af == 6:
        ip = socket.inet_ntop(socket.AF_INET6, packed)
    else:
        ip = socket.inet_ntop(socket.AF_INET, packed[:4])
    return Record(kind, af, index, flags, (ip, port), conn_id, rec[HEAD_SIZE:])
