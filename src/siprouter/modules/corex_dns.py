"""corex `dns_cache` and `dns_file` modparams: A and AAAA records answered before the
system resolver, as Kamailio's internal DNS cache answers them (runtime/forward.resolve
asks `lookup` through forward.RESOLVE_HOOKS, installed when this module is imported).

A record is "type=A;name=sip.example.test;addr=127.0.0.1;ttl=3600;flags=0" (SIP
parameter style): type A or AAAA, the name (case-insensitive), the address of that
family, ttl in seconds (from loading; 0: no expiry), flags 1 (the name must not
resolve at all: blocklisted) and 2 (permanent: no expiry). dns_file names a file of
such records, one per line; empty lines and lines starting with '#' are skipped. Both
may be given many times.

Differences from Kamailio 5.6.3, which checks the records only at start-up: a bad record
(unknown type, bad address, no name) or an unreadable file is a config error at the
modparam, so `-c` reports it; SRV records are refused, siprouter making no SRV look-ups.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from siprouter.runtime import forward

UNRESOLVABLE = 1
PERMANENT = 2


@dataclass(frozen=True, slots=True)
class DnsRecord:
    name: str  # lower case
    ip: str
    af: int  # 4 or 6
    expires: float | None  # time.monotonic() deadline, None: never
    blocked: bool


#: name -> records, in the order given
TABLE: dict[str, list[DnsRecord]] = {}


def parse_record(text: str, now: float | None = None) -> DnsRecord:
    """One record; ValueError with the reason when it is not usable."""
    attrs: dict[str, str] = {}
    for part in text.strip().strip(";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"dns record attribute without value: {part.strip()!r}")
        attrs[key.strip().lower()] = value.strip()
    rtype = attrs.get("type", "").upper()
    if rtype == "SRV":
        raise ValueError("SRV records are not supported (siprouter makes no SRV look-ups)")
    if rtype not in ("A", "AAAA"):
        raise ValueError(f"dns record type {attrs.get('type')!r} is not A or AAAA")
    name = attrs.get("name", "").lower().rstrip(".")
    if not name:
        raise ValueError("dns record without name")
    try:
        ip = ipaddress.ip_address(attrs.get("addr", ""))
    except ValueError:
        raise ValueError(f"malformed ip address: {attrs.get('addr', '')}") from None
    if ip.version != (4 if rtype == "A" else 6):
        raise ValueError(f"address {ip} is not of an {rtype} record")
    try:
        ttl = int(attrs.get("ttl", "0") or 0)
        flags = int(attrs.get("flags", "0") or 0)
    except ValueError:
        raise ValueError("dns record ttl and flags must be numbers") from None
    start = time.monotonic() if now is None else now
    expires = None if ttl <= 0 or flags & PERMANENT else start + ttl
    return DnsRecord(name, str(ip), ip.version, expires, bool(flags & UNRESOLVABLE))


def check_record(text: str) -> str:
    parse_record(text)
    return text


def add_record(text: str) -> None:
    rec = parse_record(text)
    TABLE.setdefault(rec.name, []).append(rec)


def _file_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as e:
        raise ValueError(f"cannot read dns file {path}: {e.strerror or e}") from None
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def check_file(path: str) -> str:
    for line in _file_lines(path):
        parse_record(line)
    return path


def add_file(path: str) -> None:
    for line in _file_lines(path):
        add_record(line)


def reset() -> None:
    TABLE.clear()


def lookup(name: str) -> tuple[str, int] | bool | None:
    """(ip, af) for a cached name (an A record before an AAAA one), False when the name
    is blocklisted, None when the cache does not know it (or its records expired)."""
    records = TABLE.get(name.lower().rstrip("."))
    if not records:
        return None
    now = time.monotonic()
    live = [r for r in records if r.expires is None or r.expires > now]
    if any(r.blocked for r in live):
        return False
    for af in (4, 6):
        for r in live:
            if r.af == af:
                return r.ip, af
    return None


if lookup not in forward.RESOLVE_HOOKS:
    forward.RESOLVE_HOOKS.append(lookup)
