"""The `corex` module: core functions with dynamic arguments and core internals
(Kamailio's corex), checked against Kamailio 5.6.3 in tests/compat/cases/corex.toml.

Functions (implementations and semantics in the files named):
* corex_branch.py: append_branch([uri [, q]]) (REQUEST, FAILURE routes);
* corex_send.py: send_udp([dest]), send_tcp([dest]) (REQUEST, FAILURE), send_data(uri,
  data), sendx(uri, sock, data), forward_reply() (core reply route);
* corex_uac.py: forward_uac([bindex]), forward_uac_uri(uri [, bindex]) (REQUEST);
* corex_sock.py: set_send_socket, set_send_socket_name, set_recv_socket,
  set_recv_socket_name, set_source_address, is_socket_name, add_tcp_alias; $lsock(..);
* corex_flags.py: setxflag, resetxflag, isxflagset, msg_iflag_set, msg_iflag_reset,
  msg_iflag_is_set, msg_vbflag_set, msg_vbflag_reset, msg_vbflag_is_set;
* corex_file.py: file_read(path, var), file_write(path, content);
* corex_via.py: via_add_srvid(flag), via_add_xavp_params(flag) (our Via's parameters),
  via_use_xavp_fields(flag), via_reply_add_xavp_params(flag) (the top Via of our
  replies; with the core parameter xavp_via_reply_params of Kamailio 5.7);
* here: is_faked_msg() (1 for the faked request event routes run with, -1 for messages
  from the network).

Pseudo-variables: $cfg(line|name|file|route) (corex_cfg.py: the running cfg line, file
and route block name, read from the compiled route's code), $lsock(..).

Parameters: alias_subdomains (corex_alias.py), added to `myself` at module init;
dns_cache and dns_file (corex_dns.py), A/AAAA records answered before the system
resolver.

RPC: corex.list_sockets (corex_rpc.py, which lists the commands not provided).

Network I/O interception (corex_nio.py): the nio_intercept, nio_min_msg_len and
nio_msg_avp parameters, event_route[network:msg] and is_incoming().

evcb_reply_out (str): the name of a KEMI function to run instead of
event_route[corex:reply-out]; stored (`REPLY_OUT_CALLBACK`) and, as in Kamailio with a
native config, not called: siprouter runs native configs only (and Kamailio 5.6.3 runs
corex:reply-out for neither sl replies nor forwarded replies, checked).

Not provided: $atkv (the async module's task key/value, 5.7+; siprouter has no async
module, so the variable could only ever be empty) and msg_vbflag_parse (5.8+; neither
its documentation nor a Kamailio that has it is available here). `-c` names both as
not provided.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    ModuleExports,
    ParamSpec,
    ParamType,
    RouteType,
)
from siprouter.runtime import lifecycle
from siprouter.runtime.events import FAKED_KEY, FAKED_REQUEST

from . import corex_branch as branch
from . import corex_dns as dns
from . import corex_file as cfile
from . import corex_flags as flags
from . import corex_nio as nio
from . import corex_send as send
from . import corex_sock as sock
from . import corex_uac as uac
from . import corex_via as via
from .corex_alias import SubdomainAlias, SubdomainMatcher, parse_alias
from .corex_cfg import CFG
from .corex_rpc import RPCS
from .kex_args import fix_format, fix_int_or_pv, fix_out_pv

#: alias_subdomains values of the loaded config (process-wide, one config per process)
ALIASES: list[SubdomainAlias] = []
#: the evcb_reply_out modparam (a KEMI function name; "" when unset)
REPLY_OUT_CALLBACK: list[str] = [""]


def mark_faked(ctx: MsgContext) -> None:
    """Mark ctx as running the internal (faked) message, for is_faked_msg()."""
    ctx.module_state()[FAKED_KEY] = True


def is_faked_msg(ctx: MsgContext) -> int:
    """1 for the faked request event routes run with: marked (runtime/events.py), or
    Kamailio's faked request without a local socket (a message from the network always
    has one); else -1."""
    m = ctx.mod
    if m and m.get(FAKED_KEY):
        return 1
    if not ctx.rcv.dst_ip and ctx.msg.data == FAKED_REQUEST:
        return 1
    return -1


def _add_alias(value: str) -> None:
    ALIASES.append(parse_alias(value))


def _set_reply_out(value: Any) -> None:
    REPLY_OUT_CALLBACK[0] = str(value)


def _nio_setter(name: str) -> Callable[[Any], None]:
    def put(value: Any) -> None:
        nio.PARAMS[name] = value

    return put


def _check_alias(value: str) -> str:
    parse_alias(value)  # ValueError: a config error at the modparam
    return value


def reset() -> None:
    """Forget modparam values (tests, reloading a config)."""
    ALIASES.clear()
    dns.reset()
    nio.reset()
    REPLY_OUT_CALLBACK[0] = ""


def _init(_lm: Any) -> None:
    compiled = lifecycle.COMPILED if lifecycle.COMPILED is not None else _caller_compiled()
    matcher = getattr(compiled, "myself", None)
    if ALIASES and matcher is not None:
        matcher.register_check(SubdomainMatcher(list(ALIASES)))
    nio.init(compiled)


def _caller_compiled() -> Any:
    """The compiled config when the runtime did not hand it to lifecycle.init_modules
    (runtime/server.py since commit a161833 calls init_modules(loaded.modules) without
    it): the `loaded` config of a calling frame. Remove once server.py passes it."""
    frame = sys._getframe(1)
    while frame is not None:
        compiled = getattr(frame.f_locals.get("loaded"), "compiled", None)
        if compiled is not None and hasattr(compiled, "myself"):
            return compiled
        frame = frame.f_back  # type: ignore[assignment]
    return None


_FIX: dict[str, Callable[[Any], Any]] = {
    "i": fix_int_or_pv,
    "f": fix_format,
    "o": fix_out_pv,
}


def _fixup(kinds: str) -> Callable[[Sequence[Any]], Sequence[Any]]:
    def fix(args: Sequence[Any]) -> list[Any]:
        return [_FIX[kinds[i]](a) for i, a in enumerate(args)]

    return fix


_REQ_FAIL = RouteType.REQUEST | RouteType.FAILURE


# Functions taking expression arguments: Kamailio 5.6.3's `-c` accepts them (its fixups
# run per call; engine/call_args.py does the same with ours); verdicts from
# tools/probe_dynamic_args.py, pinned in tests/unit/modules/test_dynamic_args_table.py.
# file_read is refused by Kamailio. Not in 5.6.3, kept taking expressions as their
# igp/spve fixups do in later releases: forward_uac, add_tcp_alias,
# via_reply_add_xavp_params, msg_vbflag_set, msg_vbflag_reset, msg_vbflag_is_set.
DYNAMIC_ARGS = frozenset(
    (
        "append_branch", "send_udp", "send_tcp", "send_data", "sendx", "set_send_socket",
        "set_send_socket_name", "set_recv_socket", "set_recv_socket_name",
        "set_source_address", "is_socket_name", "via_add_srvid", "via_add_xavp_params",
        "via_use_xavp_fields", "setxflag", "resetxflag", "isxflagset", "msg_iflag_set",
        "msg_iflag_reset", "msg_iflag_is_set", "file_write",
        # not in 5.6.3
        "forward_uac", "add_tcp_alias", "via_reply_add_xavp_params", "msg_vbflag_set",
        "msg_vbflag_reset", "msg_vbflag_is_set",
    )
)  # fmt: skip


def _spec(
    name: str,
    func: Callable[..., int],
    kinds: str,
    counts: tuple[int, ...] | None = None,
    routes: RouteType = RouteType.ANY,
) -> FunctionSpec:
    # expressions are accepted where Kamailio 5.6.3 accepts them (DYNAMIC_ARGS)
    dynamic = name in DYNAMIC_ARGS
    return FunctionSpec(
        name,
        func,
        counts if counts is not None else (len(kinds),),
        tuple(ArgKind.STR for _ in kinds),
        route_types=routes,
        fixup=_fixup(kinds) if kinds else None,
        dynamic_args=dynamic,
    )


EXPORTS = ModuleExports.of(
    "corex",
    functions=[
        _spec("append_branch", branch.append_branch, "ff", (0, 1, 2), _REQ_FAIL),
        _spec("send_udp", send.send_udp, "f", (0, 1), _REQ_FAIL),
        _spec("send_tcp", send.send_tcp, "f", (0, 1), _REQ_FAIL),
        _spec("send_data", send.send_data, "ff"),
        _spec("sendx", send.sendx, "fff"),
        _spec("forward_reply", send.forward_reply, "", routes=RouteType.CORE_ONREPLY),
        _spec("forward_uac", uac.forward_uac, "i", (0, 1), RouteType.REQUEST),
        _spec("forward_uac_uri", uac.forward_uac_uri, "fi", (1, 2), RouteType.REQUEST),
        _spec("set_send_socket", sock.set_send_socket, "f"),
        _spec("set_send_socket_name", sock.set_send_socket_name, "f"),
        _spec("set_recv_socket", sock.set_recv_socket, "f"),
        _spec("set_recv_socket_name", sock.set_recv_socket_name, "f"),
        _spec("set_source_address", sock.set_source_address, "f"),
        _spec("is_socket_name", sock.is_socket_name, "f"),
        _spec("add_tcp_alias", sock.add_tcp_alias, "i"),
        _spec("is_faked_msg", is_faked_msg, ""),
        _spec("is_incoming", nio.is_incoming, ""),
        _spec("via_add_srvid", via.via_add_srvid, "i"),
        _spec("via_add_xavp_params", via.via_add_xavp_params, "i"),
        _spec("via_use_xavp_fields", via.via_use_xavp_fields, "i"),
        _spec("via_reply_add_xavp_params", via.via_reply_add_xavp_params, "i"),
        _spec("setxflag", flags.setxflag, "i"),
        _spec("resetxflag", flags.resetxflag, "i"),
        _spec("isxflagset", flags.isxflagset, "i"),
        _spec("msg_vbflag_set", flags.msg_vbflag_set, "i"),
        _spec("msg_vbflag_reset", flags.msg_vbflag_reset, "i"),
        _spec("msg_vbflag_is_set", flags.msg_vbflag_is_set, "i"),
        _spec("msg_iflag_set", flags.msg_iflag_set, "f"),
        _spec("msg_iflag_reset", flags.msg_iflag_reset, "f"),
        _spec("msg_iflag_is_set", flags.msg_iflag_is_set, "f"),
        _spec("file_read", cfile.file_read, "fo"),
        _spec("file_write", cfile.file_write, "ff"),
    ],
    params=[
        ParamSpec(
            "alias_subdomains",
            ParamType.STR,
            validator=_check_alias,
            setter=_add_alias,
            multi=True,
            doc="[proto:]domain[:port]: the domain and its sub-domains are myself",
        ),
        ParamSpec(
            "dns_cache",
            ParamType.STR,
            validator=dns.check_record,
            setter=dns.add_record,
            multi=True,
            doc="type=A|AAAA;name=..;addr=..;ttl=..;flags=..: a record answered first",
        ),
        ParamSpec(
            "dns_file",
            ParamType.STR,
            validator=dns.check_file,
            setter=dns.add_file,
            multi=True,
            doc="a file of dns_cache records, one per line",
        ),
        ParamSpec(
            "evcb_reply_out",
            ParamType.STR,
            "",
            setter=_set_reply_out,
            doc="KEMI function run instead of event_route[corex:reply-out] (KEMI only)",
        ),
        *(
            ParamSpec(
                name,
                ParamType.STR if name == "nio_msg_avp" else ParamType.INT,
                default,
                validator=nio.check_avp if name == "nio_msg_avp" else None,
                setter=_nio_setter(name),
                doc=f"corex {name} (network:msg interception)",
            )
            for name, default in nio.PARAMS.items()
        ),
    ],
    pvs=[CFG.spec(), sock.LSOCK.spec()],
    rpcs=RPCS,
    init=_init,
)
