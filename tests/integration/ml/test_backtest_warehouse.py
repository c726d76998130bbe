"""The backtest read from the warehouse measures what the training DAG measures."""

from __future__ import annotations

import datetime as dt

import pytest
from marts_builder import AS_OF, build_marts, write_marts

from ml.backtest.inputs import load_warehouse_input, prepare_input
from ml.backtest.run import BacktestOptions, run_backtest
from ml.training import train_and_register

pytestmark = pytest.mark.integration

CUTOFF = dt.date(2025, 3, 1)


def test_the_warehouse_backtest_gives_the_training_runs_test_auc_for_the_same_cutoff(fresh_db: str) -> None:
    write_marts(fresh_db, build_marts())
    info = train_and_register(fresh_db, AS_OF, cutoff=CUTOFF)

    invoices, allocations, as_of = load_warehouse_input(fresh_db, AS_OF)
    data = prepare_input(invoices)
    result = run_backtest(
        data, BacktestOptions(cutoff=CUTOFF, as_of=as_of, n_bootstrap=20), allocations=allocations, source="warehouse"
    )
    models, counts = result.figures["models"], result.figures["counts"]
    assert models["xgboost"]["roc_auc"]["value"] == pytest.approx(info.auc_test, abs=1e-4)
    assert models["prior_late_rate"]["roc_auc"]["value"] == pytest.approx(info.auc_baseline_prior_late_rate, abs=1e-4)
    assert (counts["n_train"], counts["n_test"]) == (info.n_train, info.n_test)
    assert data.extra_feature_names == ()  # the marts' outcome columns are never features

    # Without --as-of, the end of the data is the marts' last issue or settlement date.
    assert load_warehouse_input(fresh_db)[2] <= AS_OF
