"""Config front end: preprocessor, lexer, parser, AST, checks (see docs/architecture.md)."""
