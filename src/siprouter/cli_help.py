"""The texts of `siprouter -v`, `-h` and `-I`: our own words, Kamailio's options."""

from __future__ import annotations

import os
import platform
import sys

from . import KAMAILIO_COMPAT_VERSION, __version__
from .options import DEFAULT_CFG_FILE, MEM_MANAGERS, POLL_METHODS

KAMAILIO_VERSION = ".".join(map(str, KAMAILIO_COMPAT_VERSION))


def version_text() -> str:
    """The -v banner: our name and version, and the Kamailio release we follow."""
    return (
        f"version: siprouter {__version__} (kamailio {KAMAILIO_VERSION} compatible) "
        f"({platform.machine()}/{platform.system().lower()})\n"
        f"python: {platform.python_implementation()} {platform.python_version()}\n"
        "config language, command line and behaviour follow "
        f"kamailio {KAMAILIO_VERSION}\n"
    )


def internals_text() -> str:
    """The -I listing: what this build supports and where it looks for things."""
    from . import modules

    mod_dir = os.path.dirname(modules.__file__ or "")
    return (
        "Print out of siprouter internals\n"
        f"  Version: siprouter {__version__} (kamailio {KAMAILIO_VERSION} compatible)\n"
        f"  Python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})\n"
        f"  Default config: {DEFAULT_CFG_FILE}\n"
        f"  Modules package: {mod_dir}\n"
        "  Listen protocols: udp, tcp, tls, sctp\n"
        f"  Poll methods accepted by -W: {', '.join(POLL_METHODS)}\n"
        f"  Memory managers accepted by -x/-X: {', '.join(MEM_MANAGERS)}\n"
        f"  Architecture: {platform.machine()}\n"
    )


HELP_TEXT = f"""\
Usage: siprouter [options]
Runs Kamailio {KAMAILIO_VERSION} configuration files. Options (the same as kamailio's):

  Config
    -f file        Config file to use, - for standard input (default: {DEFAULT_CFG_FILE})
    -c             Check the config file (preprocess, parse, load modules, check) and exit
    --cfg-print    Print the config file with includes and #!ifdef branches resolved
    --all-errors   Report every config error found, not only the first
    -A define      Pre-processor define: -A NAME, -A 'NAME=1', -A 'NAME="text"'
    --subst=exp    Add a #!subst expression, e.g. --subst='/old/new/g'
    --substdef=exp Add a #!substdef expression (also defines the name)
    --substdefs=exp Add a #!substdefs expression (quoted string value)
    --loadmodule=name  Load a module before the config is read
    --modparam=mod:param:type:value  Set a module parameter; type 's' (string) or 'i' (int)
    -L path        Extra modules search path

  Logging
    -d             Raise the debug level by one (from 0); repeat for more: -ddd
    --debug=val    Set the debug level
    -E             Log to stderr
    -e             Colour the log messages (with -E)
    --log-engine=name[:data]  Log format engine, e.g. json:M

  Network
    -l address     Listen address; repeat for more. Format:
                     [proto:]addr_lst[:port][/advaddr[:advport]]
                   proto: udp, tcp, tls or sctp; addr_lst: addr or (addr, addr, ...);
                   addr: hostname, IPv4, [IPv6] or interface name.
                   E.g.: -l 127.0.0.1, -l udp:127.0.0.1:5080, -l lo:5062,
                   -l udp:127.0.0.1:5080/192.0.2.1:5060, -l "(lo, 127.0.0.1):5065".
                   Without -l and listen= the server listens on every interface.
    -a mode        Auto aliases: yes or on to enable, no or off to disable
    --alias=val    Add an alias [proto:]hostname[:port] (like alias= in the config)
    -T             Disable TCP
    -S             Disable SCTP
    -K             Check the Via host when forwarding replies
    -r             Use DNS to decide whether to add received= to Via
    -R             Like -r with reverse DNS (-rR for both)
    -b nr          Largest UDP receive buffer to probe for

  Processes
    -n processes   Worker processes per UDP interface (default: 8)
    -N number      TCP worker processes (default: as -n)
    -Q number      SCTP worker processes (default: as -n)
    -D             Fork control: -D do not fork, -DD do not daemonize the creator,
                   -DDD daemonize (default)
    -P file        Write a pid file
    -G file        Write a process-group id file
    -u uid         Run as this user (name or number)
    -g gid         Run as this group (name or number)
    -t dir         Chroot to dir
    -w dir         Working directory (default: /)
    -Y dir         Runtime directory
    --server-id=num  Value of server_id
    --atexit=val   Run atexit handlers at shutdown: y[es] or 1 (default), n[o] or 0

  Accepted for compatibility (Python manages memory and polling itself)
    -m nr          Shared memory size in MB
    -M nr          Private memory size in MB
    -x name        Shared memory manager: fm, qm or tlsf
    -X name        Private memory manager: fm, qm or tlsf
    -O nr          Script optimisation level
    -W type        Poll method: poll, epoll_lt, epoll_et, sigio_rt, select, kqueue, /dev/poll

  Information
    -h, --help     This help
    -v, -V, --version  Version
    -I             Internal settings and supported features
"""
