"""The campaigns stage: from open items and scores to reminders sent within the law.

Public API::

    build_batch(dsn, as_of, *, planned_at=None) -> BatchSummary
    dispatch(dsn, now, *, channel_factory=None) -> DispatchSummary

See ``service.py`` for the guarantees, ``playbook.yml`` for what is sent when, and
``contact_check.py`` for the rules applied before every send.
"""

from cartera.campaigns.service import BatchSummary, DispatchSummary, build_batch, default_planned_at, dispatch

__all__ = ["BatchSummary", "DispatchSummary", "build_batch", "default_planned_at", "dispatch"]
