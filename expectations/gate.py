"""The quality gate: validate one batch of a raw entity with its Great Expectations suite.

Contract of :func:`run_gate`:
- every row that fails a row-level check is *rejected* (one rejected record per row and rule,
  with the rule and a reason naming the field, never the value); the other rows are *good*;
- the gate *fails* (``passed=False``) when a table-level check fails (e.g. the batch lacks a
  contract column) or when the share of rejected rows exceeds the threshold (default
  ``DEFAULT_MAX_REJECTED_SHARE``; a suite or the caller may set another);
- rows are identified by their 1-based position in the batch (GX's index column), so a row with a
  missing or repeated key can still be named; ``record_key`` is the natural key as text when set.

The gate decides; it writes nothing. What to do with a failed gate is the loader's business.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cartera.logs import get_logger
from expectations.reference import DEFAULT_MAX_REJECTED_SHARE, LATEST_DATE_PARAMETER, ROW_NUMBER_COLUMN
from expectations.suites import suite_for

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    import pandas as pd

log = get_logger(__name__)

REJECTED_COLUMNS = ("row_number", "record_key", "rule", "reason")
# Failing rows are reported by position only: the values may be personal data.
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_NUMBER_COLUMN],
    "exclude_unexpected_values": True,
}


@dataclass(frozen=True)
class GateResult:
    """What the gate decided about one batch.

    `good` holds the rows to load (original columns, fresh index); `rejected` one record per
    failing (row, rule) with columns REJECTED_COLUMNS; `failures` maps rule → failing rows (a
    table-level failure counts the whole batch; an exceeded threshold adds `rejected_share_above_N%`).
    """

    entity: str
    good: pd.DataFrame
    rejected: pd.DataFrame
    passed: bool
    failures: dict[str, int] = field(default_factory=dict)
    rows_checked: int = 0
    table_failed: bool = False  # a table-level check failed (or a row check could not run)

    @property
    def rejected_row_count(self) -> int:
        """Distinct rows rejected (a row failing two rules counts once)."""
        return int(self.rejected["row_number"].nunique()) if len(self.rejected) else 0


def run_gate(
    entity: str,
    frame: pd.DataFrame,
    *,
    upper_bound: dt.datetime | dt.date,
    max_rejected_share: float | None = None,
) -> GateResult:
    """Validate `frame` (the canonical columns of raw.<entity>) and split it into good and rejected.

    `upper_bound` is the load's upper bound, from the caller's business date or run instant: no
    document may be dated after its (UTC) day. There is no default: the gate never reads the clock,
    so re-running a past load judges it as it was judged then. `max_rejected_share` overrides the
    suite's or the default threshold.
    """
    import pandas as pd

    suite = suite_for(entity)
    limit = threshold(entity, max_rejected_share)
    batch = frame.reset_index(drop=True)
    rows = len(batch)
    if rows == 0:
        return GateResult(entity, batch, _rejected_frame([]), passed=True, rows_checked=0)

    started = time.perf_counter()
    validation = _validate(entity, batch, _latest_date(upper_bound))
    checks = {check.rule: check for check in suite.all_checks()}
    rejected: list[tuple[int, str | None, str, str]] = []
    failures: dict[str, int] = {}
    table_failed = False
    for result in validation.results:
        if result.success:
            continue
        rule = result.expectation_config.meta["rule"]
        check = checks[rule]
        failing = _failing_row_numbers(result.result)
        if not check.row_level or failing is None:
            # A table-level check, or a row check that could not run (e.g. its column is missing).
            failures[rule] = rows
            table_failed = True
            continue
        failures[rule] = len(failing)
        rejected.extend((row, _record_key(batch, suite.key, row), rule, check.reason) for row in failing)

    rejected_rows = {row for row, *_ in rejected}
    share = len(rejected_rows) / rows
    if share > limit:
        failures[f"rejected_share_above_{limit:.0%}"] = len(rejected_rows)
    passed = not table_failed and share <= limit
    keep = [position + 1 not in rejected_rows for position in range(rows)]
    good = batch.loc[pd.Series(keep, index=batch.index)].reset_index(drop=True)
    log.info(
        "gate %s: %d rows, %d rejected, passed=%s (%.2fs)",
        entity,
        rows,
        len(rejected_rows),
        passed,
        time.perf_counter() - started,
    )
    return GateResult(entity, good, _rejected_frame(rejected), passed, failures, rows, table_failed)


def _validate(entity: str, batch: pd.DataFrame, latest: dt.date) -> Any:
    from expectations.context import batch_definition, gx_suite

    with_position = batch.assign(**{ROW_NUMBER_COLUMN: range(1, len(batch) + 1)})
    gx_batch = batch_definition(entity).get_batch(batch_parameters={"dataframe": with_position})
    return gx_batch.validate(
        gx_suite(entity), expectation_parameters={LATEST_DATE_PARAMETER: latest}, result_format=RESULT_FORMAT
    )


def threshold(entity: str, override: float | None = None) -> float:
    """The share of rejected rows above which `entity`'s gate fails: `override`, else the suite's,
    else DEFAULT_MAX_REJECTED_SHARE."""
    suite_default = suite_for(entity).max_rejected_share
    limit = (
        override if override is not None else suite_default if suite_default is not None else DEFAULT_MAX_REJECTED_SHARE
    )
    if not 0 <= limit <= 1:
        raise ValueError(f"max_rejected_share must be between 0 and 1, got {limit}")
    return limit


def _latest_date(upper_bound: dt.datetime | dt.date) -> dt.date:
    if isinstance(upper_bound, dt.datetime):
        return upper_bound.astimezone(dt.UTC).date() if upper_bound.tzinfo else upper_bound.date()
    return upper_bound


def _failing_row_numbers(result: dict[str, Any]) -> list[int] | None:
    """Row numbers from GX's unexpected_index_list, or None when GX gave none.

    With values excluded GX 1.x groups the positions (`[{col: [1, 5]}]`); with values it lists one
    dict per row (`[{col: 1}, ...]`). Both are accepted.
    """
    index_list = result.get("unexpected_index_list")
    if index_list is None:
        return None
    numbers: list[int] = []
    for entry in index_list:
        value = entry[ROW_NUMBER_COLUMN] if isinstance(entry, dict) else entry
        if isinstance(value, (list, tuple)):
            numbers.extend(int(v) for v in value)
        else:
            numbers.append(int(value))
    return sorted(set(numbers))


def _record_key(batch: pd.DataFrame, key: tuple[str, ...], row_number: int) -> str | None:
    """The natural key of a row as text ('USD:2024-01-31' for a compound key); None when unset."""
    import pandas as pd

    if any(column not in batch.columns for column in key):
        return None
    values = [batch.at[row_number - 1, column] for column in key]
    if all(value is None or pd.isna(value) for value in values):
        return None
    return ":".join("" if value is None or pd.isna(value) else str(value) for value in values)


def _rejected_frame(records: list[tuple[int, str | None, str, str]]) -> pd.DataFrame:
    import pandas as pd

    # Built column by column: pandas 3 would infer `str` for record_key and turn a missing key
    # into NaN (then 'nan' in quarantine); object keeps None.
    columns = list(zip(*records, strict=True)) if records else [(), (), (), ()]
    frame = pd.DataFrame(
        {
            name: pd.Series(list(values), dtype="int64" if name == "row_number" else object)
            for name, values in zip(REJECTED_COLUMNS, columns, strict=True)
        }
    )
    return frame.sort_values(["row_number", "rule"], kind="stable").reset_index(drop=True)
