"""Kamailio-compatible modules, each declaring one export table (see registry.py)."""
