"""siprouter: a SIP server in Python that runs Kamailio configuration files."""

__version__ = "0.1.0"

# The Kamailio release whose configuration language and behaviour we follow.
KAMAILIO_COMPAT_VERSION = (5, 6, 3)
