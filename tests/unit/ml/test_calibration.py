"""Calibration on the latest window: ECE as defined, and a drifted book's probabilities corrected."""

from __future__ import annotations

import numpy as np
import pytest

from ml.calibration import Calibrator, expected_calibration_error, fit_calibrator, reliability_bins


def test_ece_is_the_row_weighted_gap_between_predicted_and_observed_per_bin() -> None:
    # Bin 0.1–0.2: predicted 0.15, observed 0.5 (4 rows); bin 0.8–0.9: predicted 0.85, observed 1.0 (2 rows).
    labels = np.array([0, 1, 0, 1, 1, 1])
    scores = np.array([0.15, 0.15, 0.15, 0.15, 0.85, 0.85])
    assert expected_calibration_error(labels, scores) == pytest.approx((4 * 0.35 + 2 * 0.15) / 6, abs=1e-4)
    assert reliability_bins(labels, scores)["count"] == [4, 2]


def _drifted(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores learned when more invoices were late: the truth is now 60 % of what they say."""
    scores = rng.beta(1.2, 3, n)
    labels = (rng.random(n) < 0.6 * scores).astype("int64")
    return labels, scores


def test_calibration_on_the_latest_window_reduces_the_ece_of_a_drifted_book() -> None:
    rng = np.random.default_rng(8)
    window_labels, window_scores = _drifted(rng, 2000)
    later_labels, later_scores = _drifted(rng, 3000)
    calibrator = fit_calibrator(window_labels, window_scores, order=np.arange(2000))
    before = expected_calibration_error(later_labels, later_scores)
    after = expected_calibration_error(later_labels, calibrator.apply(later_scores))
    assert calibrator.kind in ("platt", "isotonic")
    assert before is not None and after is not None
    assert before > 0.1 and after < before / 3
    # The choice is recorded and the map survives a round trip through JSON.
    assert set(calibrator.choice["later_half_logloss"]) == {"none", "platt", "isotonic"}
    again = Calibrator.from_json(calibrator.to_json())
    assert np.allclose(again.apply(later_scores), calibrator.apply(later_scores))


def test_a_calibrated_score_is_left_as_it_is_when_a_map_does_not_help() -> None:
    rng = np.random.default_rng(9)
    scores = rng.uniform(0, 1, 3000)
    labels = (rng.random(3000) < scores).astype("int64")
    assert fit_calibrator(labels, scores).kind == "none"
    assert fit_calibrator(labels[:20], scores[:20]).kind == "none"  # too few rows to fit a map
