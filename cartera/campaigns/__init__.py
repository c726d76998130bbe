"""The campaigns stage: from open items and scores to reminders sent within the law.

Public API::

    build_batch(dsn, as_of, *, planned_at=None) -> BatchSummary
    dispatch(dsn, clock_or_now=None, *, channels=None) -> DispatchSummary

See ``build.py`` for the build, ``dispatch.py`` for sending exactly once in effect,
``playbook.yml`` for what is sent when, and ``contact_check.py`` for the rules applied before
every send.
"""

from cartera.campaigns.build import BatchSummary, build_batch, default_planned_at
from cartera.campaigns.dispatch import DispatchSummary, dispatch, system_clock

__all__ = ["BatchSummary", "DispatchSummary", "build_batch", "default_planned_at", "dispatch", "system_clock"]
