"""The process environment of a started server: -u/-g privilege drop, -t chroot, -w
working directory, -Y runtime directory (and their cfg forms user/group/chroot/workdir/
rundir), the resource limits of disable_core_dump and open_files_limit
(runtime/rlimits.py), matched with Kamailio 5.6.3 (docs/process-model.md, "Process
environment").

`ProcessEnv.from_settings(options, params)` resolves the names once (the command line
wins over the config; a cfg rundir other than Kamailio's default acts as -Y, created
0700 as Kamailio does): `-u` takes a user name or number (a number must still have a
passwd entry: Kamailio fails with "user lookup failed"), its primary group is the
default group; `-g` a group name or any number.

`enter_dirs(env)` chroots to -t (if given) and changes to -w (default `/`, as Kamailio
does in every mode), raising `EnvError` with Kamailio's wording ("Cannot chroot to X:
...", "cannot chdir to X: ..."). `drop(env)` (as root, after the sockets are bound and
before the workers fork) sets the supplementary groups of the user, then the gid, then
the uid; as non-root a change to other ids fails with the system's reason.
`after_bind(env, files)` runs these in order once the sockets are bound, after setting
the resource limits (while the privilege to raise them is still there).
`chown_for(env, path)` gives a file the server wrote as root (the -P pid file, the
shared space) to the target ids, as Kamailio does with its pid file.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
from dataclasses import dataclass
from typing import Any

from . import rlimits


class EnvError(Exception):
    """A process environment that cannot be set up (start-up fails, status 255)."""


@dataclass(frozen=True, slots=True)
class ProcessEnv:
    """Resolved ids and directories (None: unchanged / not given)."""

    uid: int | None = None
    gid: int | None = None
    user: str | None = None  # the passwd name, for the supplementary groups
    user_gid: int | None = None  # the user's primary group
    chroot_dir: str | None = None
    working_dir: str | None = None
    runtime_dir: str | None = None
    open_files_limit: int | None = None  # raise RLIMIT_NOFILE to this
    core_dump: bool = True  # False: disable_core_dump=yes

    @property
    def changes_ids(self) -> bool:
        return self.uid is not None or self.gid is not None

    @classmethod
    def from_settings(cls, options: Any, params: dict[str, Any]) -> ProcessEnv:
        """From the command line (options) and the core parameters (params)."""
        uid = user = user_gid = None
        raw_user: Any = params.get("user")
        if options.uid is not None:
            raw_user = options.uid
        if raw_user is not None and str(raw_user) != "":
            uid, user, user_gid = lookup_user(raw_user)
        gid = user_gid
        raw_group: Any = params.get("group")
        if options.gid is not None:
            raw_group = options.gid
        if raw_group is not None and str(raw_group) != "":
            gid = lookup_group(raw_group)
        return cls(
            uid=uid,
            gid=gid,
            user=user,
            user_gid=user_gid,
            chroot_dir=_text(options.chroot_dir, params.get("chroot")),
            working_dir=_text(options.working_dir, params.get("workdir")),
            runtime_dir=_text(options.runtime_dir, _cfg_rundir(params)),
            open_files_limit=_int(params.get("open_files_limit")),
            core_dump=not params.get("disable_core_dump"),
        )


def _text(cli: str | None, cfg: Any) -> str | None:
    value = cli if cli is not None else cfg
    return str(value) if value not in (None, "") else None


def _cfg_rundir(params: dict[str, Any]) -> str | None:
    """The config's rundir when it names another directory than Kamailio's default (a
    server without -Y or rundir keeps its runtime files in its own default place)."""
    from siprouter.cfg.core_params import lookup

    value = params.get("rundir")
    row = lookup("rundir")
    return None if value is None or (row is not None and value == row.default) else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def set_limits(env: ProcessEnv) -> None:
    """The core dump and open files limits (EnvError when the open files limit cannot
    be raised)."""
    rlimits.set_core_dump(env.core_dump)
    if env.open_files_limit:
        try:
            rlimits.raise_open_files(env.open_files_limit)
        except rlimits.LimitError as e:
            raise EnvError(str(e)) from None


def lookup_user(value: int | str) -> tuple[int, str, int]:
    """(uid, passwd name, primary gid) of a user name or number."""
    try:
        pw = pwd.getpwuid(int(value)) if str(value).isdigit() else pwd.getpwnam(str(value))
    except KeyError:
        raise EnvError(f"user lookup failed: no passwd entry for '{value}'") from None
    return pw.pw_uid, pw.pw_name, pw.pw_gid


def lookup_group(value: int | str) -> int:
    """The gid of a group name or number (a number needs no group entry)."""
    if str(value).isdigit():
        return int(value)
    try:
        return grp.getgrnam(str(value)).gr_gid
    except KeyError:
        raise EnvError(f"bad group name/gid number: {value}") from None


def enter_dirs(env: ProcessEnv) -> None:
    """chroot to -t (when given), then chdir to -w or '/'."""
    if env.chroot_dir:
        try:
            os.chroot(env.chroot_dir)
        except OSError as e:
            raise EnvError(f"Cannot chroot to {env.chroot_dir}: {e.strerror or e}") from None
    work = env.working_dir or "/"
    try:
        os.chdir(work)
    except OSError as e:
        raise EnvError(f"cannot chdir to {work}: {e.strerror or e}") from None


def drop(env: ProcessEnv) -> None:
    """Switch to the target group and user (supplementary groups first, the uid last,
    so nothing can be regained)."""
    if not env.changes_ids:
        return
    if env.uid is not None and env.user is not None and os.geteuid() == 0:
        try:
            os.initgroups(env.user, env.user_gid if env.user_gid is not None else 0)
        except OSError as e:
            raise EnvError(f"cannot set the groups of {env.user}: {e.strerror or e}") from None
    # Kamailio's wording: "cannot change gid to 1: Operation not permitted"
    if env.gid is not None and env.gid != os.getegid():
        try:
            os.setgid(env.gid)
        except OSError as e:
            raise EnvError(f"cannot change gid to {env.gid}: {e.strerror or e}") from None
    if env.uid is not None and env.uid != os.geteuid():
        try:
            os.setuid(env.uid)
        except OSError as e:
            raise EnvError(f"cannot change uid to {env.uid}: {e.strerror or e}") from None


def chown_for(env: ProcessEnv, path: str) -> None:
    """Give `path` to the target ids (no-op without -u/-g); failures are ignored, as a
    file the server cannot give away is still usable by root."""
    if not env.changes_ids:
        return
    uid = env.uid if env.uid is not None else -1
    gid = env.gid if env.gid is not None else -1
    with contextlib.suppress(OSError):
        os.chown(path, uid, gid)


def preload_package(package: str = "siprouter") -> None:
    """Import every module of `package` now: after a chroot the source files are out of
    reach, and parts of the server import lazily. Modules that fail to import (an
    optional dependency missing) are skipped: they would fail the same way later."""
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if info.name.endswith(".__main__"):  # importing it would run the command
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(info.name)


def after_bind(env: ProcessEnv, files: list[str]) -> None:
    """Once the sockets are bound and the pid files written (main process, before the
    workers fork): set the resource limits, give the files and the shared space to the
    target ids, chroot and chdir when -t is given, then drop the privileges."""
    from siprouter.shared import space as shared_space

    set_limits(env)

    for path in files:
        chown_for(env, path)
    if env.changes_ids:
        shared_space.give_to(
            env.uid if env.uid is not None else -1, env.gid if env.gid is not None else -1
        )
    if env.chroot_dir:
        preload_package()
        enter_dirs(env)
    drop(env)


def prepare_runtime_dir(env: ProcessEnv) -> str | None:
    """Create the -Y directory when missing, as Kamailio does (mode 0700, owned by the
    -u/-g ids; its parent must exist). Returns the problem when it cannot be created
    (Kamailio carries on without it, and so does the server)."""
    path = env.runtime_dir
    if not path or os.path.isdir(path):
        return None
    try:
        os.mkdir(path, 0o700)
    except OSError as e:
        return f"cannot create the runtime directory {path}: {e.strerror or e}"
    chown_for(env, path)
    return None
