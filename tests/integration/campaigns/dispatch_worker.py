"""A real dispatch process for the fault-injection tests (killed at chosen points).

python dispatch_worker.py <dsn> <sendgrid base url> <api key> <now, ISO 8601> [request size]
"""

from __future__ import annotations

import datetime as dt
import sys

from cartera.campaigns import dispatch
from cartera.campaigns.dispatch import DispatchOptions
from cartera.channels.sendgrid_email import SendGridEmailChannel

if __name__ == "__main__":
    dsn, host, key, now = sys.argv[1:5]
    request_size = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    dispatch(
        dsn,
        dt.datetime.fromisoformat(now),
        channel_factory=lambda: SendGridEmailChannel(key, from_email="cobranza@example.com", host=host),
        options=DispatchOptions(batch_size=100, company_name="Ejemplo", request_size=request_size),
    )
