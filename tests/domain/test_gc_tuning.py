"""`tune_gc`: start-up objects frozen out of collection, a larger young generation; 0 keeps Python's defaults.
Each case runs in a fresh interpreter: freezing the test process's own objects would outlive the test."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json, sys
from domain.gc_tuning import tune_gc
before = gc.get_threshold()
tune_gc(int(sys.argv[1]))
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def probe(threshold: int) -> dict[str, list[int] | int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(threshold)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_tuning_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    seen = probe(50_000)
    assert seen["after"] == [50_000, *seen["before"][1:]]  # type: ignore[index]
    assert seen["frozen"] > 1000  # the modules, classes and functions imported so far


def test_zero_keeps_pythons_defaults() -> None:
    seen = probe(0)
    assert seen["after"] == seen["before"] and seen["frozen"] == 0
