"""The assets through which cartera's DAGs meet (no cross-DAG sensors)."""

from __future__ import annotations

from airflow.sdk import Asset

# Every ingest DAG (ERP, files, CFDI) updates the raw layer; the warehouse is built on it.
RAW = Asset(name="cartera_raw", uri="x-cartera://warehouse/raw")
# The dbt marts, as of the run's business date.
MARTS = Asset(name="cartera_marts", uri="x-cartera://warehouse/marts")
# The champion model (training) and the day's scores (scoring).
MODEL = Asset(name="cartera_model", uri="x-cartera://ml/champion")
SCORES = Asset(name="cartera_scores", uri="x-cartera://ml/scores")
# Drift found by scoring (PSI over the threshold): brings the weekly retraining forward.
RETRAIN = Asset(name="cartera_retrain_requested", uri="x-cartera://ml/retrain-requested")
