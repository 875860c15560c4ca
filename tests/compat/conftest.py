"""Fixtures of the differential suite: `compat_pair(case_file)` gives Kamailio and
siprouter running that case file's cfg. One pair runs at a time: asking for another file
stops the previous pair, a file's last case stops its pair (`compat_pair.release`), and
the session's end stops whatever still runs (also on failures).

The harness module is loaded here under the name `compat_harness` (the test run uses
--import-mode=importlib, so test modules cannot import neighbours by path).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "compat_harness", Path(__file__).with_name("harness.py")
)
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
sys.modules["compat_harness"] = harness
_spec.loader.exec_module(harness)


@pytest.fixture(scope="session")
def compat_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Any], Any]]:
    current: dict[str, Any] = {}
    failed: dict[str, str] = {}

    def get(case_file: Any) -> Any:
        key = str(case_file.path)
        if key in failed:
            pytest.fail(f"servers for {case_file.path.name} did not start:\n{failed[key]}")
        if current.get("key") != key:
            if "pair" in current:
                current.pop("pair").stop()
            try:
                current["pair"] = harness.ServerPair.start(
                    case_file, tmp_path_factory.mktemp(case_file.path.stem)
                )
            except RuntimeError as e:
                failed[key] = str(e)
                raise
            current["key"] = key
        return current["pair"]

    def release(case_file: Any) -> None:
        """Stop the pair now if it runs this file (called after a file's last case)."""
        if current.get("key") == str(case_file.path) and "pair" in current:
            current.pop("pair").stop()
            current.pop("key")

    get.release = release  # type: ignore[attr-defined]
    try:
        yield get
    finally:
        if "pair" in current:
            current.pop("pair").stop()
