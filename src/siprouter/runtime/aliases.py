"""The `Aliases:` block Kamailio 5.6.3 prints after its socket listing.

Kamailio keeps one alias list and adds to its front: first the command line's
--alias values, then the config's `alias =` lines, then (auto_aliases, on by default)
the reverse-DNS name of each listen socket's IP with that socket's port and protocol,
in socket-listing order. It prints the list front to back, so in the reverse order of
addition; an alias already present (same name, port and protocol) is not added again.
A line is `proto: name:port`, with `*` for an alias valid for any protocol or port.

`alias_lines(sockets, config_aliases, cli_aliases, auto)` builds the lines;
`reverse_name(ip)` is the look-up (the resolver's canonical name only, as Kamailio).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable

Entry = tuple[str, int | None, str | None]  # host, port (None: any), proto (None: any)


def reverse_name(ip: str) -> str | None:
    """The canonical name of `ip` from the system resolver, None when there is none."""
    try:
        return socket.gethostbyaddr(ip)[0]
    except (OSError, UnicodeError):
        return None


def alias_lines(
    sockets: Iterable[tuple[str, str, int]],
    config_aliases: Iterable[Entry],
    cli_aliases: Iterable[Entry],
    auto: bool,
    lookup: Callable[[str], str | None] = reverse_name,
) -> list[str]:
    """The lines under `Aliases:` for sockets given as (proto, ip, port) in listing
    order."""
    added: list[Entry] = []

    def add(entry: Entry) -> None:
        if entry not in added:
            added.append(entry)

    for entry in cli_aliases:
        add(entry)
    for entry in config_aliases:
        add(entry)
    if auto:
        names: dict[str, str | None] = {}
        for proto, ip, port in sockets:
            if ip not in names:
                names[ip] = lookup(ip)
            name = names[ip]
            if name:
                add((name, port, proto))
    out = []
    for host, port, proto in reversed(added):
        out.append(f"             {proto or '*'}: {host}:{'*' if port is None else port}")
    return out
