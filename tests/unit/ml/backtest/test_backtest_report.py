"""The two documented commands on an export: report.md, calibration.png and a JSON with every figure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cartera.cli import app
from ml.backtest.run import MODELS
from tests.unit.ml.backtest_frames import generated_export

FIGURES = {"roc_auc", "pr_auc", "brier", "calibration", "accuracy", "precision", "recall", "threshold", "n"}


def test_backtest_from_a_file_writes_the_report_the_plot_and_every_figure(tmp_path: Path) -> None:
    export = tmp_path / "invoices.csv"
    generated_export().to_csv(export, index=False)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["backtest", "--file", str(export), "--out", str(out), "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    assert "xgboost: ROC-AUC" in result.output

    figures = json.loads((out / "backtest.json").read_text())
    assert set(figures["models"]) == set(MODELS)
    for name in MODELS:
        model = figures["models"][name]
        assert FIGURES <= set(model), name
        for ranking in ("roc_auc", "pr_auc"):
            assert model[ranking]["ci95_low"] <= model[ranking]["value"] <= model[ranking]["ci95_high"]
    assert set(figures["payment_date"]) == {"model_rule", "baseline_due_date", "baseline_overall_median_lateness"}
    assert figures["payment_date"]["model_rule"]["mae_days"] is not None
    assert {"n_train", "n_test", "test_censored", "train_censored"} <= set(figures["counts"])
    assert figures["split"]["kind"] == "time" and figures["split"]["cutoff"] and figures["split"]["period"]
    # The export's dispute flag has its opening date: used point in time, no warning needed.
    assert [p["use"] for p in figures["features"]["post_issuance"]] == ["point_in_time"]

    report = (out / "report.md").read_text()
    assert "## What this means" in report and "calibration.png" in report
    assert (out / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_line_refuses_a_random_split_without_the_flag(tmp_path: Path) -> None:
    export = tmp_path / "invoices.csv"
    generated_export(customers=8, months=6).to_csv(export, index=False)
    result = CliRunner().invoke(app, ["backtest", "--file", str(export), "--split", "random"])
    assert result.exit_code == 2 and "allow-random-split" in result.stderr and "Traceback" not in result.output
