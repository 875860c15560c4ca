#!/usr/bin/env bash
# Install siprouter into a virtualenv of its own and start it on the bundled default config.
# Extra arguments go to siprouter (e.g. -l udp:127.0.0.1:5060 -E).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; \
    else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e .
# In the foreground (-DD) with logs on stderr (-E); Ctrl-C stops it.
exec .venv/bin/siprouter -DD -E -f etc/siprouter.cfg "$@"
