"""SIPp benchmark suite: siprouter against Kamailio 5.6.3 on the same cfg (docs/performance.md).

Run it with `.venv/bin/python -m bench.sipp` from the checkout root (`--help` for options).
"""
