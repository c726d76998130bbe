"""`cartera backtest --file --rolling` on a fully settled export: the last monthly origins hold no
test invoice (every payment came after the last invoice), and the backtest still reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from cartera import cli
from tests.unit.ml.backtest_frames import generated_export


def test_a_rolling_backtest_of_a_fully_settled_file_reports_and_marks_the_empty_months(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = generated_export(customers=30, months=12)
    last_month = pd.Timestamp(book["issue_date"].max()).replace(day=1)
    settled = book[book["paid_date"].notna() & (pd.to_datetime(book["issue_date"]) < last_month)]
    assert pd.Timestamp(settled["paid_date"].max()) >= last_month  # payments run past the last invoice
    path = tmp_path / "settled.csv"
    settled.drop(columns=["disputed", "dispute_opened_date"]).to_csv(path, index=False)
    out = tmp_path / "bt"
    monkeypatch.setattr(sys, "argv", ["cartera", "backtest", "--file", str(path), "--rolling", "--bootstrap", "0",
                                      "--out", str(out)])  # fmt: skip
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code in (0, None)
    origins = json.loads((out / "backtest.json").read_text())["split"]["origins"]
    assert origins[-1]["n_test"] == 0 and origins[-1]["roc_auc"] is None
    assert sum(o["n_test"] for o in origins) > 0
    assert (out / "report.md").read_text().count(f"| {origins[-1]['cutoff']} |") == 1
