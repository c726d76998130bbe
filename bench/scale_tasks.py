"""The tasks `bench.scale` times, one per child process (so each has its own peak RSS).

    python -m bench.scale_tasks TASK --dsn DSN --as-of YYYY-MM-DD [--upper ISO] [--work DIR] [--requests N]

Each task prints one line ``RESULT {json}`` with ``seconds`` (the timed part only: setup such as
building the baseline's matrix is not timed) and what it counted. A task and its baseline run in
separate children, on the same rows, in the same run of `bench.scale`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from cartera.config import REPO_ROOT

# Rows a bench task clears before it runs, so every run measures the same work.
CAMPAIGN_TABLES = (
    "ops.batch_approvals",
    "ops.contact_decisions",
    "ops.collection_tasks",
    "ops.outbox",
    "ops.campaign_batches",
)


def copy_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """Every ERP entity's rows up to `upper`, mapped to the raw columns, piped COPY TO → COPY FROM:
    what landing the same rows costs with nothing in between (no frame, no gate, no watermark)."""
    from cartera.raw_contract import ENTITIES, raw_columns
    from cartera.sources.erp import MAPPINGS

    rows = 0
    started = time.perf_counter()
    with psycopg.connect(args.dsn) as source, psycopg.connect(args.dsn) as target:
        source.execute("set time zone 'UTC'")
        for entity in ENTITIES:
            mapping = MAPPINGS[entity]
            select = sql.SQL(
                "copy (select 'bench-copy', 'erp', {columns} from {table} where write_date <= %s and ({condition})) "
                "to stdout"
            ).format(
                columns=sql.SQL(", ").join(sql.SQL(e) for e in mapping.columns.values()),
                table=sql.Identifier("erp", mapping.table),
                condition=sql.SQL(mapping.condition),
            )
            insert = sql.SQL("copy {table} ({columns}) from stdin").format(
                table=sql.Identifier("raw", entity),
                columns=sql.SQL(", ").join(sql.Identifier(c) for c in ("load_id", "source", *raw_columns(entity))),
            )
            with source.cursor() as out, target.cursor() as into:
                with out.copy(select, (args.upper,)) as reader, into.copy(insert) as writer:
                    for block in reader:
                        writer.write(block)
                rows += into.rowcount
        target.commit()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def ingest(args: argparse.Namespace) -> dict[str, Any]:
    """`ingest_erp` as the DAG runs it, every entity, up to `upper`."""
    from cartera.sources.erp_ingest import ingest_erp

    started = time.perf_counter()
    results = ingest_erp(warehouse_dsn=args.dsn, erp_dsn=args.dsn, erp_schema="erp", upper_bound=args.upper)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": sum(r.rows_extracted for r in results),
        "loaded": sum(r.rows_loaded for r in results),
        "quarantined": sum(r.rows_quarantined for r in results),
    }


def dbt_build(args: argparse.Namespace) -> dict[str, Any]:
    """`dbt build` of dbt_project/ in-process (dbtRunner), as the warehouse DAG's one build task."""
    from dbt.cli.main import dbtRunner

    info = psycopg.conninfo.conninfo_to_dict(args.dsn)
    os.environ.update(
        {
            "CARTERA_PGHOST": str(info.get("host") or "127.0.0.1"),
            "CARTERA_PGPORT": str(info.get("port") or 5432),
            "CARTERA_PGUSER": str(info.get("user") or "postgres"),
            "CARTERA_PGPASSWORD": str(info.get("password") or ""),
            "CARTERA_PGDATABASE": str(info["dbname"]),
            "DO_NOT_TRACK": "1",
        }
    )
    project = REPO_ROOT / "dbt_project"
    work = Path(args.work)
    started = time.perf_counter()
    result = dbtRunner().invoke(
        ["build", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
         "--vars", json.dumps({"as_of_date": args.as_of.isoformat()}), "--no-use-colors", "--quiet"]
    )  # fmt: skip
    seconds = time.perf_counter() - started
    run_result: Any = result.result
    nodes = run_result.results if run_result is not None else []
    failed = [f"{n.node.unique_id}: {n.status}" for n in nodes if str(n.status) not in {"success", "pass"}]
    slowest = sorted(((n.execution_time, n.node.unique_id) for n in nodes), reverse=True)[:5]
    return {
        "seconds": seconds,
        "nodes": len(nodes),
        "failed": failed[:10],
        "ok": bool(result.success),
        "slowest": [[round(t, 1), name] for t, name in slowest],
    }


def train(args: argparse.Namespace) -> dict[str, Any]:
    from ml.training import train_and_register

    started = time.perf_counter()
    info = train_and_register(args.dsn, args.as_of)
    return {"seconds": time.perf_counter() - started, "rows": info.n_train + info.n_test}


def train_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """One XGBoost fit, the stored model's parameters and rounds, on the stored model's own
    training matrix (the refit set's features, built first and not timed)."""
    # XGBoost threads wait as the pipeline's do (ml/__init__.py), set before XGBoost loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import pandas as pd
    import xgboost as xgb

    from cartera.db import connect
    from ml.features import MODEL_FEATURES, features_at, load_allocations, load_invoice_history, normalise_history
    from ml.labels import refit_set
    from ml.training import model_id_for

    with connect(args.dsn) as conn:
        invoices = load_invoice_history(conn, args.as_of)
        allocations = load_allocations(conn, args.as_of)
        row = conn.execute("select params from ml.models where model_id = %s", (model_id_for(args.as_of),)).fetchone()
    if row is None:
        raise RuntimeError("run the train task first: the baseline fits with the stored model's parameters")
    params = dict(row[0])
    history = normalise_history(invoices)
    history = history[history["issue_date"] <= pd.Timestamp(args.as_of)]
    refit = refit_set(history, args.as_of)
    targets = refit[["invoice_id", "issue_date"]].rename(columns={"issue_date": "as_of"})
    features = features_at(history, targets, allocations).set_index("invoice_id")
    # The training rows as ml.training builds them: each refit invoice's features, its label.
    x, y = features.loc[refit["invoice_id"], list(MODEL_FEATURES)], refit["late"].astype("int64").to_numpy()
    started = time.perf_counter()
    xgb.XGBClassifier(**params).fit(x, y)
    return {"seconds": time.perf_counter() - started, "rows": len(x), "rounds": params.get("n_estimators")}


def score(args: argparse.Namespace) -> dict[str, Any]:
    from ml.scoring import score_open_items

    started = time.perf_counter()
    summary = score_open_items(args.dsn, args.as_of)
    return {"seconds": time.perf_counter() - started, "rows": summary.n_scored}


def score_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """The champion's booster predicting the open book's feature matrix (built first, not timed)."""
    # XGBoost threads wait as the pipeline's do (ml/__init__.py), set before XGBoost loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import xgboost as xgb

    from cartera.db import connect
    from ml.features import build_features, load_allocations, load_invoice_history
    from ml.registry import load_champion

    with connect(args.dsn) as conn:
        model = load_champion(conn)
        invoices = load_invoice_history(conn, args.as_of)
        allocations = load_allocations(conn, args.as_of)
    if model is None:
        raise RuntimeError("run the train task first")
    features = build_features(invoices, args.as_of, for_invoices="open", allocations=allocations)
    matrix = features.loc[:, model.feature_names].astype("float64")
    started = time.perf_counter()
    model.booster.predict(xgb.DMatrix(matrix, feature_names=model.feature_names))
    return {"seconds": time.perf_counter() - started, "rows": len(features)}


def campaign_build(args: argparse.Namespace) -> dict[str, Any]:
    """The campaigns DAG's build task: `build_batch` (playbook, policy engine, content check,
    outbox) and the approval assessment, on a day cleared of earlier bench batches."""
    from cartera.campaigns import approval, build_batch
    from cartera.campaigns.build import default_planned_at
    from cartera.db import connect

    with psycopg.connect(args.dsn) as conn:
        conn.execute(sql.SQL("truncate {} cascade").format(sql.SQL(", ").join(map(sql.SQL, CAMPAIGN_TABLES))))
    planned_at = default_planned_at(args.as_of)
    started = time.perf_counter()
    summary = build_batch(args.dsn, args.as_of, planned_at=planned_at)
    with connect(args.dsn) as conn:
        approval.assess(
            conn, summary.batch_id, planned_at, rules=approval.ApprovalRules.from_settings(),
            policy=approval.policy_version(),
        )  # fmt: skip
    return {
        "seconds": time.perf_counter() - started,
        "rows": summary.candidates,
        "enqueued": summary.enqueued,
        "escalated": summary.escalated,
        "denied": summary.denied,
        "deferred": summary.deferred,
    }


def campaign_playbook(args: argparse.Namespace) -> dict[str, Any]:
    """The playbook alone: the day's candidates from the same marts (no engine, no render, no writes),
    on the day cleared of earlier bench batches as the build's is (their rows would cover the
    candidates, and the playbook would time fewer than the build)."""
    from cartera.campaigns.candidates import build_candidates, load_covered, load_open_items, load_segments
    from cartera.campaigns.playbook import load_playbook
    from cartera.db import connect

    with psycopg.connect(args.dsn) as conn:
        conn.execute(sql.SQL("truncate {} cascade").format(sql.SQL(", ").join(map(sql.SQL, CAMPAIGN_TABLES))))
    started = time.perf_counter()
    with connect(args.dsn) as conn:
        candidates = build_candidates(
            load_open_items(conn, args.as_of), load_segments(conn, args.as_of), load_playbook(), load_covered(conn)
        )
    return {"seconds": time.perf_counter() - started, "rows": len(candidates)}


def pages(args: argparse.Namespace) -> dict[str, Any]:
    """Every dashboard page served in-process (the app as Airflow mounts it, a signed-in admin),
    `requests` timed requests each after one warm-up; /api/me (sign-in and framework only) is the
    baseline."""
    import warnings

    from airflow.api_fastapi.auth.tokens import JWTGenerator

    from cartera.dashboard.app import create_app
    from cartera.dashboard.auth import SharedSecretAuthenticator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    secret = "bench-secret-" + "0123456789abcdef" * 4
    token = JWTGenerator(
        secret_key=secret, valid_for=3600, audience="apache-airflow", algorithm="HS512", issuer=None
    ).generate({"sub": "bench", "role": "ADMIN"})
    client = TestClient(create_app(lambda: args.dsn, auth=SharedSecretAuthenticator(secret, "/auth/login")))
    client.cookies.set("_token", str(token))
    with psycopg.connect(args.dsn) as conn:
        customer = _one(conn, "select customer_id from marts.fct_open_items group by 1 order by count(*) desc limit 1")
        invoice = _one(conn, "select invoice_ids[1] from ops.outbox order by outbox_id limit 1")
        batch = _one(conn, "select batch_id from ops.campaign_batches order by as_of_date desc limit 1")
    paths = {
        "baseline /api/me": "/api/me",
        "/": "/",
        "/health": "/health",
        "/worklist": "/worklist",
        "/customers/{id}": f"/customers/{customer}",
        "/invoices/{id}": f"/invoices/{invoice}",
        "/batches": "/batches",
        "/batches/{id}": f"/batches/{batch}",
    }
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    for name, path in paths.items():
        warm = client.get(path)
        if warm.status_code != 200:
            timings[name] = {"status": warm.status_code}
            continue
        seconds = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get(path)
            seconds.append(time.perf_counter() - t)
        timings[name] = {
            "p50_ms": statistics.median(seconds) * 1000,
            "p95_ms": statistics.quantiles(seconds, n=20, method="inclusive")[18] * 1000,
            "max_ms": max(seconds) * 1000,
        }
    return {"seconds": time.perf_counter() - started, "pages": timings, "requests": args.requests}


def _one(conn: psycopg.Connection, query: str) -> str:
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]  # constant queries
    return str(row[0]) if row and row[0] is not None else "none"


TASKS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "copy_baseline": copy_baseline,
    "ingest": ingest,
    "dbt_build": dbt_build,
    "train": train,
    "train_baseline": train_baseline,
    "score": score,
    "score_baseline": score_baseline,
    "campaign_build": campaign_build,
    "campaign_playbook": campaign_playbook,
    "pages": pages,
}


def main(argv: list[str] | None = None) -> None:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--upper", type=dt.datetime.fromisoformat, default=None)
    parser.add_argument("--work", default=None)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    result = TASKS[args.task](args)
    result["own_peak_rss_mb"] = _own_peak_rss_mb()
    print("RESULT " + json.dumps(result, default=str), flush=True)  # noqa: T201 - the parent reads it


def _own_peak_rss_mb() -> float | None:
    """This process's own peak RSS (VmHWM, reset at exec). The parent's ``ru_maxrss`` of a child is
    at least the parent's own RSS when it forked (Linux keeps the high-water mark through fork and
    execve), so after a parent that generated a book it is the parent's size, not the task's."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
