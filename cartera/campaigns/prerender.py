"""Rendering and content-judging a dispatch batch's e-mails on several cores.

Rendering a statement and running the content rules on it cost most of a message's time once
its data is read in bulk (about 3 ms of 4 on this project's 2-core machine). Both are pure:
the text depends on the invoices, the recipient and the creditor, not on the instant, and the
content rules judge that text. So a large dispatch renders and judges a batch's e-mails in
worker processes, then decides each row in order, reading the clock just before its decision
as always. SMS and WhatsApp are rendered in the dispatcher itself (WhatsApp's free-text window
depends on the instant).

Workers are spawned (never forked: the dispatcher may hold threads and connections) and
inherit the environment, hence the settings; they read no database.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import jinja2

from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.contact_check import policy_engine
from cartera.campaigns.content_check import check_rendered
from cartera.campaigns.creditor import Creditor, creditor_from_settings
from cartera.campaigns.rendering import RenderedMessage, render_message
from cartera.logs import get_logger
from cartera.policy.content import ContentReport

_log = get_logger(__name__)


@dataclass(frozen=True)
class RenderJob:
    """What rendering and judging one message needs. Holds personal data: never log it."""

    channel: str
    template: str
    language: str
    invoices: tuple[OpenItem, ...]
    as_of: dt.date
    company_name: str
    contact_name: str | None
    reference: str
    country: str
    is_consumer: bool

    def __repr__(self) -> str:
        return f"RenderJob(channel={self.channel!r}, template={self.template!r})"


Rendered = tuple[RenderedMessage | None, ContentReport | None, str | None]


@functools.lru_cache(maxsize=8)
def _creditor(company_name: str) -> Creditor:
    return creditor_from_settings(company_name)


def render_and_judge(job: RenderJob, *, window_open: bool = False) -> Rendered:
    """(rendering, content report, None), or (None, None, the template error's code)."""
    creditor = _creditor(job.company_name)
    try:
        rendered = render_message(
            job.channel,
            job.template,
            job.language,
            invoices=job.invoices,
            as_of=job.as_of,
            creditor=creditor,
            contact_name=job.contact_name,
            reference=job.reference,
            window_open=window_open,
        )
    except jinja2.TemplateError as exc:
        return None, None, f"template_error {type(exc).__name__}"
    report = check_rendered(
        policy_engine(),
        rendered,
        channel=job.channel,
        country=job.country,
        is_consumer=job.is_consumer,
        creditor=creditor,
    )
    return rendered, report, None


class Prerenderer:
    """A pool of `workers` spawned processes, started on first use; :meth:`close` it."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._in_process = False

    def map(self, jobs: Sequence[RenderJob]) -> list[Rendered]:
        """Every job's result, in order. Where worker processes cannot run (a daemonic process,
        such as a Celery prefork child, may not start children) or their pool breaks, the jobs
        are rendered here, in-process: slower, same results."""
        if self._pool is None and not self._in_process:
            if multiprocessing.current_process().daemon:
                self._in_process = True
            else:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        if self._pool is not None:
            chunk = max(1, len(jobs) // (self.workers * 4))
            try:
                return list(self._pool.map(render_and_judge, jobs, chunksize=chunk))
            except (BrokenProcessPool, OSError) as exc:
                _log.warning("render workers unavailable (%s): rendering in-process", type(exc).__name__)
                self.close()
                self._in_process = True
        return [render_and_judge(job) for job in jobs]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
