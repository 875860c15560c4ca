"""The routing engine: per-message context (context.py), route compilation to Python
(compiler.py and compile_*.py), operator/type rules (ops.py), POSIX regex translation
(posix_regex.py) and the core actions that need no network (core_actions.py)."""
