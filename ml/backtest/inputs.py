"""What a backtest may learn from: a canonical invoice frame checked for leakage.

The canonical frame (from the warehouse or from an imported file) has one row per invoice:
invoice_id, customer_id, issue_date, due_date, currency, an amount (``amount_mxn``, or ``amount``
with an optional ``fx_rate_to_mxn``), and the outcome — ``settled_date`` (or ``paid_date``), empty
while the invoice is open. Any other column is a *post-issuance* field (a dispute flag, a
collector's note) and is treated by these rules:

- a column that is a function of the outcome (paid date, days to settle, days late, status
  "paid", open balance, ...) is refused as a feature, by name and by value: a column that equals
  days-to-settle or days-late on the settled invoices, or the late/settled flag, is refused
  whatever it is called (:class:`LeakageError`);
- a field with the date it became known (a ``<field>_date``/``<field>_known_date`` column, or
  ``known_dates={field: column}``) is used point in time: the invoice's own value only if known
  by its issue date, and for flags the count of the customer's other invoices flagged by then;
- a field without a known date is left out with a warning saying why, unless it is asked for
  (``include=[field]``): then its value is used as is and the report says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartera.errors import BadInputError
from cartera.logs import get_logger
from ml.features import normalise_history

log = get_logger(__name__)

REQUIRED_COLUMNS = ("invoice_id", "customer_id", "issue_date", "due_date", "currency")
# The columns of an imported file (cartera.sources.files) a backtest reads.
SETTLED_ALIASES = ("settled_date", "paid_date")
AMOUNT_COLUMNS = ("amount_mxn", "amount", "total_amount_mxn", "fx_rate_to_mxn", "total_amount")
# Known descriptive columns that are neither features nor outcomes.
DESCRIPTIVE_COLUMNS = ("invoice_number", "customer_name", "first_invoice_date", "source_file", "source_row")

# Names that describe the outcome: refused as features whatever their values.
_OUTCOME_NAME = re.compile(
    r"(settle|paid|payment_date|pay_date|days_to_pay|days_late|days_past_due|dpd|overdue|residual|"
    r"open_amount|balance|outstanding|collected|credited|status|payment_state|is_late|^late$|outcome|write_off)",
    re.IGNORECASE,
)
# A column that agrees with an outcome on this share of the rows where both are known is that outcome.
_SAME_AS_OUTCOME = 0.99


class LeakageError(BadInputError):
    """A backtest was asked to learn from something not known when the invoice was issued."""


@dataclass(frozen=True)
class PostIssuanceField:
    """How one post-issuance column is used: ``point_in_time`` (with its known date), ``as_is``
    (asked for without a date: may leak) or ``left_out``."""

    name: str
    use: str
    known_date_column: str | None = None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class BacktestInput:
    """The invoice history for ml.features, the extra feature columns, and what was decided."""

    history: pd.DataFrame
    extra_features: pd.DataFrame  # indexed by invoice_id, each value as known at the issue date
    post_issuance: tuple[PostIssuanceField, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def extra_feature_names(self) -> tuple[str, ...]:
        return tuple(self.extra_features.columns)


def _settled_column(frame: pd.DataFrame) -> str:
    present = [c for c in SETTLED_ALIASES if c in frame.columns]
    if not present:
        raise BadInputError(
            "the invoice frame has no outcome column: add settled_date (or paid_date), empty while an invoice is open",
            field="settled_date",
        )
    return present[0]


def _amount_mxn(frame: pd.DataFrame) -> pd.Series:
    if "total_amount_mxn" in frame.columns:
        return pd.to_numeric(frame["total_amount_mxn"]).astype("float64")
    if "amount_mxn" in frame.columns:
        return pd.to_numeric(frame["amount_mxn"]).astype("float64")
    if "amount" not in frame.columns:
        raise BadInputError("the invoice frame has no amount: add amount_mxn, or amount and currency", field="amount")
    amount = pd.to_numeric(frame["amount"]).astype("float64")
    if "fx_rate_to_mxn" in frame.columns:
        return amount * pd.to_numeric(frame["fx_rate_to_mxn"]).astype("float64").fillna(1.0)
    return amount


def is_outcome_name(column: str) -> bool:
    """True when the column's name says it describes how the invoice was paid."""
    return bool(_OUTCOME_NAME.search(column))


def _outcome_twin(values: pd.Series, history: pd.DataFrame) -> str | None:
    """The outcome a column reproduces (name of it), or None. ``history`` is aligned to ``values``."""
    settled = history["settled_date"].notna()
    days_to_settle = (history["settled_date"] - history["issue_date"]).dt.days
    days_late = (history["settled_date"] - history["due_date"]).dt.days
    numeric = pd.to_numeric(values.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v), errors="coerce")
    candidates = {
        "days to settle": (days_to_settle, settled),
        "days late": (days_late, settled),
        "days late (0 when on time)": (days_late.clip(lower=0), settled),
        "paid late": ((days_late > 0).astype("float64"), settled),
        "settled": (settled.astype("float64"), pd.Series(True, index=values.index)),
    }
    for outcome, (target, where) in candidates.items():
        both = where & numeric.notna()
        if both.sum() >= 10 and (numeric[both] == target[both]).mean() >= _SAME_AS_OUTCOME:
            return outcome
    return None


def _known_date_column(name: str, columns: Iterable[str], known_dates: Mapping[str, str]) -> str | None:
    if name in known_dates:
        return known_dates[name]
    stem = name.removeprefix("is_")
    for candidate in (f"{name}_known_date", f"{name}_date", f"{stem}_date", f"{stem}_opened_date"):
        if candidate in columns and candidate != name:
            return candidate
    # "disputed" → "dispute_opened_date": the noun's date.
    for column in columns:
        if column != name and column.endswith("_date") and stem.rstrip("d").rstrip("e") in column:
            return column
    return None


def _as_flag(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "y", "si", "sí", "t"]).astype("float64")


def _is_flag(values: pd.Series) -> bool:
    known = values.dropna().astype(str).str.strip().str.lower()
    return bool(
        known.isin(["true", "false", "0", "1", "0.0", "1.0", "yes", "no", "y", "n", "si", "sí", "t", "f"]).all()
    )


def _point_in_time(name: str, values: pd.Series, known: pd.Series, history: pd.DataFrame) -> pd.DataFrame:
    """The field as known at each invoice's issue date: its own value (when already known) and, for a
    flag, how many of the customer's other invoices carried it by then."""
    issue = history["issue_date"]
    known_by_issue = known.notna() & (known <= issue)
    out = pd.DataFrame(index=pd.Index(history["invoice_id"], name="invoice_id"))
    if not _is_flag(values):
        numeric = pd.to_numeric(values, errors="coerce")
        out[f"{name}_at_issue"] = numeric.where(known_by_issue).to_numpy()
        return out
    flag = _as_flag(values)
    out[f"{name}_at_issue"] = (flag * known_by_issue).to_numpy()
    # Customer's flagged invoices known on or before each issue date (the invoice itself excluded).
    events = pd.DataFrame({"customer_id": history["customer_id"], "day": known, "invoice_id": history["invoice_id"]})
    events = events[(flag == 1.0) & known.notna()]
    pairs = history[["invoice_id", "customer_id", "issue_date"]].merge(
        events, on="customer_id", suffixes=("", "_flagged")
    )
    pairs = pairs[(pairs["day"] <= pairs["issue_date"]) & (pairs["invoice_id"] != pairs["invoice_id_flagged"])]
    counts = pairs.groupby("invoice_id").size()
    out[f"cust_prior_{name}"] = counts.reindex(out.index).fillna(0.0).astype("float64").to_numpy()
    return out


def prepare_input(
    frame: pd.DataFrame,
    *,
    include: Iterable[str] = (),
    known_dates: Mapping[str, str] | None = None,
    use_dated_fields: bool = True,
) -> BacktestInput:
    """Check a canonical invoice frame and decide what the model may learn from it.

    ``include``: post-issuance columns to use even without a known date (the report says so).
    ``known_dates``: {column: the column holding the date it became known}. ``use_dated_fields``:
    False leaves every post-issuance field out (the pipeline's own feature set).
    Raises LeakageError for an outcome column in ``include``, BadInputError for a missing column.
    """
    known_dates = dict(known_dates or {})
    include = list(include)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise BadInputError(f"the invoice frame lacks columns {missing}", field=missing[0])
    settled_column = _settled_column(frame)
    base = frame.reset_index(drop=True)
    # dim_customers' first_invoice_date (warehouse) feeds tenure, as in the pipeline.
    columns = ["invoice_id", "customer_id", "issue_date", "due_date", "currency", "total_amount_mxn", "settled_date"]
    columns += ["first_invoice_date"] if "first_invoice_date" in base.columns else []
    history = normalise_history(
        base.assign(total_amount_mxn=_amount_mxn(base), settled_date=base[settled_column]).loc[:, columns]
    )
    if history["issue_date"].isna().any() or history["due_date"].isna().any():
        raise BadInputError("every invoice needs an issue_date and a due_date", field="issue_date")

    date_columns = set(known_dates.values())
    reserved = {*REQUIRED_COLUMNS, *SETTLED_ALIASES, *AMOUNT_COLUMNS, *DESCRIPTIVE_COLUMNS}
    candidates = [c for c in base.columns if c not in reserved and c not in date_columns]
    for name in include:
        if name not in base.columns:
            raise BadInputError(f"post-issuance column {name!r} is not in the invoice frame", field=name)
        if name in reserved or is_outcome_name(name):
            raise LeakageError(
                "this column describes how the invoice was paid (a function of the outcome); a model that "
                "learns from it predicts the past. Remove it from --include-post-issuance",
                field=name,
            )
    # Columns that are other fields' known dates are not fields themselves.
    dated = {c: _known_date_column(c, base.columns, known_dates) for c in candidates}
    date_columns |= {d for d in dated.values() if d}

    fields: list[PostIssuanceField] = []
    extras = pd.DataFrame(index=pd.Index(history["invoice_id"], name="invoice_id"))
    warnings: list[str] = []
    for name in candidates:
        if name in date_columns:
            continue
        twin = None if is_outcome_name(name) else _outcome_twin(base[name], history)
        if is_outcome_name(name) or twin:
            if name in include:
                raise LeakageError(
                    f"this column reproduces the outcome ({twin}) on the settled invoices; a model that learns "
                    "from it predicts the past. Remove it from --include-post-issuance",
                    field=name,
                )
            fields.append(PostIssuanceField(name, "left_out"))
            warnings.append(f"column {name!r} describes the outcome{f' ({twin})' if twin else ''}: never a feature.")
            continue
        known_column = dated[name]
        if known_column and use_dated_fields:
            known = pd.to_datetime(base[known_column], errors="coerce").astype("datetime64[ns]").dt.normalize()
            pit = _point_in_time(name, base[name], known, history)
            extras = extras.join(pit)
            fields.append(PostIssuanceField(name, "point_in_time", known_column, tuple(pit.columns)))
        elif name in include:
            numeric = _as_flag(base[name]) if _is_flag(base[name]) else pd.to_numeric(base[name], errors="coerce")
            extras[name] = numeric.to_numpy()
            fields.append(PostIssuanceField(name, "as_is", None, (name,)))
            warnings.append(
                f"column {name!r} is used as a feature without the date it became known (asked for): it may "
                "carry information from after the invoice was issued, so the figures may be too good."
            )
        else:
            fields.append(PostIssuanceField(name, "left_out", known_column))
            why = (
                "post-issuance fields were switched off"
                if known_column
                else "the file does not say when it became known, so at the invoice's issue date it may not have "
                "been known (add a <column>_date column, or pass --include-post-issuance to use it anyway)"
            )
            warnings.append(f"column {name!r} is left out: {why}.")
    for message in warnings:
        log.warning("backtest input: %s", message)
    return BacktestInput(history=history, extra_features=extras, post_issuance=tuple(fields), warnings=tuple(warnings))


_LAST_DATE_SQL = """
select greatest(max(issue_date), max(settled_date)) as last_date from marts.fct_invoices
"""


def load_warehouse_input(dsn: str, as_of: dt.date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    """The canonical invoice frame and the payment allocations from the marts, as the pipeline reads
    them (ml.features.load_invoice_history / load_allocations) on ``as_of`` (default: the marts'
    last issue or settlement date)."""
    from cartera.db import connect, read_frame
    from ml.features import load_allocations, load_invoice_history

    with connect(dsn) as conn:
        if as_of is None:
            last = read_frame(conn, _LAST_DATE_SQL)["last_date"].iloc[0]
            if last is None or pd.isna(last):
                raise BadInputError("marts.fct_invoices is empty: build the warehouse first (make demo)")
            as_of = pd.Timestamp(last).date()
        invoices = load_invoice_history(conn, as_of)
        allocations = load_allocations(conn, as_of)
    return invoices, allocations, as_of
