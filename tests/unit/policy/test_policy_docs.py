"""The creditor example in docs/contact_policy.md loads against every pack (docs that run)."""

from __future__ import annotations

import yaml

from cartera.config import REPO_ROOT
from cartera.policy import PolicyEngine


def test_the_documented_creditor_settings_load_and_tighten_every_pack() -> None:
    text = (REPO_ROOT / "docs" / "contact_policy.md").read_text(encoding="utf-8")
    block = text.split("### Creditor settings: only stricter")[1].split("```yaml")[1].split("```")[0]
    engine = PolicyEngine.load(creditor=yaml.safe_load(block))
    assert {pack.version for pack in engine.packs.values()} == {"2026.2/platform@2026.2+acme@3"}
