"""The campaigns' seeded inputs (tests/integration/campaigns/campaign_inputs.py) reused to show a
confirmed fraud stopping that customer's messages."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "campaigns"))
