"""Which pseudo-variable names a config may use: the core's few, plus loaded modules'.

Kamailio's core registers only `$null`, `$rc`/`$retcode`, `$env(NAME)`/`$envn(NAME)`
and `$def(NAME)`/`$defn(NAME)`, all read-only; every other PV (`$ru`, `$var(x)`,
`$hdr(X)`, ...) comes from a module, so without `loadmodule "pv"` Kamailio 5.6 fails
with `error searching pvar "ru"` (verified with `kamailio -c`). `known_pvs(modules)`
gives the checker that view; `MODULE_HINTS` names the module providing common PVs
for the error hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import InnerName


@dataclass(frozen=True, slots=True)
class PVName:
    """What the checker knows of a PV class."""

    name: str
    inner: InnerName
    read_only: bool
    origin: str  # "core" or the module name


CORE_PVS: dict[str, PVName] = {
    pv.name: pv
    for pv in (
        PVName("null", InnerName.NONE, True, "core"),
        PVName("rc", InnerName.NONE, True, "core"),
        PVName("retcode", InnerName.NONE, True, "core"),
        PVName("env", InnerName.REQUIRED, True, "core"),
        PVName("envn", InnerName.REQUIRED, True, "core"),
        PVName("def", InnerName.REQUIRED, True, "core"),
        PVName("defn", InnerName.REQUIRED, True, "core"),
    )
}

# Where common PVs come from in Kamailio, for "did you forget loadmodule" hints.
_PV_MODULE_PVS = [
    "ru",
    "rU",
    "rd",
    "rp",
    "rP",
    "rt",
    "rz",
    "ruri",
    "duri",
    "du",
    "dd",
    "dp",
    "dP",
    "ds",
    "ou",
    "oU",
    "od",
    "op",
    "oP",
    "ouri",
    "fu",
    "fU",
    "fd",
    "fn",
    "ft",
    "tu",
    "tU",
    "td",
    "tn",
    "tt",
    "ci",
    "cl",
    "cs",
    "ct",
    "cT",
    "ua",
    "rm",
    "rmid",
    "mi",
    "mb",
    "ml",
    "mt",
    "rs",
    "rr",
    "si",
    "sp",
    "su",
    "sut",
    "Ri",
    "Rp",
    "Ru",
    "Rut",
    "var",
    "vz",
    "vn",
    "avp",
    "xavp",
    "xavu",
    "xavi",
    "hdr",
    "hdrc",
    "hfl",
    "hflc",
    "shv",
    "time",
    "timef",
    "TV",
    "TS",
    "Ts",
    "Tf",
    "Tb",
    "sel",
    "snd",
    "sndfrom",
    "sndto",
    "rcv",
    "pr",
    "proto",
    "af",
    "br",
    "bR",
    "bf",
    "bF",
    "sf",
    "sF",
    "mf",
    "mF",
    "aa",
    "adu",
    "au",
    "aU",
    "ar",
    "ad",
    "pp",
    "pd",
    "pu",
    "pU",
    "pn",
    "re",
    "rv",
    "stat",
    "err.class",
    "err.level",
    "err.info",
    "err.rcode",
    "err.rreason",
    "branch",
    "sbranch",
    "fs",
    "fsn",
    "fsp",
    "cnt",
    "ksr",
    "version",
    "msg",
    "msgbuf",
    "nh",
    "conid",
    "rb",
    "siz",
    "Au",
]
MODULE_HINTS: dict[str, str] = dict.fromkeys(_PV_MODULE_PVS, "pv")
MODULE_HINTS.update(
    dict.fromkeys(
        [
            "T",
            "T_branch",
            "T_branch_idx",
            "T_inv",
            "T_reply_code",
            "T_reply_last",
            "T_reply_reason",
            "T_reply_ruid",
            "T_req",
            "T_rpl",
        ],
        "tmx",
    )
)
MODULE_HINTS.update({"sht": "htable", "shtex": "htable", "shtcn": "htable", "shtcv": "htable",
                     "shtinc": "htable", "shtdec": "htable", "shtitkey": "htable",
                     "shtitval": "htable", "dlg": "dialog", "dlg_var": "dialog",
                     "dlg_ctx": "dialog", "ltt": "sl", "tu": "pv", "fti": "rr", "tti": "rr",
                     "rdir": "rr", "route_uri": "rr", "ulc": "registrar", "auth": "auth",
                     "aa": "pv", "dns": "ipops", "HN": "ipops", "http_req": "http_client",
                     "jsonrpl": "jsonrpcs", "msrp": "msrp", "nathelper": "nathelper",
                     "rtpstat": "rtpproxy", "sipt": "sipt", "sdp": "sdpops", "siptrace": "siptrace",
                     "tcp": "tcpops", "uac_req": "uac", "xlog": "xlog"})  # fmt: skip


class PVNames:
    """The PV classes known for one config: the core's and those of loaded modules."""

    def __init__(self, modules: LoadedModules | None = None) -> None:
        self._modules = modules

    def lookup(self, name: str) -> PVName | None:
        pv = CORE_PVS.get(name)
        if pv is not None:
            return pv
        if self._modules is not None:
            found = self._modules.find_pv(name)
            if found is not None:
                mod, spec = found
                return PVName(spec.name, spec.inner, spec.read_only, mod.name)
        return None

    def hint_for(self, name: str) -> str | None:
        """Why `$name` may be unknown: the module that provides it in Kamailio."""
        mod = MODULE_HINTS.get(name)
        if mod is None:
            return None
        if self._modules is not None and mod in self._modules:
            return f"module {mod} is loaded but siprouter's {mod} does not provide ${name} yet"
        return f'${name} comes from module {mod}: add loadmodule "{mod}"'


def known_pvs(modules: LoadedModules | None = None) -> PVNames:
    """The PV names a config with these loaded modules may use."""
    return PVNames(modules)
