"""The stored champion: the candidate chosen per book (ml/selection.py) with its calibration map,
as numbers and an optional XGBoost booster — scored on feature rows without pickles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ml.calibration import Calibrator
from ml.selection import LinearScorer, Selection

if TYPE_CHECKING:
    import xgboost as xgb


@dataclass(frozen=True)
class ChampionScorer:
    """``kind`` in ml.selection.CANDIDATES; ``state``: the rule's fill rate or the regression's numbers."""

    kind: str
    feature_names: list[str]
    calibrator: Calibrator
    state: dict[str, Any]
    booster_json: bytes | None = None

    @classmethod
    def from_selection(cls, selection: Selection) -> ChampionScorer:
        candidate = selection.candidates[selection.champion]
        booster = None
        state: dict[str, Any] = {"fill_rate": candidate.fill_rate}
        if candidate.kind == "logistic_regression":
            state["linear"] = candidate.model.to_json()
        elif candidate.kind == "xgboost":
            booster = bytes(candidate.model.get_booster().save_raw("json"))
        return cls(candidate.kind, list(candidate.feature_names), selection.calibrator, state, booster)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "feature_names": self.feature_names,
            "calibration": self.calibrator.to_json(),
            "state": self.state,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], booster_json: bytes | None) -> ChampionScorer:
        return cls(
            data["kind"],
            list(data["feature_names"]),
            Calibrator.from_json(data.get("calibration")),
            dict(data.get("state", {})),
            booster_json,
        )

    def predict_raw(self, frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:
            return np.zeros(0)
        if self.kind == "prior_late_rate":
            return np.asarray(frame["cust_late_share"].astype("float64").fillna(self.state["fill_rate"]).to_numpy())
        if self.kind == "logistic_regression":
            return LinearScorer(**self.state["linear"]).predict(frame)
        import xgboost as xgb

        matrix = xgb.DMatrix(frame.loc[:, self.feature_names].astype("float64"), feature_names=self.feature_names)
        return np.asarray(self._booster.predict(matrix), dtype="float64")

    @cached_property
    def _booster(self) -> xgb.Booster:
        """The stored booster, parsed once per scorer (scoring calls predict once per chunk)."""
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(self.booster_json or b""))
        return booster

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of "late" per feature row."""
        return self.calibrator.apply(self.predict_raw(frame))
