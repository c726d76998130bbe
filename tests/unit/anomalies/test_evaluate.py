"""`cartera anomalies evaluate --json` on a small generated book writes, per type, precision,
recall and injected, and the false alerts per 1000 invoices of the clean book."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartera.cli import app
from cartera.config import get_settings


@pytest.mark.slow
def test_evaluate_writes_the_figures_per_type_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTERA_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    out = tmp_path / "out.json"
    try:
        result = CliRunner().invoke(
            app, ["anomalies", "evaluate", "--json", str(out), "--customers", "120", "--months", "12"]
        )
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["types"]) >= {"duplicate_invoice", "sat_69b_listed", "payment_deterioration"}
    for row in figures["types"].values():
        assert {"precision", "recall", "injected"} <= set(row) and row["injected"] >= 5
    assert figures["types"]["duplicate_invoice"]["recall"] >= 0.8
    assert figures["false_alerts_per_1000_invoices"] is not None
    assert (tmp_path / "state" / "anomalies" / "evaluation.json").exists()  # for the demo report
    assert "false alerts on" in result.output
