"""Point-in-time features for the late-payment model.

The contract: a feature row "as of D" uses only what was known at the end of day D.
- An invoice exists at D when ``issue_date <= D``.
- It is settled at D when ``settled_date <= D``; a ``settled_date`` after D is unknown at D, so
  that invoice is treated as open (this is the leakage trap the tests pin).
- A payment allocation is known at D when ``allocation_date <= D``.
Everything else in the input frames (rows issued, settled or allocated after D) is ignored, so
adding future rows never changes a feature row for D.

The functions here are pure (frames in, frame out). The same code builds training rows (each
invoice as of its own issue date, through :func:`features_at`) and scoring rows (the open book
as of the business date, through :func:`build_features`), so training and serving cannot drift.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from cartera.errors import BadInputError
from ml.history import LATE_SHARE_HALF_LIVES, customer_history, decayed_share_name, paid_at

if TYPE_CHECKING:
    import psycopg

# Columns the invoice history frame must have (from marts.fct_invoices; see load_invoice_history).
HISTORY_COLUMNS = (
    "invoice_id",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "total_amount_mxn",
    "settled_date",
)
# Columns of the allocation frame (from marts.fct_payment_allocations, amounts converted to MXN).
ALLOCATION_COLUMNS = ("invoice_id", "allocation_date", "amount_mxn")

# What the model sees. Kept out on purpose: `days_past_due` (at an issue date it is always
# -credit_terms, so a model trained on it would extrapolate blindly on overdue items at scoring
# time) and the customer's median lateness (used by the payment-date rule, not the classifier).
MODEL_FEATURES: tuple[str, ...] = (
    "cust_n_settled",
    "cust_late_share",
    "cust_mean_days_late",
    "cust_max_days_late",
    "cust_last5_mean_days_late",
    "cust_trend_days_late",
    "cust_days_since_last_payment",
    "cust_tenure_days",
    "cust_n_open",
    "cust_n_overdue",
    "cust_open_amount_mxn",
    "amount_mxn",
    "log_amount_mxn",
    "credit_terms_days",
    "is_usd",
    "issue_month",
)

_DATE_COLUMNS = ("issue_date", "due_date", "settled_date")


def _as_datetime(values: pd.Series) -> pd.Series:
    """Dates (python dates, strings, NaT/None) as datetime64[ns] at midnight, one resolution everywhere."""
    return pd.to_datetime(values).astype("datetime64[ns]").dt.normalize()


def normalise_history(invoices: pd.DataFrame) -> pd.DataFrame:
    """The invoice history with checked columns and plain dtypes (dates → datetime64, money → float).

    Raises BadInputError naming the missing column. Extra columns are dropped, except the
    optional ``first_invoice_date`` (from dim_customers) used for tenure.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in invoices.columns]
    if missing:
        raise BadInputError(f"invoice history lacks columns {missing}", field=missing[0])
    keep = list(HISTORY_COLUMNS) + (["first_invoice_date"] if "first_invoice_date" in invoices.columns else [])
    frame = invoices.loc[:, keep].copy()
    frame["invoice_id"] = frame["invoice_id"].astype(str)
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["currency"] = frame["currency"].astype(str)
    for column in [*_DATE_COLUMNS, *(["first_invoice_date"] if "first_invoice_date" in frame else [])]:
        frame[column] = _as_datetime(frame[column])
    # numeric(18,2) arrives as Decimal: float is fine for features (never written back as money).
    frame["total_amount_mxn"] = frame["total_amount_mxn"].astype("float64")
    if frame["invoice_id"].duplicated().any():
        raise BadInputError("invoice history has duplicated invoice_id", field="invoice_id")
    return frame


def normalise_allocations(allocations: pd.DataFrame | None) -> pd.DataFrame:
    """Allocations with checked columns (an empty frame when None)."""
    if allocations is None:
        allocations = pd.DataFrame({c: pd.Series(dtype="object") for c in ALLOCATION_COLUMNS})
    missing = [c for c in ALLOCATION_COLUMNS if c not in allocations.columns]
    if missing:
        raise BadInputError(f"allocations lack columns {missing}", field=missing[0])
    frame = allocations.loc[:, list(ALLOCATION_COLUMNS)].copy()
    frame["invoice_id"] = frame["invoice_id"].astype(str)
    frame["allocation_date"] = _as_datetime(frame["allocation_date"])
    frame["amount_mxn"] = frame["amount_mxn"].astype("float64")
    return frame.dropna(subset=["allocation_date"])


def features_at(
    invoices: pd.DataFrame,
    targets: pd.DataFrame,
    allocations: pd.DataFrame | None = None,
    *,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Feature rows for (invoice_id, as_of) pairs, each as of its own date.

    ``targets`` has columns invoice_id and as_of (dates); every invoice_id must be in ``invoices``
    and issued on or before its as_of. Returns one row per target, in the targets' order, with
    invoice_id, customer_id, as_of_date, issue_date, due_date (datetime64), the MODEL_FEATURES and
    the helper columns days_past_due, open_amount_mxn (of this invoice at as_of),
    cust_median_days_late, cust_late_last10 and cust_n_last10.

    ``customers``: optionally, :func:`customer_features` on the targets' one date (when they share
    it), so each customer's history is not computed twice; the rows are the same with or without.
    """
    return _features_at(normalise_history(invoices), targets, allocations, customers)


def _features_at(
    history: pd.DataFrame, targets: pd.DataFrame, allocations: pd.DataFrame | None, customers: pd.DataFrame | None
) -> pd.DataFrame:
    """features_at on a history already through normalise_history (a 1M-row book takes seconds
    to normalise: build_features does it once)."""
    allocs = normalise_allocations(allocations)
    rows = pd.DataFrame(
        {"invoice_id": targets["invoice_id"].astype(str).to_numpy(), "as_of": _as_datetime(targets["as_of"]).to_numpy()}
    )
    rows["key"] = np.arange(len(rows))
    rows = rows.merge(history, on="invoice_id", how="left", validate="many_to_one")
    if rows["customer_id"].isna().any():
        raise BadInputError("a target invoice is not in the invoice history", field="invoice_id")
    if (rows["issue_date"] > rows["as_of"]).any():
        raise BadInputError("a target invoice is issued after its as-of date", field="issue_date")
    rows = rows.sort_values("key", kind="stable").reset_index(drop=True)

    cust = customer_history(
        history,
        rows[["key", "customer_id", "as_of"]].assign(exclude_invoice_id=rows["invoice_id"]),
        allocs,
        per_customer=None if customers is None else customers.set_index("customer_id"),
    )
    if not np.array_equal(cust["key"].to_numpy(), rows["key"].to_numpy()):  # pragma: no cover - a broken contract
        raise AssertionError("customer_history must return its rows in the targets' order")
    # The result is built once from its columns: merging the customer figures into ``rows`` and
    # selecting the columns afterwards held three copies of every feature at once.
    amount = rows["total_amount_mxn"]
    paid = paid_at(rows[["invoice_id", "as_of"]], allocs)
    own = {
        "invoice_id": rows["invoice_id"],
        "customer_id": rows["customer_id"],
        "as_of_date": rows["as_of"],
        "issue_date": rows["issue_date"],
        "due_date": rows["due_date"],
        "amount_mxn": amount,
        "log_amount_mxn": np.log1p(amount.clip(lower=0)),
        "credit_terms_days": (rows["due_date"] - rows["issue_date"]).dt.days.astype("float64"),
        "is_usd": (rows["currency"].str.upper() == "USD").astype("float64"),
        "issue_month": rows["issue_date"].dt.month.astype("float64"),
        "days_past_due": (rows["as_of"] - rows["due_date"]).dt.days.astype("float64"),
        "open_amount_mxn": (amount - paid).clip(lower=0),
    }
    helpers = ["days_past_due", "open_amount_mxn", "cust_median_days_late", "cust_late_last10", "cust_n_last10"]
    # Recency-weighted late shares: candidates for the model chosen per book (ml/selection.py).
    helpers += [decayed_share_name(h) for h in LATE_SHARE_HALF_LIVES]
    columns = ["invoice_id", "customer_id", "as_of_date", "issue_date", "due_date", *MODEL_FEATURES, *helpers]
    return pd.DataFrame({c: own[c] if c in own else cust[c] for c in columns})


def build_features(
    invoices: pd.DataFrame,
    as_of: dt.date,
    *,
    for_invoices: Literal["open", "issued_on"] = "open",
    allocations: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Feature rows as of ``as_of`` for the invoices to score.

    ``for_invoices="open"``: every invoice issued on or before as_of and not settled by then
    (settled_date null or after as_of) — the open book. ``"issued_on"``: the invoices issued on
    as_of (what training sees for each invoice). Columns as in :func:`features_at`, ordered by
    invoice_id. Pure: reads nothing but its arguments. ``customers``: :func:`customer_features`
    of the same book on ``as_of``, when the caller has them (see :func:`features_at`).
    """
    history = normalise_history(invoices)
    day = pd.Timestamp(as_of)
    issued = history["issue_date"] <= day
    if for_invoices == "open":
        chosen = issued & (history["settled_date"].isna() | (history["settled_date"] > day))
    elif for_invoices == "issued_on":
        chosen = history["issue_date"] == day
    else:  # pragma: no cover - guarded by the Literal type
        raise BadInputError(f"unknown for_invoices {for_invoices!r}", field="for_invoices")
    ids = history.loc[chosen, "invoice_id"].sort_values(kind="stable")
    targets = pd.DataFrame({"invoice_id": ids.to_numpy(), "as_of": day})
    return _features_at(history, targets, allocations, customers)


def customer_features(invoices: pd.DataFrame, as_of: dt.date, allocations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customer history as of ``as_of`` for every customer with an invoice issued by then.

    One row per customer_id (sorted) with the ``cust_*`` columns of :func:`features_at`, counting
    all of the customer's open invoices (no invoice is excluded). Used for segments.
    """
    history = normalise_history(invoices)
    day = pd.Timestamp(as_of)
    customers = history.loc[history["issue_date"] <= day, "customer_id"].drop_duplicates().sort_values().to_numpy()
    targets = pd.DataFrame({"key": np.arange(len(customers)), "customer_id": customers, "exclude_invoice_id": ""})
    targets["as_of"] = _as_datetime(pd.Series(day, index=targets.index))
    cust = customer_history(history, targets, normalise_allocations(allocations))
    return targets[["key", "customer_id"]].merge(cust, on="key", how="left").drop(columns="key")


# The marts as of the business date. The dbt run may be later than as_of (a rerun of a past
# day), so rows from after as_of are filtered here too, not only in the pure functions.
_INVOICE_HISTORY_SQL = """
select i.invoice_id::text as invoice_id, i.customer_id::text as customer_id, i.issue_date, i.due_date,
       i.currency, i.total_amount_mxn,
       case when i.settled_date <= %(as_of)s then i.settled_date end as settled_date,
       c.first_invoice_date
from marts.fct_invoices i
left join marts.dim_customers c on c.customer_id = i.customer_id
where i.issue_date <= %(as_of)s
order by i.invoice_id
"""

# Allocation amounts are in the invoice's currency; the invoice's own MXN/document-currency ratio
# converts them, so paid and invoiced MXN use the same (document date) rate.
_ALLOCATIONS_SQL = """
select a.invoice_id::text as invoice_id, a.allocation_date,
       a.amount * (i.total_amount_mxn / nullif(i.total_amount, 0)) as amount_mxn
from marts.fct_payment_allocations a
join marts.fct_invoices i on i.invoice_id = a.invoice_id
where a.allocation_date <= %(as_of)s and i.issue_date <= %(as_of)s
order by a.invoice_id, a.allocation_date
"""


def _read_compact(
    conn: psycopg.Connection, query: str, as_of: dt.date, dates: tuple[str, ...], categories: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A query's rows as a frame of plain arrays: COPY to a temporary file, then read_csv with the
    dates parsed and numbers as float64 (pandas' parser rounds the exact decimal text correctly).

    No Python object per value (a fetchall of 1M invoices holds ~0.5 GB of tuples, dates and
    Decimals before the frame exists); ids stay strings, ``categories`` become categoricals.
    """
    import tempfile

    from psycopg import sql

    statement = sql.SQL("copy ({}) to stdout with (format csv, header)").format(sql.SQL(query))  # type: ignore[arg-type]  # module constants
    with tempfile.TemporaryFile() as spool:
        with conn.cursor() as cur, cur.copy(statement, {"as_of": as_of}) as copy:
            for block in copy:
                spool.write(block)
        spool.seek(0)
        header = spool.readline().decode().strip().split(",")
        spool.seek(0)
        strings = {c: ("category" if c in categories else "object") for c in header if c not in dates}
        strings = {c: t for c, t in strings.items() if c not in _NUMERIC_COLUMNS}
        frame = pd.read_csv(
            spool,
            dtype={**strings, **{c: "float64" for c in header if c in _NUMERIC_COLUMNS}},
            parse_dates=list(dates),
            keep_default_na=False,
            na_values=[""],
        )
    for column in dates:
        frame[column] = _as_datetime(frame[column])
    return frame


_NUMERIC_COLUMNS = ("total_amount_mxn", "amount_mxn")


def load_invoice_history(conn: psycopg.Connection, as_of: dt.date) -> pd.DataFrame:
    """The invoice history known at ``as_of`` from the marts (HISTORY_COLUMNS + first_invoice_date)."""
    frame = _read_compact(
        conn,
        _INVOICE_HISTORY_SQL,
        as_of,
        ("issue_date", "due_date", "settled_date", "first_invoice_date"),
        ("currency",),
    )
    if frame.empty:
        frame = pd.DataFrame(columns=[*HISTORY_COLUMNS, "first_invoice_date"])
    return frame


def load_allocations(conn: psycopg.Connection, as_of: dt.date) -> pd.DataFrame:
    """Payment allocations known at ``as_of`` (ALLOCATION_COLUMNS, amounts in MXN)."""
    frame = _read_compact(conn, _ALLOCATIONS_SQL, as_of, ("allocation_date",))
    if frame.empty:
        frame = pd.DataFrame(columns=list(ALLOCATION_COLUMNS))
    return frame
