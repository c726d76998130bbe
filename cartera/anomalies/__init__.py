"""Anomaly and fraud alerts (issue #14): detectors over the warehouse, point in time, that write
``ops.alerts`` (``source='anomaly'``) with reasons in Spanish and English.

Why under ``cartera/`` and not ``ml/``: ``ml/`` may import only the kernel (settings, db, errors,
logs). This stage also e-mails finance through ``cartera.channels`` (``notify.py``) and its
evaluation drives the synthetic generator (``evaluate.py``); both are outside that kernel. The
detectors themselves (``rules_*.py``, ``deterioration.py``, ``forest.py``) import only pandas,
scikit-learn and :mod:`cartera.anomalies.book`, so they could move under ``ml/`` unchanged.

Flow: a :class:`~cartera.anomalies.book.AnomalyBook` (frames as of the business date, from the
warehouse or from a generated company) → :func:`~cartera.anomalies.detect.detect` → findings →
``ops.alerts`` (deduplicated by the facts) → high severity e-mailed to finance once. Confirming an
alert of a fraud kind holds the customer's campaigns (a trigger in ``cartera/sql/70_anomalies.sql``).
"""
