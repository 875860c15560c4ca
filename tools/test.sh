#!/usr/bin/env bash
# Install everything the test suite needs on a Debian machine, then run the whole suite.
# Works as root or as a user with sudo. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: the reference Kamailio, SIPp and sipsak for differential and network tests.
need=()
command -v kamailio >/dev/null || need+=(kamailio kamailio-extra-modules kamailio-sqlite-modules)
command -v sipp >/dev/null || need+=(sip-tester)
command -v sipsak >/dev/null || need+=(sipsak)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The project and its test extras in a virtualenv of its own.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check src tests bench

# The suite runs in a network namespace of its own with only loopback up: Kamailio,
# SIPp and siprouter then cannot reach anything but 127.0.0.1/::1 (no DNS queries
# leave the machine, even for the hostnames and interfaces that configs name).
# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
run_pytest='ip link set lo up && exec .venv/bin/python -m pytest "$@"'
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net -- bash -c "$run_pytest" pytest "$@"
elif unshare --net --map-root-user true 2>/dev/null; then
    exec unshare --net --map-root-user -- bash -c "$run_pytest" pytest "$@"
fi
echo "warning: cannot create a network namespace; running the suite in the host network" >&2
exec .venv/bin/python -m pytest "$@"
