"""Backtest figures: bootstrap intervals, calibration bins and the threshold's counts."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from ml.backtest.metrics import bootstrap_ci, classifier_metrics


def _scores(n: int = 300, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype("int64")
    scores = np.clip(0.3 + 0.35 * (labels - 0.3) + rng.normal(0, 0.2, n), 0, 1)
    return labels, scores


def test_the_bootstrap_interval_contains_the_point_estimate_and_repeats_with_its_seed() -> None:
    labels, scores = _scores()
    point = roc_auc_score(labels, scores)
    low, high = bootstrap_ci(labels, scores, roc_auc_score, n_resamples=200, seed=5)
    assert low is not None and high is not None and low < point < high
    assert bootstrap_ci(labels, scores, roc_auc_score, n_resamples=200, seed=5) == (low, high)
    assert bootstrap_ci(labels, scores, roc_auc_score, n_resamples=200, seed=6) != (low, high)


def test_every_figure_is_there_and_the_calibration_bins_count_every_invoice() -> None:
    labels, scores = _scores()
    figures = classifier_metrics(labels, scores, threshold=0.5, n_resamples=50)
    for name in ("roc_auc", "pr_auc"):
        value = figures[name]
        assert value["ci95_low"] <= value["value"] <= value["ci95_high"]
    assert 0 < figures["brier"] < 0.25
    assert sum(figures["calibration"]["count"]) == len(labels) == figures["n"]
    assert len(figures["calibration"]["count"]) == len(figures["calibration"]["mean_predicted"])
    flagged = scores >= 0.5
    assert figures["precision"] == round(float(labels[flagged].mean()), 4)
    assert figures["recall"] == round(float(flagged[labels == 1].mean()), 4)
    assert figures["accuracy"] == round(float((flagged == (labels == 1)).mean()), 4)


def test_a_single_outcome_gives_no_ranking_figures_instead_of_an_error() -> None:
    figures = classifier_metrics(np.zeros(20, dtype="int64"), np.linspace(0, 1, 20), n_resamples=20)
    assert figures["roc_auc"] == {"value": None, "ci95_low": None, "ci95_high": None}
    assert figures["brier"] is not None and figures["calibration"]["count"] == []
