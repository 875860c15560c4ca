"""Resource limits of the server process, as Kamailio 5.6.3 sets them at start-up
(checked with strace): the core dump size (disable_core_dump) and the open files limit
(open_files_limit). The workers inherit them.

`set_core_dump(enable)`: disable_core_dump=yes sets the core size limit to 0 (soft and
hard); by default the limit is raised to unlimited, else to the hard limit, with
Kamailio's CRITICAL line when only the hard limit could be reached.

`raise_open_files(target)`: nothing when the soft limit is already at least `target`;
else the soft limit becomes `target` (the hard one too when `target` is above it, which
needs the privilege to raise it). A failure logs Kamailio's CRITICAL line and raises
`LimitError` with the line Kamailio prints before it exits (status 255).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource

from .logging import L_CRIT, LOG

INF = resource.RLIM_INFINITY


class LimitError(Exception):
    """A limit the config asks for cannot be set (start-up fails)."""


def set_core_dump(enable: bool) -> None:
    """Disable core dumps, or raise the core size limit as far as allowed."""
    if not enable:
        with contextlib.suppress(OSError, ValueError):  # lowering is always allowed
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (INF, INF))
        return
    except (OSError, ValueError):
        pass
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    except (OSError, ValueError) as e:
        LOG.core(L_CRIT, f"set_core_dump(): cannot re-enable core dumping: {e}")
        return
    LOG.core(L_CRIT, f"set_core_dump(): core limits increased only to {hard}")


def raise_open_files(target: int) -> None:
    """Make the soft open files limit at least `target` (LimitError when it cannot)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == INF or soft >= target:
        return
    new_hard = hard if hard == INF or hard >= target else target
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, new_hard))
    except (OSError, ValueError) as e:
        # CPython reports the kernel's EPERM as a ValueError
        reason = e.strerror if isinstance(e, OSError) else os.strerror(errno.EPERM)
        shown_hard = "unlimited" if new_hard == INF else new_hard
        LOG.core(
            L_CRIT,
            f"increase_open_fds(): cannot increase the open file limit to "
            f"{target}/{shown_hard}: {reason}",
        )
        raise LimitError("error could not increase file limits") from None
