"""Statistics shared by every worker process: Kamailio's statistics and counters.

* `registry.py`: the table of statistics (group, name, flags, help, shared slot);
  `registry()` is the server's, `setup()` creates it before the fork, `inc(name)`
  adds to one by name;
* `core.py`: the core statistics (rcv_requests, fwd_replies, ...) and the calls the
  receive pipeline and stateless forwarding make to count them;
* `sl.py`: the sl module's statistics (sent_replies, 200_replies, ...);
* `tcp.py`: the TCP transport's statistics (passive_open, established, ...), declared
  by the transport when TCP is configured;
* `rpc.py`: the stats.* RPC commands (Kamailio's kex provides them);
* `pv_stat.py`: the `$stat(name)` pseudo-variable.

Values live in the shared counter array of siprouter/shared/counters.py: each process
adds to its own row, a read sums the rows (docs/shared-state.md).
"""

from .registry import DEFAULT_HELP, Stat, StatFlag, StatsRegistry, inc, registry, reset, setup

__all__ = [
    "DEFAULT_HELP",
    "Stat",
    "StatFlag",
    "StatsRegistry",
    "inc",
    "registry",
    "reset",
    "setup",
]
