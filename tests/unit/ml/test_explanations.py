"""Reasons are plain sentences in Spanish and English, pointing the way the score goes."""

from __future__ import annotations

import datetime as dt

import pytest
from ml_frames import D, frame, invoice, monthly_history

from ml.explanations import TEMPLATES, sentence, top_reasons
from ml.features import MODEL_FEATURES, build_features


def _row() -> dict[str, float]:
    rows = monthly_history("CUST-9", [5, 10, 0, 12, -1, 30, 3, 8, 9, 2]) + [
        invoice("OPEN", "CUST-9", dt.date(2025, 6, 1), settled_after_due=None)
    ]
    features = build_features(frame(rows), D)
    return features.loc[:, list(MODEL_FEATURES)].iloc[0].to_dict()


def test_every_model_feature_has_a_sentence_in_both_languages() -> None:
    row = _row()
    assert set(TEMPLATES) == set(MODEL_FEATURES)
    for feature in MODEL_FEATURES:
        es, en = sentence(feature, row)
        assert es and en and es != en, feature
        assert "nan" not in es.lower() and "nan" not in en.lower(), feature


def test_the_late_history_reads_as_a_count_of_settled_invoices() -> None:
    assert sentence("cust_late_share", {"cust_n_settled": 10.0, "cust_late_share": 0.7}) == (
        "Pagó tarde 7 de sus 10 facturas liquidadas",
        "Paid 7 of its 10 settled invoices late",
    )


def test_features_without_history_say_so_instead_of_printing_a_missing_value() -> None:
    empty = {
        "cust_n_settled": 0.0,
        "cust_late_share": float("nan"),
        "cust_mean_days_late": float("nan"),
        "cust_days_since_last_payment": float("nan"),
        "cust_trend_days_late": float("nan"),
    }
    assert sentence("cust_late_share", empty)[1] == "Has no payment history yet"
    assert sentence("cust_days_since_last_payment", empty)[0] == "No ha registrado pagos"
    assert "trend" in sentence("cust_trend_days_late", empty)[1]


def test_a_high_score_shows_only_the_reasons_pushing_toward_late_strongest_first() -> None:
    names = ["cust_late_share", "cust_n_overdue", "credit_terms_days", "is_usd", "cust_tenure_days"]
    row = {
        "cust_late_share": 0.8,
        "cust_n_settled": 10.0,
        "cust_n_overdue": 2.0,
        "credit_terms_days": 30.0,
        "is_usd": 0.0,
        "cust_tenure_days": 400.0,
    }
    reasons = top_reasons(0.9, [0.2, 1.1, -0.5, 0.05, -0.1], names, row)
    assert [r["feature"] for r in reasons] == ["cust_n_overdue", "cust_late_share", "is_usd"]
    assert all(r["contribution"] > 0 for r in reasons)
    assert reasons[0] == {
        "feature": "cust_n_overdue",
        "contribution": 1.1,
        "es": "Tiene 2 facturas vencidas sin pagar",
        "en": "Has 2 overdue unpaid invoices",
    }


def test_a_low_score_shows_the_reasons_pushing_toward_on_time() -> None:
    names = ["cust_late_share", "credit_terms_days"]
    row = {"cust_late_share": 0.0, "cust_n_settled": 12.0, "credit_terms_days": 30.0}
    reasons = top_reasons(0.1, [-0.9, 0.3], names, row)
    assert [r["feature"] for r in reasons] == ["cust_late_share"]
    assert reasons[0]["en"] == "Paid 0 of its 12 settled invoices late"


def test_amount_and_log_amount_give_one_reason_not_two() -> None:
    row = {"amount_mxn": 12_500.0, "log_amount_mxn": 9.43}
    reasons = top_reasons(0.8, [0.4, 0.3], ["amount_mxn", "log_amount_mxn"], row)
    assert [r["es"] for r in reasons] == ["Importe de la factura: $12,500 MXN"]


@pytest.mark.parametrize("p_late", [0.05, 0.95])
def test_reasons_carry_no_customer_identifier(p_late: float) -> None:
    row = _row()
    reasons = top_reasons(
        p_late, [(-1) ** k * (k + 1) / 10 for k in range(len(MODEL_FEATURES))], list(MODEL_FEATURES), row
    )
    assert reasons
    for reason in reasons:
        assert set(reason) == {"feature", "contribution", "es", "en"}
        assert "CUST-9" not in reason["es"] + reason["en"] and "OPEN" not in reason["es"] + reason["en"]
