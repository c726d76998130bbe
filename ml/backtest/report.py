"""Write a backtest's results: ``backtest.json`` (every figure), ``calibration.png`` (the
reliability plot), ``predictions.csv`` (one row per test invoice) and a ``report.md`` a finance
person can read. Ids and figures only: no customer names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ml.backtest.run import MODEL_LABELS, MODELS, BacktestResult

JSON_NAME, PLOT_NAME, REPORT_NAME = "backtest.json", "calibration.png", "report.md"
PREDICTIONS_NAME = "predictions.csv"
# The per-invoice output: ids, outcome and predictions only (no names, no amounts).
PREDICTION_COLUMNS = {
    "invoice_id": "invoice_id",
    "origin": "origin",
    "late": "actual_late",
    "settled_date": "actual_payment_date",
    "champion": "model",
    "p_champion": "p_late",
    "regressor_payment_date": "predicted_payment_date",
    "payment_date_lower": "predicted_payment_date_lower",
    "payment_date_upper": "predicted_payment_date_upper",
}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _with_ci(metric: dict[str, Any]) -> str:
    if metric["value"] is None:
        return "n/a"
    if metric["ci95_low"] is None:
        return _num(metric["value"])
    return f"{_num(metric['value'])} ({_num(metric['ci95_low'])}–{_num(metric['ci95_high'])})"


def write_calibration_plot(result: BacktestResult, path: Path) -> None:
    """Predicted probability of "late" against the observed late share, per model, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 5), dpi=110)
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, marker in zip(MODELS, ("o", "s", "^", "D"), strict=True):
        curve = result.figures["models"][name]["calibration"]
        if curve["mean_predicted"]:
            axis.plot(curve["mean_predicted"], curve["observed_late_share"], marker=marker, label=MODEL_LABELS[name])
    axis.set_xlabel("predicted probability of paying late")
    axis.set_ylabel("share of invoices actually paid late")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    raw = result.figures.get("selection", {}).get("champion_uncalibrated_test", {}).get("calibration")
    if raw and raw["mean_predicted"]:
        axis.plot(
            raw["mean_predicted"],
            raw["observed_late_share"],
            marker="x",
            linestyle=":",
            label="Champion before calibration",
        )
    axis.set_title(f"Reliability on the test invoices ({result.figures['split']['kind']} split)")
    axis.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _meaning(figures: dict[str, Any]) -> str:
    model, prior, logistic = (figures["models"][name] for name in MODELS[:3])
    auc = model["roc_auc"]["value"]
    if auc is None:
        return "The test invoices hold a single outcome, so the ranking figures cannot be computed."
    best = max(MODELS[:3], key=lambda n: figures["models"][n]["roc_auc"]["value"] or 0.0)
    lines = [
        f"Out of two invoices, one later paid late and one paid on time, the model gave the higher risk to the "
        f"late one {100 * auc:.0f} times in 100 (ROC-AUC {auc:.2f}; 0.50 is a coin toss). ",
        f"Simply using each customer's past late rate does it {100 * (prior['roc_auc']['value'] or 0):.0f} times "
        f"in 100, and a logistic regression on the same facts {100 * (logistic['roc_auc']['value'] or 0):.0f}. ",
    ]
    others = [figures["models"][n]["roc_auc"] for n in MODELS[:3] if n != "xgboost"]
    clearly_ahead = all(
        model["roc_auc"].get("ci95_low") is not None
        and other.get("ci95_high") is not None
        and model["roc_auc"]["ci95_low"] > other["ci95_high"]
        for other in others
    )
    if best == "xgboost" and clearly_ahead:
        lines.append(
            "On this data the model ranks risk better than both simpler methods (the intervals do not overlap). "
        )
    elif best == "xgboost":
        lines.append(
            "On this data the model ranks risk best, but its interval overlaps a simpler method's: the difference "
            "may be chance. "
        )
    else:
        lines.append(
            f"On this data the simpler method ({MODEL_LABELS[best].split(': ')[-1]}) ranks risk as well or better, so "
            "the model's extra complexity is not earning its keep here; the intervals show how sure we can be. "
        )
    lines.append(
        f"Of the invoices it flags as risky (probability ≥ {figures['threshold']:.2f}), {_pct(model['precision'])} "
        f"were indeed paid late, and it catches {_pct(model['recall'])} of the late ones. "
    )
    champions = figures.get("selection", {}).get("champions", [])
    if champions:
        difference = figures["selection"]["auc_difference_vs_prior_late_rate"]["champion_minus_prior_late_rate"]
        chosen = ", ".join(sorted(set(champions)))
        if difference["ci95_low"] is not None and difference["ci95_low"] > 0:
            verdict = "its edge over the prior late rate holds on the test invoices (interval above zero)"
        else:
            verdict = (
                "its edge over the prior late rate is not established on the test invoices (interval includes zero)"
            )
        lines.append(
            f"Chosen for this book on the latest training window: {chosen}; {verdict}, ROC-AUC difference "
            f"{_num(difference['value'])}. "
        )
    date = figures["payment_date"]["model_rule"]
    if date["mae_days"] is not None:
        lines.append(
            f"The expected payment date is off by {date['mae_days']:.1f} days on average for invoices already paid "
            f"(the due date alone is off by {figures['payment_date']['baseline_due_date']['mae_days']:.1f})."
        )
    return "".join(lines)


def _selection_section(f: dict[str, Any]) -> list[str]:
    selection = f.get("selection")
    if not selection:
        return []
    origins = [o for o in f["split"]["origins"] if o.get("champion")]
    out = ["", "## The model chosen for this book", ""]
    for o in origins[:1] if len(origins) == 1 else origins:
        validation = o["validation"]
        out.append(
            f"- origin {o['cutoff']}: **{o['champion']}** — {o['reason']}. Validation window: "
            f"{validation.get('n', 0)} invoices issued {validation.get('first_issue_date', '?')} to "
            f"{validation.get('last_issue_date', '?')} (late share {_pct(validation.get('late_share'))}, "
            f"{_pct(validation.get('late_share_fit'))} in the rows fitted before it); recency half-life "
            f"{o['half_life_days']} days; calibration **{o['calibration']['kind']}**."
        )
    first = origins[0]["validation"].get("candidates", {}) if origins else {}
    test = selection["candidates_test"]
    out += [
        "",
        "| candidate | validation ROC-AUC | validation log-loss | validation ECE | test ROC-AUC | test Brier | test ECE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, metrics in test.items():
        v = first.get(kind, {})
        out.append(
            f"| {kind} | {_num(v.get('auc'))} | {_num(v.get('logloss'))} | {_num(v.get('ece'))} | "
            f"{_num(metrics['roc_auc']['value'])} | {_num(metrics['brier'])} | {_num(metrics['ece'])} |"
        )
    raw, calibrated = selection["champion_uncalibrated_test"], f["models"]["champion"]
    out += [
        "",
        f"Champion on the test invoices: ECE {_num(raw['ece'])} before calibration, {_num(calibrated['ece'])} after "
        f"(10 equal-width bins); Brier {_num(raw['brier'])} → {_num(calibrated['brier'])}.",
        "",
        "| ROC-AUC minus the prior late rate's (paired bootstrap) | difference | 95 % interval |",
        "|---|---:|---|",
    ]
    for key, d in selection["auc_difference_vs_prior_late_rate"].items():
        interval = "n/a" if d["ci95_low"] is None else f"{_num(d['ci95_low'])} to {_num(d['ci95_high'])}"
        out.append(f"| {key.split('_minus_')[0]} | {_num(d['value'])} | {interval} |")
    return out


def _payment_section(f: dict[str, Any]) -> list[str]:
    dates = f.get("payment_dates")
    if not dates:
        return []
    labels = {
        "regressor": "regressor (gradient boosting, L1 loss)",
        "rule_due_plus_customer_median": "rule: due date + customer's median lateness",
        "baseline_due_date": "baseline: the due date",
        "baseline_customer_mean": "baseline: due date + customer's mean lateness",
    }
    out = [
        "",
        "## Expected payment dates",
        "",
        "| method | settled test invoices | MAE (days) | median abs. error | within ±7 days |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in labels.items():
        d = dates[key]
        out.append(
            f"| {label} | {d['n']} | {_num(d['mae_days'], 2)} | {_num(d['median_abs_error_days'], 1)} | "
            f"{_pct(d['share_within_7_days'])} |"
        )
    interval = dates["interval"]
    nominal = next(
        (o["payment_regressor"]["nominal_coverage"] for o in f["split"]["origins"] if o.get("payment_regressor")), None
    )
    out += [
        "",
        f"Interval (split-conformal on the validation window, nominal {_pct(nominal)}): covers "
        f"{_pct(interval['coverage'])} of {interval['n']} settled test invoices, mean width "
        f"{_num(interval['mean_width_days'], 1)} days.",
    ]
    return out


def write_predictions(result: BacktestResult, path: Path) -> Path:
    """The per-invoice CSV: id, origin, actual outcome and payment date, the champion's calibrated
    probability, the predicted payment date and its interval (ISO dates, empty when unknown)."""
    frame = result.predictions.loc[:, list(PREDICTION_COLUMNS)].rename(columns=PREDICTION_COLUMNS)
    frame["actual_late"] = frame["actual_late"].astype("int64")
    frame["p_late"] = frame["p_late"].astype("float64").round(6)
    for column in ("actual_payment_date", *(c for c in frame.columns if c.startswith("predicted_payment_date"))):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    return path


def render_markdown(result: BacktestResult) -> str:
    """The report as Markdown (refers to calibration.png beside it)."""
    f = result.figures
    split, counts = f["split"], f["counts"]
    out = ["# Backtest of the late-payment model", ""]
    if not split["honest"]:
        out += [
            "> **RANDOM SPLIT — asked for with --allow-random-split.** The model was trained on outcomes from after "
            "the test invoices were issued. These figures overstate what it would do in real use.",
            "",
        ]
    out += [
        f"Data: {f['source']}; invoices issued {split['period']['first_issue_date']} to "
        f"{split['period']['last_issue_date']}, outcomes known up to {split['as_of']}.",
        "",
        "## What this means",
        "",
        _meaning(f),
        "",
        "## How it was measured",
        "",
    ]
    if split["kind"] == "time":
        out.append(
            f"Time split: the model learned from invoices issued before {split['cutoff']} minus {split['horizon_days']} "
            f"days, using only outcomes known on {split['cutoff']}, and was tested on the invoices issued from "
            f"{split['cutoff']} on (the last {100 * split['test_share']:.0f} % of the period)."
        )
    elif split["kind"] == "rolling":
        out.append(
            f"Rolling monthly origins: {len(split['origins'])} monthly models, each trained on what was known on the "
            "first of its month and tested on that month's invoices; the figures pool every month."
        )
    else:
        out.append("Random split: invoices shuffled into training and test sets (not an honest time split).")
    summed = f", summed over the {len(split['origins'])} monthly models" if split["kind"] == "rolling" else ""
    out += [
        "Each invoice is described only by what was known on the day it was issued (the customer's invoices "
        "settled before that day, its open items then, the amount and terms).",
        "",
        "| invoices | count |",
        "|---|---:|",
        f"| in the data | {counts['n_invoices']} |",
        f"| training (labelled){summed} | {counts['n_train']} |",
        f"| test (labelled) | {counts['n_test']} |",
    ]
    if "test_censored" in counts:
        out += [
            f"| test period, outcome not yet known (open, not yet due): **censored**, left out of the figures | "
            f"{counts['test_censored']} |",
            f"| test period, still open but past due: counted as late | {counts['test_open_past_due_labelled_late']} |",
            f"| training period, outcome unknown at the cutoff: censored | {counts['train_censored']} |",
            f"| issued in the {split['horizon_days']} days before the cutoff: not used | {counts['gap_not_used']} |",
        ]
    out += [
        "",
        "## Figures (95 % bootstrap intervals in brackets)",
        "",
        "| | ROC-AUC | PR-AUC | Brier | accuracy | precision | recall |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name in MODELS:
        m = f["models"][name]
        out.append(
            f"| {MODEL_LABELS[name]} | {_with_ci(m['roc_auc'])} | {_with_ci(m['pr_auc'])} | {_num(m['brier'])} | "
            f"{_pct(m['accuracy'])} | {_pct(m['precision'])} | {_pct(m['recall'])} |"
        )
    late_share = f["models"]["xgboost"]["late_share"]
    out += [
        "",
        f"Late share in the test invoices: {_pct(late_share)} (PR-AUC of a random guess). Accuracy, precision and "
        f"recall flag an invoice as late when its probability is at least {f['threshold']}. Brier: mean squared "
        f"error of the probabilities (lower is better). Intervals: {f['bootstrap']['n_resamples']} resamples, "
        f"seed {f['bootstrap']['seed']}.",
        "",
        "| expected payment date | invoices | mean abs. error (days) | median abs. error (days) |",
        "|---|---:|---:|---:|",
    ]
    for key, label in (
        ("model_rule", "pipeline's rule: due date + customer's median lateness"),
        ("baseline_due_date", "baseline: the due date"),
        ("baseline_overall_median_lateness", "baseline: due date + everyone's median lateness"),
    ):
        d = f["payment_date"][key]
        out.append(f"| {label} | {d['n']} | {_num(d['mae_days'], 1)} | {_num(d['median_abs_error_days'], 1)} |")
    out += _selection_section(f)
    out += _payment_section(f)
    out += ["", "## Calibration", "", f"![calibration]({PLOT_NAME})", ""]
    out.append(
        "When the model says 30 %, about 30 % of those invoices should be paid late: points on the dashed line mean "
        "the probabilities can be read as they are."
    )
    if len(split["origins"]) > 1:
        out += ["", "## Per origin", "", "| cutoff | training | test | ROC-AUC |", "|---|---:|---:|---:|"]
        out += [f"| {o['cutoff']} | {o['n_train']} | {o['n_test']} | {_num(o['roc_auc'])} |" for o in split["origins"]]
    post = [p for p in f["features"]["post_issuance"]]
    if post or f["warnings"]:
        out += ["", "## Fields after issuance and warnings", ""]
        use_text = {
            "point_in_time": "used as known on each invoice's issue date (from `{}`)",
            "as_is": "**used without the date it became known (asked for): may carry the future**",
            "left_out": "left out",
        }
        out += [f"- `{p['name']}`: {use_text[p['use']].format(p['known_date_column'])}" for p in post]
        out += [f"- {w}" for w in f["warnings"]]
    out += ["", f"Every figure is in `{JSON_NAME}`. Runtime: {f['runtime_seconds']} s.", ""]
    return "\n".join(out)


def write_report(result: BacktestResult, out_dir: Path) -> dict[str, Path]:
    """Write backtest.json, calibration.png and report.md into ``out_dir`` (created); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / JSON_NAME,
        "plot": out_dir / PLOT_NAME,
        "report": out_dir / REPORT_NAME,
        "predictions": out_dir / PREDICTIONS_NAME,
    }
    paths["json"].write_text(json.dumps(result.figures, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    write_calibration_plot(result, paths["plot"])
    paths["report"].write_text(render_markdown(result), encoding="utf-8")
    write_predictions(result, paths["predictions"])
    return paths
