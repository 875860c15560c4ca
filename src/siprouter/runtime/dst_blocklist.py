"""The destination blocklist (core parameters use_dst_blocklist, dst_blocklist_*), shared
by every process of the server, and its core RPC commands dst_blocklist.*.

A destination is (proto, ip, port). When a send to it fails (a TCP connect refused or
timed out, an error writing to it), the sender `report()`s the reason as Kamailio's
BLST_* flags; unless the proto's dst_blocklist_<proto>_imask masks every reason, the
destination is listed for dst_blocklist_expire seconds (a second report ORs its flags in
and restarts the time). While listed, forward() to it fails at once (runtime/forward.py)
and the TCP transport does not connect to it (runtime/tcp_engine.py). An entry with
proto 0 (Kamailio's PROTO_NONE) matches every proto, and a look-up with proto 0 matches
every entry of that ip:port.

Storage: a table of the server's shared SQLite database (shared/space.py), so an entry
added by one worker is seen by all. The hot check (`listed`) must cost nothing when the
list is empty, so a small shared memory block created before the fork (`configure`, in
the main process) holds a generation number, the entry count, the memory accounted for
the entries and the latest expiry time: with no live entry the check is two integer
reads and no database access; otherwise each process keeps a copy of the live entries
and re-reads the table only when the generation changed. Writers change the table and
the block under one process-shared lock.

Memory limit: each entry counts 24 bytes (IPv4) or 36 (IPv6), the size of Kamailio's
entry on a 64-bit machine, against dst_blocklist_mem KB; a full list first drops the
expired entries, then refuses the new one. Expired entries are removed when a writer
comes by and dst_blocklist_gc_interval seconds passed since the last clean-up (there is
no timer process), or when the list is full; an expired entry never matches.

`RPCS` are the core commands of Kamailio 5.6.3: dst_blocklist.add|view|debug|delete_all|
mem_info, answering what its jsonrpcs answers (view/debug/mem_info print several values
and jsonrpcs keeps only the last one: the last entry's "    flags: N\\n}" line, its
flags, and the memory limit in bytes).
"""

from __future__ import annotations

import ipaddress
import mmap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.shared.locks import LockSet
from siprouter.shared.space import space

# reasons (Kamailio's BLST_* flags)
BLST_IS_IPV6 = 1
BLST_ERR_SEND = 1 << 1
BLST_ERR_CONNECT = 1 << 2
BLST_ICMP_RCVD = 1 << 3
BLST_ERR_TIMEOUT = 1 << 4
BLST_503 = 1 << 5
BLST_ADM_PROHIBITED = 1 << 6
BLST_PERMANENT = 1 << 7

PROTO_NONE = 0
PROTO_NUMBERS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4}
PROTO_SCTP = 4
PROTO_NAMES = {0: "*", 1: "udp", 2: "tcp", 3: "tls", 4: "sctp"}

ENTRY_SIZE_V4 = 24
ENTRY_SIZE_V6 = 36

_GEN, _COUNT, _MEM, _LAST_EXPIRE = range(4)
_TABLE = "dst_blocklist"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {_TABLE} (
    ip TEXT NOT NULL,
    port INTEGER NOT NULL,
    proto INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    expire REAL NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (ip, port, proto)
) WITHOUT ROWID;
"""

Key = tuple[str, int]
Row = tuple[int, int, float]  # proto, flags, expire


@dataclass(slots=True)
class BlocklistSettings:
    """The blocklist core parameters as the runtime uses them."""

    enabled: bool = False  # use_dst_blocklist (and dst_blocklist_init)
    # dst_blocklist_init: with 0 the blocklist is off for good (Kamailio refuses to turn
    # use_dst_blocklist on at runtime then)
    initialized: bool = True
    expire: float = 60.0  # dst_blocklist_expire / dst_blocklist_ttl, seconds
    max_mem: int = 250 << 10  # dst_blocklist_mem KB, in bytes
    gc_interval: float = 60.0
    imask: dict[int, int] = field(default_factory=dict)  # proto number -> ignored reasons

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BlocklistSettings:
        def num(name: str, default: int) -> int:
            value = params.get(name)
            return default if value is None else int(value)

        init = params.get("dst_blocklist_init")
        imask = {n: num(f"dst_blocklist_{p}_imask", 0) for p, n in PROTO_NUMBERS.items()}
        imask[PROTO_NONE] = imask[1]  # Kamailio: no proto uses the UDP mask
        initialized = init is None or bool(init)
        return cls(
            enabled=bool(params.get("use_dst_blocklist")) and initialized,
            initialized=initialized,
            expire=float(num("dst_blocklist_expire", 60)),
            max_mem=num("dst_blocklist_mem", 250) << 10,
            gc_interval=float(num("dst_blocklist_gc_interval", 60)),
            imask=imask,
        )


_NORMAL: dict[str, str | None] = {}  # IP text -> canonical text (the hot path's memo)
_NORMAL_MAX = 4096


def normalize_ip(ip: str) -> str | None:
    """The canonical text of an IP literal (brackets and a scope dropped), None when it
    is not one."""
    if ip in _NORMAL:
        return _NORMAL[ip]
    text = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
    try:
        found: str | None = str(ipaddress.ip_address(text.partition("%")[0]))
    except ValueError:
        found = None
    if len(_NORMAL) >= _NORMAL_MAX:
        _NORMAL.clear()
    _NORMAL[ip] = found
    return found


def proto_number(proto: str | int) -> int:
    if isinstance(proto, int):
        return proto
    return PROTO_NUMBERS.get(proto.lower(), PROTO_NONE)


def _matches(entry_proto: int, proto: int) -> bool:
    return entry_proto in (proto, PROTO_NONE) or proto == PROTO_NONE


class DstBlocklist:
    """The server's blocklist (see the module docstring)."""

    def __init__(
        self,
        settings: BlocklistSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or BlocklistSettings()
        self.clock = clock
        # generation, entry count, memory used, latest expiry (ms): shared memory made
        # in the process that creates the blocklist (the main one, before the fork)
        self._mem = mmap.mmap(-1, 8 * 4)
        self.shared = memoryview(self._mem).cast("q")
        self._lock = LockSet(1)
        self._cache_gen = -1
        self._cache: dict[Key, list[Row]] = {}
        self._last_gc = 0.0
        if self.settings.enabled:  # the shared space and table exist before any fork
            self._db()

    # ---- the hot path ----------------------------------------------------------------

    def listed(self, proto: str | int, ip: str, port: int) -> int:
        """The flags of the live entry for (proto, ip, port); 0 when not listed (or the
        blocklist is off). No database read while no entry is live, nor while no
        entry changed since this process last read them."""
        if not self.settings.enabled:
            return 0
        shared = self.shared
        if shared[_COUNT] == 0:
            return 0
        now = self.clock()
        if now * 1000 >= shared[_LAST_EXPIRE]:
            return 0
        if shared[_GEN] != self._cache_gen:
            self._reload()
        rows = self._cache.get((normalize_ip(ip) or ip, port & 0xFFFF))
        if not rows:
            return 0
        pnum = proto_number(proto)
        for eproto, flags, expire in rows:
            if expire > now and _matches(eproto, pnum):
                return flags
        return 0

    def _reload(self) -> None:
        with self._lock.lock_at(0):
            gen = self.shared[_GEN]
            rows = self._db().execute(
                f"SELECT ip, port, proto, flags, expire FROM {_TABLE} WHERE expire > ?",
                (self.clock(),),
            )
            cache: dict[Key, list[Row]] = {}
            for ip, port, proto, flags, expire in rows:
                cache.setdefault((str(ip), int(port)), []).append(
                    (int(proto), int(flags), float(expire))
                )
        self._cache, self._cache_gen = cache, gen

    # ---- changes ---------------------------------------------------------------------

    def report(self, reason: int, proto: str | int, ip: str, port: int) -> bool:
        """A send to (proto, ip, port) failed for `reason` (BLST_* flags): list it unless
        the blocklist is off or the proto's imask ignores every reason given. True when
        it was listed."""
        s = self.settings
        pnum = proto_number(proto)
        if not s.enabled or not reason & ~s.imask.get(pnum, 0):
            return False
        return self.add(reason, pnum, ip, port)

    def add(
        self, flags: int, proto: str | int, ip: str, port: int, timeout: float | None = None
    ) -> bool:
        """List (proto, ip, port) for `timeout` seconds (dst_blocklist_expire by
        default), ORing `flags` into an entry that exists; False when the memory limit
        leaves no room (or the ip is no IP literal)."""
        addr = normalize_ip(ip)
        if addr is None:
            return False
        pnum = proto_number(proto) & 0xFF
        port &= 0xFFFF
        v6 = ":" in addr
        flags = (flags | BLST_IS_IPV6) if v6 else (flags & ~BLST_IS_IPV6)
        flags &= 0xFF
        size = ENTRY_SIZE_V6 if v6 else ENTRY_SIZE_V4
        ttl = self.settings.expire if timeout is None else timeout
        self._db()
        with self._lock.lock_at(0), space().transaction() as db:
            now = self.clock()
            if now - self._last_gc >= self.settings.gc_interval:
                self._purge(db, now)
            expire = now + ttl
            found = self._find(db, addr, port, pnum, now)
            if found is not None:
                eproto, eflags = found
                db.execute(
                    f"UPDATE {_TABLE} SET flags=?, expire=? WHERE ip=? AND port=? AND proto=?",
                    (eflags | flags, expire, addr, port, eproto),
                )
            else:
                if self.shared[_MEM] + size >= self.settings.max_mem:
                    self._purge(db, now)
                    if self.shared[_MEM] + size >= self.settings.max_mem:
                        return False
                db.execute(
                    f"INSERT OR REPLACE INTO {_TABLE}(ip, port, proto, flags, expire, seq) "
                    "VALUES(?, ?, ?, ?, ?, ?)",
                    (addr, port, pnum, flags, expire, self.shared[_GEN] + 1),
                )
            self._recount(db)
        return True

    def _find(self, db: Any, ip: str, port: int, proto: int, now: float) -> tuple[int, int] | None:
        rows = db.execute(
            f"SELECT proto, flags FROM {_TABLE} WHERE ip=? AND port=? AND expire > ?",
            (ip, port, now),
        ).fetchall()
        for eproto, eflags in rows:
            if _matches(int(eproto), proto):
                return int(eproto), int(eflags)
        return None

    def _purge(self, db: Any, now: float) -> None:
        db.execute(f"DELETE FROM {_TABLE} WHERE expire <= ?", (now,))
        self._last_gc = now
        self._recount(db)

    def _recount(self, db: Any) -> None:
        """Set the shared block from the table and start a new generation (under the
        lock, in the writer's transaction)."""
        v4, v6, last = db.execute(
            f"SELECT coalesce(sum(flags & 1 = 0), 0), coalesce(sum(flags & 1), 0), "
            f"coalesce(max(expire), 0) FROM {_TABLE}"
        ).fetchone()
        shared = self.shared
        shared[_COUNT] = int(v4) + int(v6)
        shared[_MEM] = int(v4) * ENTRY_SIZE_V4 + int(v6) * ENTRY_SIZE_V6
        shared[_LAST_EXPIRE] = int(float(last) * 1000) + 1
        shared[_GEN] += 1

    def delete_all(self) -> None:
        """Remove every entry but the permanent ones (BLST_PERMANENT)."""
        self._db()
        with self._lock.lock_at(0), space().transaction() as db:
            db.execute(f"DELETE FROM {_TABLE} WHERE flags & ? = 0", (BLST_PERMANENT,))
            self._recount(db)

    def entries(self) -> list[tuple[int, str, int, int, int]]:
        """(proto, ip, port, seconds until it expires, flags) of each live entry, in
        the order they were listed."""
        now = self.clock()
        rows = self._db().execute(
            f"SELECT proto, ip, port, expire, flags FROM {_TABLE} WHERE expire > ? ORDER BY seq",
            (now,),
        )
        return [
            (int(p), str(ip), int(port), int(float(exp) - now), int(flags))
            for p, ip, port, exp, flags in rows
        ]

    def memory(self) -> tuple[int, int]:
        """(bytes accounted for the entries, dst_blocklist_mem in bytes)."""
        return int(self.shared[_MEM]), self.settings.max_mem

    def _db(self) -> Any:
        return space().ensure_schema(_TABLE, _SCHEMA)


BLOCKLIST = DstBlocklist()


def configure(params: dict[str, Any]) -> DstBlocklist:
    """A new blocklist from the core parameters (runtime/server.py, in the main process
    before the workers fork, so they share its memory block)."""
    global BLOCKLIST
    BLOCKLIST = DstBlocklist(BlocklistSettings.from_params(params))
    return BLOCKLIST


def listed(proto: str | int, ip: str, port: int) -> int:
    """BLOCKLIST.listed (see DstBlocklist.listed)."""
    return BLOCKLIST.listed(proto, ip, port)


def report(reason: int, proto: str | int, ip: str, port: int) -> bool:
    """BLOCKLIST.report (see DstBlocklist.report)."""
    return BLOCKLIST.report(reason, proto, ip, port)


# ---- core RPC commands ---------------------------------------------------------------


def _enabled() -> DstBlocklist:
    from siprouter.rpc.registry import RpcError

    if not BLOCKLIST.settings.enabled:
        raise RpcError(500, "dst blocklist support disabled")
    return BLOCKLIST


def _rpc_int(value: Any) -> int:
    """An integer parameter as jsonrpcs reads one: numbers as they are, a string by
    its leading digits (0 when it has none)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    n = 0
    for ch in digits:
        if not ch.isdigit():
            break
        n = n * 10 + int(ch)
    return sign * n


def rpc_add(*params: Any) -> None:
    """dst_blocklist.add ip port proto flags: list ip:port for dst_blocklist_expire s."""
    from siprouter.rpc.registry import RpcError

    bl = _enabled()
    if len(params) < 4:
        return None  # jsonrpcs: a missing parameter ends the command without an answer
    ip = str(params[0])
    port, proto, flags = (_rpc_int(p) for p in params[1:4])
    flags &= 0xFF
    if proto & 0xFF > PROTO_SCTP:
        raise RpcError(400, "Unknown protocol")
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        addr = None
    if addr is None or (flags & BLST_IS_IPV6 and addr.version != 6):
        raise RpcError(400, "Malformed ip address")
    if not bl.add(flags, proto & 0xFF, str(addr), port):
        raise RpcError(400, "Failed to add the entry to the blocklist")
    return None


def rpc_view(*_params: Any) -> str | None:
    """dst_blocklist.view: jsonrpcs keeps the last printed line of the dump."""
    entries = _enabled().entries()
    if not entries:
        return None
    return f"    flags: {entries[-1][4]}\n}}"


def rpc_debug(*_params: Any) -> int | None:
    """dst_blocklist.debug: jsonrpcs keeps the last value (the last entry's flags)."""
    entries = _enabled().entries()
    return entries[-1][4] if entries else None


def rpc_delete_all(*_params: Any) -> None:
    _enabled().delete_all()
    return None


def rpc_mem_info(*_params: Any) -> int:
    """dst_blocklist.mem_info: jsonrpcs keeps the last value, the limit in bytes."""
    return _enabled().memory()[1]


RPCS = [
    RpcSpec("dst_blocklist.add", rpc_add, "Adds a new entry to the dst blocklist."),
    RpcSpec("dst_blocklist.debug", rpc_debug, "dst blocklist debug info."),
    RpcSpec(
        "dst_blocklist.delete_all",
        rpc_delete_all,
        "Deletes all the entries from the dst blocklist except the permanent ones.",
    ),
    RpcSpec("dst_blocklist.mem_info", rpc_mem_info, "dst blocklist memory usage info."),
    RpcSpec("dst_blocklist.view", rpc_view, "dst blocklist dump in human-readable format."),
]
