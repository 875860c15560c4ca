"""`python -m bench.sipp`: run the SIPp benchmark suite (see bench/sipp/run.py)."""

from __future__ import annotations

from .run import main

raise SystemExit(main())
