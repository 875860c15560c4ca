"""`python -m siprouter`: the same as the `siprouter` command."""

import sys

from .cli import main

sys.exit(main())
