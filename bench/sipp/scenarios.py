"""The benchmark scenarios: the cfg every server runs, the SIPp scenario files, and what a
call is made of.

A scenario is run against each of its targets: `siprouter` and `kamailio` run the same cfg
with the same command line (`-DD -E -n N -l udp:127.0.0.1:PORT -f cfg`); the `sipp`
target is the baseline without a server (the UAC talks straight to a SIPp UAS), which
shows the load generator's own limit on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

XML = Path(__file__).resolve().parent / "xml"

OPTIONS_CFG = """\
#!KAMAILIO
# bench/sipp: OPTIONS answered statelessly
debug=1
loadmodule "sl"
request_route {
    if (method == "OPTIONS") {
        sl_send_reply("200", "OK");
        exit;
    }
    sl_send_reply("501", "Not Implemented");
}
"""

PROXY_CFG = """\
#!KAMAILIO
# bench/sipp: stateless proxy (replies go back by the core's Via rules)
debug=1
loadmodule "sl"
loadmodule "maxfwd"
request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    forward();
}
"""

SERVERS = ("siprouter", "kamailio")
BASELINE = "sipp"


@dataclass(frozen=True)
class Scenario:
    """One benchmark scenario."""

    name: str
    title: str
    cfg: str
    uac_xml: Path
    uas_xml: Path | None  # the called SIPp (proxy scenarios and the baseline)
    baseline_uas_xml: Path  # what the UAC talks to when no server is in between
    server_msgs_per_call: int  # SIP messages a server receives per call
    unit: str  # what a "call" is, for the table
    start_rate: int  # first rate of the search

    @property
    def proxied(self) -> bool:
        return self.uas_xml is not None


SCENARIOS: dict[str, Scenario] = {
    "options": Scenario(
        name="options",
        title="OPTIONS answered statelessly (sl_send_reply 200)",
        cfg=OPTIONS_CFG,
        uac_xml=XML / "options_uac.xml",
        uas_xml=None,
        baseline_uas_xml=XML / "options_uas.xml",
        server_msgs_per_call=1,  # the OPTIONS (the server sends its 200)
        unit="requests/s",
        start_rate=1000,
    ),
    "proxy": Scenario(
        name="proxy",
        title="stateless proxy (forward()) of INVITE/200/ACK/BYE/200 calls, UAC -> proxy -> UAS",
        cfg=PROXY_CFG,
        uac_xml=XML / "call_uac.xml",
        uas_xml=XML / "call_uas.xml",
        baseline_uas_xml=XML / "call_uas.xml",
        server_msgs_per_call=5,  # INVITE, 200, ACK, BYE, 200 (each also forwarded)
        unit="calls/s",
        start_rate=250,
    ),
}
