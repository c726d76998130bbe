"""A customer's payment history as of a date, for many (customer, date) targets at once.

Vectorised as a self-join: each target meets every invoice of its customer, and a pair counts
only if what it uses was known at the target's date (issued, settled, allocated on or before
it). One call serves the open book on one date and the whole training set (each invoice as of
its own issue date) alike. Cost: the sum over customers of (targets x invoices), fine for the
tens of thousands of invoices a mid-size Mexican distributor has per customer base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# An invoice is late when settled strictly after its due date (no grace days).
GRACE_DAYS = 0
RECENT_N = 5  # "last five settled" for recent lateness and the trend
WINDOW_N = 10  # "last ten settled" for the late count read by segments and explanations
# Half-lives (days) of the recency-weighted late shares ``cust_late_share_hl<days>``: a settled
# invoice due ``a`` days before the target date weighs 0.5 ** (a / half-life), because late rates
# drift and last year's habits say less than last month's. The model chooses one on its
# validation window (ml/selection.py).
LATE_SHARE_HALF_LIVES = (30, 90, 180, 365)
# (target, invoice) pairs of the self-join built at once (see customer_history): ~170 bytes a pair
# at the chunk's peak (measured: +250 MB for 1.5M pairs), so ~85 MB whatever the book's size.
PAIR_BUDGET = 500_000


def decayed_share_name(half_life: int) -> str:
    """The column name of the late share with this half-life (days)."""
    return f"cust_late_share_hl{half_life}"


HISTORY_FEATURES = (
    "cust_n_settled",
    "cust_late_share",
    "cust_mean_days_late",
    "cust_max_days_late",
    "cust_median_days_late",
    "cust_last5_mean_days_late",
    "cust_trend_days_late",
    "cust_late_last10",
    "cust_n_last10",
    "cust_days_since_last_payment",
    "cust_tenure_days",
    "cust_n_open",
    "cust_n_overdue",
    "cust_open_amount_mxn",
    *(decayed_share_name(h) for h in LATE_SHARE_HALF_LIVES),
)


def paid_at(rows: pd.DataFrame, allocs: pd.DataFrame) -> pd.Series:
    """Sum of allocations to each row's invoice_id dated on or before its as_of (0 when none).

    ``rows`` has invoice_id and as_of; the result is aligned to ``rows.index``.
    """
    result = pd.Series(0.0, index=rows.index)
    if rows.empty or allocs.empty:
        return result
    # Only the rows' invoices up to the latest as_of can match: the same running sums (a prefix of
    # each invoice's, in the same stable order), without sorting the whole book's allocations.
    allocs = allocs[allocs["invoice_id"].isin(rows["invoice_id"]) & (allocs["allocation_date"] <= rows["as_of"].max())]
    if allocs.empty:
        return result
    cumulative = allocs.sort_values(["invoice_id", "allocation_date"]).copy()
    cumulative["paid"] = cumulative.groupby("invoice_id")["amount_mxn"].cumsum()
    # Several allocations on one day: keep the day's last cumulative figure.
    cumulative = cumulative.groupby(["invoice_id", "allocation_date"], as_index=False)["paid"].last()
    left = rows[["invoice_id", "as_of"]].assign(_pos=np.arange(len(rows))).sort_values("as_of")
    matched = pd.merge_asof(
        left,
        cumulative.sort_values("allocation_date"),
        left_on="as_of",
        right_on="allocation_date",
        by="invoice_id",
        direction="backward",
    )
    paid = matched.sort_values("_pos")["paid"].fillna(0.0).to_numpy()
    return pd.Series(paid, index=rows.index)


def _last_allocation(targets: pd.DataFrame, history: pd.DataFrame, allocs: pd.DataFrame) -> pd.Series:
    """Date of each target customer's last allocation on or before the target's date (NaT if none)."""
    if allocs.empty:
        return pd.Series(pd.NaT, index=targets["key"].to_numpy(), dtype="datetime64[ns]")
    dated = allocs.merge(history[["invoice_id", "customer_id"]], on="invoice_id", how="inner")
    dated = dated[["customer_id", "allocation_date"]].drop_duplicates().sort_values("allocation_date")
    left = targets[["key", "customer_id", "as_of"]].sort_values("as_of")
    matched = pd.merge_asof(
        left, dated, left_on="as_of", right_on="allocation_date", by="customer_id", direction="backward"
    )
    return matched.set_index("key")["allocation_date"]


def customer_history(
    history: pd.DataFrame,
    targets: pd.DataFrame,
    allocs: pd.DataFrame,
    *,
    pair_budget: int = PAIR_BUDGET,
    per_customer: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``HISTORY_FEATURES`` of each target, one row per target key (in the targets' order).

    ``history``: the normalised invoice history. ``targets``: key (unique), customer_id, as_of
    (datetime64) and exclude_invoice_id (the invoice being scored, left out of its own history
    so the same invoice never describes itself; "" for none). ``allocs``: normalised allocations.
    Missing history gives NaN for the lateness figures and 0 for the counts.

    Every figure is a customer's own, so the customers are taken in chunks of about
    ``pair_budget`` (target, invoice) pairs: the self-join's memory is bounded by the chunk, not
    by the book (a whole 1M-invoice training set as one join is tens of millions of pairs).

    ``per_customer``: optionally, these figures already computed per customer_id (the index) on
    the targets' one date with nothing excluded (what customer_features gives); used when every
    target shares that date and excludes only an open invoice, instead of computing them again.
    """
    # One datetime resolution everywhere: merge_asof refuses to match [s] with [ns].
    targets = targets.assign(
        as_of=targets["as_of"].astype("datetime64[ns]"), exclude_invoice_id=targets["exclude_invoice_id"].astype(str)
    )
    excluded = _open_exclusions(history, targets)
    if excluded is not None:
        return _shared_date_history(history, targets, allocs, excluded, pair_budget, per_customer)
    return _joined_history(history, targets, allocs, pair_budget)


def _joined_history(
    history: pd.DataFrame, targets: pd.DataFrame, allocs: pd.DataFrame, pair_budget: int
) -> pd.DataFrame:
    """customer_history by the (target, invoice) self-join, in chunks of customers."""
    chunk_of = _customer_chunks(history, targets, pair_budget)
    if chunk_of is None:
        return _customer_history(history, targets, allocs)
    invoice_chunk = history["customer_id"].map(chunk_of)
    target_chunk = targets["customer_id"].map(chunk_of)
    alloc_chunk = allocs["invoice_id"].map(pd.Series(invoice_chunk.to_numpy(), index=history["invoice_id"].to_numpy()))
    history_parts = dict(tuple(history.groupby(invoice_chunk, sort=False)))
    alloc_parts = dict(tuple(allocs.groupby(alloc_chunk, sort=False)))
    # Each chunk's figures go straight to their targets' rows of one float64 block.
    position = pd.Series(np.arange(len(targets)), index=targets["key"].to_numpy())
    names: list[str] = []
    values = np.full((len(targets), len(HISTORY_FEATURES)), np.nan)
    for chunk, part in targets.groupby(target_chunk, sort=False):
        figures = _customer_history(
            history_parts.pop(chunk, history.iloc[:0]), part, alloc_parts.pop(chunk, allocs.iloc[:0])
        )
        names = names or [c for c in figures.columns if c != "key"]
        values[position.loc[figures["key"].to_numpy()].to_numpy()] = figures.loc[:, names].to_numpy()
    out = pd.DataFrame(values, columns=names)
    out.insert(0, "key", targets["key"].to_numpy())
    return out


def _open_exclusions(history: pd.DataFrame, targets: pd.DataFrame) -> np.ndarray | None:
    """When every target shares one as-of date and each excluded invoice is open then (issued on or
    before it, not settled by it), a mask of the targets whose exclusion is one of their customer's
    invoices; None otherwise (the self-join serves).

    Why it matters: an excluded invoice that is open takes no part in the settled figures, the
    tenure or the last payment, so those are the customer's own on that date, shared by all its
    targets; only the open counts and the open balance lose the excluded invoice. The open book
    (all of a customer's open items on the score date) is this case.
    """
    if targets.empty or targets["as_of"].nunique() != 1:
        return None
    ids = pd.Index(history["invoice_id"])
    if history.empty or not ids.is_unique:
        return np.zeros(len(targets), dtype=bool) if history.empty else None
    as_of = targets["as_of"].iloc[0]
    found = ids.get_indexer(targets["exclude_invoice_id"])
    row = np.where(found >= 0, found, 0)
    issued = history["issue_date"].to_numpy()[row] <= as_of
    same_customer = history["customer_id"].to_numpy()[row] == targets["customer_id"].to_numpy()
    excluded = (found >= 0) & same_customer & issued
    settled = history["settled_date"].to_numpy()[row]
    if (excluded & ~np.isnat(settled) & (settled <= as_of)).any():
        return None
    return np.asarray(excluded, dtype=bool)


def _shared_date_history(
    history: pd.DataFrame,
    targets: pd.DataFrame,
    allocs: pd.DataFrame,
    excluded: np.ndarray,
    pair_budget: int,
    per_customer: pd.DataFrame | None,
) -> pd.DataFrame:
    """customer_history when all targets share one date and exclude only open invoices
    (see _open_exclusions): each customer's figures once, then each target's open figures without
    its own invoice. Equal, bit for bit, to the self-join: the open balance is summed over the same
    (target, other open invoice) pairs in the same order, only the settled invoices are not paired.
    """
    as_of = targets["as_of"].iloc[0]
    customers = targets["customer_id"].drop_duplicates().to_numpy()
    if per_customer is not None and per_customer.index.isin(customers).sum() == len(customers):
        names = [c for c in per_customer.columns if c in HISTORY_FEATURES]
        figures = per_customer.loc[customers, names].reset_index(drop=True)
    else:
        figures = _joined_history(
            history,
            pd.DataFrame(
                {"key": np.arange(len(customers)), "customer_id": customers, "as_of": as_of, "exclude_invoice_id": ""}
            ).astype({"as_of": "datetime64[ns]"}),
            allocs,
            pair_budget,
        )
    rows = pd.Index(customers).get_indexer(targets["customer_id"].to_numpy())
    names = [c for c in figures.columns if c != "key"]
    out = pd.DataFrame(figures.loc[:, names].to_numpy(dtype="float64")[rows], columns=names)
    if excluded.any():
        # The customers' open invoices on the date, in the history's order (the self-join's order).
        known = history["settled_date"].notna() & (history["settled_date"] <= as_of)
        open_items = history.loc[
            (history["issue_date"] <= as_of) & ~known, ["invoice_id", "customer_id", "due_date", "total_amount_mxn"]
        ]
        open_items = open_items[open_items["customer_id"].isin(customers)]
        due = pd.Series(open_items["due_date"].to_numpy(), index=open_items["invoice_id"].to_numpy())
        own = targets["exclude_invoice_id"].to_numpy()[excluded]
        out.loc[excluded, "cust_n_open"] -= 1.0
        out.loc[excluded, "cust_n_overdue"] -= (due.loc[own].to_numpy() < as_of).astype("float64")
        out.loc[excluded, "cust_open_amount_mxn"] = _open_balance_without(
            targets.loc[excluded, ["key", "customer_id", "as_of", "exclude_invoice_id"]], open_items, allocs
        )
    out.insert(0, "key", targets["key"].to_numpy())
    return out


def _open_balance_without(targets: pd.DataFrame, open_items: pd.DataFrame, allocs: pd.DataFrame) -> np.ndarray:
    """Each target's customer's open balance (amount less allocations, floored at 0) over its open
    invoices other than the excluded one, summed as the self-join sums it (0 when none)."""
    items = open_items[["invoice_id", "customer_id", "total_amount_mxn"]].assign(as_of=targets["as_of"].iloc[0])
    # An invoice's balance is the same in every pair (one date): computed once per open invoice.
    items["balance"] = (items["total_amount_mxn"] - paid_at(items[["invoice_id", "as_of"]], allocs)).clip(lower=0)
    pairs = targets[["key", "customer_id", "exclude_invoice_id"]].merge(
        items[["invoice_id", "customer_id", "balance"]], on="customer_id"
    )
    pairs = pairs[pairs["invoice_id"] != pairs["exclude_invoice_id"]]
    summed = pairs["balance"].groupby(pairs["key"]).sum()
    return np.asarray(summed.reindex(targets["key"].to_numpy()).fillna(0.0), dtype="float64")


def _customer_chunks(history: pd.DataFrame, targets: pd.DataFrame, pair_budget: int) -> pd.Series | None:
    """A chunk number per customer_id so each chunk's (target, invoice) pairs stay near
    ``pair_budget`` (a customer larger than the budget is a chunk of its own); None when all
    the pairs fit in one."""
    per_customer = targets["customer_id"].value_counts(sort=False)
    pairs = per_customer * history["customer_id"].value_counts(sort=False).reindex(per_customer.index).fillna(0)
    if pairs.sum() <= pair_budget:
        return None
    ends = np.cumsum(pairs.to_numpy())
    return pd.Series(np.asarray(ends // max(pair_budget, 1), dtype="int64"), index=per_customer.index)


def _customer_history(history: pd.DataFrame, targets: pd.DataFrame, allocs: pd.DataFrame) -> pd.DataFrame:
    """customer_history on one chunk (every customer of ``targets`` with all its invoices)."""
    pairs = targets[["key", "customer_id", "as_of", "exclude_invoice_id"]].merge(
        history[["invoice_id", "customer_id", "issue_date", "due_date", "settled_date", "total_amount_mxn"]],
        on="customer_id",
    )
    pairs = pairs[pairs["issue_date"] <= pairs["as_of"]]
    # Tenure counts the scored invoice itself (a first invoice has tenure 0), and dim_customers'
    # first_invoice_date when it is already known at the target's date.
    first_issue = pairs.groupby("key")["issue_date"].min()
    if "first_invoice_date" in history:
        first_known = targets[["key", "customer_id", "as_of"]].merge(
            history[["customer_id", "first_invoice_date"]].dropna().drop_duplicates("customer_id"), on="customer_id"
        )
        first_known = first_known[first_known["first_invoice_date"] <= first_known["as_of"]].set_index("key")[
            "first_invoice_date"
        ]
        first_issue = pd.concat([first_issue, first_known], axis=1).min(axis=1)
    pairs = pairs[pairs["invoice_id"] != pairs["exclude_invoice_id"]]

    known = pairs["settled_date"].notna() & (pairs["settled_date"] <= pairs["as_of"])
    settled = pairs[known].copy()
    settled["days_late"] = (settled["settled_date"] - settled["due_date"]).dt.days.astype("float64")
    settled["late"] = (settled["days_late"] > GRACE_DAYS).astype("float64")
    # Most recent settlement first; invoice_id breaks ties so the order never depends on input order.
    settled = settled.sort_values(["key", "settled_date", "invoice_id"], ascending=[True, False, False])
    settled["rank"] = settled.groupby("key").cumcount()
    by_key = settled.groupby("key")
    recent = settled[settled["rank"] < RECENT_N].groupby("key")["days_late"].mean()
    older = settled[settled["rank"] >= RECENT_N].groupby("key")["days_late"].mean()
    window = settled[settled["rank"] < WINDOW_N].groupby("key")

    opened = pairs[~known]
    overdue = opened[opened["due_date"] < opened["as_of"]]
    open_amount = (opened["total_amount_mxn"] - paid_at(opened[["invoice_id", "as_of"]], allocs)).clip(lower=0)

    out = pd.DataFrame(index=pd.Index(targets["key"].to_numpy(), name="key"))
    out["cust_n_settled"] = by_key.size()
    out["cust_late_share"] = by_key["late"].mean()
    out["cust_mean_days_late"] = by_key["days_late"].mean()
    out["cust_max_days_late"] = by_key["days_late"].max()
    out["cust_median_days_late"] = by_key["days_late"].median()
    out["cust_last5_mean_days_late"] = recent
    # Recent minus older lateness: positive means the customer is paying later than it used to.
    out["cust_trend_days_late"] = recent - older
    out["cust_late_last10"] = window["late"].sum()
    out["cust_n_last10"] = window.size()
    last_settled = by_key["settled_date"].max().reindex(out.index)
    last_payment = pd.concat([last_settled, _last_allocation(targets, history, allocs).reindex(out.index)], axis=1).max(
        axis=1
    )
    as_of = targets.set_index("key")["as_of"].reindex(out.index)
    out["cust_days_since_last_payment"] = (as_of - last_payment).dt.days.astype("float64")
    out["cust_tenure_days"] = (as_of - first_issue.reindex(out.index)).dt.days.astype("float64")
    age = (settled["as_of"] - settled["due_date"]).dt.days.clip(lower=0).astype("float64")
    for half_life in LATE_SHARE_HALF_LIVES:
        weight = np.power(0.5, age / half_life)
        out[decayed_share_name(half_life)] = (weight * settled["late"]).groupby(settled["key"]).sum() / weight.groupby(
            settled["key"]
        ).sum()
    out["cust_n_open"] = opened.groupby("key").size()
    out["cust_n_overdue"] = overdue.groupby("key").size()
    out["cust_open_amount_mxn"] = open_amount.groupby(opened["key"]).sum()
    counts = [
        "cust_n_settled",
        "cust_late_last10",
        "cust_n_last10",
        "cust_n_open",
        "cust_n_overdue",
        "cust_open_amount_mxn",
    ]
    out[counts] = out[counts].fillna(0.0)
    return out.astype("float64").reset_index()
