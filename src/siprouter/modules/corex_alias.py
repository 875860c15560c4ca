"""corex `alias_subdomains` modparam: a domain and all its sub-domains are `myself`.

The value is "[proto:]domain[:port]" and may be given many times. A host matches when
it equals the domain, or ends with "." + domain (case-insensitive), and the port is 0,
or the alias has none, or they are equal (the protocol is not known to `myself`
checks here, so a proto restriction is kept but not compared). At start-up (the
module's init) the list is added to the running config's `myself` matcher
(engine/myself.SelfMatcher.register_check), so `uri == myself`, is_myself() and every
module asking `myself` see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .corex_sock import PROTOS


@dataclass(frozen=True, slots=True)
class SubdomainAlias:
    domain: str  # lower case
    port: int = 0
    proto: str | None = None


def parse_alias(value: str) -> SubdomainAlias:
    """ "[proto:]domain[:port]"; ValueError when there is no domain or a bad port."""
    proto: str | None = None
    text = value.strip()
    head, sep, rest = text.partition(":")
    if sep and head.lower() in PROTOS:
        proto, text = head.lower(), rest
    domain, sep, port = text.partition(":")
    if not domain:
        raise ValueError(f"error adding alias subdomains: {value}")
    if sep and not port.isdigit():
        raise ValueError(f"error adding alias subdomains: {value}")
    return SubdomainAlias(domain.lower(), int(port) if sep else 0, proto)


class SubdomainMatcher:
    """The check function added to `myself`: `matcher(host, port) -> bool`."""

    def __init__(self, aliases: list[SubdomainAlias]) -> None:
        self.aliases = aliases

    def __call__(self, host: str, port: int) -> bool:
        h = host.lower()
        for a in self.aliases:
            if a.port and port and a.port != port:
                continue
            if h == a.domain or h.endswith("." + a.domain):
                return True
        return False
