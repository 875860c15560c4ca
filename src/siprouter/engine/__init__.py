"""The routing engine: per-message context (context.py), route compilation to Python
(compiler.py with compile_base/compile_expr/compile_stmt.py), operator and type rules
(ops.py), POSIX regex translation (posix_regex.py), core actions without network
(core_actions.py), core keywords (keywords.py), PV binding (pv_bind.py) and the helpers
generated code calls (script_rt.py). docs/engine.md describes the design."""
