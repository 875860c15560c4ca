"""Pseudo-variables: the names the config may use (names.py) and, later, their access."""
