"""Rendering and judging e-mails in worker processes gives what rendering in-process gives, and
falls back to in-process where workers cannot start (a daemonic process such as a Celery child)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cartera.campaigns import prerender
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.prerender import Prerenderer, RenderJob, render_and_judge


def job(n: int) -> RenderJob:
    item = OpenItem(f"I{n}", f"F-{n:04d}", f"C{n}", dt.date(2026, 3, 5), "MXN", Decimal("1500.50"),
                    Decimal("1500.50"), 5, False)  # fmt: skip
    return RenderJob(
        channel="email",
        template="recordatorio_vencido",
        language="es-MX",
        invoices=(item,),
        as_of=dt.date(2026, 3, 10),
        company_name="Ejemplo",
        contact_name=f"Contacto {n}",
        reference=f"C{n}",
        country="MX",
        is_consumer=False,
    )


def test_workers_render_and_judge_exactly_as_in_process() -> None:
    jobs = [job(n) for n in range(6)]
    pool = Prerenderer(2)
    try:
        results = pool.map(jobs)
    finally:
        pool.close()
    assert results == [render_and_judge(j) for j in jobs]
    rendered, report, error = results[0]
    assert error is None and rendered is not None and "F-0000" in rendered.text
    assert report is not None and report.violations == ()


def test_a_daemonic_process_renders_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prerender.multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    pool = Prerenderer(2)
    assert pool.map([job(1)]) == [render_and_judge(job(1))]
    assert pool._pool is None  # no worker was started
