"""siputils is_sip, is_http and contact_param_encode_alias through a running siprouter.
Kamailio 5.6.3 does not have these functions (its -c refuses them), so there is no
reference server to compare with: the expected replies follow the module documentation."""

from __future__ import annotations

import base64

from .conftest import UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "textops"
loadmodule "siputils"
loadmodule "textopsx"
request_route {
    $var(s) = is_sip();
    $var(h) = is_http();
    contact_param_encode_alias("kx", "sip:127.0.0.1:@PORT@");
    msg_apply_changes();
    append_to_reply("X-Enc: $ct\\r\\n");
    sl_send_reply("200", "sip $var(s) http $var(h)");
    exit;
}
"""


def _register(client_port: int, server_port: int) -> bytes:
    return (
        f"REGISTER sip:127.0.0.1:{server_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-sl1;rport\r\n"
        "From: <sip:a@example.org>;tag=1\r\nTo: <sip:a@example.org>\r\n"
        "Call-ID: sl-1\r\nCSeq: 1 REGISTER\r\n"
        "Contact: <sip:a@10.0.0.5:5062>\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def test_is_sip_and_encode_alias_end_to_end(servers, udp_client: UdpClient) -> None:  # type: ignore[no-untyped-def]
    srv = servers.siprouter(CFG)
    udp_client.send(srv.port, _register(udp_client.port, srv.port))
    reply = udp_client.recv()
    assert reply is not None, srv.log()
    text = reply.decode()
    assert text.startswith("SIP/2.0 200 sip 1 http -1\r\n"), text
    enc = next(x for x in text.split("\r\n") if x.startswith("X-Enc: "))
    assert enc.startswith(f"X-Enc: <sip:127.0.0.1:{srv.port};kx=")
    value = enc.split("kx=", 1)[1].rstrip(">")
    decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    assert decoded == f"sip:a@10.0.0.5:5062;alias=127.0.0.1~{udp_client.port}~1"
