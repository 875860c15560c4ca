"""Each stats test gets a fresh shared space, counter array and statistics registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter import stats
from siprouter.modules import counters as counters_module
from siprouter.shared import counters as counters_mod
from siprouter.shared import space as space_mod


@pytest.fixture(autouse=True)
def fresh_stats() -> Iterator[None]:
    space_mod.reset()
    counters_mod.reset()
    stats.reset()
    counters_module.reset()
    yield
    stats.reset()
    counters_mod.reset()
    space_mod.reset()
