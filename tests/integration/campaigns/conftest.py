"""Fixtures of the campaigns integration tests: a seeded warehouse and a fake SendGrid server
spoken to by the real SDK over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from campaign_inputs import API_KEY, seed_inputs

from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.channels.whatsapp_templates import DEMO_TEMPLATES_FILE
from cartera.config import get_settings


@pytest.fixture(autouse=True)
def whatsapp_templates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo registry of approved WhatsApp templates (with their bodies), as the demo runs:
    without the approved text a WhatsApp template cannot be checked and is never sent."""
    monkeypatch.setenv("CARTERA_WHATSAPP_TEMPLATES_FILE", str(DEMO_TEMPLATES_FILE))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def campaign_dsn(fresh_db: str) -> str:
    """A fresh warehouse with the campaigns' inputs for AS_OF."""
    seed_inputs(fresh_db)
    return fresh_db


@pytest.fixture
def fake_sendgrid(tmp_path: Path) -> Iterator[FakeSendGrid]:
    """A running fake SendGrid (real HTTP) that accepts only API_KEY; .eml files in tmp_path/eml."""
    with FakeSendGrid(tmp_path / "eml", api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def channel_factory(fake_sendgrid: FakeSendGrid) -> Callable[[], SendGridEmailChannel]:
    """The real SDK channel pointed at the fake."""
    return lambda: SendGridEmailChannel(
        API_KEY, from_email="cobranza@example.com", from_name="Cobranza", host=fake_sendgrid.base_url, timeout_seconds=5
    )
