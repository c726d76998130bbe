"""The GX context module: importing GX leaves the libraries only unused expectations need unrun,
and a deferred module still works when something does use it."""

from __future__ import annotations

import json
import subprocess
import sys

from cartera.config import REPO_ROOT
from expectations.context import deferring
from expectations.suites import suite_for

# What runs in a fresh interpreter (this test process may have imported these libraries already).
_PROBE = """
import json, sys
from expectations.context import gx_module
gx_module()
print(json.dumps({
    "gx": "great_expectations.expectations.core" in sys.modules,
    "ran": sorted(name for name in ("altair.vegalite", "scipy.stats._stats_py", "jsonschema.validators")
                  if name in sys.modules),
}))
"""


def test_importing_gx_does_not_run_the_libraries_of_unused_expectations() -> None:
    output = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    probe = json.loads(output.strip().splitlines()[-1])
    assert probe == {"gx": True, "ran": []}


def test_an_empty_batch_is_judged_without_importing_gx() -> None:
    # An ingest whose window is empty (a rerun, a quiet day) must not pay GX's import.
    probe = """
import datetime as dt, sys
import pandas as pd
from cartera.raw_contract import raw_columns
from expectations.gate import run_gate
empty = pd.DataFrame(columns=list(raw_columns("invoices")), dtype=object)
result = run_gate("invoices", empty, upper_bound=dt.date(2025, 6, 30))
print(result.passed, result.rows_checked, "great_expectations" in sys.modules)
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "0", "False"]


def test_a_deferred_module_runs_on_first_use() -> None:
    probe = """
import sys, types
from expectations.context import deferring
assert "colorsys" not in sys.modules
with deferring(frozenset({"colorsys"})):
    import colorsys
assert type(colorsys) is not types.ModuleType  # a lazy module: type() does not run it
assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
assert type(colorsys) is types.ModuleType and sys.modules["colorsys"] is colorsys
print("ok")
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "ok"


def test_deferring_leaves_the_import_system_as_it_found_it() -> None:
    finders = list(sys.meta_path)
    with deferring(frozenset({"colorsys"})):
        assert len(sys.meta_path) == len(finders) + 1
    assert sys.meta_path == finders


def test_no_suite_declares_an_expectation_whose_library_is_deferred() -> None:
    # Not a correctness limit (a deferred module runs when used), but declaring one would put its
    # import back on every validating process: worth knowing when it happens.
    heavy = {"ExpectColumnKlDivergenceToBeLessThan", "ExpectColumnValuesToMatchJsonSchema"}
    from cartera.raw_contract import ENTITIES

    declared = {check.expectation for entity in ENTITIES for check in suite_for(entity).all_checks()}
    assert not declared & heavy
