"""SIP header names: type ids, canonical names, compact forms and which headers are comma lists.

A header's *id* is a small int (``VIA``, ``FROM``, ...; ``OTHER`` = 0 for unknown names).
``lookup(name)`` maps any spelling (any case, long or compact form, ``bytes`` or ``str``)
to its id; ``canonical(hid)`` gives the long name. Compact forms follow RFC 3261 section 7.3.3
and the IANA SIP header registry: a Accept-Contact, b Referred-By, c Content-Type,
d Request-Disposition, e Content-Encoding, f From, i Call-ID, j Reject-Contact, k Supported,
l Content-Length, m Contact, n Identity-Info, o Event, r Refer-To, s Subject, t To,
u Allow-Events, v Via, x Session-Expires, y Identity.

``LIST_HEADERS`` are headers whose value is a comma separated list (RFC 3261 section 7.3.1),
so several header lines and several comma elements are equivalent. ``UNIQUE_HEADERS`` are the
headers a strict parser (``sip_parser_mode`` = 1) refuses to see twice.
"""

from __future__ import annotations

OTHER = 0
VIA = 1
FROM = 2
TO = 3
CALL_ID = 4
CSEQ = 5
CONTACT = 6
MAX_FORWARDS = 7
ROUTE = 8
RECORD_ROUTE = 9
CONTENT_LENGTH = 10
CONTENT_TYPE = 11
EXPIRES = 12
AUTHORIZATION = 13
PROXY_AUTHORIZATION = 14
WWW_AUTHENTICATE = 15
PROXY_AUTHENTICATE = 16
ALLOW = 17
SUPPORTED = 18
REQUIRE = 19
PROXY_REQUIRE = 20
UNSUPPORTED = 21
EVENT = 22
PATH = 23
P_ASSERTED_IDENTITY = 24
P_PREFERRED_IDENTITY = 25
DIVERSION = 26
USER_AGENT = 27
SERVER = 28
ACCEPT = 29
ACCEPT_CONTACT = 30
REJECT_CONTACT = 31
REQUEST_DISPOSITION = 32
REFER_TO = 33
REFERRED_BY = 34
CONTENT_ENCODING = 35
CONTENT_DISPOSITION = 36
SUBJECT = 37
ALLOW_EVENTS = 38
SESSION_EXPIRES = 39
MIN_SE = 40
MIN_EXPIRES = 41
IDENTITY = 42
IDENTITY_INFO = 43
PRIVACY = 44
RETRY_AFTER = 45
RSEQ = 46
RACK = 47
ORGANIZATION = 48
PRIORITY = 49
SIP_IF_MATCH = 50
SIP_ETAG = 51
SUBSCRIPTION_STATE = 52
DATE = 53
TIMESTAMP = 54
WARNING = 55
REPLY_TO = 56
IN_REPLY_TO = 57
CALL_INFO = 58
ALERT_INFO = 59
ERROR_INFO = 60
ACCEPT_ENCODING = 61
ACCEPT_LANGUAGE = 62
CONTENT_LANGUAGE = 63
MIME_VERSION = 64
AUTHENTICATION_INFO = 65
REASON = 66
SERVICE_ROUTE = 67
HISTORY_INFO = 68
SECURITY_CLIENT = 69
SECURITY_SERVER = 70
SECURITY_VERIFY = 71
REPLACES = 72
REFER_SUB = 73
PROXY_AUTHENTICATION_INFO = 74
P_CHARGING_VECTOR = 75
P_ACCESS_NETWORK_INFO = 76
P_ASSOCIATED_URI = 77
P_CALLED_PARTY_ID = 78
P_VISITED_NETWORK_ID = 79
REMOTE_PARTY_ID = 80
TARGET_DIALOG = 81
JOIN = 82
FLOW_TIMER = 83
ALLOW_PATHS = 84

# (id, canonical name, compact form or "", is a comma separated list)
_TABLE: tuple[tuple[int, str, str, bool], ...] = (
    (VIA, "Via", "v", True),
    (FROM, "From", "f", False),
    (TO, "To", "t", False),
    (CALL_ID, "Call-ID", "i", False),
    (CSEQ, "CSeq", "", False),
    (CONTACT, "Contact", "m", True),
    (MAX_FORWARDS, "Max-Forwards", "", False),
    (ROUTE, "Route", "", True),
    (RECORD_ROUTE, "Record-Route", "", True),
    (CONTENT_LENGTH, "Content-Length", "l", False),
    (CONTENT_TYPE, "Content-Type", "c", False),
    (EXPIRES, "Expires", "", False),
    (AUTHORIZATION, "Authorization", "", False),
    (PROXY_AUTHORIZATION, "Proxy-Authorization", "", False),
    (WWW_AUTHENTICATE, "WWW-Authenticate", "", False),
    (PROXY_AUTHENTICATE, "Proxy-Authenticate", "", False),
    (ALLOW, "Allow", "", True),
    (SUPPORTED, "Supported", "k", True),
    (REQUIRE, "Require", "", True),
    (PROXY_REQUIRE, "Proxy-Require", "", True),
    (UNSUPPORTED, "Unsupported", "", True),
    (EVENT, "Event", "o", False),
    (PATH, "Path", "", True),
    (P_ASSERTED_IDENTITY, "P-Asserted-Identity", "", True),
    (P_PREFERRED_IDENTITY, "P-Preferred-Identity", "", True),
    (DIVERSION, "Diversion", "", True),
    (USER_AGENT, "User-Agent", "", False),
    (SERVER, "Server", "", False),
    (ACCEPT, "Accept", "", True),
    (ACCEPT_CONTACT, "Accept-Contact", "a", True),
    (REJECT_CONTACT, "Reject-Contact", "j", True),
    (REQUEST_DISPOSITION, "Request-Disposition", "d", True),
    (REFER_TO, "Refer-To", "r", False),
    (REFERRED_BY, "Referred-By", "b", False),
    (CONTENT_ENCODING, "Content-Encoding", "e", True),
    (CONTENT_DISPOSITION, "Content-Disposition", "", False),
    (SUBJECT, "Subject", "s", False),
    (ALLOW_EVENTS, "Allow-Events", "u", True),
    (SESSION_EXPIRES, "Session-Expires", "x", False),
    (MIN_SE, "Min-SE", "", False),
    (MIN_EXPIRES, "Min-Expires", "", False),
    (IDENTITY, "Identity", "y", False),
    (IDENTITY_INFO, "Identity-Info", "n", False),
    (PRIVACY, "Privacy", "", False),
    (RETRY_AFTER, "Retry-After", "", False),
    (RSEQ, "RSeq", "", False),
    (RACK, "RAck", "", False),
    (ORGANIZATION, "Organization", "", False),
    (PRIORITY, "Priority", "", False),
    (SIP_IF_MATCH, "SIP-If-Match", "", False),
    (SIP_ETAG, "SIP-ETag", "", False),
    (SUBSCRIPTION_STATE, "Subscription-State", "", False),
    (DATE, "Date", "", False),
    (TIMESTAMP, "Timestamp", "", False),
    (WARNING, "Warning", "", True),
    (REPLY_TO, "Reply-To", "", False),
    (IN_REPLY_TO, "In-Reply-To", "", True),
    (CALL_INFO, "Call-Info", "", True),
    (ALERT_INFO, "Alert-Info", "", True),
    (ERROR_INFO, "Error-Info", "", True),
    (ACCEPT_ENCODING, "Accept-Encoding", "", True),
    (ACCEPT_LANGUAGE, "Accept-Language", "", True),
    (CONTENT_LANGUAGE, "Content-Language", "", True),
    (MIME_VERSION, "MIME-Version", "", False),
    (AUTHENTICATION_INFO, "Authentication-Info", "", False),
    (REASON, "Reason", "", True),
    (SERVICE_ROUTE, "Service-Route", "", True),
    (HISTORY_INFO, "History-Info", "", True),
    (SECURITY_CLIENT, "Security-Client", "", True),
    (SECURITY_SERVER, "Security-Server", "", True),
    (SECURITY_VERIFY, "Security-Verify", "", True),
    (REPLACES, "Replaces", "", False),
    (REFER_SUB, "Refer-Sub", "", False),
    (PROXY_AUTHENTICATION_INFO, "Proxy-Authentication-Info", "", False),
    (P_CHARGING_VECTOR, "P-Charging-Vector", "", False),
    (P_ACCESS_NETWORK_INFO, "P-Access-Network-Info", "", True),
    (P_ASSOCIATED_URI, "P-Associated-URI", "", True),
    (P_CALLED_PARTY_ID, "P-Called-Party-ID", "", False),
    (P_VISITED_NETWORK_ID, "P-Visited-Network-ID", "", True),
    (REMOTE_PARTY_ID, "Remote-Party-ID", "", True),
    (TARGET_DIALOG, "Target-Dialog", "", False),
    (JOIN, "Join", "", False),
    (FLOW_TIMER, "Flow-Timer", "", False),
    (ALLOW_PATHS, "Allow-Paths", "", True),
)

#: lowercase name (long or compact, bytes) -> header id
NAME_TO_ID: dict[bytes, int] = {}
#: header id -> canonical long name
ID_TO_NAME: dict[int, str] = {OTHER: ""}
#: header id -> compact form ("" when there is none)
ID_TO_COMPACT: dict[int, str] = {OTHER: ""}
for _hid, _name, _compact, _is_list in _TABLE:
    NAME_TO_ID[_name.lower().encode()] = _hid
    ID_TO_NAME[_hid] = _name
    ID_TO_COMPACT[_hid] = _compact
    if _compact:
        NAME_TO_ID[_compact.encode()] = _hid
del _hid, _name, _compact, _is_list

#: NAME_TO_ID plus the usual spellings as written (canonical and upper case), so the parser
#: can look most names up without lowercasing them first; misses fall back to NAME_TO_ID
RAW_NAME_TO_ID: dict[bytes, int] = dict(NAME_TO_ID)
for _hid, _name in ID_TO_NAME.items():
    if _hid:
        RAW_NAME_TO_ID[_name.encode()] = _hid
        RAW_NAME_TO_ID[_name.upper().encode()] = _hid
        if ID_TO_COMPACT[_hid]:
            RAW_NAME_TO_ID[ID_TO_COMPACT[_hid].upper().encode()] = _hid
RAW_NAME_TO_ID[b"Call-Id"] = CALL_ID
RAW_NAME_TO_ID[b"Cseq"] = CSEQ
RAW_NAME_TO_ID[b"WWW-Authenticate"] = WWW_AUTHENTICATE
RAW_NAME_TO_ID[b"Www-Authenticate"] = WWW_AUTHENTICATE
del _hid, _name

#: headers whose values are comma separated lists (safe to split and to join)
LIST_HEADERS: frozenset[int] = frozenset(h for h, _n, _c, is_list in _TABLE if is_list)

#: headers that may appear only once; duplicates are refused in strict parser mode
UNIQUE_HEADERS: frozenset[int] = frozenset({FROM, TO, CALL_ID, CSEQ, CONTENT_LENGTH, MAX_FORWARDS})

#: headers every request (and reply) must carry (RFC 3261 section 8.1.1)
MANDATORY_HEADERS: tuple[int, ...] = (VIA, FROM, TO, CALL_ID, CSEQ)


def lookup(name: bytes | str) -> int:
    """Header id for ``name`` in any case, long or compact form; ``OTHER`` if unknown."""
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogateescape")
    return NAME_TO_ID.get(name.strip().lower(), OTHER)


def canonical(hid: int) -> str:
    """Canonical long name of a known header id ('' for ``OTHER``)."""
    return ID_TO_NAME.get(hid, "")


def is_list_header(hid: int) -> bool:
    """True when the header's value is a comma separated list."""
    return hid in LIST_HEADERS
