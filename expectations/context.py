"""The one Great Expectations context of the process, and the GX objects built from our suites.

GX is slow to import (~seconds) and chatty, so it is imported here, lazily, on first use: DAG
parsing, CLI start-up and an ingest whose window is empty never pay for it. Of what it imports,
the libraries only its unused expectations call are deferred (see DEFERRED_MODULES). The ephemeral
context and each entity's batch definition and suite are built once per process and reused by
every validation.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from types import ModuleType
from typing import Any

from cartera.logs import quiet_noisy_libraries
from expectations.suites import suite_for

DATASOURCE_NAME = "cartera_frames"
_lock = threading.Lock()

# Modules `import great_expectations` executes only for expectations no suite here declares: altair
# draws ExpectColumnKlDivergenceToBeLessThan's charts, scipy.stats computes it and the KS-test
# metrics, jsonschema runs ExpectColumnValuesToMatchJsonSchema. GX binds them at import and touches
# them only inside those expectations, so they are imported lazily (importlib.util.LazyLoader):
# the module object exists and runs on its first attribute access. That was 3.1 -> 1.8 s of CPU
# for the import (load ~11, 2 cores). If a suite ever declares one of those expectations, it
# still works: it just pays for its library then.
DEFERRED_MODULES = frozenset({"altair", "scipy.stats", "jsonschema"})


@lru_cache(maxsize=1)
def gx_module() -> Any:
    """`great_expectations`, imported once with its import-time noise silenced."""
    with warnings.catch_warnings():
        # GX 1.24 imports the stdlib modules `sre_constants` / `sre_parse`, deprecated since Python
        # 3.11: a DeprecationWarning about GX's code, not ours (and an error under pytest -W error).
        warnings.filterwarnings(
            "ignore", message=r"module 'sre_(constants|parse)' is deprecated", category=DeprecationWarning
        )
        with deferring(DEFERRED_MODULES):
            import great_expectations as gx
    quiet_noisy_libraries()
    return gx


@contextmanager
def deferring(names: frozenset[str]) -> Iterator[None]:
    """Within the block, a first import of one of `names` gives a module that runs on first use.

    Only imports made inside the block are deferred; a module already imported stays as it is.
    Python 3.11's LazyLoader is not thread-safe on that first use: these modules are not used by
    the gate at all, let alone from two threads.
    """
    finder = _DeferringFinder(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds `names` through the other finders and wraps their loader in a LazyLoader."""

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


@lru_cache(maxsize=1)
def gx_context() -> Any:
    """The process's ephemeral context (nothing written to disk), progress bars off."""
    gx = gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX fingerprints every pandas batch it is given (an md5 of `hash_pandas_object` over the whole
    # frame, twice per validation: once for the batch, once for its validator) for batch markers
    # nothing here reads. On the ERP's object columns that was ~85 % of the gate's time (32 of
    # 38 s for 71,237 invoice lines). GX skips it above HASH_THRESHOLD bytes: 0 skips it always.
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    # tqdm bars on stderr would flood Airflow task logs, one bar per validation.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas(DATASOURCE_NAME)
    return context


def batch_definition(entity: str) -> Any:
    """A whole-dataframe batch definition for `entity` (created on first use)."""
    with _lock:
        return _batch_definition(entity)


@cache
def _batch_definition(entity: str) -> Any:
    datasource = gx_context().data_sources.get(DATASOURCE_NAME)
    return datasource.add_dataframe_asset(name=entity).add_batch_definition_whole_dataframe(f"{entity}_batch")


def gx_suite(entity: str) -> Any:
    """The GX ExpectationSuite of `entity`, built from its declared checks (once per process).

    Each GX expectation carries its rule name in `meta["rule"]`, which is how a result is mapped
    back to the rule and reason written to quarantine.
    """
    with _lock:
        return _gx_suite(entity)


@cache
def _gx_suite(entity: str) -> Any:
    gx = gx_module()
    import great_expectations.expectations as gxe

    declared = suite_for(entity)
    suite = gx.ExpectationSuite(name=f"raw_{entity}")
    for check in declared.all_checks():
        expectation_class = getattr(gxe, check.expectation)
        suite.add_expectation(expectation_class(**dict(check.kwargs), meta={"rule": check.rule}))
    return gx_context().suites.add(suite)
