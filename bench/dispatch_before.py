"""The dispatch benchmark's baseline: ``cartera/campaigns/dispatch.py`` as it was before dispatch
was batched (:data:`BEFORE_COMMIT`: per-row queries, one request per message), read from git
and run against today's modules.

Since that commit the audit became one table (``ops.contact_decisions``, one writer,
:func:`cartera.policy.audit.record_decisions`) and holds come grouped by customer, so three
lines of the old file no longer match the code around them. They are adapted here, each
replacement checked to apply exactly once, and nothing else is touched: the old code wrote two
audit rows per message (``ops.policy_decisions`` and ``ops.contact_decisions``), the adapted
one writes today's one row per message in its own statement, so the baseline does a little
less work than it did then (the ratio against it errs low, never high).
"""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

from cartera.config import REPO_ROOT

BEFORE_COMMIT = "5b575f8"  # the last commit before dispatch was batched (issue #15)

# (old text, today's text): each must occur exactly once in the old file.
ADAPTATIONS = (
    (
        "from cartera.campaigns.decisions import audit_policy, step_of\n",
        "from cartera.campaigns.decisions import audit_record, step_of\n"
        "from cartera.policy.audit import record_decisions\n",
    ),
    (
        "holds = data.load_holds(conn, [row.customer_id])\n",
        "holds = data.load_holds(conn, [row.customer_id]).get(row.customer_id, [])\n",
    ),
    (
        """    audit_policy(conn, decision, "send", now, batch_id=row.batch_id, outbox_id=row.outbox_id, key=row.idempotency_key)
    outbox.record_decision(
        conn,
        decision,
        stage="send",
        at=now,
        customer_id=row.customer_id,
        step=row.step,
        channel=row.channel,
        batch_id=row.batch_id,
        outbox_id=row.outbox_id,
        key=row.idempotency_key,
    )
""",
        """    record_decisions(
        conn,
        [
            audit_record(
                decision, candidate, "send", now, channel=row.channel, batch_id=row.batch_id,
                outbox_id=row.outbox_id, key=row.idempotency_key,
            )
        ],
    )
""",
    ),
)


def adapted_source() -> str:
    """The old dispatch.py with :data:`ADAPTATIONS` applied (ValueError if one does not apply once)."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE_COMMIT}:cartera/campaigns/dispatch.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for old, new in ADAPTATIONS:
        if source.count(old) != 1:
            raise ValueError(f"the baseline's adaptation no longer applies: {old.strip()[:60]!r}")
        source = source.replace(old, new)
    return source


def before_dispatch() -> Callable[..., Any]:
    """`dispatch` as it was at BEFORE_COMMIT, adapted (loaded as its own module)."""
    module = types.ModuleType("bench_dispatch_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    code = compile(adapted_source(), f"dispatch.py@{BEFORE_COMMIT}", "exec")
    exec(code, module.__dict__)  # noqa: S102 - our own code from git
    return module.dispatch  # type: ignore[no-any-return]
